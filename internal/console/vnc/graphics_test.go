package vnc

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"

	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

func TestVNCTarget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		xml      string
		network  string
		address  string
		password bool
		code     string
	}{
		{name: "tcp loopback", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5903" autoport="yes" listen="127.0.0.1"><listen type="address" address="127.0.0.1"/></graphics>`),
			network: "tcp", address: "127.0.0.1:5903"},
		{name: "password from secure XML", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5904" autoport="yes" listen="127.0.0.1" passwd="s3cretpw"><listen type="address" address="127.0.0.1"/></graphics>`),
			network: "tcp", address: "127.0.0.1:5904", password: true},
		{name: "wildcard v4 dials loopback", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5900"><listen type="address" address="0.0.0.0"/></graphics>`),
			network: "tcp", address: "127.0.0.1:5900"},
		{name: "wildcard v6 dials loopback", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5900" listen="::"/>`),
			network: "tcp", address: "[::1]:5900"},
		{name: "no listen address", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5901"/>`),
			network: "tcp", address: "127.0.0.1:5901"},
		{name: "network listen", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5902"><listen type="network" network="default" address="192.168.122.1"/></graphics>`),
			network: "tcp", address: "192.168.122.1:5902"},
		{name: "unix socket", xml: virtfake.DomainXML(true, `<graphics type="vnc" socket="/run/vnc.sock"><listen type="socket" socket="/run/vnc.sock"/></graphics>`),
			network: "unix", address: "/run/vnc.sock"},
		{name: "vnc beside spice", xml: virtfake.DomainXML(true, `<graphics type="spice" port="5930"/><graphics type="vnc" port="5905" listen="127.0.0.1"/>`),
			network: "tcp", address: "127.0.0.1:5905"},
		{name: "not running", xml: virtfake.DomainXML(false, `<graphics type="vnc" port="-1" autoport="yes"/>`), code: "vm_not_running"},
		{name: "no graphics", xml: virtfake.DomainXML(true, ``), code: "no_vnc_graphics"},
		{name: "stopped without graphics: add VNC first", xml: virtfake.DomainXML(false, ``), code: "no_vnc_graphics"},
		{name: "stopped with spice only", xml: virtfake.DomainXML(false, `<graphics type="spice" autoport="yes"/>`), code: "spice_only"},
		{name: "spice only", xml: virtfake.DomainXML(true, `<graphics type="spice" port="5930" autoport="yes"/>`), code: "spice_only"},
		{name: "listen none", xml: virtfake.DomainXML(true, `<graphics type="vnc"><listen type="none"/></graphics>`), code: "vnc_not_listening"},
		{name: "no port yet", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1"/>`), code: "vnc_port_unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ld, err := parseVNCLiveDomain(tc.xml)
			if err != nil {
				t.Fatal(err)
			}
			tg, err := ld.vncTarget()
			if tc.code != "" {
				p, ok := problem.As(err)
				if !ok || p.Code != tc.code {
					t.Fatalf("err = %v, want problem %q", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tg.Network != tc.network || tg.Address != tc.address || tg.HasPassword() != tc.password || tg.VMName != "web-1" {
				t.Errorf("target = %+v (password %v), want %s %s (password %v)", tg, tg.HasPassword(), tc.network, tc.address, tc.password)
			}
		})
	}
}

func TestVNCTargetNeverShowsPassword(t *testing.T) {
	ld, err := parseVNCLiveDomain(virtfake.DomainXML(true, `<graphics type="vnc" port="5904" listen="127.0.0.1" passwd="s3cretpw"/>`))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := ld.vncTarget()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "target", tg)
	for _, s := range []string{tg.String(), b.String()} {
		if strings.Contains(s, "s3cretpw") {
			t.Errorf("password shown: %s", s)
		}
	}
}

func FuzzParseVNCLiveDomain(f *testing.F) {
	f.Add(virtfake.DomainXML(true, `<graphics type="vnc" port="5903" listen="127.0.0.1"/>`))
	f.Add(virtfake.DomainXML(true, `<graphics type="vnc" socket="/x"/>`))
	f.Add(virtfake.DomainXML(false, ``))
	f.Add(`<domain><devices><graphics type="spice"/></devices></domain>`)
	f.Fuzz(func(t *testing.T, doc string) {
		ld, err := parseVNCLiveDomain(doc)
		if err != nil {
			return
		}
		tg, err := ld.vncTarget()
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		if tg.Network != "tcp" && tg.Network != "unix" || tg.Address == "" {
			t.Fatalf("target %+v from %q", tg, doc)
		}
	})
}

func TestVirtViewerFile(t *testing.T) {
	for _, tc := range []struct {
		name      string
		xml       string
		want      []string
		notWanted []string
		code      string
	}{
		{name: "loopback with password", xml: virtfake.DomainXML(true, `<graphics type="spice" port="5930" tlsPort="5931" listen="127.0.0.1" passwd="pw"/>`),
			want: []string{"[virt-viewer]\n", "type=spice\n", "host=127.0.0.1\n", "port=5930\n", "tls-port=5931\n", "password=pw\n", "title=web-1 - KVM Manager\n", "delete-this-file=1\n"}},
		{name: "wildcard uses the host reached", xml: virtfake.DomainXML(true, `<graphics type="spice" port="5930"><listen type="address" address="0.0.0.0"/></graphics>`),
			want: []string{"host=kvm.example\n"}, notWanted: []string{"password="}},
		{name: "not running", xml: virtfake.DomainXML(false, `<graphics type="spice" autoport="yes"/>`), code: "vm_not_running"},
		{name: "vnc only", xml: virtfake.DomainXML(true, `<graphics type="vnc" port="5900"/>`), code: "no_spice_graphics"},
		{name: "socket only", xml: virtfake.DomainXML(true, `<graphics type="spice"><listen type="socket" socket="/x"/></graphics>`), code: "spice_not_reachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ld, err := parseVNCLiveDomain(tc.xml)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ld.virtViewerFile("kvm.example")
			if tc.code != "" {
				if p, ok := problem.As(err); !ok || p.Code != tc.code {
					t.Fatalf("err = %v, want %q", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf(".vv lacks %q:\n%s", w, b)
				}
			}
			for _, w := range tc.notWanted {
				if strings.Contains(string(b), w) {
					t.Errorf(".vv has %q:\n%s", w, b)
				}
			}
		})
	}
}

func TestVVValueStaysOnOneLine(t *testing.T) {
	if got := vncVVValue("a\nb\r\x00c"); got != "a b  c" {
		t.Errorf("vncVVValue = %q", got)
	}
}
