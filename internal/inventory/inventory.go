// Package inventory is the live model of every VM of every host. It is filled
// by one full listing per libvirt link, kept current by lifecycle events (a
// changed VM is re-read on its own), and sampled for stats with ONE
// ConnectGetAllDomainStats call per host per tick. Requests read the cache;
// they never list domains from libvirt.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Publisher is where VM and stats changes are announced.
type Publisher interface {
	Publish(typ event.Type, data any)
}

// Options configures an Inventory.
type Options struct {
	Publisher Publisher
	Logger    *slog.Logger
	// Interval between stats ticks (default 2 s).
	Interval time.Duration
	// Tiers are the resolutions of the stats history kept per VM, finest
	// first (default DefaultTiers(Interval): every tick for 5 minutes,
	// 30-second averages for an hour, 10-minute averages for a day).
	Tiers []Tier
	// MemoryStatsPeriod is how often (in seconds) running guests are asked
	// to report memory statistics through their balloon driver (default:
	// the Interval, at least 1 s; negative: never asked).
	MemoryStatsPeriod int
}

// Inventory holds the VMs of all hosts. It implements host.Observer.
type Inventory struct {
	opts Options
	log  *slog.Logger

	mu    sync.RWMutex
	hosts map[string]*hostVMs
}

type hostVMs struct {
	name string
	vms  map[string]*entry // by UUID
	// state is the host's connection state as StateChanged last told it
	// (guarded by Inventory.mu); a host starts connecting.
	state host.State
	// synced is closed once the VM list of the current link has been read.
	synced  chan struct{}
	refresh chan string // UUIDs to re-read; drained by the link's worker
	pendMu  sync.Mutex
	pending map[string]bool
	// vmLocks serialise read-then-store per VM (striped by UUID), so that a
	// slow read can never overwrite a newer one, while different VMs are
	// read in parallel.
	vmLocks [64]sync.Mutex
}

// lockVM locks the stripe of uuid and returns its unlock.
func (hv *hostVMs) lockVM(uuid string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(uuid))
	m := &hv.vmLocks[h.Sum32()%uint32(len(hv.vmLocks))]
	m.Lock()
	return m.Unlock
}

type entry struct {
	vm      VM
	last    *counters
	history *history // nil until the first tick
	// params is the last tick's stats record, read again only by the
	// metrics scrape (metrics.go); nil while the VM is not running.
	params []virt.TypedParam
}

