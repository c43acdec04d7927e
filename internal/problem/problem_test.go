package problem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	if Clip("short") != "short" {
		t.Error("short strings must pass unchanged")
	}
	long := strings.Repeat("é", 100) // 2 bytes each: the cut lands mid-rune
	got := Clip(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 64+len("…") {
		t.Errorf("Clip = %q", got)
	}
}

func TestWrapKeepsCauseForLogsOnly(t *testing.T) {
	cause := errors.New("libvirt: secret detail")
	p := Wrap(cause, Conflict, "c", "shown", "hint")
	if !errors.Is(p, cause) || KindOf(p) != Conflict || p.Message != "shown" {
		t.Fatalf("Wrap = %+v", p)
	}
	if KindOf(errors.New("plain")) != Internal {
		t.Error("a plain error must be Internal")
	}
}

func TestPublic(t *testing.T) {
	p := Wrap(errors.New("secret"), Conflict, CodeVMNotRunning, "VM web is not running", "start it first")
	want := Info{Code: "vm_not_running", Message: "VM web is not running", Hint: "start it first"}
	if got, ok := Public(fmt.Errorf("start: %w", p)); !ok || got != want {
		t.Errorf("Public(problem) = %+v, %v; want %+v", got, ok, want)
	}
	for _, err := range []error{errors.New("plain"), New(Internal, CodeInternal, "secret detail", "")} {
		if got, ok := Public(err); ok || got != (Info{}) {
			t.Errorf("Public(%v) = %+v, %v; want nothing to show", err, got, ok)
		}
	}
}
