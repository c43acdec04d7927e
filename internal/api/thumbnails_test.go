package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console/screen"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// streamAs runs the event stream for a caller of role r until the events
// publish has published are written, and returns what it sent.
func streamAs(t *testing.T, role auth.Role, publish func(*event.Bus)) string {
	t.Helper()
	bus := event.New()
	s := &Server{opts: Options{Bus: bus, Heartbeat: time.Hour}, streams: newStreamSlots(StreamLimits{}, slog.Default())}
	ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(), auth.Principal{User: "u", Role: role}))
	w := &flushSignal{ResponseRecorder: httptest.NewRecorder(), flushed: make(chan struct{}), goOn: make(chan struct{})}
	r := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/events?types=thumbnail,vm-removed", nil)
	done := make(chan error, 1)
	go func() { done <- s.events(w, r) }()
	<-w.flushed
	publish(bus)
	cancel()
	close(w.goOn)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return w.body()
}

// TestThumbnailEventsOnlyForOperators: thumbnails are screenshots, for
// roles that may open the console; a viewer's stream leaves their events
// out and keeps the rest.
func TestThumbnailEventsOnlyForOperators(t *testing.T) {
	publish := func(bus *event.Bus) {
		bus.Publish(event.TypeThumbnail, screen.ThumbnailChange{Host: "local", UUID: "u1", ETag: `"t1"`, Taken: time.Unix(0, 0).UTC()})
		bus.Publish(event.TypeVMRemoved, map[string]string{"host": "local", "uuid": "u2"})
	}
	for _, tc := range []struct {
		role auth.Role
		want bool
	}{{auth.Viewer, false}, {auth.Operator, true}, {auth.Admin, true}} {
		out := streamAs(t, tc.role, publish)
		if got := strings.Contains(out, "event: thumbnail\n"); got != tc.want {
			t.Errorf("role %v: thumbnail event sent %v, want %v:\n%s", tc.role, got, tc.want, out)
		}
		if tc.want && !strings.Contains(out, `data: {"host":"local","uuid":"u1","etag":"\"t1\"","taken":"1970-01-01T00:00:00Z"}`) {
			t.Errorf("role %v: thumbnail event data:\n%s", tc.role, out)
		}
		if !strings.Contains(out, "event: vm-removed\n") {
			t.Errorf("role %v: the other event is missing:\n%s", tc.role, out)
		}
	}
}

// TestWatchThumbnails: the watch route checks and normalises what it is
// given and answers each VM's cached ETag (none before a capture).
func TestWatchThumbnails(t *testing.T) {
	h, err := host.New(host.Options{Name: "local", URI: "qemu:///system"})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := host.NewSet(h)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Hosts: hosts, Screenshots: screen.New(screen.Options{Dir: t.TempDir()})}}
	post := func(body string) (*httptest.ResponseRecorder, error) {
		r := httptest.NewRequest("POST", "/api/v1/thumbnails/watch", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		return w, s.watchThumbnails(w, r)
	}
	w, err := post(`{"vms":[{"host":"local","uuid":"5A4D6C1E-4F6A-4D0E-9A57-2C4F5F0B8E11"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		WatchSeconds int                     `json:"watchSeconds"`
		Thumbnails   []screen.ThumbnailState `json:"thumbnails"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.WatchSeconds != 60 || len(res.Thumbnails) != 1 || res.Thumbnails[0].UUID != "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11" || res.Thumbnails[0].ETag != "" {
		t.Fatalf("answer %s", w.Body)
	}
	for _, bad := range []struct{ body, code string }{
		{`{"vms":[{"host":"nowhere","uuid":"5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11"}]}`, "host_not_found"},
		{`{"vms":[{"host":"local","uuid":"not-a-uuid"}]}`, "invalid_uuid"},
		{`{"vms":[` + strings.Repeat(`{"host":"local","uuid":"5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11"},`, maxWatched) + `{"host":"local","uuid":"5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11"}]}`, "invalid_field"},
	} {
		_, err := post(bad.body)
		p, ok := problem.As(err)
		if !ok || p.Code != bad.code {
			t.Errorf("%.60s...: err %v, want %s", bad.body, err, bad.code)
		}
	}
}
