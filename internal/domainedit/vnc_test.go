package domainedit

import (
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

func TestAddVNC(t *testing.T) {
	spice := `<graphics type="spice" port="-1" autoport="yes" passwd="spicepw"/><video><model type="qxl"/></video>`
	out, changed, err := addVNC(virtfake.DomainXML(false, spice))
	if err != nil || !changed {
		t.Fatalf("addVNC = %v, %v", changed, err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	var vnc *libvirtxml.DomainGraphicVNC
	spiceKept := false
	for _, g := range d.Devices.Graphics {
		if g.VNC != nil {
			vnc = g.VNC
		}
		if g.Spice != nil && g.Spice.Passwd == "spicepw" {
			spiceKept = true
		}
	}
	if vnc == nil || vnc.AutoPort != "yes" || len(vnc.Listeners) != 1 || vnc.Listeners[0].Address == nil || vnc.Listeners[0].Address.Address != "127.0.0.1" {
		t.Fatalf("VNC graphics = %+v", vnc)
	}
	if !spiceKept || len(d.Devices.Videos) != 1 || d.Name != "web-1" {
		t.Errorf("the rest of the definition changed:\n%s", out)
	}
	// A second call changes nothing.
	again, changed, err := addVNC(out)
	if err != nil || changed || again != out {
		t.Errorf("second addVNC: changed=%v err=%v", changed, err)
	}
	if _, _, err := addVNC("<domain"); err == nil {
		t.Error("broken XML accepted")
	}
}
