package snapshot

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/virt"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestInterruptedErrors(t *testing.T) {
	lost := virt.ErrInterrupted
	qemuGone := virt.Error{Code: uint32(virt.ErrInternalError), Message: "Unable to read from monitor: Connection reset by peer"}
	tests := []struct {
		name            string
		err             error
		kind            problem.Kind
		code            string
		msgHas, hintHas []string
		msgLacks        string
	}{
		{"lost, resumed", interruptedCreate("web", "s1", vmResumed, lost), problem.Unavailable, "snapshot_interrupted",
			[]string{`"s1"`, `"web"`, "was not taken", "connection to libvirtd was lost", "was resumed"}, []string{"take the snapshot again under a new name"}, ""},
		{"lost, nothing to resume", interruptedCreate("web", "s1", vmUntouched, lost), problem.Unavailable, "snapshot_interrupted",
			[]string{"was not taken", "no record"}, []string{"under a new name", "disk image"}, "resumed"},
		{"lost, resume failed", interruptedCreate("web", "s1", vmMaybePaused, lost), problem.Unavailable, "snapshot_interrupted",
			[]string{"was not taken"}, []string{"resume the VM if it is still paused", "under a new name"}, "resumed"},
		{"lost, VM stopped", interruptedCreate("web", "s1", vmStopped, lost), problem.Unavailable, "snapshot_interrupted",
			[]string{"was not taken", "shut off now"}, []string{"start the VM", "under a new name"}, "libvirtd stopped it"},
		{"lost, libvirtd stopped the VM", interruptedCreate("web", "s1", vmStoppedByDaemon, lost), problem.Unavailable, "snapshot_interrupted",
			[]string{"shut off now: libvirtd stopped it when it restarted"}, []string{"start the VM"}, "resumed"},
		{"QEMU died during a snapshot", stoppedDuring("web", `while the snapshot "s1" was being taken; the snapshot was not taken`, qemuGone), problem.Conflict, "vm_stopped",
			[]string{`VM "web" stopped while the snapshot "s1"`, "Unable to read from monitor"}, []string{"start the VM", "QEMU log"}, ""},
		{"QEMU died during a revert", stoppedDuring("web", `during the revert to "r1" and is shut off now`, qemuGone), problem.Conflict, "vm_stopped",
			[]string{`stopped during the revert to "r1"`, "shut off now"}, []string{"try again"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := problem.As(tt.err)
			if !ok || p.Kind != tt.kind || p.Code != tt.code {
				t.Fatalf("got %v, want a %v problem %q", tt.err, tt.kind, tt.code)
			}
			for _, s := range tt.msgHas {
				if !strings.Contains(p.Message, s) {
					t.Errorf("message %q lacks %q", p.Message, s)
				}
			}
			for _, s := range tt.hintHas {
				if !strings.Contains(p.Hint, s) {
					t.Errorf("hint %q lacks %q", p.Hint, s)
				}
			}
			if tt.msgLacks != "" && strings.Contains(p.Message, tt.msgLacks) {
				t.Errorf("message %q says %q", p.Message, tt.msgLacks)
			}
			// The cause stays in the chain for the log.
			if !errors.Is(tt.err, lost) && !errors.As(tt.err, new(virt.Error)) {
				t.Errorf("%v does not wrap its cause", tt.err)
			}
		})
	}
}
