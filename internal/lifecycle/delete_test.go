package lifecycle

import (
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// Every check of Delete refuses before anything is removed: the VM stays
// defined, its snapshots and disks stay, and no operation starts.
func TestDeleteChecks(t *testing.T) {
	shared := "/var/lib/libvirt/images/shared.img"
	tests := []struct {
		name string
		vm   vmSpec
		req  DeleteRequest
		kind problem.Kind
		code string
	}{
		{"snapshots present", vmSpec{snapshots: 2}, DeleteRequest{}, problem.Conflict, "vm_has_snapshots"},
		{"unknown snapshots choice", vmSpec{}, DeleteRequest{Snapshots: "keep"}, problem.Invalid, "invalid_snapshots_choice"},
		{"running without force", vmSpec{state: virt.StateRunning}, DeleteRequest{}, problem.Conflict, "vm_running"},
		{"paused without force", vmSpec{state: virt.StatePaused}, DeleteRequest{}, problem.Conflict, "vm_running"},
		{"unknown disk", vmSpec{disks: []string{diskXML("file", "vda", "/img/a.img")}}, DeleteRequest{Disks: []string{"vdb"}}, problem.Invalid, "unknown_disk"},
		{"disk listed twice", vmSpec{disks: []string{diskXML("file", "vda", "/img/a.img")}}, DeleteRequest{Disks: []string{"vda", "vda"}}, problem.Invalid, "duplicate_disk"},
		{"block disk", vmSpec{disks: []string{diskXML("block", "vda", "/dev/vg/a")}}, DeleteRequest{Disks: []string{"vda"}}, problem.Unsupported, "disk_not_removable"},
		{"disk used by another VM", vmSpec{disks: []string{diskXML("file", "vda", shared)}}, DeleteRequest{Disks: []string{"vda"}}, problem.Conflict, "disk_in_use"},
		{"disk of a remote host", vmSpec{host: remote, disks: []string{diskXML("file", "vda", "/img/a.img")}}, DeleteRequest{Disks: []string{"vda"}}, problem.Unsupported, "remote_disk_removal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			spec := tt.vm
			spec.n, spec.name = 1, "web"
			vm := r.add(spec)
			// Another VM on the same host shares one image.
			r.add(vmSpec{n: 2, name: "other", host: spec.host, disks: []string{diskXML("file", "vda", shared)}})
			op, err := r.svc.Delete(vm.Host, vm.UUID, tt.req)
			wantProblem(t, err, tt.kind, tt.code)
			if op.ID != "" || len(r.ops.List()) != 0 {
				t.Errorf("an operation started: %+v", r.ops.List())
			}
			for _, c := range r.conn.Calls() {
				switch c {
				case "Destroy web", "Undefine web", "DeleteSnapshot web", "DeleteVolume":
					t.Errorf("refused, yet libvirt was asked to %s", c)
				}
			}
			for _, m := range []*machinefake.Machine{r.mach, r.remoteMach} {
				for _, c := range m.Calls() {
					if !strings.HasPrefix(c, "Check ") {
						t.Errorf("refused, yet the host's computer was asked to %s", c)
					}
				}
			}
			if d, ok := r.fakeDomain(1); !ok || d.Snapshots != spec.snapshots {
				t.Errorf("domain = %+v (exists %v), want it unchanged", d, ok)
			}
			// The refusal released the VM: other work may claim it.
			c, err := r.ops.Claim(operation.Target{Host: vm.Host, UUID: vm.UUID}, "test", "")
			if err != nil {
				t.Fatalf("VM still held after a refused delete: %v", err)
			}
			c.Release()
		})
	}
}

