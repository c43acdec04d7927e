package api

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/hostadmin"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// Every JSON field of the stats types is documented in api/openapi.yaml
// under the schema of the same name, so that new fields cannot slip in
// undocumented.
func TestOpenAPIDocumentsStatsFields(t *testing.T) {
	data, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"Sample": inventory.Sample{}, "HistoryInfo": inventory.HistoryInfo{},
		"Host": host.Status{}, "HostProbe": host.ProbeResult{}, "HostKeyAlert": hostadmin.KeyAlert{},
	} {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("api/openapi.yaml has no schema %s", name)
			continue
		}
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			field, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if field == "" || field == "-" {
				continue
			}
			if _, ok := schema.Properties[field]; !ok {
				t.Errorf("%s.%s (json %q) is not documented in api/openapi.yaml's schema %s", typ.Name(), typ.Field(i).Name, field, name)
			}
		}
	}
}
