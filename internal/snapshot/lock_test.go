package snapshot

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestBusyMap(t *testing.T) {
	b := newBusyMap()
	release, err := b.acquire("h/1", "vm1", Busy{Kind: "create", Snapshot: "s1", Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	b.setOperation("h/1", "op42")
	_, err = b.acquire("h/1", "vm1", Busy{Kind: "revert", Snapshot: "s0", Since: time.Now()})
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Conflict || p.Code != "snapshot_busy" || !strings.Contains(p.Message, `create of snapshot "s1"`) || !strings.Contains(p.Hint, "op42") {
		t.Fatalf("second acquire = %v", err)
	}
	// Another VM is not affected.
	r2, err := b.acquire("h/2", "vm2", Busy{Kind: "delete"})
	if err != nil {
		t.Fatal(err)
	}
	r2()
	if got := b.get("h/1"); got == nil || got.Operation != "op42" {
		t.Fatalf("get = %+v", got)
	}
	release()
	release() // twice is harmless
	if b.get("h/1") != nil {
		t.Fatal("still busy after release")
	}
	if _, err := b.acquire("h/1", "vm1", Busy{Kind: "edit"}); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}

func TestBusyMapConcurrent(t *testing.T) {
	b := newBusyMap()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.acquire("h/1", "vm1", Busy{Kind: "create"}); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 50 concurrent acquires won, want exactly 1", wins.Load())
	}
}

func TestWaitScreenshot(t *testing.T) {
	s := New(Options{ScreenshotTimeout: 5 * time.Second})
	s.waitScreenshot("h/1") // none in flight: returns at once
	done := s.screenshotStarted("h/1")
	var finished atomic.Bool
	go func() {
		time.Sleep(50 * time.Millisecond)
		finished.Store(true)
		done()
	}()
	s.waitScreenshot("h/1")
	if !finished.Load() {
		t.Fatal("waitScreenshot returned before the screenshot was done")
	}
	s.waitScreenshot("h/1")
}
