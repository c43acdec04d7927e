package snapschedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// Snapshots is the part of the snapshot manager runs use (snapshot.Service).
type Snapshots interface {
	Take(ctx context.Context, hostName, uuid string, req snapshot.TakeRequest, r operation.Reporter) (snapshot.TakeResult, error)
	Remove(hostName, uuid, name string, r operation.Reporter) error
	Snapshots(ctx context.Context, hostName, uuid string) ([]snapshot.Snapshot, error)
	Pools(hostName, uuid string) ([]snapshot.PoolUse, error)
}

// Operations holds VMs and runs work on them (operation.Manager).
type Operations interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
	Wait(ctx context.Context, id string) (operation.Op, error)
}

// VMs is the inventory. Both calls wait (boundedly) for a host's VM list
// to be read after its link came up: right after a start, a run must not
// take a VM it has not seen yet for a VM that is gone.
type VMs interface {
	WaitVM(ctx context.Context, hostName, uuid string) (inventory.VM, error)
	ListWait(ctx context.Context, hostName string) []inventory.VM
}

// Publisher announces policy changes ("schedule" events).
type Publisher interface {
	Publish(typ event.Type, data any)
}

// Auditor records each VM's run in the audit log.
type Auditor interface {
	Write(e audit.Entry) error
}

// Clock is the time source; tests drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configures a Scheduler.
type Options struct {
	// DataDir holds the scheduler's file (policies, run state, which
	// snapshots each policy took, pins).
	DataDir    string
	Snapshots  Snapshots
	Operations Operations
	VMs        VMs
	Bus        Publisher
	Audit      Auditor
	Logger     *slog.Logger
	// Clock defaults to the real one.
	Clock Clock
	// Location is the server's time zone: schedules and retention periods
	// are read in it (default time.Local).
	Location *time.Location
	// RunsPerHost caps the VM runs going on at once on one host
	// (default 2); further VMs wait their turn.
	RunsPerHost int
	// AllowEvery admits the test-only "@every <duration>" schedules.
	AllowEvery bool
	// RunEnded, when set, is told each VM run's state (succeeded, failed
	// or skipped): the metrics count them.
	RunEnded func(state string)
}

// Event is the data of a "schedule" event.
type Event struct {
	ID      string `json:"id"`
	Removed bool   `json:"removed,omitempty"`
	Policy  *View  `json:"policy,omitempty"`
}

// Scheduler stores policies and runs them.
type Scheduler struct {
	opts Options
	log  *slog.Logger
	path string

	mu      sync.Mutex
	st      stored
	parsed  map[string]checked // by policy ID
	running map[string]bool    // policy IDs with a run in progress
	sems    map[string]chan struct{}
	started time.Time
	runCtx  context.Context
	runs    sync.WaitGroup

	wake chan struct{}
}

// New loads the scheduler's file. Policies that no longer parse (a file
// edited by hand) are kept but do not run; the log says why.
func New(opts Options) (*Scheduler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.RunsPerHost <= 0 {
		opts.RunsPerHost = 2
	}
	s := &Scheduler{opts: opts, log: opts.Logger, path: filepath.Join(opts.DataDir, fileName),
		parsed: map[string]checked{}, running: map[string]bool{}, sems: map[string]chan struct{}{}, wake: make(chan struct{}, 1)}
	st, err := load(s.path)
	if err != nil {
		return nil, err
	}
	s.st = st
	for _, p := range st.Policies {
		c, err := check(p.Spec, opts.AllowEvery)
		if err != nil {
			s.log.Warn("a stored snapshot policy is not valid and will not run", "policy", p.Name, "err", problemMessage(err))
			continue
		}
		s.parsed[p.ID] = c
	}
	return s, nil
}

func problemMessage(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Message
	}
	return err.Error()
}

