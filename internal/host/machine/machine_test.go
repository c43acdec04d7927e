package machine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Every method of the unsupported machine fails with ErrUnsupported, saying
// what is not possible and why; Check says it before anything is tried.
func TestUnsupported(t *testing.T) {
	m := Unsupported{Why: `KVM Manager reaches host "far" over TLS`}
	ctx := context.Background()
	_, runErr := m.Run(ctx, Command{Program: "qemu-img"})
	_, statErr := m.Stat(ctx, "/x")
	_, dialErr := m.Dial("tcp", "127.0.0.1:5900", time.Second)
	_, shotErr := m.Screenshot(ctx, "web")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Check", m.Check(Files), "reaching files is not possible"},
		{"Run", runErr, "running programs is not possible"},
		{"RemoveFile", m.RemoveFile(ctx, "/x"), "reaching files is not possible"},
		{"Stat", statErr, "reaching files is not possible"},
		{"Dial", dialErr, "opening connections is not possible"},
		{"Screenshot", shotErr, "taking screenshots is not possible"},
	} {
		if !errors.Is(tc.err, ErrUnsupported) || !strings.HasPrefix(tc.err.Error(), tc.want+": ") || !strings.HasSuffix(tc.err.Error(), m.Why) {
			t.Errorf("%s: %v, want ErrUnsupported: %s: %s", tc.name, tc.err, tc.want, m.Why)
		}
		// The system's "operation not supported" is another matter.
		if errors.Is(tc.err, errors.ErrUnsupported) {
			t.Errorf("%s: matches errors.ErrUnsupported", tc.name)
		}
	}
	if err := NewLocal(LocalOptions{}).Check(Commands); err != nil {
		t.Errorf("local Check = %v", err)
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"  one\n two\tthree ", 100, "one two three"},
		{"abcdef", 3, "abc…"},
		{"abcdef", 6, "abcdef"},
		{"aé", 2, "a…"}, // never half a character
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
