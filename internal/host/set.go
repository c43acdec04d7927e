package host

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Set is the collection of hosts, looked up by name. Hosts from the
// configuration are there from the start; hosts managed through the API are
// added and removed while it runs (Add, Remove).
type Set struct {
	mu     sync.Mutex
	byName map[string]*Host
	names  []string
	// running are the hosts Run started, each with the cancel of its own
	// context and a channel closed when its Run returned.
	running map[string]*runningHost
	// runCtx is Run's context while it runs (nil before and after), so
	// that a host added meanwhile starts at once.
	runCtx context.Context
	wg     sync.WaitGroup
}

type runningHost struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSet returns a set of the given hosts; names must be unique.
func NewSet(hosts ...*Host) (*Set, error) {
	s := &Set{byName: make(map[string]*Host, len(hosts)), running: map[string]*runningHost{}}
	for _, h := range hosts {
		if _, dup := s.byName[h.Name()]; dup {
			return nil, errDuplicateHost(h.Name())
		}
		s.byName[h.Name()] = h
		s.names = append(s.names, h.Name())
	}
	sort.Strings(s.names)
	return s, nil
}

func errDuplicateHost(name string) error {
	return problem.New(problem.Conflict, problem.CodeDuplicateHost,
		fmt.Sprintf("there is already a host named %q", problem.Clip(name)), "give each host its own name")
}

// Get returns the named host or a NotFound problem.
func (s *Set) Get(name string) (*Host, error) {
	s.mu.Lock()
	h, ok := s.byName[name]
	s.mu.Unlock()
	if !ok {
		return nil, problem.New(problem.NotFound, problem.CodeHostNotFound,
			fmt.Sprintf("no host named %q", problem.Clip(name)), "GET /api/v1/hosts lists the configured hosts")
	}
	return h, nil
}

// Client returns the live link of the named host, as the services use it.
func (s *Set) Client(name string) (virt.Conn, error) {
	h, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	return h.Client()
}

// Machine returns the computer the named host runs on (see Host.Machine).
func (s *Set) Machine(name string) (machine.Machine, error) {
	h, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	return h.Machine(), nil
}

// Statuses returns every host's status, sorted by name.
func (s *Set) Statuses() []Status {
	hosts := s.Hosts()
	out := make([]Status, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, h.Status())
	}
	return out
}

// Hosts returns the hosts sorted by name.
func (s *Set) Hosts() []*Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Host, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.byName[n])
	}
	return out
}

// Len returns how many hosts the set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.names)
}

// Add puts a host into the set and, when Run is running, starts it. A
// name already in the set is a Conflict problem.
func (s *Set) Add(h *Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byName[h.Name()]; dup {
		return errDuplicateHost(h.Name())
	}
	s.byName[h.Name()] = h
	s.names = append(s.names, h.Name())
	sort.Strings(s.names)
	if s.runCtx != nil {
		s.startLocked(h)
	}
	return nil
}

// Remove takes the named host out of the set and stops it: its Run
// returns, which closes its links (and its SSH connection, with every
// console on it). It waits until the host has stopped or ctx ends.
func (s *Set) Remove(ctx context.Context, name string) (*Host, error) {
	s.mu.Lock()
	h, ok := s.byName[name]
	if !ok {
		s.mu.Unlock()
		return nil, problem.New(problem.NotFound, problem.CodeHostNotFound,
			fmt.Sprintf("no host named %q", problem.Clip(name)), "GET /api/v1/hosts lists the configured hosts")
	}
	delete(s.byName, name)
	s.names = slices.DeleteFunc(s.names, func(n string) bool { return n == name })
	r := s.running[name]
	delete(s.running, name)
	s.mu.Unlock()
	if r != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			return h, fmt.Errorf("host %q did not stop in time: %w", name, ctx.Err())
		}
	}
	return h, nil
}

// startLocked runs one host under Run's context; s.mu is held.
func (s *Set) startLocked(h *Host) {
	ctx, cancel := context.WithCancel(s.runCtx)
	r := &runningHost{cancel: cancel, done: make(chan struct{})}
	s.running[h.Name()] = r
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		defer cancel()
		h.Run(ctx)
	}()
}

// Run keeps every host connected until ctx ends, hosts added meanwhile
// too, and returns when all of them have stopped.
func (s *Set) Run(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	for _, n := range s.names {
		s.startLocked(s.byName[n])
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.runCtx = nil // no more starts: Add after this only records the host
	s.mu.Unlock()
	s.wg.Wait()
}

// Publisher is where host state changes are announced.
type Publisher interface {
	Publish(typ event.Type, data any)
}

// StatePublisher is an Observer that publishes every state change as a
// "host" event.
type StatePublisher struct {
	Publisher Publisher
}

// Connected implements Observer.
func (StatePublisher) Connected(context.Context, *Host, virt.Conn) {}

// Lifecycle implements Observer.
func (StatePublisher) Lifecycle(*Host, LifecycleEvent) {}

// StateChanged implements Observer.
func (p StatePublisher) StateChanged(_ *Host, s Status) { p.Publisher.Publish(event.TypeHost, s) }
