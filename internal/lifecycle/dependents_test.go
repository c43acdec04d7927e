package lifecycle

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// volumeDiskXML is a <disk type='volume'> element (how package vmcreate
// defines the disks of new VMs and clones).
func volumeDiskXML(target, pool, vol string) string {
	return `<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='` + pool + `' volume='` + vol +
		`'/><target dev='` + target + `' bus='virtio'/></disk>`
}

// A template with a linked clone (its disk an overlay on the template's)
// and a clone of that clone (an overlay on the overlay): deleting an
// image that other VMs' disks back onto is refused naming them, and
// nothing is removed; the VMs themselves, or an image nothing backs onto,
// can go.
func TestDeleteRefusesImagesOthersBackOnto(t *testing.T) {
	r := newRig(t)
	const dir = "/var/lib/libvirt/images"
	r.conn.AddPool(virtfake.Pool{Name: "images", Type: "dir", Path: dir, Active: true},
		virtfake.Volume{Name: "tmpl.qcow2", Format: "qcow2"},
		virtfake.Volume{Name: "clone-a.qcow2", Format: "qcow2", Backing: dir + "/tmpl.qcow2"},
		virtfake.Volume{Name: "clone-b.qcow2", Format: "qcow2", Backing: dir + "/clone-a.qcow2"},
		virtfake.Volume{Name: "alone.qcow2", Format: "qcow2"},
	)
	tmpl := r.add(vmSpec{n: 1, name: "tmpl", disks: []string{diskXML("file", "vda", dir+"/tmpl.qcow2"), diskXML("file", "vdb", dir+"/alone.qcow2")}})
	cloneA := r.add(vmSpec{n: 2, name: "clone-a", disks: []string{diskXML("file", "vda", dir+"/clone-a.qcow2")}})
	cloneB := r.add(vmSpec{n: 3, name: "clone-b", disks: []string{volumeDiskXML("vda", "images", "clone-b.qcow2")}})

	for _, c := range []struct {
		name  string
		uuid  string
		disks []string
		names []string
	}{
		{"the template's image", tmpl.UUID, []string{"vdb", "vda"}, []string{`"clone-a"`, `"clone-b"`, dir + "/tmpl.qcow2"}},
		{"a clone's image another clone backs onto", cloneA.UUID, []string{"vda"}, []string{`"clone-b"`, "clone-a.qcow2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(r.conn.Calls())
			op, err := r.svc.Delete(local, c.uuid, DeleteRequest{Disks: c.disks})
			wantProblem(t, err, problem.Conflict, problem.CodeDiskHasDependents)
			p, _ := problem.As(err)
			for _, n := range c.names {
				if !strings.Contains(p.Message, n) {
					t.Errorf("the refusal does not name %s: %q", n, p.Message)
				}
			}
			if !strings.Contains(p.Hint, "untick") {
				t.Errorf("hint: %q", p.Hint)
			}
			if op.ID != "" {
				t.Errorf("an operation started: %+v", op)
			}
			for _, call := range r.conn.Calls()[before:] {
				if strings.HasPrefix(call, "Undefine") || strings.HasPrefix(call, "DeleteVolume") || strings.HasPrefix(call, "Destroy") {
					t.Errorf("refused, yet libvirt was asked to %s", call)
				}
			}
			if r.ops.Holding(operation.Target{Host: local, UUID: c.uuid}) != nil {
				t.Error("the VM is still held after the refusal")
			}
		})
	}
	// The last clone goes (its volume disk stays: volume disks are not
	// removed here); then nothing backs onto the first clone's image, and
	// it goes with its VM.
	op, err := r.svc.Delete(local, cloneB.UUID, DeleteRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if op = r.wait(op); op.State != operation.Succeeded {
		t.Fatalf("deleting the last clone: %+v", op)
	}
	op, err = r.svc.Delete(local, cloneA.UUID, DeleteRequest{Disks: []string{"vda"}})
	if err != nil {
		t.Fatal(err)
	}
	if op = r.wait(op); op.State != operation.Succeeded || r.conn.HasVolume(dir+"/clone-a.qcow2") {
		t.Fatalf("deleting the first clone with its image: %+v", op)
	}
	// The template without its images: nothing breaks.
	op, err = r.svc.Delete(local, tmpl.UUID, DeleteRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if op = r.wait(op); op.State != operation.Succeeded || !r.conn.HasVolume(dir+"/tmpl.qcow2") {
		t.Fatalf("deleting the template, keeping its images: %+v", op)
	}
}
