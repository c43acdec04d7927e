package event

import (
	"encoding/json"
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
		var v map[string]int
		_ = json.Unmarshal(ev.Data, &v)
		if v["n"] != want || ev.ID != uint64(i+1) {
			t.Fatalf("event %d = %+v (%s), want n=%d", i, ev, ev.Data, want)
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