// A delete is refused while other work holds the VM (a snapshot, say), and
// goes ahead once it is released.
func TestDeleteRefusedWhileHeld(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web"})
	claim, err := r.ops.Claim(operation.Target{Host: local, UUID: vm.UUID, Name: vm.Name}, "snapshot-create", "before-upgrade")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.Delete(local, vm.UUID, DeleteRequest{})
	wantProblem(t, err, problem.Conflict, "snapshot_busy")
	if r.conn.Called("Undefine web") {
		t.Error("libvirt was asked to undefine a held VM")
	}
	if _, ok := r.fakeDomain(1); !ok {
		t.Fatal("the held VM was deleted")
	}
	claim.Release()
	op, err := r.svc.Delete(local, vm.UUID, DeleteRequest{})
	if err != nil {
		t.Fatalf("Delete after release = %v", err)
	}
	if op = r.wait(op); op.State != operation.Succeeded {
		t.Fatalf("operation = %+v, want succeeded", op)
	}
}

// A delete is refused while another delete holds the VM, naming it.
func TestDeleteRefusedDuringDelete(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web"})
	claim, err := r.ops.Claim(operation.Target{Host: local, UUID: vm.UUID}, "vm-delete", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.svc.Delete(local, vm.UUID, DeleteRequest{})
	wantProblem(t, err, problem.Conflict, "vm_busy")
	claim.Release()
}

// A full delete: a running VM with snapshots is forced off, its snapshots
// are deleted, it is undefined, the named disks are removed (through the
// pool when one holds the file, else from the host's file system) and the
// others are kept; the VM leaves the inventory and the hold is released.
func TestDeleteRemovesWhatIsNamed(t *testing.T) {
	r := newRig(t)
	pooled := "/var/lib/libvirt/images/web-root.qcow2"
	loose := "/srv/images/web-data.img"
	kept := "/srv/images/web-keep.img"
	r.mach.AddFile(loose, 4)
	r.mach.AddFile(kept, 4)
	r.conn.AddVolume(pooled)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StateRunning, snapshots: 3, disks: []string{
		diskXML("file", "vda", pooled), diskXML("file", "vdb", loose), diskXML("file", "vdc", kept),
	}})
	op, err := r.svc.Delete(local, vm.UUID, DeleteRequest{Snapshots: "delete", Force: true, Disks: []string{"vda", "vdb"}})
	if err != nil {
		t.Fatal(err)
	}
	op = r.wait(op)
	if op.State != operation.Succeeded {
		t.Fatalf("operation = %+v, want succeeded", op)
	}
	res, ok := op.Result.(DeleteResult)
	if !ok {
		t.Fatalf("result = %#v, want a DeleteResult", op.Result)
	}
	want := DeleteResult{Name: "web", SnapshotsDeleted: 3, RemovedDisks: []string{pooled, loose}, KeptDisks: []string{kept}}
	if res.Name != want.Name || res.SnapshotsDeleted != want.SnapshotsDeleted ||
		!slices.Equal(res.RemovedDisks, want.RemovedDisks) || !slices.Equal(res.KeptDisks, want.KeptDisks) {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if _, ok := r.fakeDomain(1); ok {
		t.Error("the domain is still defined")
	}
	if r.conn.HasVolume(pooled) {
		t.Error("the pooled image was not deleted through its pool")
	}
	if r.mach.Called("RemoveFile " + pooled) {
		t.Error("the pooled image was removed behind its pool's back")
	}
	if r.mach.HasFile(loose) {
		t.Error("the loose image is still there")
	}
	if !r.mach.HasFile(kept) || r.mach.Called("RemoveFile "+kept) {
		t.Error("the kept image was touched")
	}
	if _, err := r.inv.Get(local, vm.UUID); problem.KindOf(err) != problem.NotFound {
		t.Errorf("inventory still has the VM (%v)", err)
	}
	calls := r.conn.Calls()
	if d, u := slices.Index(calls, "Destroy web"), slices.Index(calls, "Undefine web"); d < 0 || u < d {
		t.Errorf("want a force off before undefine; calls %v", calls)
	}
	if r.ops.Holding(operation.Target{Host: local, UUID: vm.UUID}) != nil {
		t.Error("the VM is still held after its delete ended")
	}
}