// saveLocked writes the store; s.mu is held.
func (s *Scheduler) saveLocked() error {
	if err := save(s.path, s.st); err != nil {
		s.log.Error("could not save the snapshot schedules", "path", s.path, "err", err)
		return problem.Wrap(err, problem.Internal, problem.CodeScheduleStoreFailed,
			"the snapshot schedules could not be saved", "check that the data directory is writable and not full")
	}
	return nil
}

func (s *Scheduler) policyLocked(id string) (int, error) {
	for i, p := range s.st.Policies {
		if p.ID == id {
			return i, nil
		}
	}
	return -1, problem.New(problem.NotFound, problem.CodePolicyNotFound,
		fmt.Sprintf("there is no snapshot policy %q", problem.Clip(id)), "reload the list of policies")
}

// viewLocked builds what the API shows of a policy.
func (s *Scheduler) viewLocked(p Policy) View {
	v := View{Policy: p, Status: s.st.Status[p.ID], Running: s.running[p.ID], Next: []time.Time{}}
	v.Policy.Targets = slices.Clone(p.Targets)
	v.Alert = v.Status.Failures >= AlertAfterFailures
	if c, ok := s.parsed[p.ID]; ok {
		v.ScheduleText = c.schedule.Describe()
		if p.enabled() {
			t := s.opts.Clock.Now().In(s.opts.Location)
			for range 3 {
				if t = c.schedule.Next(t); t.IsZero() {
					break
				}
				v.Next = append(v.Next, t)
			}
		}
	}
	return v
}

func (s *Scheduler) publish(ev Event) {
	if s.opts.Bus != nil {
		s.opts.Bus.Publish(event.TypeSchedule, ev)
	}
}

func (s *Scheduler) publishLocked(id string) {
	if i, err := s.policyLocked(id); err == nil {
		v := s.viewLocked(s.st.Policies[i])
		s.publish(Event{ID: id, Policy: &v})
	}
}

