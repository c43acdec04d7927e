// Package event is the in-process publish/subscribe bus behind the
// /api/v1/events stream. Producers publish typed events; every subscriber gets
// every event in order, or, if it falls too far behind, is dropped so that the
// client reconnects and resynchronises instead of silently missing changes.
package event

import (
	"encoding/json"
	"sync"
	"time"
)

// The event types carried on the bus.
const (
	TypeVM        = "vm"         // a VM was added or changed; Data is the VM
	TypeVMRemoved = "vm-removed" // a VM is gone; Data is {"host","uuid","name"}
	TypeStats     = "stats"      // one stats tick of one host
	TypeOperation = "operation"  // an operation changed state or progress
	TypeHost      = "host"       // a host's connection state changed
	TypeSnapshot  = "snapshot"   // a VM's snapshots changed
)

// Event is one published message. Data is encoded once at publish time so
// that fanning out to many subscribers costs no extra encoding.
type Event struct {
	ID   uint64
	Type string
	Time time.Time
	Data json.RawMessage
}

// Bus fans events out to subscribers. The zero value is not usable; call New.
type Bus struct {
	mu   sync.Mutex
	seq  uint64
	subs map[*Subscription]struct{}
	now  func() time.Time
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: make(map[*Subscription]struct{}), now: time.Now}
}

// Subscription receives events on C until it is closed, either by Close or
// because it fell more than its buffer behind (Dropped then reports true).
// Events are shared by every subscriber and must not be changed: the
// channels carry pointers so that a subscriber's buffer costs 8 bytes per
// slot (8 KiB for the event stream's 1024) instead of a copy of each event.
type Subscription struct {
	C       <-chan *Event
	c       chan *Event
	bus     *Bus
	types   map[string]bool
	once    sync.Once
	dropped bool
}

// Subscribe returns a subscription with room for buf pending events. When
// types is non-empty only those event types are delivered.
func (b *Bus) Subscribe(buf int, types ...string) *Subscription {
	c := make(chan *Event, buf)
	s := &Subscription{C: c, c: c, bus: b}
	if len(types) > 0 {
		s.types = make(map[string]bool, len(types))
		for _, t := range types {
			s.types[t] = true
		}
	}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close ends the subscription and closes C. It is safe to call twice.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	s.closeLocked()
	s.bus.mu.Unlock()
}

func (s *Subscription) closeLocked() {
	s.once.Do(func() {
		delete(s.bus.subs, s)
		close(s.c)
	})
}

// Dropped reports whether the bus closed the subscription because its
// consumer was too slow. Only meaningful after C is closed.
func (s *Subscription) Dropped() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.dropped
}

// Publish encodes data as JSON and delivers it to every subscriber. It never
// blocks: a subscriber whose buffer is full is dropped.
func (b *Bus) Publish(typ string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		// Only our own types are published; failing to encode one is a bug.
		panic("event: cannot encode " + typ + ": " + err.Error())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	ev := &Event{ID: b.seq, Type: typ, Time: b.now(), Data: raw}
	for s := range b.subs {
		if s.types != nil && !s.types[typ] {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.dropped = true
			s.closeLocked()
		}
	}
}

// Subscribers returns the number of open subscriptions.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
