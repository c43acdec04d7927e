package host

import (
	"path/filepath"
	"testing"
)

func TestSSHOptions(t *testing.T) {
	for _, tc := range []struct {
		uri, dataDir string
		want         [4]string // addr, user, keyfile, known_hosts
	}{
		{"qemu+ssh://root@kvm2.example/system", "/data", [4]string{"kvm2.example:22", "root", "", "/data/known_hosts"}},
		{"qemu+ssh://kvmtest@127.0.0.1:2222/session?keyfile=/k/id&known_hosts=/k/kh", "/data", [4]string{"127.0.0.1:2222", "kvmtest", "/k/id", "/k/kh"}},
		{"qemu+ssh://a@[::1]:2200/system", "/d", [4]string{"[::1]:2200", "a", "", "/d/known_hosts"}},
	} {
		u, err := ParseURI(tc.uri)
		if err != nil {
			t.Fatal(err)
		}
		o, err := sshOptions(u, tc.dataDir)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if got := [4]string{o.Addr, o.User, o.KeyFile, o.KnownHosts}; got != tc.want {
			t.Errorf("%s: %v, want %v", tc.uri, got, tc.want)
		}
	}
}

func TestTLSFiles(t *testing.T) {
	u, _ := ParseURI("qemu+tls://h/system")
	if ca, cert, key := tlsFiles(u); ca != DefaultCACert || cert != DefaultClientCert || key != DefaultClientKey {
		t.Errorf("defaults: %s %s %s", ca, cert, key)
	}
	u, _ = ParseURI("qemu+tls://h/system?pkipath=/p")
	if ca, cert, key := tlsFiles(u); ca != filepath.Join("/p", "cacert.pem") || cert != "/p/clientcert.pem" || key != "/p/clientkey.pem" {
		t.Errorf("pkipath: %s %s %s", ca, cert, key)
	}
	u, _ = ParseURI("qemu+tls://h/system?pkipath=/nonexistent")
	if _, err := tlsConfig(u); err == nil {
		t.Error("missing certificates accepted")
	}
}

func TestRemoteParamsRefused(t *testing.T) {
	for _, s := range []string{
		"qemu+ssh://h/system?no_verify=1",
		"qemu+tls://h/system?no_verify=1",
		"qemu+ssh://h/system?keyfile=~/.ssh/id",
	} {
		u, err := ParseURI(s)
		if err != nil {
			t.Fatal(err)
		}
		if checkRemoteParams(u) == nil {
			t.Errorf("%s accepted", s)
		}
	}
	u, _ := ParseURI("qemu+ssh://h/system?no_verify=0")
	if err := checkRemoteParams(u); err != nil {
		t.Errorf("no_verify=0: %v", err)
	}
}
