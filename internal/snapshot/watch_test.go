package snapshot

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
)

// TestWatchReadsTypedVMEvents: the watcher reads the inventory's VM events
// as published (no JSON) and reports a snapshot count that changed while no
// operation of ours held the VM as an "external" change.
func TestWatchReadsTypedVMEvents(t *testing.T) {
	bus := event.New()
	s := New(Options{Bus: bus, Operations: operation.New(operation.Options{}), Logger: slog.New(slog.DiscardHandler)})
	snaps := bus.Subscribe(16, event.TypeSnapshot)
	defer snaps.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); bus.Subscribers() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not subscribe")
		}
		time.Sleep(time.Millisecond)
	}

	const uuid = "00000000-0000-4000-8000-000000000001"
	vm := inventory.VM{Host: "local", UUID: uuid, Name: "web", SnapshotCount: 1}
	bus.Publish(event.TypeVM, vm) // the first count seen is the baseline
	vm.SnapshotCount = 1
	bus.Publish(event.TypeVM, vm) // unchanged: nothing to report
	vm.SnapshotCount = 3
	bus.Publish(event.TypeVM, vm)
	ev := <-snaps.C
	got, ok := ev.Data.(Event)
	want := Event{Host: "local", UUID: uuid, VM: "web", Change: "external", Names: []string{}, Count: 3}
	if !ok || got.Host != want.Host || got.UUID != want.UUID || got.VM != want.VM || got.Change != want.Change || got.Count != want.Count || len(got.Names) != 0 {
		t.Fatalf("snapshot event = %#v, want %#v", ev.Data, want)
	}
	// A removed VM is forgotten: its next count is a new baseline.
	bus.Publish(event.TypeVMRemoved, inventory.Removed{Host: "local", UUID: uuid, Name: "web"})
	vm.SnapshotCount = 5
	bus.Publish(event.TypeVM, vm)
	vm.SnapshotCount = 6
	bus.Publish(event.TypeVM, vm)
	if ev := <-snaps.C; ev.Data.(Event).Count != 6 {
		t.Fatalf("after removal: snapshot event %#v, want count 6 (5 was a new baseline)", ev.Data)
	}
}
