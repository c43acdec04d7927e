package operation

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestClaim(t *testing.T) {
	m := New(Options{})
	vm1 := Target{Host: "h", UUID: "U1", Name: "vm1"}
	c, err := m.Claim(vm1, "snapshot-create", "s1")
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	op, err := c.Start("snapshot-create", false, func(ctx context.Context, r Reporter) error {
		<-gate
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same VM, named by its UUID in another case, is busy.
	_, err = m.Claim(Target{Host: "h", UUID: "u1", Name: "vm1"}, "snapshot-revert", "s0")
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Conflict || p.Code != "snapshot_busy" {
		t.Fatalf("second claim = %v, want a snapshot_busy conflict", err)
	}
	if !strings.Contains(p.Message, `snapshot-create of "s1"`) || !strings.Contains(p.Hint, op.ID) {
		t.Fatalf("refusal does not name the running work: %q / %q", p.Message, p.Hint)
	}
	// Another VM, or the same UUID on another host, is free.
	c2, err := m.Claim(Target{Host: "h", UUID: "u2"}, "vm-delete", "")
	if err != nil {
		t.Fatal(err)
	}
	c2.Release()
	c3, err := m.Claim(Target{Host: "other", UUID: "u1"}, "vm-delete", "")
	if err != nil {
		t.Fatal(err)
	}
	c3.Release()
	if h := m.Holding(vm1); h == nil || h.Operation != op.ID || h.Kind != "snapshot-create" || h.Subject != "s1" {
		t.Fatalf("Holding = %+v", h)
	}
	// The operation's end releases the VM.
	close(gate)
	if _, err := m.Wait(context.Background(), op.ID); err != nil {
		t.Fatal(err)
	}
	if h := m.Holding(vm1); h != nil {
		t.Fatalf("still held after the operation ended: %+v", h)
	}
	c.Release() // after the operation's release: harmless
	c4, err := m.Claim(vm1, "vm-delete", "")
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	c.Release() // an old claim's release must not free the new holder
	if m.Holding(vm1) == nil {
		t.Fatal("an old claim released the new one")
	}
	_, err = m.Claim(vm1, "snapshot-create", "s2")
	if p, ok := problem.As(err); !ok || p.Code != "vm_busy" {
		t.Fatalf("claim while the VM is being deleted = %v, want vm_busy", err)
	}
	c4.Release()
}

func TestClaimConcurrent(t *testing.T) {
	m := New(Options{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Claim(Target{Host: "h", UUID: "u1"}, "snapshot-create", ""); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 50 concurrent claims won, want exactly 1", wins.Load())
	}
}
