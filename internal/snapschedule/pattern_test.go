package snapschedule

import (
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

func TestPattern(t *testing.T) {
	at := time.Date(2026, 12, 7, 20, 5, 9, 0, time.UTC)
	for _, c := range []struct{ pattern, want string }{
		{DefaultPattern, "auto-nightly-20261207-2005"},
		{"{policy}.{yyyy-MM-dd_HH.mm.ss}", "nightly.2026-12-07_20.05.09"},
		{"snap-{HHmm}", "snap-2005"},
	} {
		p, err := ParsePattern(c.pattern, "nightly")
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := p.Expand("nightly", at); got != c.want {
			t.Errorf("%q: %q, want %q", c.pattern, got, c.want)
		}
	}
	for _, bad := range []string{
		"", "auto-{policy}", "{yyyyMMdd}", "{policy}-{HHmm", "x}{mm}", "{}", "{vm}-{mm}", "{mmm x}", "a b {mm}",
		"-{mm}", "{mm}", "{HH}{mm}", "{policy}/{mm}", "{policy}..{mm}",
		"{policy}-{yyyyMMddHHmmss}-{yyyyMMddHHmmss}-{yyyyMMddHHmmss}-{yyyyMMddHHmmss}",
	} {
		if _, err := ParsePattern(bad, "nightly"); err == nil {
			t.Errorf("ParsePattern(%q) accepted it", bad)
		}
	}
}

// FuzzPattern: a pattern that parses makes valid snapshot names at any time.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{DefaultPattern, "{policy}.{yyyy-MM-dd_HH.mm.ss}", "x{mm}", "{policy}-{HHmm"} {
		f.Add(s, "nightly", int64(1765137600))
	}
	f.Fuzz(func(t *testing.T, pattern, policy string, unix int64) {
		if checkPolicyName(policy) != nil {
			return
		}
		p, err := ParsePattern(pattern, policy)
		if err != nil {
			return
		}
		name := p.Expand(policy, time.Unix(unix%(4<<30), 0).UTC())
		if err := snapshot.ValidateName(name); err != nil {
			t.Fatalf("pattern %q made %q: %v", pattern, name, err)
		}
	})
}
