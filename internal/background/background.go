// Package background tracks the goroutines a component starts beside its
// requests (work that goes on after the answer), so that the component's
// Run can wait for them at shutdown instead of leaving them behind.
package background

import "sync"

// Group is a set of background goroutines. The zero value is ready to use.
type Group struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
}

// Go runs f in a goroutine of the group. Once Close has begun, it runs f
// in the caller instead, so that nothing starts that Close would not wait
// for (and the work is still done).
func (g *Group) Go(f func()) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		f()
		return
	}
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		f()
	}()
}

// Close waits for every goroutine the group started. It may be called
// more than once.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}
