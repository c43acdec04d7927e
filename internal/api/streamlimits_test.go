package api

import (
	"io"
	"log/slog"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestSlots(t *testing.T) {
	sl := newSlots("console", "too_many_consoles", "close some", 2, 3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	code := func(err error) string {
		p, ok := problem.As(err)
		if !ok {
			return ""
		}
		return p.Code
	}
	r1, err := sl.acquire("a", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := sl.acquire("a", "10.0.0.1")
	if _, err := sl.acquire("a", "10.0.0.2"); code(err) != "too_many_consoles" {
		t.Fatalf("third for one owner: %v", err)
	}
	if err := sl.full("a", "10.0.0.9"); err == nil {
		t.Fatal("full does not see the owner's cap")
	}
	r3, err := sl.acquire("b", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sl.acquire("c", "10.0.0.1"); code(err) != "too_many_consoles" {
		t.Fatalf("fourth from one address: %v", err)
	}
	r1()
	r1() // twice is fine: the slot is given back once
	if _, err := sl.acquire("c", "10.0.0.1"); err != nil {
		t.Fatalf("a released slot is not free again: %v", err)
	}
	r2()
	r3()
	if len(sl.owners) != 1 || len(sl.clients) != 1 {
		t.Fatalf("counts not forgotten: %v %v", sl.owners, sl.clients)
	}
}

func TestStreamLimitsDefaults(t *testing.T) {
	got := StreamLimits{ConsolesPerSession: 3}.withDefaults()
	want := defaultStreamLimits()
	want.ConsolesPerSession = 3
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
