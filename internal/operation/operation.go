// Package operation runs long work (ACPI shutdown, snapshot jobs, deletes) in
// the background and reports its progress and result on the event bus and at
// /api/v1/operations/{id}. The work keeps running when the client that asked
// for it goes away.
package operation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// State is where an operation is in its life.
type State string

// Operation states.
const (
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Canceled  State = "canceled"
)

// Target names what an operation works on.
type Target struct {
	Host string `json:"host,omitempty"`
	// Resource says what UUID and Name name when it is not a VM:
	// "volume" (UUID is the pool's, Name is pool/volume).
	Resource string `json:"resource,omitempty"`
	UUID     string `json:"uuid,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Progress is a human-readable stage and, when known, a percentage.
type Progress struct {
	Stage   string `json:"stage"`
	Percent *int   `json:"percent,omitempty"`
}

// Op is a snapshot of an operation's state, as sent to clients.
type Op struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"`
	Target    Target        `json:"target"`
	State     State         `json:"state"`
	Progress  Progress      `json:"progress"`
	Result    any           `json:"result,omitempty"`
	Error     *problem.Info `json:"error,omitempty"`
	Started   time.Time     `json:"started"`
	Finished  *time.Time    `json:"finished,omitempty"`
	MayCancel bool          `json:"mayCancel"`
	// User is who asked for the work (empty until the API names it, and
	// for work nobody asked for). The API shows it to admins and to that
	// user only: other users' names are not a viewer's business.
	User string `json:"user,omitempty"`
}

// SeenBy returns op as the given user sees it: admins see who asked for
// every operation, anyone else only their own name (another user's is
// removed, so that a viewer cannot learn who did what).
func (op Op) SeenBy(user string, admin bool) Op {
	if !admin && op.User != user {
		op.User = ""
	}
	return op
}

// Publisher is where operation changes are announced.
type Publisher interface {
	Publish(typ event.Type, data any)
}

// Reporter lets running work report progress and a result.
type Reporter interface {
	Progress(stage string, percent int)
	SetResult(v any)
}

// Func is the work of an operation. A returned *problem.Error is shown to the
// user as is; any other error is logged and shown as a generic failure.
type Func func(ctx context.Context, r Reporter) error

// Options configures a Manager.
type Options struct {
	Publisher Publisher
	Logger    *slog.Logger
	// Keep is how long finished operations stay queryable (default 15 min).
	Keep time.Duration
	// MaxFinished bounds how many finished operations are kept (default 500).
	MaxFinished int
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Ended, when set, is told the kind and end state of every operation
	// that ends (the metrics count them).
	Ended func(kind string, state State)
}

// Manager starts, tracks and cancels operations.
type Manager struct {
	opts   Options
	mu     sync.Mutex
	ops    map[string]*entry
	wg     sync.WaitGroup
	closed bool
	// holds are the VMs busy with exclusive work (Claim).
	holds holds
}

type entry struct {
	op     Op
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Manager.
func New(opts Options) *Manager {
	if opts.Keep == 0 {
		opts.Keep = 15 * time.Minute
	}
	if opts.MaxFinished == 0 {
		opts.MaxFinished = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Manager{opts: opts, ops: make(map[string]*entry)}
}

// ErrClosed is returned by Start after Shutdown.
var ErrClosed = problem.New(problem.Unavailable, problem.CodeShuttingDown,
	"the server is shutting down", "retry once it is back")

// Start runs fn in the background and returns its initial state at once.
// The work's context is independent of any request: it ends only when the
// operation is canceled or the manager shuts down.
func (m *Manager) Start(kind string, target Target, mayCancel bool, fn Func) (Op, error) {
	ctx, cancel := context.WithCancel(context.Background())
	e := &entry{
		op: Op{
			ID: newID(), Kind: kind, Target: target, State: Running,
			Progress: Progress{Stage: "starting"}, Started: m.opts.Now(), MayCancel: mayCancel,
		},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		cancel()
		return Op{}, ErrClosed
	}
	m.gcLocked()
	m.ops[e.op.ID] = e
	op := e.op
	m.wg.Add(1)
	m.mu.Unlock()
	m.publish(op)

	go func() {
		defer m.wg.Done()
		defer close(e.done)
		defer cancel()
		err := runSafely(ctx, fn, &reporter{m: m, e: e}, m.opts.Logger.With("id", op.ID, "kind", op.Kind))
		m.finish(e, err)
	}()
	return op, nil
}

// runSafely runs fn and turns a panic into a failure; the panic and its
// stack go to the log, which is the only place that can tell what broke.
func runSafely(ctx context.Context, fn Func, r Reporter, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("operation panicked", "panic", p, "stack", string(debug.Stack()))
			err = problem.New(problem.Internal, problem.CodeInternal, "the operation crashed", "see the server log")
		}
	}()
	return fn(ctx, r)
}

