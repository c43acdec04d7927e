package operation

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Hold says what keeps a VM busy. One piece of long work runs on a VM at a
// time (a snapshot created, reverted or deleted, the VM deleted, and the
// long work to come: export, import, creation, scheduled runs). A second
// request is refused with 409 rather than queued: queued work would act on
// a VM the user has not seen in its new state yet.
type Hold struct {
	// Operation is the id of the operation that carries the work, once it
	// has started; empty while its checks run, or for a quick change.
	Operation string
	// Kind says what the work is, e.g. "snapshot-create" or "delete".
	Kind string
	// Subject is what the work acts on inside the VM (a snapshot's name),
	// or empty.
	Subject string
	// Since is when the hold was taken.
	Since time.Time
}

// holds keeps the holds of all VMs, by host and UUID.
type holds struct {
	mu sync.Mutex
	m  map[string]*Hold
}

func holdKey(t Target) string {
	if t.Resource != "" {
		return t.Host + "/" + t.Resource + "/" + strings.ToLower(t.UUID) + "/" + t.Name
	}
	return t.Host + "/" + strings.ToLower(t.UUID)
}

// Claim is one VM held exclusively, from the checks before its work to the
// end of the operation that does it. Release is safe to call more than
// once and after the operation has released it.
type Claim struct {
	m    *Manager
	key  string
	t    Target
	hold *Hold
	once sync.Once
}

// Claim holds the VM t for work of kind on subject, or refuses with a
// Conflict problem that names what is running there already: code
// "snapshot_busy" when that is snapshot work (kinds "snapshot-…"), else
// "vm_busy".
func (m *Manager) Claim(t Target, kind, subject string) (*Claim, error) {
	key := holdKey(t)
	h := &m.holds
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[key]; ok {
		return nil, busyError(t, cur)
	}
	if h.m == nil {
		h.m = make(map[string]*Hold)
	}
	hold := &Hold{Kind: kind, Subject: subject, Since: m.opts.Now()}
	h.m[key] = hold
	return &Claim{m: m, key: key, t: t, hold: hold}, nil
}

func busyError(t Target, cur *Hold) error {
	code := problem.CodeVMBusy
	if strings.HasPrefix(cur.Kind, "snapshot-") {
		code = problem.CodeSnapshotBusy
	}
	what := cur.Kind
	if cur.Subject != "" {
		what += fmt.Sprintf(" of %q", problem.Clip(cur.Subject))
	}
	hint := "wait for it to finish, then try again"
	if cur.Operation != "" {
		hint = fmt.Sprintf("wait for operation %s to finish (GET /api/v1/operations/%s), then try again", cur.Operation, cur.Operation)
	}
	name := t.Name
	if name == "" {
		name = t.UUID
	}
	res := "VM"
	if t.Resource != "" {
		res, code = t.Resource, t.Resource+"_busy"
	}
	return problem.New(problem.Conflict, code,
		fmt.Sprintf("another operation is running on %s %q: %s, since %s", res, name, what, cur.Since.UTC().Format("15:04:05 UTC")), hint)
}

// Release gives the VM free.
func (c *Claim) Release() {
	c.once.Do(func() {
		h := &c.m.holds
		h.mu.Lock()
		if h.m[c.key] == c.hold {
			delete(h.m, c.key)
		}
		h.mu.Unlock()
	})
}

// Start runs fn as an operation on the claimed VM (see Manager.Start) that
// keeps the claim until it ends. When Start fails the claim is still held:
// the caller releases it.
func (c *Claim) Start(kind string, mayCancel bool, fn Func) (Op, error) {
	op, err := c.m.Start(kind, c.t, mayCancel, func(ctx context.Context, r Reporter) error {
		defer c.Release()
		return fn(ctx, r)
	})
	if err != nil {
		return op, err
	}
	h := &c.m.holds
	h.mu.Lock()
	if h.m[c.key] == c.hold {
		c.hold.Operation = op.ID
	}
	h.mu.Unlock()
	return op, nil
}

// Holding returns a copy of what keeps the VM busy, or nil when it is free.
func (m *Manager) Holding(t Target) *Hold {
	h := &m.holds
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.m[holdKey(t)]; ok {
		c := *cur
		return &c
	}
	return nil
}
