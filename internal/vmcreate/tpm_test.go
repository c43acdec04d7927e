package vmcreate

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// Windows 11 needs UEFI with Secure Boot and a TPM 2.0: all three are in
// its dry-run XML without asking, so that it is creatable as it is.
func TestPreviewWindows11TPMAndSecureBoot(t *testing.T) {
	s, _, _ := rig(t)
	req := isoReq("win")
	req.OS = "win11"
	req.Disk.Size = "20GiB"
	pv, d := preview(t, s, req)
	if d.OS.Firmware != "efi" || d.Features.SMM == nil || d.Features.SMM.State != "on" {
		t.Errorf("want UEFI with SMM: %+v %+v", d.OS, d.Features)
	}
	secure := false
	for _, f := range d.OS.FirmwareInfo.Features {
		secure = secure || f.Name == "secure-boot" && f.Enabled == "yes"
	}
	if !secure {
		t.Errorf("no Secure Boot: %+v", d.OS.FirmwareInfo)
	}
	if len(d.Devices.TPMs) != 1 || d.Devices.TPMs[0].Model != "tpm-crb" || d.Devices.TPMs[0].Backend.Emulator == nil ||
		d.Devices.TPMs[0].Backend.Emulator.Version != "2.0" {
		t.Fatalf("TPM: %+v", d.Devices.TPMs)
	}
	if !strings.Contains(pv.XML, `<tpm model="tpm-crb">`) || !strings.Contains(pv.XML, `<backend type="emulator" version="2.0">`) {
		t.Errorf("XML lacks the TPM:\n%s", pv.XML)
	}

	// Asked off, both stay off; another OS gets a TPM only when asked.
	off := false
	req.TPM, req.SecureBoot = &off, &off
	_, d = preview(t, s, req)
	if len(d.Devices.TPMs) != 0 || d.Features.SMM != nil {
		t.Errorf("TPM or SMM though asked off: %+v %+v", d.Devices.TPMs, d.Features.SMM)
	}
	on := true
	other := isoReq("other")
	_, d = preview(t, s, other)
	if len(d.Devices.TPMs) != 0 {
		t.Errorf("a TPM nobody asked for: %+v", d.Devices.TPMs)
	}
	other.TPM = &on
	_, d = preview(t, s, other)
	if len(d.Devices.TPMs) != 1 {
		t.Errorf("no TPM though asked: %+v", d.Devices.TPMs)
	}
}

// A host without swtpm cannot give a TPM: refused before anything is made.
func TestTPMUnavailable(t *testing.T) {
	s, c, _ := rig(t)
	noTPM := strings.Replace(virtfake.FakeDomainCapabilities, "<value>emulator</value>", "", 1)
	s.opts.Hosts = capsHosts{fakeHosts{c}, noTPM}
	req := isoReq("win")
	req.OS, req.Disk.Size, req.DryRun = "win11", "20GiB", true
	_, _, err := s.Create("h", req, nil)
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeTPMUnavailable || !strings.Contains(p.Hint, "swtpm") {
		t.Fatalf("want tpm_unavailable naming swtpm, got %v", err)
	}
}

// capsHosts answers the given domain capabilities on the fake's link.
type capsHosts struct {
	fakeHosts
	caps string
}

type capsConn struct {
	virt.Conn
	caps string
}

func (c capsConn) DomainCapabilities(string) (string, error) { return c.caps, nil }

func (h capsHosts) Client(string) (virt.Conn, error) { return capsConn{h.c, h.caps}, nil }
