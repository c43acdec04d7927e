package vnc

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestDisplaysFromXML(t *testing.T) {
	const doc = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>d</name>
<devices>
  <graphics type='vnc' port='5900' listen='127.0.0.1'/>
  <video><model type='vga' heads='1' primary='yes'/><alias name='video0'/></video>
  <video><model type='virtio' heads='2'/><alias name='video1'/></video>
  <video><model type='virtio' heads='1'/><alias name='video2'/></video>
</devices>
<qemu:commandline>
  <qemu:arg value='-vnc'/><qemu:arg value='127.0.0.1:100,id=h1,display=video1'/>
  <qemu:arg value='-vnc'/><qemu:arg value='127.0.0.1:101,id=h2,display=video1,head=1,password=on'/>
  <qemu:arg value='-vnc'/><qemu:arg value='0.0.0.0:102,id=h3,display=video2'/>
</qemu:commandline></domain>`
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	ds := displaysFromXML(&d)
	want := []struct {
		dev     string
		head    int
		browser bool
		addr    string
	}{
		{"video0", 0, true, ""},
		{"video1", 0, true, "127.0.0.1:6000"},
		{"video1", 1, false, ""}, // a password the proxy does not know
		{"video2", 0, true, "127.0.0.1:6002"},
	}
	if len(ds) != len(want) {
		t.Fatalf("displays = %+v, want %d", ds, len(want))
	}
	for i, w := range want {
		g := ds[i]
		if g.Index != i || g.Device != w.dev || g.Head != w.head || g.Browser != w.browser || g.addr != w.addr || g.Primary != (i == 0) {
			t.Errorf("display %d = %+v, want %+v", i, g, w)
		}
		if !g.Browser && g.Reason == "" {
			t.Errorf("display %d: no reason", i)
		}
	}
}

func TestParseHeadVNC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		addr string
	}{
		{"127.0.0.1:5,display=video1", true, "127.0.0.1:5905"},
		{"127.0.0.1:5,to=9,display=video1", true, ""},
		{"unix:/run/x.sock,display=video1", true, ""},
		{"127.0.0.1:5", false, ""},
		{"127.0.0.1:5,display=video1,head=x", false, ""},
	} {
		h, ok := parseHeadVNC(tc.in)
		if ok != tc.ok || h.addr != tc.addr {
			t.Errorf("parseHeadVNC(%q) = %+v, %v; want addr %q, %v", tc.in, h, ok, tc.addr, tc.ok)
		}
	}
}
