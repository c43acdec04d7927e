package hostadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

type fakeInventory struct {
	mu    sync.Mutex
	hosts []string
}

func (f *fakeInventory) AddHost(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.hosts, name) {
		f.hosts = append(f.hosts, name)
	}
}

func (f *fakeInventory) RemoveHost(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = slices.DeleteFunc(f.hosts, func(n string) bool { return n == name })
}

type recorder struct {
	mu     sync.Mutex
	events []event.Type
	data   []any
}

func (r *recorder) Publish(typ event.Type, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, typ)
	r.data = append(r.data, data)
}

// sock is a unix socket URI to nothing: hosts built from it are valid and
// never connect, which is all these tests need of them.
func sock(dir string) string {
	return "qemu+unix:///system?socket=" + filepath.Join(dir, "no-such.sock")
}

type fixture struct {
	svc  *Service
	set  *host.Set
	inv  *fakeInventory
	bus  *recorder
	dir  string
	stop func()
}

func newFixture(t *testing.T, configured ...string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{inv: &fakeInventory{}, bus: &recorder{}, dir: dir}
	newHost := func(name, uri string, source host.Source) (*host.Host, error) {
		return host.New(host.Options{Name: name, URI: uri, DataDir: dir, Source: source,
			MinBackoff: time.Hour, MaxBackoff: time.Hour, CallTimeout: 200 * time.Millisecond})
	}
	var hs []*host.Host
	for _, n := range configured {
		h, err := newHost(n, sock(dir), host.SourceConfig)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	set, err := host.NewSet(hs...)
	if err != nil {
		t.Fatal(err)
	}
	f.set = set
	f.svc = New(Options{Hosts: set, Inventory: f.inv, Publisher: f.bus, DataDir: dir, NewHost: newHost,
		MaxHosts: 3, Getenv: func(string) string { return "" }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) saved(t *testing.T) []Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, FileName))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var fl file
	if err := json.Unmarshal(data, &fl); err != nil {
		t.Fatal(err)
	}
	return fl.Hosts
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code {
		t.Fatalf("got %v, want problem %s", err, code)
	}
	if p.Hint == "" {
		t.Errorf("%s has no hint", code)
	}
}

