package benchkit

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDomainsOwnsOnlyNamesTheBenchCouldHaveMade(t *testing.T) {
	d := Domains{Prefix: "kmbench-"}
	for name, want := range map[string]bool{
		"kmbench-0001":           true,
		"kmbench-guest-0a1b2c3d": true,
		"kmbench-my vm":          false, // another VM with the prefix: not ours
		"kmbench-<b>x</b>":       false,
		"kmsnapbench-run-1":      false, // another subcommand's
		"xkmbench-0001":          false,
	} {
		if got := d.Owns(name); got != want {
			t.Errorf("Owns(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestReadSSEHandsOverTypedEventsAtTheirEnd(t *testing.T) {
	stream := "event: vm\ndata: {\"a\":1}\n\n: comment\n\nevent: operation\nid: 7\ndata: {\"b\":2}\n\ndata: untyped\n\n"
	type ev struct{ typ, data string }
	var got []ev
	ReadSSE(io.NopCloser(strings.NewReader(stream)), func(typ, data string, at time.Time) {
		if at.IsZero() {
			t.Error("no arrival time")
		}
		got = append(got, ev{typ, data})
	})
	want := []ev{{"vm", `{"a":1}`}, {"operation", `{"b":2}`}}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestStatusKiBReadsThisProcess(t *testing.T) {
	rss, err := StatusKiB(os.Getpid(), "VmRSS")
	if err != nil || rss <= 0 {
		t.Errorf("VmRSS = %d, %v; want > 0", rss, err)
	}
	if _, err := StatusKiB(os.Getpid(), "NoSuchField"); err == nil {
		t.Error("a missing field gave no error")
	}
}

func TestRequire(t *testing.T) {
	if err := Require(true, "x"); err != nil {
		t.Errorf("Require(true) = %v", err)
	}
	if err := Require(false, "-n must be positive"); err == nil || err.Error() != "-n must be positive" {
		t.Errorf("Require(false) = %v", err)
	}
}
