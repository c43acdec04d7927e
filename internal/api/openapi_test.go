package api

import (
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes checks that api/openapi.yaml describes exactly the
// routes the server registers, method by method.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	data, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("api/openapi.yaml does not parse: %v", err)
	}
	documented := map[string]bool{}
	roles := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				key := strings.ToUpper(method) + " " + path
				documented[key] = true
				if m, ok := op.(map[string]any); ok {
					roles[key], _ = m["x-role"].(string)
				}
			}
		}
	}
	served := map[string]bool{}
	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		served[key] = true
		want := rt.Role.String()
		if rt.Role == public {
			want = "public"
		}
		if documented[key] && roles[key] != want {
			t.Errorf("%s: api/openapi.yaml says x-role %q, the server requires %q", key, roles[key], want)
		}
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes served but not in api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes in api/openapi.yaml but not served:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes served; the route table looks broken", len(served))
	}
}