func TestAddEditRemovePersists(t *testing.T) {
	f := newFixture(t, "local")
	st, err := f.svc.Add(Spec{Name: "kvm2", URI: sock(f.dir)}, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if st.Source != host.SourceAPI || st.Name != "kvm2" {
		t.Errorf("status %+v", st)
	}
	if got := f.saved(t); len(got) != 1 || got[0].Name != "kvm2" || got[0].AddedBy != "ada" {
		t.Fatalf("saved %+v", got)
	}
	if fi, err := os.Stat(filepath.Join(f.dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("hosts.json mode: %v %v", fi.Mode(), err)
	}
	if f.set.Len() != 2 || !slices.Contains(f.inv.hosts, "kvm2") {
		t.Errorf("set has %d hosts, inventory %v", f.set.Len(), f.inv.hosts)
	}

	// Edit: the new URI is saved and a new host object runs under the name.
	old, _ := f.set.Get("kvm2")
	uri2 := "qemu+unix:///system?socket=" + filepath.Join(f.dir, "other.sock")
	if _, err := f.svc.Update(context.Background(), "kvm2", Spec{URI: uri2}, "ada"); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.set.Get("kvm2")
	if cur == old || cur.Status().URI != uri2 || f.saved(t)[0].URI != uri2 {
		t.Errorf("after edit: same host %v, uri %q, saved %+v", cur == old, cur.Status().URI, f.saved(t))
	}

	// A new service over the same data dir starts the saved host.
	set2, _ := host.NewSet()
	svc2 := New(Options{Hosts: set2, Inventory: &fakeInventory{}, DataDir: f.dir, NewHost: f.svc.opts.NewHost})
	if err := svc2.Load(); err != nil {
		t.Fatal(err)
	}
	if h, err := set2.Get("kvm2"); err != nil || h.Status().URI != uri2 || h.Status().Source != host.SourceAPI {
		t.Fatalf("loaded: %v %+v", err, h)
	}

	if err := f.svc.Remove(context.Background(), "kvm2", "ada"); err != nil {
		t.Fatal(err)
	}
	if got := f.saved(t); len(got) != 0 {
		t.Errorf("saved after remove: %+v", got)
	}
	if _, err := f.set.Get("kvm2"); err == nil || slices.Contains(f.inv.hosts, "kvm2") {
		t.Errorf("kvm2 still in the set or the inventory (%v)", f.inv.hosts)
	}
	if !slices.Contains(f.bus.events, event.TypeHostRemoved) {
		t.Errorf("no host-removed event: %v", f.bus.events)
	}
}

func TestRefusalsSaveNothing(t *testing.T) {
	f := newFixture(t, "local")
	key := filepath.Join(f.dir, "id_test")
	if err := os.WriteFile(key, []byte("not really a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		spec Spec
		code string
	}{
		{"bad name", Spec{Name: "-x", URI: sock(f.dir)}, problem.CodeInvalidHostName},
		{"name with slash", Spec{Name: "a/b", URI: sock(f.dir)}, problem.CodeInvalidHostName},
		{"empty uri", Spec{Name: "a", URI: ""}, problem.CodeInvalidURI},
		{"unknown transport", Spec{Name: "a", URI: "qemu+ext://h/system"}, problem.CodeInvalidURI},
		{"other driver", Spec{Name: "a", URI: "xen+ssh://h/system"}, problem.CodeInvalidURI},
		{"bad path", Spec{Name: "a", URI: "qemu+ssh://h/root"}, problem.CodeInvalidURI},
		{"no_verify", Spec{Name: "a", URI: "qemu+ssh://root@h/system?keyfile=" + key + "&no_verify=1"}, problem.CodeInvalidURI},
		{"missing key file", Spec{Name: "a", URI: "qemu+ssh://root@h/system?keyfile=/nonexistent/id"}, problem.CodeKeyFileInvalid},
		{"relative key file", Spec{Name: "a", URI: "qemu+ssh://root@h/system?keyfile=id"}, problem.CodeKeyFileInvalid},
		{"key file a directory", Spec{Name: "a", URI: "qemu+ssh://root@h/system?keyfile=" + f.dir}, problem.CodeKeyFileInvalid},
		{"world-readable key", Spec{Name: "a", URI: "qemu+ssh://root@h/system?keyfile=" + key}, problem.CodeKeyFileUnsafe},
		{"no key and no agent", Spec{Name: "a", URI: "qemu+ssh://root@h/system"}, problem.CodeNoSSHAuth},
		{"duplicate of a configured host", Spec{Name: "local", URI: sock(f.dir)}, problem.CodeDuplicateHost},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Add(c.spec, "ada")
			wantCode(t, err, c.code)
			if got := f.saved(t); len(got) != 0 {
				t.Errorf("saved %+v", got)
			}
			if f.set.Len() != 1 {
				t.Errorf("set has %d hosts", f.set.Len())
			}
		})
	}
	// The limit.
	for i := range 3 {
		if _, err := f.svc.Add(Spec{Name: "h" + string(rune('a'+i)), URI: sock(f.dir)}, "ada"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.Add(Spec{Name: "hd", URI: sock(f.dir)}, "ada")
	wantCode(t, err, problem.CodeTooManyHosts)
	if got := f.saved(t); len(got) != 3 {
		t.Errorf("saved %d", len(got))
	}
}

func TestConfiguredHostsStay(t *testing.T) {
	f := newFixture(t, "local")
	wantCode(t, f.svc.Remove(context.Background(), "local", "ada"), problem.CodeHostFromConfig)
	_, err := f.svc.Update(context.Background(), "local", Spec{URI: sock(f.dir) + "x"}, "ada")
	wantCode(t, err, problem.CodeHostFromConfig)
	wantCode(t, f.svc.Remove(context.Background(), "ghost", "ada"), problem.CodeHostNotFound)
	if _, err := f.set.Get("local"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadSkipsNameTakenByConfig(t *testing.T) {
	f := newFixture(t, "local")
	data := `{"hosts":[{"name":"local","uri":"` + sock(f.dir) + `"},{"name":"b","uri":"` + sock(f.dir) + `"}]}`
	if err := os.WriteFile(filepath.Join(f.dir, FileName), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Load(); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.set.Get("local"); h.Status().Source != host.SourceConfig {
		t.Error("the configured host was replaced")
	}
	if _, err := f.set.Get("b"); err != nil {
		t.Error(err)
	}
	// The configured one stays configured; the saved record is kept.
	wantCode(t, f.svc.Remove(context.Background(), "local", "ada"), problem.CodeHostFromConfig)
	if got := f.saved(t); len(got) != 2 {
		t.Errorf("saved %+v", got)
	}
}

func TestTestReportsFailure(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.Test(context.Background(), Spec{URI: sock(f.dir)})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.State != host.Failed || !strings.Contains(res.Error, "no-such.sock") {
		t.Errorf("%+v", res)
	}
	if f.set.Len() != 0 || len(f.saved(t)) != 0 {
		t.Error("a test added something")
	}
}

type fakeAudit struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *fakeAudit) Write(e audit.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func TestKeyAlertsOncePerKey(t *testing.T) {
	au, bus := &fakeAudit{}, &recorder{}
	k := &KeyAlerts{Audit: au, Publisher: bus}
	h, err := host.New(host.Options{Name: "kvm2", URI: "qemu:///system"})
	if err != nil {
		t.Fatal(err)
	}
	untrusted := host.Status{State: host.Untrusted, HostKey: &host.HostKey{Type: "ssh-ed25519", Fingerprint: "SHA256:aaa"}}
	changed := host.Status{State: host.HostKeyChanged, HostKey: &host.HostKey{Type: "ssh-ed25519", Fingerprint: "SHA256:bbb", Known: []string{"SHA256:aaa"}}}
	k.StateChanged(h, untrusted)
	k.StateChanged(h, untrusted) // a retry: nothing new
	k.StateChanged(h, host.Status{State: host.Connected})
	k.StateChanged(h, changed)
	k.StateChanged(h, changed)
	k.StateChanged(h, host.Status{State: host.Reconnecting})
	if len(au.entries) != 2 {
		t.Fatalf("audit entries: %+v", au.entries)
	}
	if e := au.entries[0]; e.Action != ActionUntrusted || e.Host != "kvm2" || !strings.Contains(e.Detail, "SHA256:aaa") {
		t.Errorf("first entry %+v", e)
	}
	if e := au.entries[1]; e.Action != ActionKeyChanged || !strings.Contains(e.Detail, "new ssh-ed25519 SHA256:bbb") ||
		!strings.Contains(e.Detail, "SHA256:aaa") || e.Result != audit.ResultDenied {
		t.Errorf("second entry %+v", e)
	}
	if len(bus.events) != 2 || bus.events[1] != event.TypeHostKey {
		t.Fatalf("events %v", bus.events)
	}
	if a := bus.data[1].(KeyAlert); a.Host != "kvm2" || a.State != host.HostKeyChanged || a.Key.Fingerprint != "SHA256:bbb" || a.Key.Known[0] != "SHA256:aaa" {
		t.Errorf("alert %+v", a)
	}
}

// A rename saves the new name, runs the host under it, drops the old name
// from the set and the inventory, announces the old name removed and calls
// the Renamed hooks; taken, malformed and configured names are refused with
// nothing changed.
func TestRename(t *testing.T) {
	f := newFixture(t, "local")
	var moved []string
	f.svc.opts.Renamed = []func(string, string) error{func(o, n string) error { moved = append(moved, o+">"+n); return nil }}
	if _, err := f.svc.Add(Spec{Name: "kvm2", URI: sock(f.dir)}, "ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Add(Spec{Name: "kvm3", URI: sock(f.dir)}, "ada"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		from string
		to   Spec
		code string
	}{
		{"taken by an added host", "kvm2", Spec{Name: "kvm3"}, problem.CodeDuplicateHost},
		{"taken by a configured host", "kvm2", Spec{Name: "local"}, problem.CodeDuplicateHost},
		{"malformed", "kvm2", Spec{Name: "a/b"}, problem.CodeInvalidHostName},
		{"a configured host", "local", Spec{Name: "elsewhere"}, problem.CodeHostFromConfig},
	} {
		_, err := f.svc.Update(context.Background(), c.from, c.to, "ada")
		wantCode(t, err, c.code)
	}
	if got := f.saved(t); len(got) != 2 || got[0].Name != "kvm2" || f.set.Len() != 3 || len(moved) != 0 {
		t.Fatalf("after refusals: saved %+v, %d hosts, moved %v", got, f.set.Len(), moved)
	}

	st, err := f.svc.Update(context.Background(), "kvm2", Spec{Name: "kvm9"}, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "kvm9" || st.URI != sock(f.dir) || st.Source != host.SourceAPI {
		t.Errorf("status after rename %+v", st)
	}
	if got := f.saved(t); got[0].Name != "kvm9" || got[0].URI != sock(f.dir) || got[0].AddedBy != "ada" {
		t.Errorf("saved after rename %+v", got)
	}
	if _, err := f.set.Get("kvm2"); err == nil {
		t.Error("the old name is still in the set")
	}
	if _, err := f.set.Get("kvm9"); err != nil {
		t.Error(err)
	}
	if slices.Contains(f.inv.hosts, "kvm2") || !slices.Contains(f.inv.hosts, "kvm9") {
		t.Errorf("inventory hosts %v", f.inv.hosts)
	}
	if fmt.Sprint(moved) != "[kvm2>kvm9]" {
		t.Errorf("Renamed hooks called with %v", moved)
	}
	if i := slices.Index(f.bus.events, event.TypeHostRemoved); i < 0 || f.bus.data[i].(Removed).Name != "kvm2" {
		t.Errorf("no host-removed event for the old name: %v %v", f.bus.events, f.bus.data)
	}
}