// New returns an empty inventory.
func New(opts Options) *Inventory {
	if opts.Interval == 0 {
		opts.Interval = 2 * time.Second
	}
	if len(opts.Tiers) == 0 {
		opts.Tiers = DefaultTiers(opts.Interval)
	}
	if opts.MemoryStatsPeriod == 0 {
		opts.MemoryStatsPeriod = max(1, int(opts.Interval.Round(time.Second)/time.Second))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Inventory{opts: opts, log: opts.Logger, hosts: make(map[string]*hostVMs)}
}

// AddHost registers a host name so that lookups of it succeed before its
// first connection.
func (inv *Inventory) AddHost(name string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.hostLocked(name)
}

// RemoveHost forgets a host and its VMs, announcing each VM as removed.
// Call it once the host has stopped, so that nothing it still reports
// brings the name back.
func (inv *Inventory) RemoveHost(name string) {
	inv.mu.Lock()
	var gone []Removed
	if h, ok := inv.hosts[name]; ok {
		for uuid, e := range h.vms {
			gone = append(gone, Removed{Host: name, UUID: uuid, Name: e.vm.Name})
		}
	}
	delete(inv.hosts, name)
	inv.mu.Unlock()
	for _, r := range gone {
		inv.publish(event.TypeVMRemoved, r)
	}
}

func (inv *Inventory) hostLocked(name string) *hostVMs {
	h, ok := inv.hosts[name]
	if !ok {
		h = &hostVMs{name: name, vms: make(map[string]*entry), state: host.Connecting,
			refresh: make(chan string, 1), pending: make(map[string]bool), synced: make(chan struct{})}
		inv.hosts[name] = h
	}
	return h
}

// List returns every VM of every host, sorted by host then name.
func (inv *Inventory) List() []VM {
	inv.mu.RLock()
	n := 0
	for _, h := range inv.hosts {
		n += len(h.vms)
	}
	out := make([]VM, 0, n)
	for _, h := range inv.hosts {
		for _, e := range h.vms {
			out = append(out, e.vm)
		}
	}
	inv.mu.RUnlock()
	slices.SortFunc(out, func(a, b VM) int {
		if c := strings.Compare(a.Host, b.Host); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return out
}

// Get returns one VM. Unknown hosts and VMs are NotFound problems.
func (inv *Inventory) Get(hostName, uuid string) (VM, error) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	h, ok := inv.hosts[hostName]
	if !ok {
		return VM{}, ErrHostNotFound(hostName)
	}
	e, ok := h.vms[strings.ToLower(uuid)]
	if !ok {
		return VM{}, problem.New(problem.NotFound, problem.CodeVMNotFound,
			fmt.Sprintf("no VM with UUID %s on host %q", problem.Clip(uuid), hostName),
			"it may have been deleted; reload the VM list")
	}
	return e.vm, nil
}

// History returns the stats samples of a VM newer than since, oldest
// first: every tick of the last minutes, averages before that (see
// Options.Tiers), and how far the history goes.
func (inv *Inventory) History(hostName, uuid string, since time.Time) ([]Sample, HistoryInfo, error) {
	info := HistoryInfo{Tiers: make([]TierInfo, len(inv.opts.Tiers))}
	for i, t := range inv.opts.Tiers {
		info.Tiers[i] = TierInfo{StepSeconds: int64(t.Step / time.Second), SpanSeconds: int64(t.Span / time.Second)}
	}
	if _, err := inv.Get(hostName, uuid); err != nil {
		return nil, info, err
	}
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	e := inv.hosts[hostName].vms[strings.ToLower(uuid)]
	if e == nil || e.history == nil {
		return []Sample{}, info, nil
	}
	if t := e.history.oldestTime(); !t.IsZero() {
		info.Oldest = &t
	}
	return e.history.samples(since), info, nil
}

// ErrHostNotFound is the problem for an unknown host name.
func ErrHostNotFound(name string) error {
	return problem.New(problem.NotFound, problem.CodeHostNotFound,
		fmt.Sprintf("no host named %q", problem.Clip(name)), "GET /api/v1/hosts lists the configured hosts")
}

// Synced reports whether the host's VM list has been read at least once
// since its current link came up.
func (inv *Inventory) Synced(hostName string) bool {
	inv.mu.RLock()
	h, ok := inv.hosts[hostName]
	inv.mu.RUnlock()
	if !ok {
		return false
	}
	select {
	case <-h.syncedChan():
		return true
	default:
		return false
	}
}

// SyncWait bounds how long a read waits for a host's VM list to be read.
const SyncWait = 10 * time.Second

// WaitVM returns one VM like Get. When its host is connected or still
// connecting, it first waits (at most SyncWait, or until ctx ends) until the
// host's VM list has been read since its link came up: right after a start
// or a reconnect the cache may not hold the VM yet, and a console or action
// asked for then must not answer "no such VM". A host in another state
// (reconnecting, failed) is answered from the cache as it is: waiting could
// not help.
func (inv *Inventory) WaitVM(ctx context.Context, hostName, uuid string) (VM, error) {
	inv.waitListed(ctx, []string{hostName}, host.Connected, host.Connecting)
	return inv.Get(hostName, uuid)
}

// ListWait returns the VMs of one host, or of every host when hostName is
// "", sorted as List sorts them. It first waits (at most SyncWait, or until
// ctx ends) for the VM list of each such host that is connected to be read,
// so that no client mistakes a half-read list for the truth. A host still
// making its first connection is not waited for: it may never answer, and
// the list (and the dashboard built on it) would hang with it; its VMs
// arrive as events.
func (inv *Inventory) ListWait(ctx context.Context, hostName string) []VM {
	var names []string
	inv.mu.RLock()
	for n := range inv.hosts {
		if hostName == "" || n == hostName {
			names = append(names, n)
		}
	}
	inv.mu.RUnlock()
	inv.waitListed(ctx, names, host.Connected)
	all := inv.List()
	if hostName == "" {
		return all
	}
	out := make([]VM, 0, len(all))
	for _, vm := range all {
		if vm.Host == hostName {
			out = append(out, vm)
		}
	}
	return out
}

// waitListed waits, within one SyncWait, until the VM lists of the named
// hosts that are in one of states have been read. Unknown hosts are not
// waited for.
func (inv *Inventory) waitListed(ctx context.Context, names []string, states ...host.State) {
	var wait []chan struct{}
	inv.mu.RLock()
	for _, n := range names {
		if h, ok := inv.hosts[n]; ok && slices.Contains(states, h.state) {
			wait = append(wait, h.syncedChan())
		}
	}
	inv.mu.RUnlock()
	if len(wait) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, SyncWait)
	defer cancel()
	for _, c := range wait {
		select {
		case <-c:
		case <-ctx.Done():
			return
		}
	}
}

func (hv *hostVMs) syncedChan() chan struct{} {
	hv.pendMu.Lock()
	defer hv.pendMu.Unlock()
	return hv.synced
}

// resetSynced marks the list as unread (a new link is reading it).
func (hv *hostVMs) resetSynced() {
	hv.pendMu.Lock()
	defer hv.pendMu.Unlock()
	select {
	case <-hv.synced:
		hv.synced = make(chan struct{})
	default:
	}
}

func (hv *hostVMs) markSynced() {
	hv.pendMu.Lock()
	defer hv.pendMu.Unlock()
	select {
	case <-hv.synced:
	default:
		close(hv.synced)
	}
}

// Refresh re-reads one VM from libvirt now and publishes the change. Services
// call it after they change a VM so that the answer they return is current.
func (inv *Inventory) Refresh(c virt.Conn, hostName, uuid string) (VM, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return VM{}, err
	}
	inv.mu.Lock()
	hv := inv.hostLocked(hostName)
	inv.mu.Unlock()
	defer hv.lockVM(strings.ToLower(uuid))()
	dom, err := c.LookupDomain(u)
	if err != nil {
		if isNoDomain(err) {
			inv.remove(hostName, strings.ToLower(uuid))
			return VM{}, errVMGone(err)
		}
		return VM{}, fmt.Errorf("look up domain %s: %w", uuid, err)
	}
	vm, err := readVM(c, hostName, dom)
	if err != nil {
		if isNoDomain(err) {
			inv.remove(hostName, strings.ToLower(uuid))
			return VM{}, errVMGone(err)
		}
		return VM{}, err
	}
	return inv.store(vm), nil
}

