package background

import (
	"sync/atomic"
	"testing"
)

// TestCloseWaitsForEveryGoroutine starts work from many goroutines while
// Close runs: every f started in the group has finished when Close returns,
// and every f runs exactly once (in the caller once Close has begun).
func TestCloseWaitsForEveryGoroutine(t *testing.T) {
	var g Group
	var started, finished atomic.Int64
	release := make(chan struct{})
	for range 50 {
		g.Go(func() {
			started.Add(1)
			<-release
			finished.Add(1)
		})
	}
	closed := make(chan int64)
	go func() {
		g.Close()
		closed <- finished.Load()
	}()
	// More work arrives while Close waits: it runs, and is waited for or
	// done inline.
	late := make(chan struct{})
	go func() {
		defer close(late)
		for range 50 {
			g.Go(func() { finished.Add(1) })
		}
	}()
	close(release)
	<-late
	got := <-closed
	if got < 50 {
		t.Fatalf("Close returned with %d of the first 50 goroutines finished", got)
	}
	g.Close() // again: returns at once
	if n := finished.Load(); n != 100 {
		t.Fatalf("%d of 100 functions ran", n)
	}
}
