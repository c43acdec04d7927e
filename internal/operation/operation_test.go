package operation

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

type recordingPublisher struct {
	mu  sync.Mutex
	ops []Op
}

func (p *recordingPublisher) Publish(_ event.Type, data any) {
	p.mu.Lock()
	p.ops = append(p.ops, data.(Op))
	p.mu.Unlock()
}

func TestOperationLifecycle(t *testing.T) {
	pub := &recordingPublisher{}
	m := New(Options{Publisher: pub})
	ctx := context.Background()

	ok, _ := m.Start("test", Target{Name: "a"}, false, func(ctx context.Context, r Reporter) error {
		r.Progress("half", 50)
		r.SetResult(map[string]int{"x": 1})
		return nil
	})
	done, err := m.Wait(ctx, ok.ID)
	if err != nil || done.State != Succeeded || done.Result == nil || done.Finished == nil {
		t.Fatalf("succeeded op = %+v, %v", done, err)
	}

	bad, _ := m.Start("test", Target{}, false, func(context.Context, Reporter) error {
		return problem.New(problem.Timeout, "shutdown_timeout", "did not stop", "force it")
	})
	failed, _ := m.Wait(ctx, bad.ID)
	if failed.State != Failed || failed.Error == nil || failed.Error.Code != "shutdown_timeout" || failed.Error.Hint != "force it" {
		t.Fatalf("failed op = %+v", failed)
	}

	hidden, _ := m.Start("test", Target{}, false, func(context.Context, Reporter) error { return errors.New("secret detail") })
	h, _ := m.Wait(ctx, hidden.ID)
	if h.Error == nil || h.Error.Code != "internal" || h.Error.Message == "secret detail" {
		t.Fatalf("plain error leaked: %+v", h.Error)
	}

	crash, _ := m.Start("test", Target{}, false, func(context.Context, Reporter) error { panic("boom") })
	c, _ := m.Wait(ctx, crash.ID)
	if c.State != Failed {
		t.Fatalf("panicking op = %+v", c)
	}

	long, _ := m.Start("test", Target{}, true, func(ctx context.Context, r Reporter) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if _, err := m.Cancel(long.ID); err != nil {
		t.Fatal(err)
	}
	l, _ := m.Wait(ctx, long.ID)
	if l.State != Canceled {
		t.Fatalf("canceled op = %+v", l)
	}

	// The op runs until the test lets it go, so Cancel meets it running.
	release := make(chan struct{})
	fixed, _ := m.Start("test", Target{}, false, func(ctx context.Context, r Reporter) error { <-release; return nil })
	if _, err := m.Cancel(fixed.ID); problem.KindOf(err) != problem.Conflict {
		t.Fatalf("cancel of a non-cancelable op: %v", err)
	}
	close(release)
	if f, _ := m.Wait(ctx, fixed.ID); f.State != Succeeded {
		t.Fatalf("non-cancelable op after a refused cancel: %+v", f)
	}
	if _, err := m.Get("nope"); problem.KindOf(err) != problem.NotFound {
		t.Fatalf("Get unknown: %v", err)
	}
	if len(m.List()) != 6 {
		t.Fatalf("List has %d ops, want 6", len(m.List()))
	}
	pub.mu.Lock()
	n := len(pub.ops)
	pub.mu.Unlock()
	if n < 12 {
		t.Fatalf("only %d operation events published", n)
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start("late", Target{}, false, func(context.Context, Reporter) error { return nil }); err == nil {
		t.Fatal("Start after Shutdown succeeded")
	}
}

func TestFinishedOperationsExpire(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	m := New(Options{Keep: time.Minute, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	op, _ := m.Start("a", Target{}, false, func(context.Context, Reporter) error { return nil })
	_, _ = m.Wait(context.Background(), op.ID)
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	op2, _ := m.Start("b", Target{}, false, func(context.Context, Reporter) error { return nil })
	if _, err := m.Get(op.ID); err == nil {
		t.Fatal("an expired operation is still kept")
	}
	if _, err := m.Get(op2.ID); err != nil {
		t.Fatal(err)
	}
}

// Cancel of an operation that cannot be canceled answers with its state
// while the work reports progress: run with -race, the old code read the
// state without the lock.
func TestCancelNotCancelableWhileReporting(t *testing.T) {
	m := New(Options{})
	stop := make(chan struct{})
	op, err := m.Start("test", Target{}, false, func(ctx context.Context, r Reporter) error {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return nil
			default:
				r.Progress("working", i%100)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 20000 {
		got, err := m.Cancel(op.ID)
		if p, ok := problem.As(err); !ok || p.Code != "operation_not_cancelable" {
			t.Fatalf("Cancel = %v, want operation_not_cancelable", err)
		}
		if got.ID != op.ID {
			t.Fatalf("Cancel returned operation %q, want %q", got.ID, op.ID)
		}
	}
	close(stop)
	if _, err := m.Wait(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSetUserAndSeenBy(t *testing.T) {
	pub := &recordingPublisher{}
	m := New(Options{Publisher: pub})
	op, _ := m.Start("test", Target{Name: "a"}, false, func(context.Context, Reporter) error { return nil })
	if _, err := m.Wait(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
	m.SetUser(op.ID, "alice")
	got, _ := m.Get(op.ID)
	if got.User != "alice" {
		t.Fatalf("user = %q, want alice", got.User)
	}
	pub.mu.Lock()
	last := pub.ops[len(pub.ops)-1]
	pub.mu.Unlock()
	if last.User != "alice" {
		t.Errorf("the change was not announced: last event %+v", last)
	}
	m.SetUser("no-such-op", "bob") // must not panic nor publish

	for _, tc := range []struct {
		name  string
		user  string
		admin bool
		want  string
	}{
		{"admin sees anyone's name", "root", true, "alice"},
		{"the user sees their own", "alice", false, "alice"},
		{"another user sees no name", "bob", false, ""},
		{"a nameless caller sees no name", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if u := got.SeenBy(tc.user, tc.admin).User; u != tc.want {
				t.Errorf("SeenBy(%q, %v).User = %q, want %q", tc.user, tc.admin, u, tc.want)
			}
		})
	}
}