// errVMGone is the problem for a VM that libvirt no longer knows.
func errVMGone(err error) error {
	return problem.Wrap(err, problem.NotFound, problem.CodeVMNotFound, "the VM no longer exists", "reload the VM list")
}

// store saves a freshly read VM, keeping its stats, and publishes it when
// anything but its timestamps changed.
func (inv *Inventory) store(vm VM) VM {
	inv.mu.Lock()
	h := inv.hostLocked(vm.Host)
	e, ok := h.vms[vm.UUID]
	changed := true
	if ok {
		vm.Stats = e.vm.Stats
		// Addresses and guest facts come from package network's watcher,
		// not from this read: keep them while the VM runs.
		vm.Addresses, vm.Guest = e.vm.Addresses, e.vm.Guest
		if !Active(vm.State) {
			vm.Stats = nil
			vm.Addresses, vm.Guest = []Address{}, nil
			e.last, e.params = nil, nil
		}
		a, b := e.vm, vm
		a.Updated, b.Updated = time.Time{}, time.Time{}
		changed = !reflect.DeepEqual(a, b)
		e.vm = vm
	} else {
		h.vms[vm.UUID] = &entry{vm: vm}
	}
	inv.mu.Unlock()
	if changed {
		inv.publish(event.TypeVM, vm)
	}
	return vm
}

func (inv *Inventory) remove(hostName, uuid string) {
	inv.mu.Lock()
	h := inv.hostLocked(hostName)
	e, ok := h.vms[uuid]
	delete(h.vms, uuid)
	inv.mu.Unlock()
	if ok {
		inv.publish(event.TypeVMRemoved, Removed{Host: hostName, UUID: uuid, Name: e.vm.Name})
	}
}

func (inv *Inventory) publish(typ event.Type, v any) {
	if inv.opts.Publisher != nil {
		inv.opts.Publisher.Publish(typ, v)
	}
}

