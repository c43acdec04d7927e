package screen

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// changes records what Options.Changed hears.
type changes struct {
	mu  sync.Mutex
	all []ThumbnailChange
}

func (c *changes) add(ch ThumbnailChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, ch)
}

func (c *changes) list() []ThumbnailChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ThumbnailChange(nil), c.all...)
}

func TestThumbnailChangedOnlyWhenThePictureChanges(t *testing.T) {
	var got changes
	rig := newShotRig(t, Options{Changed: got.add})
	ctx := context.Background()
	first, err := rig.s.Thumbnail(ctx, "local", "u1")
	if err != nil {
		t.Fatal(err)
	}
	// The first picture of a VM is news for every other client.
	if l := got.list(); len(l) != 1 || l[0].ETag != first.ETag || l[0].Host != "local" || l[0].UUID != "u1" {
		t.Fatalf("after the first capture: %+v", l)
	}
	// The same screen captured again: no change.
	rig.advance(6 * time.Second)
	if _, err := rig.s.Thumbnail(ctx, "local", "u1"); err != nil || rig.captures.Load() != 2 {
		t.Fatalf("second capture: %v, %d captures", err, rig.captures.Load())
	}
	if l := got.list(); len(l) != 1 {
		t.Fatalf("an unchanged screen was announced: %+v", l)
	}
	// A changed screen is.
	other := testPNG(t, 640, 480)
	rig.s.capture = func(context.Context, string, inventory.VM) ([]byte, error) { rig.captures.Add(1); return other, nil }
	rig.advance(6 * time.Second)
	now, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if l := got.list(); len(l) != 2 || l[1].ETag != now.ETag || now.ETag == first.ETag {
		t.Fatalf("a changed screen: %+v (new etag %s)", l, now.ETag)
	}
}

func TestWatchRefreshesOnlyWatchedVMs(t *testing.T) {
	var got changes
	rig := newShotRig(t, Options{Changed: got.add, ThumbnailRefresh: 10 * time.Second, ThumbnailWatch: time.Minute})
	ctx := context.Background()
	// Nobody watches anything: nothing is captured.
	if n := rig.s.refreshDue(ctx); n != 0 || rig.captures.Load() != 0 {
		t.Fatalf("unwatched: %d due, %d captures", n, rig.captures.Load())
	}
	st := rig.s.Watch([]VMRef{{Host: "local", UUID: "u1"}, {Host: "local", UUID: "u3"}})
	if len(st) != 2 || st[0].ETag != "" {
		t.Fatalf("Watch before any capture = %+v", st)
	}
	// Both are due; u3 does not run, so it is dropped without a capture.
	if n := rig.s.refreshDue(ctx); n != 2 || rig.captures.Load() != 1 {
		t.Fatalf("first refresh: %d due, %d captures", n, rig.captures.Load())
	}
	l := got.list()
	if len(l) != 1 || l[0].UUID != "u1" {
		t.Fatalf("changes after the first refresh: %+v", l)
	}
	if st := rig.s.Watch([]VMRef{{Host: "local", UUID: "u1"}}); st[0].ETag != l[0].ETag {
		t.Fatalf("Watch answers etag %q, want the cached %q", st[0].ETag, l[0].ETag)
	}
	rig.s.mu.Lock()
	_, kept := rig.s.thumbs["local/u3"]
	rig.s.mu.Unlock()
	if kept {
		t.Error("a VM that does not run stayed watched")
	}
	// Before ThumbnailRefresh nothing is due.
	rig.advance(9 * time.Second)
	if n := rig.s.refreshDue(ctx); n != 0 {
		t.Fatalf("%d due 9 s after the capture", n)
	}
	// After it, captured again; the same picture is no change.
	rig.advance(time.Second)
	if n := rig.s.refreshDue(ctx); n != 1 || rig.captures.Load() != 2 || len(got.list()) != 1 {
		t.Fatalf("10 s after: %d due, %d captures, %d changes", n, rig.captures.Load(), len(got.list()))
	}
	// Once the watch has lapsed (nobody asked or watched for a minute), no more captures.
	rig.advance(time.Minute)
	if n := rig.s.refreshDue(ctx); n != 0 {
		t.Fatalf("%d due after the watch lapsed", n)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	rig := newShotRig(t, Options{ThumbnailRefresh: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rig.s.Run(ctx) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
