package api

import (
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/console/screen"
	"github.com/kvm-manager/kvm-manager/internal/console/serial"
	"github.com/kvm-manager/kvm-manager/internal/console/spice"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/hardware"
	"github.com/kvm-manager/kvm-manager/internal/hostadmin"
	"github.com/kvm-manager/kvm-manager/internal/metrics"
	"github.com/kvm-manager/kvm-manager/internal/network"
	"github.com/kvm-manager/kvm-manager/internal/snapexport"
	"github.com/kvm-manager/kvm-manager/internal/snapschedule"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/vmcreate"
)

// withFeatures gives opts every optional feature, built inert: nothing
// connects anywhere, and no request in these tests reaches a handler that
// would need a host.
func withFeatures(t *testing.T, opts Options) Options {
	t.Helper()
	serialSvc := serial.New(serial.Options{})
	t.Cleanup(serialSvc.Close)
	opts.Tickets = console.NewTickets(nil)
	opts.VNC = vnc.New(vnc.Options{})
	opts.Spice = spice.New(spice.Options{})
	opts.Screenshots = screen.New(screen.Options{Dir: t.TempDir()})
	opts.Serial = serialSvc
	opts.DomainEdit = domainedit.New(domainedit.Options{})
	opts.Snapshots = snapshot.New(snapshot.Options{})
	opts.Storage = storage.New(storage.Options{})
	opts.Networks = network.New(network.Options{})
	opts.Create = vmcreate.New(vmcreate.Options{})
	opts.Hardware = hardware.New(hardware.Options{})
	opts.HostAdmin = hostadmin.New(hostadmin.Options{})
	opts.Metrics = metrics.New(metrics.Options{})
	sched, err := snapschedule.New(snapschedule.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	opts.Schedules = sched
	opts.Export = snapexport.New(snapexport.Options{})
	recs, err := recording.NewStore(recording.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	opts.Recordings = recs
	return opts
}

// TestFeatureRoutesOnlyWhenEnabled checks that a feature left out registers
// none of its routes, and that the routes every server has are there
// without any feature.
func TestFeatureRoutesOnlyWhenEnabled(t *testing.T) {
	bare, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := New(withFeatures(t, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	core := map[string]bool{}
	for _, rt := range bare.Routes() {
		core[rt.Method+" "+rt.Pattern] = true
	}
	fill := strings.NewReplacer("{host}", "h", "{uuid}", "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11", "{name}", "x", "{action}", "start", "{id}", "1", "{pool}", "p", "{vol}", "v", "{net}", "n")
	features := 0
	for _, rt := range full.Routes() {
		if core[rt.Method+" "+rt.Pattern] {
			delete(core, rt.Method+" "+rt.Pattern)
			continue
		}
		features++
		// The mux picks another pattern (a POST .../console falls to
		// .../{action}, which refuses it) or none.
		r := httptest.NewRequest(rt.Method, fill.Replace(rt.Pattern), nil)
		if _, pattern := bare.mux.Handler(r); pattern == rt.Method+" "+rt.Pattern {
			t.Errorf("%s %s is served without its feature", rt.Method, rt.Pattern)
		}
		if _, pattern := full.mux.Handler(r); pattern != rt.Method+" "+rt.Pattern {
			t.Errorf("%s %s: the full server routes it to %q", rt.Method, rt.Pattern, pattern)
		}
	}
	if len(core) > 0 {
		t.Errorf("routes served without features but not with them: %v", core)
	}
	// The consoles (7 + 3) and snapshots (8) are the features today.
	if features < 18 {
		t.Errorf("only %d routes belong to features; want the consoles' and snapshots'", features)
	}
}

// TestOpenAPIMatchesRoutes checks that api/openapi.yaml describes exactly the
// routes the server registers with every feature on (as kvm-manager runs),
// method by method.
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
	srv, err := New(withFeatures(t, Options{}))
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
