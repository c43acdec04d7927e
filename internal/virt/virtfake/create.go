package virtfake

import (
	"bytes"
	"io"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// FakeDomainCapabilities is what the fake's DomainCapabilities answers:
// UEFI firmware (OVMF) and the CPU modes a KVM host offers. Tests make
// the call fail with Fail("DomainCapabilities", ...).
const FakeDomainCapabilities = `<domainCapabilities>
  <path>/usr/bin/qemu-system-x86_64</path>
  <domain>kvm</domain>
  <machine>pc-q35-7.2</machine>
  <arch>x86_64</arch>
  <os supported='yes'>
    <enum name='firmware'><value>efi</value></enum>
    <loader supported='yes'>
      <value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>
      <enum name='type'><value>rom</value><value>pflash</value></enum>
      <enum name='secure'><value>no</value><value>yes</value></enum>
    </loader>
  </os>
  <devices>
    <tpm supported='yes'>
      <enum name='model'><value>tpm-tis</value><value>tpm-crb</value></enum>
      <enum name='backendModel'><value>passthrough</value><value>emulator</value></enum>
    </tpm>
  </devices>
  <cpu>
    <mode name='host-passthrough' supported='yes'/>
    <mode name='host-model' supported='yes'/>
    <mode name='custom' supported='yes'>
      <model usable='yes'>qemu64</model>
      <model usable='yes'>Skylake-Client</model>
    </mode>
  </cpu>
</domainCapabilities>`

// DomainCapabilities implements virt.Conn.
func (c *Conn) DomainCapabilities(virtType string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("DomainCapabilities", nil); err != nil {
		return "", err
	}
	return FakeDomainCapabilities, nil
}

// DownloadVolumeRange implements the range download links offer.
func (l *link) DownloadVolumeRange(ref virt.StorageVol, offset, length uint64, w io.Writer) error {
	var all bytes.Buffer
	if err := l.DownloadVolume(ref, &all); err != nil {
		return err
	}
	b := all.Bytes()
	if offset > uint64(len(b)) {
		offset = uint64(len(b))
	}
	end := min(offset+length, uint64(len(b)))
	_, err := w.Write(b[offset:end])
	return err
}
