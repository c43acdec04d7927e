package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/event"
)

// flushSignal is a response recorder that says when the stream was first
// flushed (the subscription exists then) and holds that flush until go is
// closed; its body may be read while the handler runs.
type flushSignal struct {
	*httptest.ResponseRecorder
	mu      sync.Mutex
	once    sync.Once
	flushed chan struct{}
	goOn    chan struct{}
}

func (f *flushSignal) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ResponseRecorder.Write(p)
}

func (f *flushSignal) Flush() {
	f.once.Do(func() {
		close(f.flushed)
		<-f.goOn
	})
}

func (f *flushSignal) body() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Body.String()
}

// TestEventsSentBeforeTheStreamEnds: events published just before the
// request ends (at shutdown, operations are canceled and then requests
// ended) still reach the client. The handler is held in its first flush
// while the events are queued and the request ends, so that it then finds
// both ready.
func TestEventsSentBeforeTheStreamEnds(t *testing.T) {
	for round := range 30 {
		bus := event.New()
		s := &Server{opts: Options{Bus: bus, Heartbeat: time.Hour}, streams: newStreamSlots(StreamLimits{}, slog.Default())}
		// An admin sees operation events as published (others' are re-encoded for them).
		ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(), auth.Principal{User: "root", Role: auth.Admin}))
		w := &flushSignal{ResponseRecorder: httptest.NewRecorder(), flushed: make(chan struct{}), goOn: make(chan struct{})}
		r := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/events?types=operation", nil)
		done := make(chan error, 1)
		go func() { done <- s.events(w, r) }()
		<-w.flushed
		for i := range 20 {
			bus.Publish(event.TypeOperation, map[string]int{"n": i})
		}
		cancel()
		close(w.goOn)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		out := w.body()
		for i := range 20 {
			if !strings.Contains(out, fmt.Sprintf(`data: {"n":%d}`, i)) {
				t.Fatalf("round %d: event %d was not sent before the stream ended:\n%s", round, i, out)
			}
		}
	}
}
