package snapshot

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/operation"
)

func TestBusyOf(t *testing.T) {
	if busyOf(nil) != nil {
		t.Fatal("a free VM shows as busy")
	}
	since := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	got := busyOf(&operation.Hold{Operation: "op1", Kind: "snapshot-revert", Subject: "s1", Since: since})
	want := Busy{Operation: "op1", Kind: "revert", Snapshot: "s1", Since: since}
	if got == nil || *got != want {
		t.Fatalf("busyOf = %+v, want %+v", got, want)
	}
	if got := busyOf(&operation.Hold{Kind: "vm-delete"}); got == nil || !strings.HasPrefix(got.Kind, "vm-") {
		t.Fatalf("busyOf(vm-delete) = %+v", got)
	}
}

func TestWaitScreenshot(t *testing.T) {
	s := New(Options{ScreenshotTimeout: 5 * time.Second})
	s.waitScreenshot("h/1") // none in flight: returns at once
	done := s.screenshotStarted("h/1")
	var finished atomic.Bool
	go func() {
		time.Sleep(50 * time.Millisecond)
		finished.Store(true)
		done()
	}()
	s.waitScreenshot("h/1")
	if !finished.Load() {
		t.Fatal("waitScreenshot returned before the screenshot was done")
	}
	s.waitScreenshot("h/1")
}
