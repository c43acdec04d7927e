package event

import (
	"testing"
)

func TestPublishInOrderAndFilter(t *testing.T) {
	b := New()
	all := b.Subscribe(10)
	onlyHost := b.Subscribe(10, TypeHost)
	b.Publish(TypeVM, map[string]int{"n": 1})
	b.Publish(TypeHost, map[string]int{"n": 2})
	b.Publish(TypeVM, map[string]int{"n": 3})
	for i, want := range []int{1, 2, 3} {
		ev := <-all.C
		v, _ := ev.Data.(map[string]int)
		if v["n"] != want || ev.ID != uint64(i+1) {
			t.Fatalf("event %d = %+v, want n=%d", i, ev, want)
		}
	}
	if ev := <-onlyHost.C; ev.Type != TypeHost {
		t.Fatalf("filtered subscription got %s", ev.Type)
	}
	select {
	case ev := <-onlyHost.C:
		t.Fatalf("filtered subscription got an extra %s", ev.Type)
	default:
	}
}

func TestSlowSubscriberIsDroppedNotBlocking(t *testing.T) {
	b := New()
	slow := b.Subscribe(2)
	fast := b.Subscribe(100)
	for i := 0; i < 10; i++ {
		b.Publish(TypeStats, i) // must not block on the slow subscriber
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 2 || !slow.Dropped() {
		t.Fatalf("slow subscriber got %d events, dropped=%v; want 2 and dropped", n, slow.Dropped())
	}
	if len(fast.C) != 10 {
		t.Fatalf("fast subscriber has %d events, want 10", len(fast.C))
	}
	fast.Close()
	fast.Close() // twice is fine
	if b.Subscribers() != 0 {
		t.Fatalf("%d subscribers left", b.Subscribers())
	}
}

// TestJSONEncodedOnceAndShared: every subscriber of an event gets the same
// bytes, encoded by the first caller only, and consumers that read the
// typed payload never cause an encoding.
func TestJSONEncodedOnceAndShared(t *testing.T) {
	b := New()
	subs := []*Subscription{b.Subscribe(1), b.Subscribe(1), b.Subscribe(1)}
	type payload struct {
		Name string `json:"name"`
		N    int    `json:"n,omitempty"`
	}
	b.Publish(TypeVM, payload{Name: "a<b>"})
	evs := make([]*Event, len(subs))
	for i, s := range subs {
		evs[i] = <-s.C
	}
	if evs[0].raw != nil {
		t.Fatal("the event was encoded before anyone asked for its JSON")
	}
	if p, ok := evs[0].Data.(payload); !ok || p.Name != "a<b>" {
		t.Fatalf("Data = %#v, want the published payload", evs[0].Data)
	}
	outs := make(chan []byte, len(evs))
	for _, ev := range evs {
		go func() { outs <- ev.JSON() }()
	}
	first := <-outs
	if string(first) != `{"name":"a\u003cb\u003e"}` {
		t.Fatalf("JSON = %s", first)
	}
	for range len(evs) - 1 {
		if got := <-outs; &got[0] != &first[0] {
			t.Fatal("subscribers got separately encoded copies of one event")
		}
	}
}

func TestPublishingAValueThatCannotBeEncodedPanicsOnlyWhenEncoded(t *testing.T) {
	b := New()
	s := b.Subscribe(1)
	b.Publish(TypeStats, func() {}) // consumers inside the process may read it
	ev := <-s.C
	defer func() {
		if recover() == nil {
			t.Fatal("encoding a func did not panic")
		}
	}()
	ev.JSON()
}

func TestTypes(t *testing.T) {
	for _, typ := range Types() {
		if got, ok := ParseType(string(typ)); !ok || got != typ {
			t.Errorf("ParseType(%q) = %q, %v", typ, got, ok)
		}
	}
	if _, ok := ParseType(string(TypeResync)); ok {
		t.Error("resync is never published, so it cannot be subscribed to")
	}
	if got, want := TypeList(), "vm, vm-removed, stats, operation, host, snapshot, thumbnail, host-removed, host-key or schedule"; got != want {
		t.Errorf("TypeList() = %q, want %q", got, want)
	}
}
