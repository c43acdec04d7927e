package problem

import (
	"errors"
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
