package hardware

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type fakeHosts struct{ c *virtfake.Conn }

func (h fakeHosts) Client(string) (virt.Conn, error) { return h.c, nil }

type fakeVMs struct{}

func (fakeVMs) Refresh(virt.Conn, string, string) (inventory.VM, error) { return inventory.VM{}, nil }
func (fakeVMs) List() []inventory.VM                                    { return nil }

const uuid = "3ebff392-0803-4fe8-8612-5bed46ecf81f"

func rig(t *testing.T, state virt.DomainState, doc string) (*Service, *virtfake.Conn) {
	t.Helper()
	c := virtfake.New()
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	u, _ := virtfakeUUID(uuid)
	c.Add(virtfake.Domain{Name: d.Name, UUID: u, State: state, Persistent: true, XML: doc})
	return New(Options{Hosts: fakeHosts{c}, Inventory: fakeVMs{}}), c
}

func virtfakeUUID(s string) (virt.UUID, bool) {
	var u virt.UUID
	h := strings.ReplaceAll(s, "-", "")
	for i := range u {
		var b byte
		for _, ch := range h[2*i : 2*i+2] {
			b <<= 4
			switch {
			case ch >= '0' && ch <= '9':
				b |= byte(ch - '0')
			default:
				b |= byte(ch-'a') + 10
			}
		}
		u[i] = b
	}
	return u, true
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

const twoCPUs = `<vcpu current="1">2</vcpu>`

func TestSetCPULiveAndStored(t *testing.T) {
	s, c := rig(t, virt.StateRunning, virtfake.DomainXML(true, ""))
	// The fake answers the same XML live and stored: max 1 vCPU. Asking
	// for 2 raises the maximum too: stored only, next start.
	res, err := s.SetCPU("h", uuid, CPURequest{VCPUs: 2, MaxVCPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Live || !res.EffectiveAtNextStart || !res.Config || c.Called("SetVCPUs web-1") {
		t.Errorf("beyond the running maximum: %+v, calls %v", res, c.Calls())
	}
	d, _ := c.Get(mustUUID())
	if !strings.Contains(d.XML, `<vcpu>2</vcpu>`) {
		t.Errorf("stored: %s", d.XML)
	}
	// Within the running maximum: hot-plugged.
	s, c = rig(t, virt.StateRunning, strings.Replace(virtfake.DomainXML(true, ""), "<memory>", twoCPUs+"<memory>", 1))
	res, err = s.SetCPU("h", uuid, CPURequest{VCPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Live || res.EffectiveAtNextStart || !c.Called("SetVCPUs web-1") {
		t.Errorf("within the maximum: %+v, calls %v", res, c.Calls())
	}
	if !strings.Contains(res.Changes, `-  <vcpu placement="static" current="1">2</vcpu>`) && !strings.Contains(res.Changes, "vcpu") {
		t.Errorf("changes: %q", res.Changes)
	}
}

func mustUUID() virt.UUID { u, _ := virtfakeUUID(uuid); return u }

func TestRefusalsChangeNothing(t *testing.T) {
	s, c := rig(t, virt.StateRunning, virtfake.DomainXML(true, `<interface type="network"><mac address="52:54:00:00:00:01"/><source network="default"/></interface>`))
	before := len(c.Calls())
	for name, tc := range map[string]struct {
		run  func() error
		code string
	}{
		"no vcpus":         {func() error { _, err := s.SetCPU("h", uuid, CPURequest{VCPUs: 3, MaxVCPUs: 2}); return err }, problem.CodeInvalidHardware},
		"vcpus over limit": {func() error { _, err := s.SetCPU("h", uuid, CPURequest{MaxVCPUs: 1000}); return err }, problem.CodeInvalidHardware},
		"memory too small": {func() error { _, err := s.SetMemory("h", uuid, MemoryRequest{MemoryMiB: 8}); return err }, problem.CodeInvalidHardware},
		"memory over max": {func() error {
			_, err := s.SetMemory("h", uuid, MemoryRequest{MemoryMiB: 512, MaxMemoryMiB: 256})
			return err
		}, problem.CodeInvalidHardware},
		"firmware running": {func() error { _, err := s.SetFirmware("h", uuid, FirmwareRequest{Firmware: "efi"}); return err }, problem.CodeFirmwareWhileOn},
		"bad firmware":     {func() error { _, err := s.SetFirmware("h", uuid, FirmwareRequest{Firmware: "coreboot"}); return err }, problem.CodeInvalidHardware},
		"bad mac":          {func() error { _, err := s.AddNIC("h", uuid, NICRequest{MAC: "01:00:00:00:00:01"}); return err }, problem.CodeInvalidHardware},
		"bad model":        {func() error { _, err := s.AddNIC("h", uuid, NICRequest{Model: "ne2k"}); return err }, problem.CodeInvalidHardware},
		"no such nic":      {func() error { _, err := s.RemoveNIC("h", uuid, "52:54:00:00:00:09"); return err }, problem.CodeNICNotFound},
		"no such disk":     {func() error { _, err := s.RemoveDisk("h", uuid, "vdz"); return err }, problem.CodeDiskNotFound},
		"bad boot":         {func() error { _, err := s.SetBoot("h", uuid, BootRequest{Order: []string{"hd", "hd"}}); return err }, problem.CodeInvalidHardware},
		"long password": {func() error {
			_, err := s.SetGraphics("h", uuid, GraphicsRequest{Password: ptr("123456789")})
			return err
		}, problem.CodeInvalidHardware},
		"xml rename": {func() error {
			_, err := s.SaveXML("h", uuid, XMLRequest{XML: strings.Replace(virtfake.DomainXML(false, ""), "web-1", "web-2", 1)})
			return err
		}, problem.CodeDomainXMLIdentity},
		"xml garbage": {func() error { _, err := s.SaveXML("h", uuid, XMLRequest{XML: "<domain"}); return err }, problem.CodeInvalidDomainXML},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, tc.run(), tc.code) })
	}
	for _, call := range c.Calls()[before:] {
		if strings.HasPrefix(call, "Define") || strings.HasPrefix(call, "Set") || strings.HasPrefix(call, "Attach") || strings.HasPrefix(call, "Detach") {
			t.Errorf("a refused request changed something: %s", call)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestXMLDryRunUsesACopy(t *testing.T) {
	doc := virtfake.DomainXML(false, "")
	s, c := rig(t, virt.StateShutoff, doc)
	edited := strings.Replace(doc, "<memory>65536</memory>", "<memory>131072</memory>", 1)
	res, err := s.SaveXML("h", uuid, XMLRequest{XML: edited, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Saved || !strings.Contains(res.Changes, "-") || !strings.Contains(res.Changes, "+") {
		t.Errorf("dry run: %+v", res)
	}
	// The copy was defined and undefined; the VM itself is as it was.
	if !c.Called("Undefine "+validationPrefix) && !hasPrefix(c.Calls(), "Undefine "+validationPrefix) {
		t.Errorf("no copy undefined: %v", c.Calls())
	}
	d, _ := c.Get(mustUUID())
	if d.XML != doc {
		t.Errorf("a dry run changed the VM: %s", d.XML)
	}
	doms, _ := c.ListDomains()
	if len(doms) != 1 {
		t.Errorf("a copy was left behind: %v", doms)
	}
}

func hasPrefix(calls []string, p string) bool {
	for _, c := range calls {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

func TestReplaceIdentity(t *testing.T) {
	doc := `<domain type="kvm"><metadata><x:name xmlns:x="urn:x">keep</x:name></metadata><name>web</name><uuid>u-1</uuid><devices><disk><name>no</name><unknown-element/></disk></devices></domain>`
	got, err := replaceIdentity(doc, "copy", "u-2")
	if err != nil {
		t.Fatal(err)
	}
	want := `<domain type="kvm"><metadata><x:name xmlns:x="urn:x">keep</x:name></metadata><name>copy</name><uuid>u-2</uuid><devices><disk><name>no</name><unknown-element/></disk></devices></domain>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := replaceIdentity("<domain><name>x</name></domain>", "a", "b"); err == nil {
		t.Error("no uuid: no error")
	}
}
