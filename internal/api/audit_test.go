package api

import (
	"errors"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestClientAddr(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies configured: the header is ignored", nil, "10.0.0.5:1234", []string{"1.2.3.4"}, "10.0.0.5"},
		{"untrusted peer: the header is ignored", proxy, "192.0.2.9:1234", []string{"1.2.3.4"}, "192.0.2.9"},
		{"trusted proxy", proxy, "10.0.0.5:1234", []string{"1.2.3.4"}, "1.2.3.4"},
		{"spoofed leftmost hop is skipped", proxy, "10.0.0.5:1234", []string{"6.6.6.6, 1.2.3.4"}, "1.2.3.4"},
		{"chain of trusted proxies", proxy, "10.0.0.5:1234", []string{"1.2.3.4, 10.0.0.7", "10.0.0.8"}, "1.2.3.4"},
		{"garbage in the header", proxy, "10.0.0.5:1234", []string{"1.2.3.4, not-an-ip"}, "10.0.0.5"},
		{"only proxies", proxy, "10.0.0.5:1234", []string{"10.0.0.6"}, "10.0.0.5"},
		{"IPv6 loopback proxy", proxy, "[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"no header", proxy, "10.0.0.5:1234", nil, "10.0.0.5"},
	}
	for _, c := range cases {
		s := &Server{opts: Options{TrustedProxies: c.trusted}}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzClientAddr: whatever a client sends as X-Forwarded-For, the answer
// is the peer or a well-formed address from the header, never a panic or
// a free-form string.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 10.0.0.7", "", ",,,", "::1", "[::1]", "1.2.3.4\x00", "10.0.0.1, x"} {
		f.Add(s)
	}
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	f.Fuzz(func(t *testing.T, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.1.2.3:999"
		r.Header.Set("X-Forwarded-For", xff)
		got := s.clientAddr(r)
		if got == "10.1.2.3" {
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("client %q from header %q", got, xff)
		}
	})
}

func TestResultOf(t *testing.T) {
	cases := []struct {
		status int
		err    error
		want   string
		code   string
	}{
		{200, nil, "ok", ""},
		{202, nil, "ok", ""},
		{403, auth.RoleError(auth.Viewer, auth.Operator), "denied", "forbidden_role"},
		{403, auth.ErrCSRF, "denied", "csrf_failed"},
		{409, problem.New(problem.Conflict, "vm_not_running", "x", ""), "error", "vm_not_running"},
		{500, errors.New("boom"), "error", "http_500"},
		{303, auth.ErrBadToken, "error", "invalid_token"},
	}
	for _, c := range cases {
		got, info := resultOf(c.status, c.err)
		if got != c.want || (c.code != "" && (info == nil || info.Code != c.code)) {
			t.Errorf("%d %v: %s %+v", c.status, c.err, got, info)
		}
	}
}

func TestExpandAction(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.SetPathValue("action", "force-off")
	if got := expandAction("vm.{action}", r); got != "vm.force-off" {
		t.Errorf("got %q", got)
	}
	r.SetPathValue("action", "x"+string(make([]byte, 100)))
	if got := expandAction("vm.{action}", r); len(got) > 40 {
		t.Errorf("a long path value was not clipped: %d bytes", len(got))
	}
	if got := expandAction("vm.{broken", r); got != "vm.{broken" {
		t.Errorf("got %q", got)
	}
}

func TestForwardedHTTPS(t *testing.T) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}
	cases := []struct {
		remote, proto string
		want          bool
	}{
		{"127.0.0.1:5000", "https", true},
		{"127.0.0.1:5000", "http", false},
		{"192.0.2.1:5000", "https", false}, // not a trusted proxy
		{"127.0.0.1:5000", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-Proto", c.proto)
		if got := s.forwardedHTTPS(r); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}