// readVM reads everything about one domain. It makes a handful of calls; the
// domain XML is the live one when the VM runs (ports, devices as they are).
func readVM(c virt.Conn, hostName string, dom virt.Domain) (VM, error) {
	vm := VM{Host: hostName, UUID: host.FormatUUID(dom.UUID), Name: dom.Name, ID: dom.ID, Updated: time.Now(), Addresses: []Address{}}
	state, reason, err := c.State(dom)
	if err != nil {
		return vm, fmt.Errorf("get state of %s: %w", dom.Name, err)
	}
	vm.State, vm.Reason = StateName(state), ReasonName(state, reason)
	vm.Actions = AllowedActions(vm.State)
	// The secure flag makes libvirt include passwords, so that "has a
	// password" is known; only that boolean leaves this function.
	doc, err := c.XML(dom, virt.XMLSecure)
	if err != nil {
		return vm, fmt.Errorf("get XML of %s: %w", dom.Name, err)
	}
	if err := applyXML(&vm, doc); err != nil {
		return vm, err
	}
	if vm.Template {
		vm.Actions = []string{} // a template is cloned, never run (the API refuses too)
	}
	if !Active(vm.State) {
		vm.ID = 0
	}
	if a, err := c.Autostart(dom); err == nil {
		vm.Autostart = a
	}
	if p, err := c.Persistent(dom); err == nil {
		vm.Persistent = p
	}
	if n, err := c.SnapshotCount(dom); err == nil {
		vm.SnapshotCount = n
	}
	if len(vm.Disks) > 0 {
		// One stats call for all disks, with NOWAIT: per-disk block info
		// would wait behind a running job (a long snapshot, a migration)
		// and stall the whole inventory with it.
		recs, err := c.AllDomainStats([]virt.Domain{dom}, virt.StatsBlock, virt.StatsNowait)
		if err == nil && len(recs) == 1 {
			applyBlockSizes(vm.Disks, recs[0].Params)
		}
	}
	return vm, nil
}

// Connected implements host.Observer: it lists the host's VMs and then keeps
// them current until the link goes away.
func (inv *Inventory) Connected(ctx context.Context, h *host.Host, c virt.Conn) {
	name := h.Name()
	inv.mu.Lock()
	hv := inv.hostLocked(name)
	inv.mu.Unlock()
	hv.resetSynced()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); inv.refreshWorker(ctx, c, hv) }()
	go func() { defer wg.Done(); inv.statsLoop(ctx, c, name) }()

	if err := inv.fullSync(c, name); err != nil && ctx.Err() == nil {
		inv.log.Warn("listing VMs failed", "host", name, "err", err)
	}
	wg.Wait()
}

// fullSync lists every domain and replaces the host's cache with what it finds.
func (inv *Inventory) fullSync(c virt.Conn, name string) error {
	started := time.Now()
	doms, err := c.ListDomains()
	if err != nil {
		return fmt.Errorf("list domains: %w", err)
	}
	inv.mu.Lock()
	hv := inv.hostLocked(name)
	inv.mu.Unlock()
	// Read VMs in parallel: each read is a handful of calls, and one VM
	// that answers slowly must not hold up the others.
	seen := make(map[string]bool, len(doms))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		work     = make(chan virt.Domain)
	)
	for range min(syncWorkers, len(doms)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				uuid := host.FormatUUID(d.UUID)
				unlock := hv.lockVM(uuid)
				vm, err := readVM(c, name, d)
				if err == nil {
					inv.store(vm)
				}
				unlock()
				mu.Lock()
				switch {
				case err == nil:
					seen[uuid] = true
				case isNoDomain(err): // undefined while we listed
				case firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, d := range doms {
		work <- d
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	inv.mu.Lock()
	var gone []string
	for uuid, e := range hv.vms {
		// A VM read after the listing began (defined meanwhile, and read by
		// the event worker) is current even though the listing missed it.
		if !seen[uuid] && e.vm.Updated.Before(started) {
			gone = append(gone, uuid)
		}
	}
	inv.mu.Unlock()
	hv.markSynced()
	for _, uuid := range gone {
		inv.remove(name, uuid)
	}
	inv.log.Info("VM list read", "host", name, "vms", len(doms))
	return nil
}

// Lifecycle implements host.Observer: the VM is queued to be re-read. Reading
// it (rather than interpreting the event) keeps the cache right whatever
// order events arrive in.
func (inv *Inventory) Lifecycle(h *host.Host, ev host.LifecycleEvent) {
	inv.mu.Lock()
	hv := inv.hostLocked(h.Name())
	inv.mu.Unlock()
	hv.enqueue(ev.UUID)
}

// StateChanged implements host.Observer: it keeps the host's state, which
// decides whether reads wait for its listing, and marks the list unread
// when the link is gone.
func (inv *Inventory) StateChanged(h *host.Host, s host.Status) {
	inv.mu.Lock()
	hv := inv.hostLocked(h.Name())
	hv.state = s.State
	inv.mu.Unlock()
	if s.State != host.Connected {
		hv.resetSynced()
	}
}

func (hv *hostVMs) enqueue(uuid string) {
	hv.pendMu.Lock()
	hv.pending[uuid] = true
	hv.pendMu.Unlock()
	select {
	case hv.refresh <- uuid:
	default: // a wake-up is already queued; the pending set holds the UUID
	}
}

func (hv *hostVMs) take() []string {
	hv.pendMu.Lock()
	defer hv.pendMu.Unlock()
	out := make([]string, 0, len(hv.pending))
	for u := range hv.pending {
		out = append(out, u)
	}
	clear(hv.pending)
	return out
}

func (inv *Inventory) refreshWorker(ctx context.Context, c virt.Conn, hv *hostVMs) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hv.refresh:
			for _, uuid := range hv.take() {
				if _, err := inv.Refresh(c, hv.name, uuid); err != nil && problem.KindOf(err) != problem.NotFound && ctx.Err() == nil {
					inv.log.Warn("re-reading VM failed", "host", hv.name, "uuid", uuid, "err", err)
				}
			}
		}
	}
}

