// Package event is the in-process publish/subscribe bus behind the
// /api/v1/events stream. Producers publish typed payloads; consumers inside
// the process read them as they are, and the event stream encodes each
// event's JSON once, on first use, for all its subscribers. Every subscriber
// gets every event in order, or, if it falls too far behind, is dropped so
// that the client reconnects and resynchronises instead of silently missing
// changes.
package event

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Type names a kind of event; it is the SSE "event:" field.
type Type string

// The event types carried on the bus, with the payload each carries.
const (
	TypeVM        Type = "vm"         // a VM was added or changed: inventory.VM
	TypeVMRemoved Type = "vm-removed" // a VM is gone: inventory.Removed
	TypeStats     Type = "stats"      // one stats tick of one host: inventory.HostSamples
	TypeOperation Type = "operation"  // an operation changed state or progress: operation.Op
	TypeHost      Type = "host"       // a host's connection state changed: host.Status
	TypeSnapshot  Type = "snapshot"   // a VM's snapshots changed: snapshot.Event
	TypeThumbnail Type = "thumbnail"  // a VM's console thumbnail is a new picture: screen.ThumbnailChange
	// TypeRecording: a VM's consoles started or stopped recording.
	TypeRecording Type = "recording"
	// TypeHostRemoved: a host was removed: hostadmin.Removed.
	TypeHostRemoved Type = "host-removed"
	// TypeHostKey: a host presented an SSH key that is not approved
	// (untrusted, or changed): hostadmin.KeyAlert.
	TypeHostKey Type = "host-key"
	// TypeSchedule: a snapshot policy changed, ran or was removed:
	// snapschedule.Event.
	TypeSchedule Type = "schedule"
)

// TypeResync is never published: the event stream sends it to a client it
// drops for falling behind, which then reconnects and refetches.
const TypeResync Type = "resync"

// types lists every published type, in the order the API documents them.
var types = []Type{TypeVM, TypeVMRemoved, TypeStats, TypeOperation, TypeHost, TypeSnapshot, TypeThumbnail, TypeHostRemoved, TypeHostKey, TypeSchedule}

// Types returns every type that is published on the bus.
func Types() []Type { return append([]Type(nil), types...) }

// ParseType returns the published type named s.
func ParseType(s string) (Type, bool) {
	for _, t := range types {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// TypeList names every published type for messages: "vm, vm-removed, ... or snapshot".
func TypeList() string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Event is one published message. Data is the producer's typed payload,
// shared by every subscriber: neither the bus nor a consumer may change it,
// and a producer publishes values it no longer changes.
type Event struct {
	ID   uint64
	Type Type
	Time time.Time
	Data any

	once sync.Once
	raw  []byte
}

// JSON returns Data encoded as JSON. It is encoded once, by the first
// caller, and the same bytes are returned to every later one: a thousand
// event streams cost one encoding per event, and consumers inside the
// process that never call it cost none.
func (e *Event) JSON() []byte {
	e.once.Do(func() {
		raw, err := json.Marshal(e.Data)
		if err != nil {
			// Only our own types are published; failing to encode one is a bug.
			panic("event: cannot encode " + string(e.Type) + ": " + err.Error())
		}
		e.raw = raw
	})
	return e.raw
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
	types   map[Type]bool
	once    sync.Once
	dropped bool
}

// Subscribe returns a subscription with room for buf pending events. When
// types is non-empty only those event types are delivered.
func (b *Bus) Subscribe(buf int, types ...Type) *Subscription {
	c := make(chan *Event, buf)
	s := &Subscription{C: c, c: c, bus: b}
	if len(types) > 0 {
		s.types = make(map[Type]bool, len(types))
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

// Publish delivers data to every subscriber, as it is: data must not be
// changed afterwards (JSON encodes it later, in another goroutine). It never
// blocks: a subscriber whose buffer is full is dropped.
func (b *Bus) Publish(typ Type, data any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	ev := &Event{ID: b.seq, Type: typ, Time: b.now(), Data: data}
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
