package host

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Set is the fixed collection of configured hosts, looked up by name.
type Set struct {
	byName map[string]*Host
	names  []string
}

// NewSet returns a set of the given hosts; names must be unique.
func NewSet(hosts ...*Host) (*Set, error) {
	s := &Set{byName: make(map[string]*Host, len(hosts))}
	for _, h := range hosts {
		if _, dup := s.byName[h.Name()]; dup {
			return nil, problem.New(problem.Invalid, problem.CodeDuplicateHost,
				fmt.Sprintf("host %q is configured twice", h.Name()), "give each host its own name")
		}
		s.byName[h.Name()] = h
		s.names = append(s.names, h.Name())
	}
	sort.Strings(s.names)
	return s, nil
}

// Get returns the named host or a NotFound problem.
func (s *Set) Get(name string) (*Host, error) {
	h, ok := s.byName[name]
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
	out := make([]Status, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.byName[n].Status())
	}
	return out
}

// Hosts returns the hosts sorted by name.
func (s *Set) Hosts() []*Host {
	out := make([]*Host, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.byName[n])
	}
	return out
}

// Run keeps every host connected until ctx ends.
func (s *Set) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range s.byName {
		wg.Add(1)
		go func() { defer wg.Done(); h.Run(ctx) }()
	}
	wg.Wait()
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