// List returns every policy, by name.
func (s *Scheduler) List() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.st.Policies))
	for _, p := range s.st.Policies {
		out = append(out, s.viewLocked(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one policy.
func (s *Scheduler) Get(id string) (View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.policyLocked(id)
	if err != nil {
		return View{}, err
	}
	return s.viewLocked(s.st.Policies[i]), nil
}

// Create stores a new policy.
func (s *Scheduler) Create(sp Spec) (View, error) {
	c, err := check(sp, s.opts.AllowEvery)
	if err != nil {
		return View{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.Policies) >= MaxPolicies {
		return View{}, problem.New(problem.Conflict, problem.CodePolicyLimit,
			fmt.Sprintf("there are %d snapshot policies already, the most allowed", MaxPolicies), "delete a policy, or attach one policy to more VMs")
	}
	if err := s.uniqueLocked(c.spec.Name, ""); err != nil {
		return View{}, err
	}
	now := s.opts.Clock.Now()
	p := Policy{ID: newID(), Spec: c.spec, Created: now, Updated: now}
	s.st.Policies = append(s.st.Policies, p)
	s.parsed[p.ID] = c
	if err := s.saveLocked(); err != nil {
		s.st.Policies = s.st.Policies[:len(s.st.Policies)-1]
		delete(s.parsed, p.ID)
		return View{}, err
	}
	s.kick()
	v := s.viewLocked(p)
	s.publish(Event{ID: p.ID, Policy: &v})
	return v, nil
}

func (s *Scheduler) uniqueLocked(name, except string) error {
	for _, p := range s.st.Policies {
		if p.ID != except && strings.EqualFold(p.Name, name) {
			return problem.New(problem.Conflict, problem.CodePolicyExists,
				fmt.Sprintf("a snapshot policy named %q exists already", name), "choose another name")
		}
	}
	return nil
}

// Update replaces a policy's spec. A changed schedule starts afresh from
// now: slots of the old schedule are not made up.
func (s *Scheduler) Update(id string, sp Spec) (View, error) {
	c, err := check(sp, s.opts.AllowEvery)
	if err != nil {
		return View{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.policyLocked(id)
	if err != nil {
		return View{}, err
	}
	if err := s.uniqueLocked(c.spec.Name, id); err != nil {
		return View{}, err
	}
	old, oldStatus := s.st.Policies[i], s.st.Status[id]
	p := old
	p.Spec, p.Updated = c.spec, s.opts.Clock.Now()
	s.st.Policies[i] = p
	if old.Schedule != p.Schedule || !old.enabled() {
		st := s.st.Status[id]
		st.LastSlot = nil
		s.st.Status[id] = st
	}
	if err := s.saveLocked(); err != nil {
		s.st.Policies[i], s.st.Status[id] = old, oldStatus
		return View{}, err
	}
	s.parsed[id] = c
	s.kick()
	v := s.viewLocked(p)
	s.publish(Event{ID: id, Policy: &v})
	return v, nil
}

// Delete removes a policy. The snapshots it took stay, and are no longer
// pruned by anything: they become like snapshots made by hand.
func (s *Scheduler) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.policyLocked(id)
	if err != nil {
		return err
	}
	old := s.st
	s.st.Policies = slices.Delete(slices.Clone(s.st.Policies), i, i+1)
	s.st.Owned = slices.DeleteFunc(slices.Clone(s.st.Owned), func(o Owned) bool { return o.Policy == id })
	s.st.Status = maps(s.st.Status, id)
	if err := s.saveLocked(); err != nil {
		s.st = old
		return err
	}
	delete(s.parsed, id)
	s.publish(Event{ID: id, Removed: true})
	return nil
}

func maps(m map[string]Status, without string) map[string]Status {
	out := make(map[string]Status, len(m))
	for k, v := range m {
		if k != without {
			out[k] = v
		}
	}
	return out
}

// Preview parses a schedule and returns it in words and its next n run
// times (at most 10) in the server's time zone.
func (s *Scheduler) Preview(spec string, n int) (string, []time.Time, string, error) {
	sc, err := ParseSchedule(spec, s.opts.AllowEvery)
	if err != nil {
		return "", nil, "", invalid(problem.CodeInvalidSchedule, fmt.Sprintf("schedule %q is not valid: %v", problem.Clip(spec), err), ScheduleRule)
	}
	n = min(max(n, 1), 10)
	out := []time.Time{}
	t := s.opts.Clock.Now().In(s.opts.Location)
	for range n {
		if t = sc.Next(t); t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return sc.Describe(), out, s.ZoneName(), nil
}

// ZoneName names the server's time zone for people: the IANA name when
// the process knows it (TZ, or the link /etc/localtime points at), else
// its abbreviation now ("CET").
func (s *Scheduler) ZoneName() string {
	loc := s.opts.Location
	if name := loc.String(); name != "Local" {
		return name
	}
	if tz := os.Getenv("TZ"); tz != "" {
		return strings.TrimPrefix(tz, ":")
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			return name
		}
	}
	abbr, _ := s.opts.Clock.Now().In(loc).Zone()
	return abbr
}

// VMSchedules is what the Snapshots tab shows about one VM's schedules.
type VMSchedules struct {
	Policies []View  `json:"policies"`
	Owned    []Owned `json:"owned"`
	Pins     []Pin   `json:"pins"`
}

// ForVM returns the policies that apply to a VM, the snapshots they took
// of it, and its pins.
func (s *Scheduler) ForVM(hostName, uuid string) VMSchedules {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := VMSchedules{Policies: []View{}, Owned: []Owned{}, Pins: []Pin{}}
	for _, p := range s.st.Policies {
		if applies(p, hostName, uuid) {
			out.Policies = append(out.Policies, s.viewLocked(p))
		}
	}
	for _, o := range s.st.Owned {
		if o.Host == hostName && o.UUID == uuid {
			out.Owned = append(out.Owned, o)
		}
	}
	for _, pin := range s.st.Pins {
		if pin.Host == hostName && pin.UUID == uuid {
			out.Pins = append(out.Pins, pin)
		}
	}
	return out
}

func applies(p Policy, hostName, uuid string) bool {
	for _, t := range p.Targets {
		if t.Host == hostName && (t.AllVMs || t.UUID == uuid) {
			return true
		}
	}
	return false
}

// SetPin pins a snapshot (never pruned) or unpins it. The pin names the
// snapshot by its creation time too, so that it does not carry over to
// another snapshot of the same name made later.
func (s *Scheduler) SetPin(ctx context.Context, hostName, uuid, name string, pinned bool) (Pin, error) {
	snaps, err := s.opts.Snapshots.Snapshots(ctx, hostName, uuid)
	if err != nil {
		return Pin{}, err
	}
	i := slices.IndexFunc(snaps, func(sn snapshot.Snapshot) bool { return sn.Name == name })
	if i < 0 {
		return Pin{}, problem.New(problem.NotFound, problem.CodeSnapshotNotFound,
			fmt.Sprintf("the VM has no snapshot named %q", problem.Clip(name)), "reload the snapshot list")
	}
	pin := Pin{Host: hostName, UUID: uuid, Name: name, Created: snaps[i].CreationTime}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st.Pins
	pins := slices.DeleteFunc(slices.Clone(old), func(p Pin) bool { return p.Host == hostName && p.UUID == uuid && p.Name == name })
	if pinned {
		pins = append(pins, pin)
	}
	s.st.Pins = pins
	if err := s.saveLocked(); err != nil {
		s.st.Pins = old
		return Pin{}, err
	}
	return pin, nil
}

func (s *Scheduler) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxWait bounds one sleep of the loop, so that a change of the wall
// clock (which timers do not follow) is noticed within a minute.
const maxWait = time.Minute

// Run runs due policies until ctx ends, then waits for runs in progress
// (whose operations end with the server's).
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.started = s.opts.Clock.Now()
	s.runCtx = ctx
	s.mu.Unlock()
	defer s.runs.Wait()
	for {
		now := s.opts.Clock.Now()
		wait := s.tick(ctx, now)
		select {
		case <-ctx.Done():
			return nil
		case <-s.opts.Clock.After(wait):
		case <-s.wake:
		}
	}
}

// tick starts the runs that are due at now and returns how long to wait
// for the next one.
func (s *Scheduler) tick(ctx context.Context, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := maxWait
	changed := false
	for _, p := range s.st.Policies {
		c, ok := s.parsed[p.ID]
		if !ok || !p.enabled() || s.running[p.ID] {
			continue
		}
		st := s.st.Status[p.ID]
		base := p.Updated
		if st.LastSlot != nil {
			base = *st.LastSlot
		}
		due := c.schedule.Next(base.In(s.opts.Location))
		if due.IsZero() {
			continue
		}
		if due.After(now) {
			wait = min(wait, due.Sub(now))
			continue
		}
		// The latest slot not after now: runs that fell behind (the
		// server was down, or busy) run once, not once per slot.
		slot, passed := due, 1
		for range 100000 {
			nx := c.schedule.Next(slot)
			if nx.IsZero() || nx.After(now) {
				break
			}
			slot, passed = nx, passed+1
		}
		st.LastSlot = &slot
		s.st.Status[p.ID] = st
		s.running[p.ID] = true
		changed = true
		missed := due.Before(s.started)
		s.runs.Add(1)
		go func() {
			defer s.runs.Done()
			s.run(ctx, p, c, slot, missed, passed-1)
		}()
		if nx := c.schedule.Next(slot); !nx.IsZero() {
			wait = min(wait, max(nx.Sub(now), 0))
		}
	}
	if changed {
		_ = s.saveLocked()
	}
	return max(wait, 10*time.Millisecond)
}

// vmRef is one VM a run acts on.
type vmRef struct{ host, uuid, name string }

// expand lists the VMs a policy applies to now.
func (s *Scheduler) expand(ctx context.Context, p Policy) []vmRef {
	var out []vmRef
	seen := map[string]bool{}
	add := func(h, u, n string) {
		if k := h + "/" + u; !seen[k] {
			seen[k] = true
			out = append(out, vmRef{h, u, n})
		}
	}
	for _, t := range p.Targets {
		if t.AllVMs {
			for _, vm := range s.opts.VMs.ListWait(ctx, t.Host) {
				if vm.Host == t.Host && vm.Persistent {
					add(vm.Host, vm.UUID, vm.Name)
				}
			}
			continue
		}
		add(t.Host, t.UUID, "")
	}
	return out
}

func (s *Scheduler) run(ctx context.Context, p Policy, c checked, slot time.Time, missed bool, missedSlots int) {
	start := s.opts.Clock.Now()
	res := RunResult{Slot: slot, Started: start, State: RunRunning, Missed: missed, Skipped: missedSlots, VMs: []VMResult{}}
	s.mu.Lock()
	st := s.st.Status[p.ID]
	first := res
	st.Last = &first
	s.st.Status[p.ID] = st
	s.publishLocked(p.ID)
	s.mu.Unlock()

	// A catch-up run says so in each VM's audit entry too: the policy's
	// status keeps only its last run, which the next slot replaces.
	catchUp := 0
	if missed {
		catchUp = missedSlots + 1
	}
	vms := s.expand(ctx, p)
	results := make([]VMResult, len(vms))
	var wg sync.WaitGroup
	for i, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.runVM(ctx, p, c, slot, vm, catchUp)
		}()
	}
	wg.Wait()

	res.VMs = results
	fin := s.opts.Clock.Now()
	res.Finished = &fin
	var failed, skipped int
	for _, r := range results {
		switch r.State {
		case RunFailed:
			failed++
		case RunSkipped:
			skipped++
		}
	}
	switch {
	case len(results) == 0:
		res.State, res.Message = RunEmpty, "the policy applies to no VM"
	case failed > 0:
		res.State, res.Message = RunFailed, fmt.Sprintf("%d of %d VMs failed", failed, len(results))
	case skipped == len(results):
		res.State, res.Message = RunSkipped, fmt.Sprintf("skipped: %s", results[0].Reason)
	default:
		res.State, res.Message = RunSucceeded, fmt.Sprintf("%d of %d VMs snapshotted", len(results)-skipped, len(results))
		if skipped > 0 {
			res.Message += fmt.Sprintf(", %d skipped", skipped)
		}
	}
	if missed {
		res.Message = fmt.Sprintf("ran once at start for %d slot(s) missed while the server was down (the last at %s); ",
			missedSlots+1, slot.In(s.opts.Location).Format("2006-01-02 15:04 MST")) + res.Message
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st = s.st.Status[p.ID]
	switch res.State {
	case RunFailed:
		st.Failures++
	case RunSucceeded:
		st.Failures = 0
	}
	st.Last = &res
	if _, err := s.policyLocked(p.ID); err == nil {
		s.st.Status[p.ID] = st
	}
	delete(s.running, p.ID)
	_ = s.saveLocked()
	if st.Failures == AlertAfterFailures && res.State == RunFailed {
		s.log.Warn("a snapshot policy failed three times in a row", "policy", p.Name, "last", res.Message)
	}
	s.publishLocked(p.ID)
	s.kick()
}

func (s *Scheduler) sem(hostName string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.sems[hostName]
	if !ok {
		ch = make(chan struct{}, s.opts.RunsPerHost)
		s.sems[hostName] = ch
	}
	return ch
}

// runVM runs a policy on one VM: the checks, then one operation that takes
// the snapshot and prunes the policy's own.
func (s *Scheduler) runVM(ctx context.Context, p Policy, c checked, slot time.Time, ref vmRef, catchUp int) (res VMResult) {
	res = VMResult{Host: ref.host, UUID: ref.uuid, VM: ref.name, Pruned: []string{}}
	skip := func(reason, code string) VMResult {
		res.State, res.Reason, res.Code = RunSkipped, reason, code
		return res
	}
	fail := func(err error) VMResult {
		res.State, res.Reason = RunFailed, problemMessage(err)
		if pr, ok := problem.As(err); ok {
			res.Code = pr.Code
		}
		return res
	}
	defer func() {
		s.audit(p, res, slot, catchUp)
		if s.opts.RunEnded != nil {
			s.opts.RunEnded(res.State)
		}
	}()
	vm, err := s.opts.VMs.WaitVM(ctx, ref.host, ref.uuid)
	if err != nil {
		return fail(err)
	}
	res.VM = vm.Name
	if !inventory.Active(vm.State) && !p.RunWhileOff {
		return skip(fmt.Sprintf("VM %q is %s and the policy does not run while VMs are off", vm.Name, vm.State), problem.CodeVMNotRunning)
	}
	sem := s.sem(ref.host)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return skip("the server is shutting down", problem.CodeShuttingDown)
	}
	defer func() { <-sem }()

	pools, err := s.opts.Snapshots.Pools(ref.host, ref.uuid)
	if err != nil {
		return fail(err)
	}
	for _, pu := range pools {
		if pu.Percent() > FullPercent {
			return skip(fmt.Sprintf("storage pool %q is %.0f %% full (more than %.0f %%): a snapshot could fill it", pu.Pool, pu.Percent(), FullPercent), problem.CodePoolFull)
		}
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: ref.host, UUID: ref.uuid, Name: vm.Name}, "snapshot-schedule", p.Name)
	if err != nil {
		pr, _ := problem.As(err)
		code := ""
		if pr != nil {
			code = pr.Code
		}
		return skip(problemMessage(err), code)
	}
	name := c.pattern.Expand(p.Name, slot.In(s.opts.Location))
	op, err := claim.Start("snapshot-schedule", false, func(octx context.Context, r operation.Reporter) error {
		out := VMResult{Host: ref.host, UUID: ref.uuid, VM: vm.Name, Snapshot: name, Pruned: []string{}}
		defer func() { r.SetResult(out) }()
		r.Progress(fmt.Sprintf("policy %s: taking snapshot %s", p.Name, name), -1)
		tr, err := s.opts.Snapshots.Take(octx, ref.host, ref.uuid, snapshot.TakeRequest{
			Name: name, Memory: p.Memory, WhileOff: p.RunWhileOff,
			Description: fmt.Sprintf("taken by snapshot policy %s (schedule %s) for %s", p.Name, p.Schedule, slot.In(s.opts.Location).Format(time.RFC3339)),
		}, r)
		if err != nil {
			return err
		}
		out.Consistency = tr.Consistency
		s.own(Owned{Host: ref.host, UUID: ref.uuid, Name: tr.Snapshot.Name, Created: tr.Snapshot.CreationTime, Policy: p.ID, Consistency: tr.Consistency})
		out.Pruned, err = s.prune(octx, p, ref, r)
		return err
	})
	if err != nil {
		claim.Release()
		if problem.KindOf(err) == problem.Unavailable {
			return skip(problemMessage(err), problem.CodeShuttingDown)
		}
		return fail(err)
	}
	res.Operation = op.ID
	done, err := s.opts.Operations.Wait(context.WithoutCancel(ctx), op.ID)
	if err != nil {
		return fail(err)
	}
	if out, ok := done.Result.(VMResult); ok {
		res.Snapshot, res.Consistency, res.Pruned = out.Snapshot, out.Consistency, out.Pruned
	}
	switch {
	case done.State == operation.Succeeded:
		res.State = RunSucceeded
	case done.Error != nil && done.Error.Code == problem.CodeVMNotRunning:
		return skip(done.Error.Message, done.Error.Code)
	case done.State == operation.Canceled:
		// Only a shutdown cancels a run (runs may not be canceled).
		return skip("the server shut down during the run", problem.CodeShuttingDown)
	default:
		res.State = RunFailed
		if done.Error != nil {
			res.Reason, res.Code = done.Error.Message, done.Error.Code
		}
	}
	return res
}

// own records a snapshot a policy took.
func (s *Scheduler) own(o Owned) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Owned = append(s.st.Owned, o)
	_ = s.saveLocked()
}

