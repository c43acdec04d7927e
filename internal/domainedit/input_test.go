package domainedit

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

func TestKeymapAndTabletEdits(t *testing.T) {
	doc := virtfake.DomainXML(false, `<graphics type="vnc" port="-1" autoport="yes" passwd="pw"/><input type="mouse" bus="ps2"/>`)
	km, tablet, vnc, err := inputOf(doc)
	if err != nil || km != "" || tablet || !vnc {
		t.Fatalf("inputOf = %q %v %v %v", km, tablet, vnc, err)
	}
	out, changed, err := setKeymap(doc, "de")
	if err != nil || !changed || !strings.Contains(out, `keymap="de"`) || !strings.Contains(out, `passwd="pw"`) {
		t.Fatalf("setKeymap de: %v %v\n%s", changed, err, out)
	}
	if _, changed, _ := setKeymap(out, "de"); changed {
		t.Error("setting the same keymap again changed the definition")
	}
	cleared, changed, err := setKeymap(out, "")
	if err != nil || !changed || strings.Contains(cleared, "keymap") {
		t.Errorf("clearing the keymap: %v %v\n%s", changed, err, cleared)
	}
	if _, _, err := setKeymap(virtfake.DomainXML(false, ``), "de"); err == nil {
		t.Error("a keymap was set on a VM without VNC graphics")
	}
	withTablet, changed, err := addTablet(doc)
	if err != nil || !changed {
		t.Fatalf("addTablet: %v %v", changed, err)
	}
	if _, tablet, _, _ := inputOf(withTablet); !tablet {
		t.Errorf("no tablet after addTablet:\n%s", withTablet)
	}
	if _, changed, _ := addTablet(withTablet); changed {
		t.Error("a second tablet was added")
	}
}

func TestSetVNCKeymapOnFake(t *testing.T) {
	e, _ := newFakeEditor(t, virt.StateShutoff, true)
	if _, err := e.SetVNCKeymap("local", fakeVMUUID, "de"); err == nil {
		t.Error("keymap set on a VM without VNC graphics")
	}
	if _, err := e.AddVNC("local", fakeVMUUID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetVNCKeymap("local", fakeVMUUID, "klingon"); err == nil {
		t.Error("unknown keymap accepted")
	} else if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid {
		t.Errorf("unknown keymap: %v", err)
	}
	res, err := e.SetVNCKeymap("local", fakeVMUUID, "fr")
	if err != nil || !res.Changed || res.EffectiveAtNextStart {
		t.Fatalf("SetVNCKeymap = %+v, %v", res, err)
	}
	in, err := e.Input("local", fakeVMUUID)
	if err != nil || in.Keymap != "fr" || in.Tablet || !in.HasVNC || in.Running {
		t.Fatalf("Input = %+v, %v", in, err)
	}
	tab, err := e.AddTablet("local", fakeVMUUID)
	if err != nil || !tab.Changed {
		t.Fatalf("AddTablet = %+v, %v", tab, err)
	}
	if in, _ := e.Input("local", fakeVMUUID); !in.Tablet {
		t.Errorf("no tablet after AddTablet: %+v", in)
	}
}