// syncWorkers is how many VMs a full listing reads at once.
const syncWorkers = 8

const statsTypes = virt.StatsState | virt.StatsCPUTotal | virt.StatsBalloon |
	virt.StatsVCPU | virt.StatsInterface | virt.StatsBlock

func (inv *Inventory) statsLoop(ctx context.Context, c virt.Conn, name string) {
	t := time.NewTicker(inv.opts.Interval)
	defer t.Stop()
	// The domains (by UUID, with the runtime ID they had) whose memory stats
	// period this link has set: the period lives in the running QEMU, so a
	// restarted VM (new ID) needs it again. Per link, because a libvirtd
	// that restarted may have lost it too.
	periods := map[string]int32{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			recs, err := c.AllDomainStats(nil, statsTypes, virt.StatsActive)
			if err != nil {
				if ctx.Err() == nil {
					inv.log.Warn("stats call failed", "host", name, "err", err)
				}
				continue
			}
			inv.applyStats(name, recs, time.Now())
			inv.setStatsPeriods(ctx, c, name, recs, periods)
		}
	}
}

// setStatsPeriods asks each running domain not yet asked on this link to
// report balloon statistics every MemoryStatsPeriod seconds: without a
// period, QEMU never polls the guest's balloon driver and libvirt has no
// guest-side memory figures to give. A domain without a balloon device (or
// whose QEMU refuses) is asked once per run and then left alone.
func (inv *Inventory) setStatsPeriods(ctx context.Context, c virt.Conn, name string, recs []virt.DomainStatsRecord, periods map[string]int32) {
	if inv.opts.MemoryStatsPeriod < 0 {
		return
	}
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		uuid := host.FormatUUID(r.Dom.UUID)
		seen[uuid] = true
		if id, ok := periods[uuid]; ok && id == r.Dom.ID {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		periods[uuid] = r.Dom.ID
		if err := c.SetMemoryStatsPeriod(r.Dom, inv.opts.MemoryStatsPeriod); err != nil {
			inv.log.Debug("setting the memory stats period failed", "host", name, "vm", r.Dom.Name, "err", err)
		}
	}
	for uuid := range periods {
		if !seen[uuid] {
			delete(periods, uuid)
		}
	}
}

// applyStats records one tick and publishes it as one event.
func (inv *Inventory) applyStats(name string, recs []virt.DomainStatsRecord, now time.Time) {
	out := HostSamples{Host: name, Time: now, Samples: make([]UUIDedSample, 0, len(recs))}
	var stale []string
	inv.mu.Lock()
	hv := inv.hostLocked(name)
	for _, r := range recs {
		uuid := host.FormatUUID(r.Dom.UUID)
		e, ok := hv.vms[uuid]
		cur := parseRecord(r.Params, now)
		if !ok {
			stale = append(stale, uuid) // a VM we missed an event for
			continue
		}
		if cur.state >= 0 && StateName(cur.state) != e.vm.State {
			stale = append(stale, uuid)
		}
		s := sample(e.last, cur)
		e.last, e.params = &cur, r.Params
		e.vm.Stats = &s
		if e.history == nil {
			e.history = newHistory(len(inv.opts.Tiers))
		}
		e.history.add(s, inv.opts.Tiers)
		out.Samples = append(out.Samples, UUIDedSample{UUID: uuid, Sample: s})
	}
	inv.mu.Unlock()
	for _, uuid := range stale {
		hv.enqueue(uuid)
	}
	inv.publish(event.TypeStats, out)
}

// isNoDomain reports whether err is libvirt's "domain not found".
func isNoDomain(err error) bool {
	var le virt.Error
	return errors.As(err, &le) && le.Code == uint32(virt.ErrNoDomain)
}
