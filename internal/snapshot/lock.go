package snapshot

import (
	"fmt"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// busyMap allows one snapshot operation per VM at a time. A second request
// is refused with 409 rather than queued: a queued revert or delete would
// act on a tree the user has not seen yet.
type busyMap struct {
	mu sync.Mutex
	m  map[string]*Busy
}

func newBusyMap() *busyMap { return &busyMap{m: make(map[string]*Busy)} }

// acquire marks the VM busy with info, or refuses with a Conflict problem
// that names what is running. release is safe to call more than once.
func (b *busyMap) acquire(key, vmName string, info Busy) (release func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.m[key]; ok {
		hint := "wait for it to finish; the snapshot list shows it as busy"
		if cur.Operation != "" {
			hint = fmt.Sprintf("wait for operation %s to finish (GET /api/v1/operations/%s)", cur.Operation, cur.Operation)
		}
		what := cur.Kind
		if cur.Snapshot != "" {
			what += fmt.Sprintf(" of snapshot %q", problem.Clip(cur.Snapshot))
		}
		return nil, problem.New(problem.Conflict, "snapshot_busy",
			fmt.Sprintf("another snapshot operation is running on VM %q: %s, since %s", vmName, what, cur.Since.UTC().Format("15:04:05 UTC")), hint)
	}
	in := info
	b.m[key] = &in
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			if b.m[key] == &in {
				delete(b.m, key)
			}
			b.mu.Unlock()
		})
	}, nil
}

// setOperation records the operation id that carries the VM's busy work.
func (b *busyMap) setOperation(key, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.m[key]; ok {
		cur.Operation = id
	}
}

// get returns a copy of what keeps the VM busy, or nil.
func (b *busyMap) get(key string) *Busy {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.m[key]; ok {
		c := *cur
		return &c
	}
	return nil
}