// prune removes the policy's own snapshots of a VM that its retention no
// longer keeps. Ownership records of snapshots deleted meanwhile (by hand)
// are dropped; pinned snapshots are kept.
func (s *Scheduler) prune(ctx context.Context, p Policy, ref vmRef, r operation.Reporter) ([]string, error) {
	pruned := []string{}
	snaps, err := s.opts.Snapshots.Snapshots(ctx, ref.host, ref.uuid)
	if err != nil {
		return pruned, err
	}
	exists := map[string]bool{}
	for _, sn := range snaps {
		exists[snapKey(ref.host, ref.uuid, sn.Name, sn.CreationTime)] = true
	}
	s.mu.Lock()
	pinned := map[string]bool{}
	for _, pin := range s.st.Pins {
		pinned[snapKey(pin.Host, pin.UUID, pin.Name, pin.Created)] = true
	}
	var items []Item
	s.st.Owned = slices.DeleteFunc(s.st.Owned, func(o Owned) bool {
		k := snapKey(o.Host, o.UUID, o.Name, o.Created)
		if o.Host != ref.host || o.UUID != ref.uuid {
			return false
		}
		if !exists[k] {
			return true // gone: deleted by hand
		}
		if o.Policy == p.ID {
			items = append(items, Item{Name: o.Name, Created: o.Created, Pinned: pinned[k]})
		}
		return false
	})
	_ = s.saveLocked()
	s.mu.Unlock()

	marks := Prune(items, p.Retention, s.opts.Location)
	var remove []Item
	for _, it := range items {
		if marks[it.Name] == Remove {
			remove = append(remove, it)
		}
	}
	// Oldest first: each is then a leaf or has one line of children, the
	// cheapest for libvirt to re-parent.
	sort.Slice(remove, func(i, j int) bool { return remove[i].Created.Before(remove[j].Created) })
	for i, it := range remove {
		if err := ctx.Err(); err != nil {
			return pruned, err
		}
		r.Progress(fmt.Sprintf("policy %s: pruning %s (%d of %d)", p.Name, it.Name, i+1, len(remove)), -1)
		if err := s.opts.Snapshots.Remove(ref.host, ref.uuid, it.Name, r); err != nil {
			return pruned, err
		}
		pruned = append(pruned, it.Name)
		s.mu.Lock()
		s.st.Owned = slices.DeleteFunc(s.st.Owned, func(o Owned) bool {
			return o.Host == ref.host && o.UUID == ref.uuid && o.Name == it.Name && o.Created.Equal(it.Created)
		})
		_ = s.saveLocked()
		s.mu.Unlock()
	}
	return pruned, nil
}

// audit writes a VM run's entry; catchUp, when not 0, is the number of
// slots missed while the server was down that this run stands for.
func (s *Scheduler) audit(p Policy, res VMResult, slot time.Time, catchUp int) {
	if s.opts.Audit == nil {
		return
	}
	e := audit.Entry{
		Time: s.opts.Clock.Now(), User: "scheduler", Client: "-", Action: "snapshot.schedule",
		Host: res.Host, UUID: res.UUID, VM: res.VM, Operation: res.Operation,
		Detail: fmt.Sprintf("policy %s, slot %s, %s", problem.Clip(p.Name), slot.UTC().Format(time.RFC3339), res.State),
		Result: audit.ResultOK,
	}
	if catchUp > 0 {
		e.Detail += fmt.Sprintf(", run once at start for %d slot(s) missed while the server was down", catchUp)
	}
	if res.State == RunFailed {
		e.Result, e.Error = audit.ResultError, &problem.Info{Code: res.Code, Message: res.Reason}
	}
	_ = s.opts.Audit.Write(e)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