func (m *Manager) finish(e *entry, err error) {
	m.mu.Lock()
	now := m.opts.Now()
	e.op.Finished = &now
	switch {
	case err == nil:
		e.op.State = Succeeded
		e.op.Progress.Stage = "done"
		hundred := 100
		e.op.Progress.Percent = &hundred
	case errors.Is(err, context.Canceled) || problem.KindOf(err) == problem.Canceled:
		e.op.State = Canceled
		e.op.Error = &problem.Info{Code: problem.CodeCanceled, Message: "the operation was canceled"}
		if m.closed {
			e.op.Error.Message = "the operation was canceled because the server shut down"
		}
	default:
		e.op.State = Failed
		if info, ok := problem.Public(err); ok {
			e.op.Error = &info
		} else {
			e.op.Error = &problem.Info{Code: problem.CodeInternal, Message: "the operation failed unexpectedly", Hint: "see the server log for details"}
		}
		m.opts.Logger.Warn("operation failed", "id", e.op.ID, "kind", e.op.Kind, "host", e.op.Target.Host, "vm", e.op.Target.Name, "err", err)
	}
	if e.op.State != Failed {
		// Every end is logged: after a restart the log is the only record
		// of operations (they are kept in memory), e.g. of those that
		// ended at shutdown.
		m.opts.Logger.Info("operation ended", "id", e.op.ID, "kind", e.op.Kind, "host", e.op.Target.Host, "vm", e.op.Target.Name,
			"state", e.op.State, "took", now.Sub(e.op.Started).Round(time.Millisecond))
	}
	op := e.op
	m.mu.Unlock()
	if m.opts.Ended != nil {
		m.opts.Ended(op.Kind, op.State)
	}
	m.publish(op)
}

// Get returns the operation with the given id.
func (m *Manager) Get(id string) (Op, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.ops[id]
	if !ok {
		return Op{}, problem.New(problem.NotFound, problem.CodeOperationNotFound,
			"no operation with id "+strconv.Quote(problem.Clip(id)), "finished operations are kept for a limited time")
	}
	return e.op, nil
}

// List returns all known operations, newest first.
func (m *Manager) List() []Op {
	m.mu.Lock()
	out := make([]Op, 0, len(m.ops))
	for _, e := range m.ops {
		out = append(out, e.op)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out
}

// SetUser records who asked for operation id and announces the change.
// The API calls it as soon as Start's caller has answered, since the
// services that start operations know nothing of users.
func (m *Manager) SetUser(id, user string) {
	m.mu.Lock()
	e, ok := m.ops[id]
	var op Op
	if ok {
		e.op.User = user
		op = e.op
	}
	m.mu.Unlock()
	if ok {
		m.publish(op)
	}
}

// Cancel asks a running operation to stop.
func (m *Manager) Cancel(id string) (Op, error) {
	m.mu.Lock()
	e, ok := m.ops[id]
	var op Op
	if ok {
		// A copy under the lock: the work's reporter writes e.op meanwhile.
		op = e.op
	}
	m.mu.Unlock()
	if !ok {
		return Op{}, problem.New(problem.NotFound, problem.CodeOperationNotFound, "no operation with id "+strconv.Quote(problem.Clip(id)), "")
	}
	if !op.MayCancel {
		return op, problem.New(problem.Conflict, problem.CodeOperationNotCancelable,
			"this operation cannot be canceled once started", "wait for it to finish")
	}
	e.cancel()
	return m.Get(id)
}

// Wait blocks until the operation finishes or ctx ends, and returns its state.
func (m *Manager) Wait(ctx context.Context, id string) (Op, error) {
	m.mu.Lock()
	e, ok := m.ops[id]
	m.mu.Unlock()
	if !ok {
		return Op{}, problem.New(problem.NotFound, problem.CodeOperationNotFound, "no operation with id "+strconv.Quote(problem.Clip(id)), "")
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return Op{}, ctx.Err()
	}
	return m.Get(id)
}

// Shutdown cancels all running operations and waits for them to end, or for
// ctx to expire.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	for _, e := range m.ops {
		e.cancel()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	// What is still running ends with the process: libvirt may still
	// finish it, but nobody will hear how. Say which they were.
	m.mu.Lock()
	for _, e := range m.ops {
		if e.op.Finished == nil {
			m.opts.Logger.Warn("operation still running at shutdown; its outcome will not be known here (libvirt may still complete it)",
				"id", e.op.ID, "kind", e.op.Kind, "host", e.op.Target.Host, "vm", e.op.Target.Name, "stage", e.op.Progress.Stage)
		}
	}
	m.mu.Unlock()
	return ctx.Err()
}

// gcLocked forgets finished operations that are too old or too many.
func (m *Manager) gcLocked() {
	now := m.opts.Now()
	var finished []*entry
	for id, e := range m.ops {
		if e.op.Finished == nil {
			continue
		}
		if now.Sub(*e.op.Finished) > m.opts.Keep {
			delete(m.ops, id)
			continue
		}
		finished = append(finished, e)
	}
	if excess := len(finished) - m.opts.MaxFinished + 1; excess > 0 {
		sort.Slice(finished, func(i, j int) bool { return finished[i].op.Finished.Before(*finished[j].op.Finished) })
		for _, e := range finished[:excess] {
			delete(m.ops, e.op.ID)
		}
	}
}

func (m *Manager) publish(op Op) {
	if m.opts.Publisher != nil {
		m.opts.Publisher.Publish(event.TypeOperation, op)
	}
}

type reporter struct {
	m *Manager
	e *entry
}

func (r *reporter) Progress(stage string, percent int) {
	r.m.mu.Lock()
	r.e.op.Progress.Stage = stage
	if percent >= 0 {
		p := percent
		r.e.op.Progress.Percent = &p
	} else {
		r.e.op.Progress.Percent = nil
	}
	op := r.e.op
	r.m.mu.Unlock()
	r.m.publish(op)
}

func (r *reporter) SetResult(v any) {
	r.m.mu.Lock()
	r.e.op.Result = v
	r.m.mu.Unlock()
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
