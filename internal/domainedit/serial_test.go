package domainedit

import (
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func serialDomain(t *testing.T, devices string) *libvirtxml.Domain {
	t.Helper()
	var d libvirtxml.Domain
	doc := "<domain type='qemu'><name>x</name><memory>65536</memory><os><type>hvm</type></os><devices>" + devices + "</devices></domain>"
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestAddSerialConsole(t *testing.T) {
	const (
		ptySerial  = "<serial type='pty'><target port='0'/></serial>"
		fileSerial = "<serial type='file'><source path='/tmp/x.log'/><target port='0'/></serial>"
		ptyConsole = "<console type='pty'><target type='serial' port='0'/></console>"
		fileCons   = "<console type='file'><source path='/tmp/x.log'/><target type='serial' port='0'/></console>"
	)
	for _, tc := range []struct {
		name     string
		devices  string
		wantCode string // "" = added
	}{
		{name: "no devices", devices: ""},
		{name: "a disk only", devices: "<disk type='file' device='disk'><source file='/x.qcow2'/><target dev='vda' bus='virtio'/></disk>"},
		{name: "pty serial and console", devices: ptySerial + ptyConsole, wantCode: "serial_console_exists"},
		{name: "pty serial alone", devices: ptySerial, wantCode: "serial_console_exists"},
		{name: "pty console alone", devices: ptyConsole, wantCode: "serial_console_exists"},
		{name: "file serial", devices: fileSerial, wantCode: "serial_port_in_use"},
		{name: "file serial with its console", devices: fileSerial + fileCons, wantCode: "serial_port_in_use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := serialDomain(t, tc.devices)
			before, _ := d.Marshal()
			err := addSerialConsole(d)
			if tc.wantCode != "" {
				p, ok := problem.As(err)
				if !ok || p.Code != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				if after, _ := d.Marshal(); after != before {
					t.Fatalf("a refused add changed the definition:\n%s", after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !HasSerialConsole(d) {
				t.Fatal("no console after adding one")
			}
			doc, err := d.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`<serial type="pty">`, `<target port="0">`, `<console type="pty">`, `<target type="serial" port="0">`} {
				if !strings.Contains(doc, want) {
					t.Errorf("definition lacks %s:\n%s", want, doc)
				}
			}
			if err := addSerialConsole(d); !errors.Is(err, errConsoleExists) {
				t.Fatalf("second add: %v, want serial_console_exists", err)
			}
		})
	}
}
