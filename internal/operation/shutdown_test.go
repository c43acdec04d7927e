package operation

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination safe for the operations' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogged() (*Manager, *recordingPublisher, *syncBuffer) {
	buf := &syncBuffer{}
	pub := &recordingPublisher{}
	return New(Options{Publisher: pub, Logger: slog.New(slog.NewTextHandler(buf, nil))}), pub, buf
}

// TestShutdownTellsHowOperationsEnded: at shutdown a cancelable operation
// is canceled, saying why, on the bus and in the log; one that cannot stop
// in time is named in the log; each end is logged.
func TestShutdownTellsHowOperationsEnded(t *testing.T) {
	m, pub, log := newLogged()
	done, _ := m.Start("quick", Target{Name: "a"}, false, func(context.Context, Reporter) error { return nil })
	if _, err := m.Wait(context.Background(), done.ID); err != nil {
		t.Fatal(err)
	}
	waiting, _ := m.Start("shutdown", Target{Name: "b"}, true, func(ctx context.Context, _ Reporter) error {
		<-ctx.Done()
		return ctx.Err()
	})
	release := make(chan struct{})
	stuck, _ := m.Start("snapshot-create", Target{Name: "c"}, false, func(context.Context, Reporter) error {
		<-release // a libvirt call that does not listen to ctx
		return nil
	})
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline", err)
	}
	c, _ := m.Get(waiting.ID)
	if c.State != Canceled || c.Error == nil || !strings.Contains(c.Error.Message, "server shut down") {
		t.Fatalf("canceled at shutdown: %+v", c)
	}
	pub.mu.Lock()
	last := pub.ops[len(pub.ops)-1]
	seen := false
	for _, op := range pub.ops {
		seen = seen || (op.ID == waiting.ID && op.State == Canceled)
	}
	pub.mu.Unlock()
	if !seen {
		t.Errorf("the cancellation was not published; last event %+v", last)
	}
	out := log.String()
	for _, want := range []string{
		`msg="operation ended" id=` + done.ID + " kind=quick",
		`msg="operation ended" id=` + waiting.ID + ` kind=shutdown host="" vm=b state=canceled`,
		"operation still running at shutdown",
		"id=" + stuck.ID,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if _, err := m.Start("late", Target{}, false, func(context.Context, Reporter) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Shutdown = %v", err)
	}
}

// TestPanicIsLogged: a panicking operation fails, and the log says where.
func TestPanicIsLogged(t *testing.T) {
	m, _, log := newLogged()
	op, _ := m.Start("crash", Target{}, false, func(context.Context, Reporter) error { panic("boom") })
	c, _ := m.Wait(context.Background(), op.ID)
	if c.State != Failed || c.Error == nil || c.Error.Code != "internal" {
		t.Fatalf("panicking op = %+v", c)
	}
	out := log.String()
	if !strings.Contains(out, "operation panicked") || !strings.Contains(out, "panic=boom") || !strings.Contains(out, "shutdown_test.go") {
		t.Errorf("the log does not show the panic and its stack:\n%s", out)
	}
}
