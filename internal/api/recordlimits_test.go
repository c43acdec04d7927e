package api

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func testRecLimits(l RecordingLimits) (*recordingLimits, *time.Time) {
	now := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	rl := newRecordingLimits(l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rl.now = func() time.Time { return now }
	return rl, &now
}

func codeOf(err error) string {
	var p *problem.Error
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

func TestRecordingLimitsRunning(t *testing.T) {
	rl, _ := testRecLimits(RecordingLimits{PerSession: 2, PerClient: 3})
	if _, err := rl.take("s1", "a", 3); codeOf(err) != "too_many_recordings" || !strings.Contains(err.Error(), "one session may run 2") {
		t.Fatalf("3 at once with a session cap of 2: %v", err)
	}
	rel, err := rl.take("s1", "a", 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rl.take("s2", "a", 2); codeOf(err) != "too_many_recordings" || !strings.Contains(err.Error(), "one address may run 3") {
		t.Fatalf("2 more from the address with 2 running and a cap of 3: %v", err)
	}
	if _, err := rl.take("s3", "b", 2); err != nil {
		t.Fatalf("another session at another address: %v", err)
	}
	rel()
	if _, err := rl.take("s2", "a", 2); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
	rel()
	if _, ok := rl.runOwner["s1"]; ok {
		t.Errorf("a session with nothing running is still counted: %v", rl.runOwner)
	}
}

func TestRecordingLimitsStarts(t *testing.T) {
	rl, now := testRecLimits(RecordingLimits{StartsPerSession: 2, StartsPerClient: 3})
	for range 2 {
		if _, err := rl.reserve("s1", "a"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := rl.reserve("s1", "a")
	var p *problem.Error
	if !errors.As(err, &p) || p.Code != "too_many_recording_starts" || p.RetryAfter != time.Minute || !strings.Contains(p.Message, "wait 60 seconds") {
		t.Fatalf("a third start in a minute: %+v", err)
	}
	// A start that started nothing is taken back.
	undo, err := rl.reserve("s2", "a")
	if err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := rl.reserve("s2", "a"); err != nil {
		t.Fatalf("after an undone start: %v", err)
	}
	if _, err := rl.reserve("s3", "a"); codeOf(err) != "too_many_recording_starts" || !strings.Contains(err.Error(), "your address") {
		t.Fatalf("a fourth start from the address: %v", err)
	}
	*now = now.Add(30 * time.Second)
	if _, err := rl.reserve("s1", "a"); err == nil {
		t.Fatal("a start within the minute")
	} else if p, _ := problem.As(err); p.RetryAfter != 30*time.Second {
		t.Fatalf("Retry-After %v, want 30s", p.RetryAfter)
	}
	*now = now.Add(31 * time.Second)
	if _, err := rl.reserve("s1", "a"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}
	// The sweep forgets callers of more than a minute ago.
	*now = now.Add(2 * time.Minute)
	if _, err := rl.reserve("s9", "z"); err != nil {
		t.Fatal(err)
	}
	if len(rl.startOwner) != 1 || len(rl.startClient) != 1 {
		t.Errorf("after the sweep: %d owners, %d clients", len(rl.startOwner), len(rl.startClient))
	}
}

func TestRecordingLimitsAuditRefusals(t *testing.T) {
	rl, now := testRecLimits(RecordingLimits{})
	if w, d := rl.auditRefusal("s1"); !w || d != 0 {
		t.Fatalf("first refusal: %v %d", w, d)
	}
	for range 100 {
		if w, _ := rl.auditRefusal("s1"); w {
			t.Fatal("a repeated refusal within the minute is written")
		}
	}
	if w, _ := rl.auditRefusal("s2"); !w {
		t.Fatal("another session's first refusal is not written")
	}
	*now = now.Add(time.Minute)
	if w, d := rl.auditRefusal("s1"); !w || d != 100 {
		t.Fatalf("a minute later: %v, %d left out; want written with 100", w, d)
	}
}
