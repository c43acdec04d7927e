package auth

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		name      string
		host      string
		tls, fwd  bool
		origin    string
		wantMatch bool
	}{
		{"same", "127.0.0.1:8080", false, false, "http://127.0.0.1:8080", true},
		{"case of the host", "KVM.example.org:8080", false, false, "http://kvm.example.org:8080", true},
		{"https origin on a plain HTTP server", "127.0.0.1:8080", false, false, "https://127.0.0.1:8080", false},
		{"http origin on a TLS server", "127.0.0.1:8443", true, false, "http://127.0.0.1:8443", false},
		{"TLS", "127.0.0.1:8443", true, false, "https://127.0.0.1:8443", true},
		{"other port", "127.0.0.1:8080", false, false, "http://127.0.0.1:8081", false},
		{"other host", "127.0.0.1:8080", false, false, "http://127.0.0.2:8080", false},
		{"default ports: http page against the https site", "kvm.example.org", true, false, "http://kvm.example.org", false},
		{"default port written out", "kvm.example.org", true, false, "https://kvm.example.org:443", true},
		{"behind a trusted TLS proxy", "kvm.example.org", false, true, "https://kvm.example.org", true},
		{"behind a trusted TLS proxy, plain page", "kvm.example.org", false, true, "http://kvm.example.org", false},
		{"IPv6", "[::1]:8080", false, false, "http://[::1]:8080", true},
		{"null", "127.0.0.1:8080", false, false, "null", false},
		{"with a path", "127.0.0.1:8080", false, false, "http://127.0.0.1:8080/x", false},
		{"with user info", "127.0.0.1:8080", false, false, "http://a@127.0.0.1:8080", false},
		{"other scheme", "127.0.0.1:8080", false, false, "ws://127.0.0.1:8080", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = c.host
		r.TLS = nil
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if c.fwd {
			r = r.WithContext(WithForwardedHTTPS(r.Context()))
		}
		if got := SameOrigin(r, c.origin); got != c.wantMatch {
			t.Errorf("%s: SameOrigin(%q on %q) = %v", c.name, c.origin, c.host, got)
		}
	}
}