// An image file that is already gone counts as removed: the user wanted it
// gone, and it is.
func TestDeleteOfMissingImage(t *testing.T) {
	r := newRig(t)
	gone := "/srv/images/gone.img"
	vm := r.add(vmSpec{n: 1, name: "web", disks: []string{diskXML("file", "vda", gone)}})
	op, err := r.svc.Delete(local, vm.UUID, DeleteRequest{Disks: []string{"vda"}})
	if err != nil {
		t.Fatal(err)
	}
	op = r.wait(op)
	if res, _ := op.Result.(DeleteResult); op.State != operation.Succeeded || !slices.Equal(res.RemovedDisks, []string{gone}) {
		t.Fatalf("operation = %+v, want succeeded with %s removed", op, gone)
	}
}

// A host whose computer is out of reach (TLS) refuses only what needs it:
// a delete that keeps the disks goes ahead, through libvirt alone.
func TestDeleteOnUnsupportedMachineKeepingDisks(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", host: remote, disks: []string{diskXML("file", "vda", "/img/a.img")}})
	op, err := r.svc.Delete(remote, vm.UUID, DeleteRequest{})
	if err != nil {
		t.Fatal(err)
	}
	op = r.wait(op)
	if res, _ := op.Result.(DeleteResult); op.State != operation.Succeeded || !slices.Equal(res.KeptDisks, []string{"/img/a.img"}) {
		t.Fatalf("operation = %+v, want succeeded with the disk kept", op)
	}
	if _, ok := r.fakeDomain(1); ok {
		t.Error("the domain is still defined")
	}
	if calls := r.remoteMach.Calls(); len(calls) != 0 {
		t.Errorf("the remote computer was asked to %v", calls)
	}
}

// An image that cannot be removed fails the operation with a problem that
// says the VM itself is gone, and the result lists the image as kept.
func TestDeleteReportsDiskRemovalFailure(t *testing.T) {
	r := newRig(t)
	stuck := "/srv/images/stuck"
	r.mach.AddFile(stuck, 4)
	r.mach.FailRemove(stuck, &fs.PathError{Op: "remove", Path: stuck, Err: syscall.ENOTEMPTY})
	vm := r.add(vmSpec{n: 1, name: "web", disks: []string{diskXML("file", "vda", stuck)}})
	op, err := r.svc.Delete(local, vm.UUID, DeleteRequest{Disks: []string{"vda"}})
	if err != nil {
		t.Fatal(err)
	}
	op = r.wait(op)
	if op.State != operation.Failed || op.Error == nil || op.Error.Code != "disk_removal_failed" {
		t.Fatalf("operation = %+v, want failed with disk_removal_failed", op)
	}
	if res, _ := op.Result.(DeleteResult); !slices.Equal(res.KeptDisks, []string{stuck}) || len(res.RemovedDisks) != 0 {
		t.Errorf("result = %+v, want the image kept", op.Result)
	}
	if _, ok := r.fakeDomain(1); ok {
		t.Error("the domain is still defined")
	}
}

// A VM undefined behind the inventory's back is refused as not found at
// the checks (they count its snapshots live), and one that vanishes after
// them fails the operation the same way.
func TestDeleteOfVanishedVM(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web"})
	r.add(vmSpec{n: 2, name: "gone"})
	r.conn.Remove(mustUUID(t, testUUID(2)))
	_, err := r.svc.Delete(local, testUUID(2), DeleteRequest{})
	wantProblem(t, err, problem.NotFound, "vm_not_found")

	r.conn.Fail("LookupDomain", virtfake.NoDomain("web"))
	op, err := r.svc.Delete(local, vm.UUID, DeleteRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if op = r.wait(op); op.State != operation.Failed || op.Error == nil || op.Error.Code != "vm_not_found" {
		t.Fatalf("operation = %+v, want failed with vm_not_found", op)
	}
	if r.conn.Called("Undefine web") {
		t.Error("libvirt was asked to undefine a VM it could not find")
	}
}
