//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// hwkDef is libvirt's definition of the VM, parsed: the stored one
// (inactive) or the running one, with secrets (VNC passwords), read on
// the test's own link.
func hwkDef(t *testing.T, l *libvirt.Libvirt, g guest, inactive bool) (libvirtxml.Domain, string) {
	t.Helper()
	flags := libvirt.DomainXMLSecure
	if inactive {
		flags |= libvirt.DomainXMLInactive
	}
	doc, err := l.DomainGetXMLDesc(g.Dom, flags)
	if err != nil {
		t.Fatalf("read %s's XML: %v", g.Name, err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatalf("parse %s's XML: %v\n%s", g.Name, err, doc)
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	return d, doc
}

// hwkErr checks a refusal: status, code, a message that says what, and a
// hint.
func hwkErr(t *testing.T, what string, st int, b []byte, status int, code, says string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, Hint string }
	}
	_ = json.Unmarshal(b, &e)
	if st != status || e.Error.Code != code || !strings.Contains(e.Error.Message, says) || e.Error.Hint == "" {
		t.Errorf("%s: %d %s, want %d %s saying %q, with a hint", what, st, b, status, code, says)
	}
}

// hwkVNC connects to QEMU's VNC server at port (RFB 3.8) and answers the
// security types it offers (1 None, 2 VNC authentication) and, when it
// offers 2 and password is not nil, whether it accepts that password.
func hwkVNC(t *testing.T, port int, password *string) (types []byte, accepted bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		t.Fatalf("dial the VNC server: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	ver := make([]byte, 12)
	if _, err := io.ReadFull(r, ver); err != nil || !strings.HasPrefix(string(ver), "RFB 003.") {
		t.Fatalf("VNC version: %q %v", ver, err)
	}
	if _, err := conn.Write([]byte("RFB 003.008\n")); err != nil {
		t.Fatal(err)
	}
	n, err := r.ReadByte()
	if err != nil || n == 0 {
		t.Fatalf("VNC security types: %d %v", n, err)
	}
	types = make([]byte, n)
	if _, err := io.ReadFull(r, types); err != nil {
		t.Fatal(err)
	}
	if password == nil || !slices.Contains(types, 2) {
		return types, false
	}
	if _, err := conn.Write([]byte{2}); err != nil {
		t.Fatal(err)
	}
	challenge := make([]byte, 16)
	if _, err := io.ReadFull(r, challenge); err != nil {
		t.Fatal(err)
	}
	resp := rfb.AuthResponse(*password, challenge)
	if _, err := conn.Write(resp[:]); err != nil {
		t.Fatal(err)
	}
	var res [4]byte
	if _, err := io.ReadFull(r, res[:]); err != nil {
		t.Fatalf("VNC security result: %v", err)
	}
	return types, res == [4]byte{}
}

// TestHardwareEditKinds makes every Hardware-tab change that the in-memory
// fake alone tested before through the real API on one test guest of its
// own, and reads what libvirt then holds: title and description, boot
// order, firmware (BIOS → UEFI with the host's OVMF, as a start shows,
// and back), the NIC's model, MAC, network or bridge and link, a disk's
// removal (its file stays), VNC graphics removed and added and their
// password set and cleared. Bad input for each is refused with a clear
// error and leaves the definition as it was. Then, with QEMU started
// (paused: the guest is not needed), the live changes: the running definition and
// QEMU's own VNC server say the password is set and cleared, the link is
// down, the title changed; the firmware is refused while it runs.
func TestHardwareEditKinds(t *testing.T) {
	start := time.Now()
	l := lv(t)
	// An isolated network of the test's own (a bridge, no addresses) and
	// a bridge with no uplink: nothing a NIC sends leaves them.
	netName := testguest.UniqueName("kmtest-hwk-")
	nw, err := l.NetworkDefineXML("<network><name>" + netName + "</name></network>")
	if err != nil {
		t.Fatalf("define network %s: %v", netName, err)
	}
	t.Cleanup(func() {
		_ = l.NetworkDestroy(nw)
		if err := l.NetworkUndefine(nw); err != nil {
			t.Errorf("undefine network %s: %v", netName, err)
		}
	})
	if err := l.NetworkCreate(nw); err != nil {
		t.Fatalf("start network %s: %v", netName, err)
	}
	deadEnd := "kmtbr" + randHex(4)
	if out, err := exec.Command("ip", "link", "add", deadEnd, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("ip link add %s: %v: %s", deadEnd, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", deadEnd).Run() })

	g := defineGuest(t, l, "kmtest-hwk-", testguest.Options{Network: netName})
	t.Cleanup(func() { _ = l.DomainDestroy(g.Dom) }) // before the guest's removal (cleanups run last first)
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil)
		return st == 200
	})
	hw := "/api/v1/hosts/local/vms/" + g.UUID + "/hardware"
	d, _ := hwkDef(t, l, g, true)
	if len(d.Devices.Interfaces) != 1 || d.Devices.Interfaces[0].MAC == nil || len(d.Devices.Graphics) != 1 {
		t.Fatalf("the test guest's definition: %+v", d.Devices)
	}
	mac := d.Devices.Interfaces[0].MAC.Address
	t.Logf("network, bridge and guest: %v", time.Since(start))

	do := func(t *testing.T, method, path string, body any) hwResult {
		t.Helper()
		var r hwResult
		if st, b := apiJSON(method, path, body, &r); st != 200 {
			t.Fatalf("%s %s: %d %s", method, path, st, b)
		}
		return r
	}
	type bad struct {
		what         string
		method, path string
		body         any
		status       int
		code, says   string
	}
	// refused sends each bad request and checks that libvirt's definition
	// (the stored one, and the running one when it runs) did not change.
	refused := func(t *testing.T, running bool, cases ...bad) {
		t.Helper()
		_, before := hwkDef(t, l, g, true)
		var liveBefore string
		if running {
			_, liveBefore = hwkDef(t, l, g, false)
		}
		for _, c := range cases {
			st, b := api(c.method, c.path, c.body)
			hwkErr(t, c.what, st, b, c.status, c.code, c.says)
		}
		if _, after := hwkDef(t, l, g, true); after != before {
			t.Errorf("refused requests changed the definition:\n%s", diffLines(before, after))
		}
		if running {
			if _, after := hwkDef(t, l, g, false); after != liveBefore {
				t.Errorf("refused requests changed the running VM:\n%s", diffLines(liveBefore, after))
			}
		}
	}

	t.Run("info", func(t *testing.T) {
		r := do(t, "PUT", hw+"/info", map[string]any{"title": "Web front end", "description": "line one\nline <two> & more"})
		d, _ := hwkDef(t, l, g, true)
		if d.Title != "Web front end" || d.Description != "line one\nline <two> & more" || r.Live || !strings.Contains(r.Changes, "+  <title>Web front end</title>") {
			t.Errorf("title and description: stored %q / %q, answer %+v", d.Title, d.Description, r)
		}
		do(t, "PUT", hw+"/info", map[string]any{"title": ""})
		if d, _ := hwkDef(t, l, g, true); d.Title != "" || d.Description != "line one\nline <two> & more" {
			t.Errorf("title cleared, description kept: %q / %q", d.Title, d.Description)
		}
		refused(t, false,
			bad{"a title with a line break", "PUT", hw + "/info", map[string]any{"title": "a\nb"}, 400, "invalid_hardware", "line break"},
			bad{"a long description", "PUT", hw + "/info", map[string]any{"description": strings.Repeat("x", 4097)}, 400, "invalid_hardware", "4096"},
			bad{"nothing to change", "PUT", hw + "/info", map[string]any{}, 400, "invalid_hardware", "changes nothing"},
		)
	})

	t.Run("boot", func(t *testing.T) {
		r := do(t, "PUT", hw+"/boot", map[string]any{"order": []string{"network", "cdrom", "hd"}})
		d, _ := hwkDef(t, l, g, true)
		var got []string
		for _, b := range d.OS.BootDevices {
			got = append(got, b.Dev)
		}
		if !slices.Equal(got, []string{"network", "cdrom", "hd"}) || !strings.Contains(r.Message, "kernel directly") {
			t.Errorf("boot order: stored %v, answer %+v", got, r)
		}
		refused(t, false,
			bad{"a device twice", "PUT", hw + "/boot", map[string]any{"order": []string{"hd", "hd"}}, 400, "invalid_hardware", "twice"},
			bad{"an unknown device", "PUT", hw + "/boot", map[string]any{"order": []string{"floppy"}}, 400, "invalid_hardware", "floppy"},
			bad{"no device", "PUT", hw + "/boot", map[string]any{"order": []string{}}, 400, "invalid_hardware", "1 to 4"},
		)
	})

	newMAC := "52:54:00:" + randHex(1) + ":" + randHex(1) + ":" + randHex(1)
	t.Run("nic", func(t *testing.T) {
		nic := func() libvirtxml.DomainInterface {
			t.Helper()
			d, _ := hwkDef(t, l, g, true)
			if len(d.Devices.Interfaces) != 1 {
				t.Fatalf("NICs: %+v", d.Devices.Interfaces)
			}
			return d.Devices.Interfaces[0]
		}
		do(t, "PUT", hw+"/nics/"+mac, map[string]any{"model": "e1000"})
		if n := nic(); n.Model == nil || n.Model.Type != "e1000" {
			t.Errorf("model: %+v", n.Model)
		}
		do(t, "PUT", hw+"/nics/"+strings.ToUpper(mac), map[string]any{"mac": newMAC})
		if n := nic(); n.MAC == nil || n.MAC.Address != newMAC {
			t.Errorf("MAC: %+v, want %s", n.MAC, newMAC)
		}
		do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"bridge": deadEnd})
		if n := nic(); n.Source == nil || n.Source.Bridge == nil || n.Source.Bridge.Bridge != deadEnd {
			t.Errorf("moved to the bridge: %+v", n.Source)
		}
		do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"network": netName, "linkUp": false})
		if n := nic(); n.Source == nil || n.Source.Network == nil || n.Source.Network.Network != netName || n.Link == nil || n.Link.State != "down" {
			t.Errorf("back on the network, link down: %+v, %+v", n.Source, n.Link)
		}
		do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"linkUp": true})
		if n := nic(); n.Link == nil || n.Link.State != "up" {
			t.Errorf("link up: %+v", n.Link)
		}
		p := hw + "/nics/" + newMAC
		refused(t, false,
			bad{"a multicast MAC", "PUT", p, map[string]any{"mac": "01:00:5e:00:00:01"}, 400, "invalid_hardware", "multicast"},
			bad{"the broadcast MAC", "PUT", p, map[string]any{"mac": "ff:ff:ff:ff:ff:ff"}, 400, "invalid_hardware", "multicast"},
			bad{"a malformed MAC", "PUT", p, map[string]any{"mac": "52:54:00:zz:00:01"}, 400, "invalid_hardware", "not a MAC"},
			bad{"a short MAC", "PUT", p, map[string]any{"mac": "52:54:00:01"}, 400, "invalid_hardware", "not a MAC"},
			bad{"an unknown network", "PUT", p, map[string]any{"network": "kmtest-no-such-net"}, 404, "network_not_found", "kmtest-no-such-net"},
			bad{"a bad bridge name", "PUT", p, map[string]any{"bridge": "br 0;"}, 400, "invalid_hardware", "bridge"},
			bad{"network and bridge", "PUT", p, map[string]any{"network": netName, "bridge": deadEnd}, 400, "invalid_hardware", "both"},
			bad{"an unknown model", "PUT", p, map[string]any{"model": "ne2k"}, 400, "invalid_hardware", "ne2k"},
			bad{"an unknown NIC", "PUT", hw + "/nics/52:54:00:ee:ee:ee", map[string]any{"linkUp": false}, 404, "nic_not_found", "52:54:00:ee:ee:ee"},
			bad{"nothing to change", "PUT", p, map[string]any{}, 400, "invalid_hardware", "changes nothing"},
		)
	})

	t.Run("disk-remove", func(t *testing.T) {
		file := testguest.DataDiskPath(guestDir, g.Name)
		refused(t, false, bad{"an unknown disk", "DELETE", hw + "/disks/vdq", nil, 404, "disk_not_found", "vdq"})
		r := do(t, "DELETE", hw+"/disks/vdb", nil)
		d, _ := hwkDef(t, l, g, true)
		if len(d.Devices.Disks) != 0 || !strings.Contains(r.Message, "stays") || !strings.Contains(r.Changes, "-      <source file='"+file+"'/>") {
			t.Errorf("disk removed: stored disks %+v, answer %+v", d.Devices.Disks, r)
		}
		if _, err := os.Stat(file); err != nil {
			t.Errorf("the removed disk's file: %v", err)
		}
		refused(t, false, bad{"the removed disk again", "DELETE", hw + "/disks/vdb", nil, 404, "disk_not_found", "vdb"})
	})

	t.Run("graphics", func(t *testing.T) {
		vnc := func() *libvirtxml.DomainGraphicVNC {
			t.Helper()
			d, _ := hwkDef(t, l, g, true)
			for _, gr := range d.Devices.Graphics {
				if gr.VNC != nil {
					return gr.VNC
				}
			}
			return nil
		}
		r := do(t, "PUT", hw+"/graphics", map[string]any{"password": "s3cret"})
		if v := vnc(); v == nil || v.Passwd != "s3cret" || strings.Contains(r.Changes, "s3cret") {
			t.Errorf("password set: stored %+v; the answer's diff must not show it: %q", v, r.Changes)
		}
		do(t, "PUT", hw+"/graphics", map[string]any{"password": ""})
		if v := vnc(); v == nil || v.Passwd != "" {
			t.Errorf("password cleared: %+v", v)
		}
		do(t, "PUT", hw+"/graphics", map[string]any{"vnc": false})
		if v := vnc(); v != nil {
			t.Errorf("VNC removed: %+v", v)
		}
		refused(t, false,
			bad{"a password without VNC", "PUT", hw + "/graphics", map[string]any{"password": "x"}, 404, "graphics_not_found", "no VNC"},
			bad{"a long password", "PUT", hw + "/graphics", map[string]any{"vnc": true, "password": "123456789"}, 400, "invalid_hardware", "8 characters"},
			bad{"a password for removed VNC", "PUT", hw + "/graphics", map[string]any{"vnc": false, "password": "x"}, 400, "invalid_hardware", "removed"},
			bad{"a control character", "PUT", hw + "/graphics", map[string]any{"vnc": true, "password": "a\nb"}, 400, "invalid_hardware", "control"},
		)
		do(t, "PUT", hw+"/graphics", map[string]any{"vnc": true})
		v := vnc()
		if v == nil || v.AutoPort != "yes" || len(v.Listeners) != 1 || v.Listeners[0].Address == nil || v.Listeners[0].Address.Address != "127.0.0.1" {
			t.Fatalf("VNC added: %+v", v)
		}
	})

	t.Logf("shut-off edits: %v", time.Since(start))
	if t.Failed() {
		return
	}

	// Running: QEMU is started paused (its vCPUs would otherwise take a
	// core on this shared machine for a boot that nothing here needs;
	// libvirt, the live definition and QEMU's VNC server answer all the
	// same), first with UEFI and a VNC password, then with BIOS and none.
	// What the guest sees of a link going down is checked inside the
	// guest by TestHardwareEdit.
	vncOf := func(t *testing.T, d libvirtxml.Domain) *libvirtxml.DomainGraphicVNC {
		t.Helper()
		for _, gr := range d.Devices.Graphics {
			if gr.VNC != nil {
				return gr.VNC
			}
		}
		t.Fatalf("no VNC graphics in %+v", d.Devices.Graphics)
		return nil
	}
	pw := func(s string) *string { return &s }
	startPaused := func() {
		t.Helper()
		t0 := time.Now()
		if _, err := l.DomainCreateWithFlags(g.Dom, uint32(libvirt.DomainStartPaused)); err != nil {
			t.Fatalf("start %s paused: %v", g.Name, err)
		}
		// The running XML changes by itself once (the inventory sets the
		// balloon's stats period after the start): wait for that before
		// comparing running definitions.
		waitFor(t, 30*time.Second, "the balloon's stats period", func() bool {
			live, _ := hwkDef(t, l, g, false)
			return live.Devices.MemBalloon != nil && live.Devices.MemBalloon.Stats != nil
		})
		t.Logf("started (paused) in %v", time.Since(t0))
	}

	t.Run("firmware-efi", func(t *testing.T) {
		r := do(t, "PUT", hw+"/firmware", map[string]any{"firmware": "efi"})
		d, _ := hwkDef(t, l, g, true)
		if d.OS.Firmware != "efi" || r.EffectiveAtNextStart {
			t.Fatalf("UEFI: stored <os firmware=%q>, answer %+v", d.OS.Firmware, r)
		}
		refused(t, false,
			bad{"Secure Boot on the pc machine", "PUT", hw + "/firmware", map[string]any{"firmware": "efi", "secureBoot": true}, 400, "invalid_hardware", "q35"},
			bad{"Secure Boot with BIOS", "PUT", hw + "/firmware", map[string]any{"firmware": "bios", "secureBoot": true}, 400, "invalid_hardware", "Secure Boot"},
			bad{"an unknown firmware", "PUT", hw + "/firmware", map[string]any{"firmware": "coreboot"}, 400, "invalid_hardware", "coreboot"},
		)
		do(t, "PUT", hw+"/graphics", map[string]any{"password": "b00t"})
	})
	if t.Failed() {
		return
	}
	startPaused()
	t.Run("live-uefi-password", func(t *testing.T) {
		// libvirt picked the firmware at the start: Debian's OVMF, whose
		// code file exists, and a variable store of the VM's own.
		live, _ := hwkDef(t, l, g, false)
		if live.OS.Loader == nil || !strings.Contains(live.OS.Loader.Path, "OVMF") || live.OS.NVRam == nil || live.OS.NVRam.NVRam == "" {
			t.Fatalf("the started UEFI VM's firmware: loader %+v, nvram %+v", live.OS.Loader, live.OS.NVRam)
		}
		if _, err := os.Stat(live.OS.Loader.Path); err != nil {
			t.Errorf("the UEFI code file: %v", err)
		}
		// Back on BIOS the variable store is no longer named by the
		// definition, so it is removed here.
		nvram := live.OS.NVRam.NVRam
		t.Cleanup(func() { _ = os.Remove(nvram) })
		refused(t, true,
			bad{"firmware while running", "PUT", hw + "/firmware", map[string]any{"firmware": "bios"}, 409, "firmware_vm_running", "shut off"},
			bad{"a long password", "PUT", hw + "/graphics", map[string]any{"password": "123456789"}, 400, "invalid_hardware", "8 characters"},
		)
		port := vncOf(t, live).Port
		if sec, ok := hwkVNC(t, port, pw("b00t")); !slices.Equal(sec, []byte{2}) || !ok {
			t.Fatalf("QEMU's VNC server started with a password: types %v, accepted %v", sec, ok)
		}
		// A new password: QEMU takes it at once.
		r := do(t, "PUT", hw+"/graphics", map[string]any{"password": "l1ve"})
		live, _ = hwkDef(t, l, g, false)
		stored, _ := hwkDef(t, l, g, true)
		if !r.Live || r.EffectiveAtNextStart || vncOf(t, live).Passwd != "l1ve" || vncOf(t, stored).Passwd != "l1ve" {
			t.Errorf("live password: answer %+v, running %q, stored %q", r, vncOf(t, live).Passwd, vncOf(t, stored).Passwd)
		}
		if _, ok := hwkVNC(t, port, pw("l1ve")); !ok {
			t.Error("QEMU's VNC server refused the new password")
		}
		if _, ok := hwkVNC(t, port, pw("b00t")); ok {
			t.Error("QEMU's VNC server still accepts the old password")
		}
		// Cleared: QEMU cannot stop asking for one; the running server
		// keeps the password (so the console goes on working) until the
		// next start, and the answer says so.
		r = do(t, "PUT", hw+"/graphics", map[string]any{"password": ""})
		live, _ = hwkDef(t, l, g, false)
		stored, _ = hwkDef(t, l, g, true)
		if r.Live || !r.EffectiveAtNextStart || !strings.Contains(r.Message, "keeps asking") || vncOf(t, live).Passwd != "l1ve" || vncOf(t, stored).Passwd != "" {
			t.Errorf("password cleared while running: answer %+v, running %q, stored %q", r, vncOf(t, live).Passwd, vncOf(t, stored).Passwd)
		}
		if _, ok := hwkVNC(t, port, pw("l1ve")); !ok {
			t.Error("after clearing for the next start, the running VNC server no longer takes its password")
		}
	})
	if err := l.DomainDestroy(g.Dom); err != nil {
		t.Fatalf("destroy %s: %v", g.Name, err)
	}
	t.Run("firmware-bios", func(t *testing.T) {
		do(t, "PUT", hw+"/firmware", map[string]any{"firmware": "bios"})
		if d, _ := hwkDef(t, l, g, true); d.OS.Firmware != "" || d.OS.Loader != nil || d.OS.NVRam != nil {
			t.Errorf("BIOS: stored firmware %q, loader %+v, nvram %+v", d.OS.Firmware, d.OS.Loader, d.OS.NVRam)
		}
	})
	if t.Failed() {
		return
	}
	startPaused()
	t.Run("live", func(t *testing.T) {
		live, _ := hwkDef(t, l, g, false)
		if live.OS.Loader != nil {
			t.Errorf("started on BIOS with a loader: %+v", live.OS.Loader)
		}
		refused(t, true,
			bad{"a multicast MAC", "PUT", hw + "/nics/" + newMAC, map[string]any{"mac": "03:00:00:00:00:01"}, 400, "invalid_hardware", "multicast"},
			bad{"an unknown network", "PUT", hw + "/nics/" + newMAC, map[string]any{"network": "kmtest-no-such-net"}, 404, "network_not_found", "kmtest-no-such-net"},
		)
		// Started without a password, QEMU's VNC server cannot start
		// asking for one (libvirt's own attempt fails: "Could not set
		// password"): a new one waits for the next start.
		port := vncOf(t, live).Port
		r := do(t, "PUT", hw+"/graphics", map[string]any{"password": "n3xt"})
		stored, _ := hwkDef(t, l, g, true)
		if r.Live || !r.EffectiveAtNextStart || !strings.Contains(r.Message, "without a password") || vncOf(t, stored).Passwd != "n3xt" {
			t.Errorf("a password for a VNC server started without: answer %+v, stored %+v", r, vncOf(t, stored))
		}
		if sec, _ := hwkVNC(t, port, nil); !slices.Equal(sec, []byte{1}) {
			t.Errorf("QEMU's VNC server: security types %v, want [1] (None) until the next start", sec)
		}
		// Removing VNC from a running VM waits for its next start.
		r = do(t, "PUT", hw+"/graphics", map[string]any{"vnc": false})
		live, _ = hwkDef(t, l, g, false)
		stored, _ = hwkDef(t, l, g, true)
		if !r.EffectiveAtNextStart || len(live.Devices.Graphics) != 1 || len(stored.Devices.Graphics) != 0 {
			t.Errorf("VNC removed while running: answer %+v, running %d, stored %d graphics", r, len(live.Devices.Graphics), len(stored.Devices.Graphics))
		}

		r = do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"linkUp": false})
		if st := virsh(t, "domif-getlink", g.Name, newMAC); !r.Live || !strings.Contains(st, "down") {
			t.Errorf("link down while running: answer %+v, libvirt %q", r, st)
		}
		do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"linkUp": true})
		if st := virsh(t, "domif-getlink", g.Name, newMAC); !strings.Contains(st, "up") {
			t.Errorf("link up while running: libvirt %q", st)
		}
		// A move to another network or bridge: where libvirt can, on the
		// running VM; the answer says which, and libvirt agrees.
		r = do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"bridge": deadEnd})
		live, _ = hwkDef(t, l, g, false)
		onBridge := len(live.Devices.Interfaces) == 1 && live.Devices.Interfaces[0].Source != nil && live.Devices.Interfaces[0].Source.Bridge != nil &&
			live.Devices.Interfaces[0].Source.Bridge.Bridge == deadEnd
		if r.Live != onBridge || r.Live == r.EffectiveAtNextStart {
			t.Errorf("moved to the bridge while running: answer %+v, running NIC %+v", r, live.Devices.Interfaces)
		}
		t.Logf("moved to a bridge while running: %s", r.Message)
		// The model waits for the next start.
		r = do(t, "PUT", hw+"/nics/"+newMAC, map[string]any{"model": "virtio"})
		live, _ = hwkDef(t, l, g, false)
		if !r.EffectiveAtNextStart || live.Devices.Interfaces[0].Model.Type != "e1000" {
			t.Errorf("model while running: answer %+v, running model %+v", r, live.Devices.Interfaces[0].Model)
		}

		r = do(t, "PUT", hw+"/info", map[string]any{"title": "live title"})
		live, _ = hwkDef(t, l, g, false)
		if !r.Live || live.Title != "live title" {
			t.Errorf("title while running: answer %+v, running %q", r, live.Title)
		}
	})
	t.Logf("hardware edit kinds took %v", time.Since(start))
}
