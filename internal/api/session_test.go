package api

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNextRefusesWhatBrowsersForgive(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/vms/local/54d0?tab=snapshots#x", "/vms/local/54d0?tab=snapshots#x"},
		{"/vms/local/caf%C3%A9", "/vms/local/caf%C3%A9"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"/\t/evil.example", "/"}, // the attack: browsers drop the tab and see //evil.example
		{"/\n/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/ /evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\u00a0/evil.example", "/"},
		{"/\u3000/evil.example", "/"},
		{"/a\\b", "/"},
		{"/%2F/evil.example", "/"},
		{"evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, c := range cases {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("safeNext(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzSafeNext: whatever next is, the redirect stays on this origin, as a
// browser would resolve it (after dropping tabs and newlines, and reading
// backslashes as slashes, as the WHATWG URL parser does). Its corpus is
// kept in testdata/fuzz/FuzzSafeNext.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/vms/a/b?x=1", "/\t/evil.example", "//evil.example", "/\\evil.example", "https://x.example", "/%09/x"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://kvm.internal:8080/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q is not an absolute path", next, got)
		}
		browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(strings.TrimSpace(got))
		if strings.HasPrefix(browser, "//") {
			t.Fatalf("safeNext(%q) = %q: a browser reads it as %q, another host", next, got, browser)
		}
		u, err := url.Parse(browser)
		if err != nil {
			t.Fatalf("safeNext(%q) = %q does not parse: %v", next, got, err)
		}
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
			t.Fatalf("safeNext(%q) = %q leads to %s", next, got, r)
		}
		for _, c := range []byte(got) {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("safeNext(%q) = %q keeps byte %#x", next, got, c)
			}
		}
	})
}
