package serial

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

func TestRing(t *testing.T) {
	for _, tc := range []struct {
		name          string
		size          int
		writes        []string
		want          string
		wantTruncated bool
	}{
		{name: "empty", size: 8, want: ""},
		{name: "fits", size: 8, writes: []string{"ab", "cd"}, want: "abcd"},
		{name: "exactly full", size: 4, writes: []string{"ab", "cd"}, want: "abcd"},
		{name: "wraps without newline", size: 4, writes: []string{"abc", "def"}, want: "cdef", wantTruncated: true},
		{name: "wraps and starts after a newline", size: 8, writes: []string{"line1\nline2\nli"}, want: "li", wantTruncated: true},
		{name: "newline found after wrap point", size: 8, writes: []string{"aaaa", "b\ncccc"}, want: "cccc", wantTruncated: true},
		{name: "one write larger than the ring", size: 4, writes: []string{"0123456789"}, want: "6789", wantTruncated: true},
		{name: "many small writes", size: 5, writes: []string{"1", "2", "3", "4", "5", "6", "7"}, want: "34567", wantTruncated: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSerialRing(tc.size)
			for _, w := range tc.writes {
				r.Write([]byte(w))
			}
			got, truncated := r.Snapshot()
			if string(got) != tc.want || truncated != tc.wantTruncated {
				t.Fatalf("Snapshot() = %q, %v; want %q, %v", got, truncated, tc.want, tc.wantTruncated)
			}
		})
	}
}

// serialRingModel is what a ring must hold: the last size bytes, trimmed after
// the first newline (within 4 KiB) once older bytes were dropped.
func serialRingModel(all []byte, size int) ([]byte, bool) {
	if len(all) <= size {
		return all, false
	}
	out := all[len(all)-size:]
	if i := bytes.IndexByte(out[:min(len(out), 4096)], '\n'); i >= 0 {
		out = out[i+1:]
	}
	return out, true
}

func FuzzRing(f *testing.F) {
	f.Add(uint8(4), []byte("hello\nworld"), uint8(3))
	f.Add(uint8(1), []byte("x"), uint8(1))
	f.Add(uint8(200), bytes.Repeat([]byte("ab\n"), 100), uint8(7))
	f.Fuzz(func(t *testing.T, size uint8, data []byte, chunk uint8) {
		if size == 0 || chunk == 0 {
			return
		}
		r := newSerialRing(int(size))
		for p := data; len(p) > 0; {
			n := min(len(p), int(chunk))
			r.Write(p[:n])
			p = p[n:]
		}
		got, truncated := r.Snapshot()
		want, wantTruncated := serialRingModel(data, int(size))
		if !bytes.Equal(got, want) || truncated != wantTruncated {
			t.Fatalf("size %d chunk %d: got %q %v, want %q %v", size, chunk, got, truncated, want, wantTruncated)
		}
	})
}

func TestIsCPR(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"\x1b[24;80R", true},
		{"\x1b[1;1R", true},
		{"\x1b[99999;99999R", true},
		{"\x1b[;1R", false},
		{"\x1b[1;R", false},
		{"\x1b[1R", false},
		{"\x1b[1;2;3R", false},
		{"\x1b[a;1R", false},
		{"x\x1b[1;1R", false},
		{"\x1b[1;1Rx", false},
		{"\x1b[1;1r", false},
		{"ls\r", false},
		{"", false},
		{"\x1b[12345678901;1R", false},
	} {
		if got := isCPR([]byte(tc.in)); got != tc.want {
			t.Errorf("isCPR(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCPRFilter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cpr := []byte("\x1b[5;10R")
	for _, tc := range []struct {
		name    string
		outputs []string // guest output, in writes
		inputs  []string // viewer frames, in order
		at      time.Duration
		want    []bool
	}{
		{name: "ordinary input always passes", inputs: []string{"ls\r", "\x1b[A"}, want: []bool{true, true}},
		{name: "unasked report is dropped", inputs: []string{string(cpr)}, want: []bool{false}},
		{name: "one report per query", outputs: []string{"kvmtest# \x1b[6n"}, inputs: []string{string(cpr), string(cpr)}, want: []bool{true, false}},
		{name: "query split across writes", outputs: []string{"# \x1b[", "6n"}, inputs: []string{string(cpr), string(cpr)}, want: []bool{true, false}},
		{name: "query split byte by byte", outputs: []string{"\x1b", "[", "6", "n"}, inputs: []string{string(cpr), string(cpr)}, want: []bool{true, false}},
		{name: "two queries, two reports", outputs: []string{"\x1b[6n..\x1b[6n"}, inputs: []string{string(cpr), string(cpr), string(cpr)}, want: []bool{true, true, false}},
		{name: "late report is dropped", outputs: []string{"\x1b[6n"}, inputs: []string{string(cpr)}, at: 3 * time.Second, want: []bool{false}},
		{name: "pending queries are bounded", outputs: []string{strings.Repeat("\x1b[6n", 10)}, inputs: []string{string(cpr), string(cpr), string(cpr), string(cpr), string(cpr)}, want: []bool{true, true, true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f cprFilter
			for _, o := range tc.outputs {
				f.sawOutput([]byte(o), t0)
			}
			for i, in := range tc.inputs {
				if got := f.allow([]byte(in), t0.Add(tc.at)); got != tc.want[i] {
					t.Errorf("input %d %q: allow = %v, want %v", i, in, got, tc.want[i])
				}
			}
		})
	}
	var f cprFilter
	f.sawOutput([]byte("\x1b[6n"), t0)
	f.reset()
	if f.allow(cpr, t0) {
		t.Error("a report passed after reset")
	}
}

func FuzzCPRCount(f *testing.F) {
	f.Add([]byte("a\x1b[6nb\x1b[6n"), uint8(1))
	f.Add([]byte("\x1b\x1b[6n[6n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		if chunk == 0 {
			return
		}
		var fl cprFilter
		t0 := time.Unix(0, 0)
		for p := data; len(p) > 0; {
			n := min(len(p), int(chunk))
			fl.sawOutput(p[:n], t0)
			p = p[n:]
		}
		if want := min(bytes.Count(data, cprQuery), maxPendingCPR); fl.pending != want {
			t.Fatalf("chunk %d: counted %d queries in %q, want %d", chunk, fl.pending, data, want)
		}
	})
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := serialTokenBucket{capacity: 100, rate: 10}
	if d := b.delay(100, t0); d != 0 {
		t.Fatalf("the burst was delayed %v", d)
	}
	if d := b.delay(10, t0); d != time.Second {
		t.Fatalf("beyond the burst: delay %v, want 1s", d)
	}
	// Two seconds later the debt of 10 is repaid and 10 are saved.
	if d := b.delay(10, t0.Add(2*time.Second)); d != 0 {
		t.Fatalf("after refilling: delay %v, want 0", d)
	}
	// Refill stops at the capacity.
	if d := b.delay(100, t0.Add(time.Hour)); d != 0 {
		t.Fatalf("after a long pause: delay %v, want 0", d)
	}
	if d := b.delay(1, t0.Add(time.Hour)); d <= 0 {
		t.Fatal("the bucket filled beyond its capacity")
	}
}

func TestParseControl(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: `{"type":"take-over"}`, want: "take-over"},
		{in: `{"type":"take-over","extra":1}`, want: "take-over"},
		{in: `{"type":"resize","cols":80}`, wantErr: errUnknownControl},
		{in: `{}`, wantErr: errUnknownControl},
		{in: `not json`, wantErr: errBadControl},
		{in: `["take-over"]`, wantErr: errBadControl},
		{in: ``, wantErr: errBadControl},
	} {
		m, err := parseSerialControl([]byte(tc.in))
		if !errors.Is(err, tc.wantErr) || (err == nil && m.Type != tc.want) {
			t.Errorf("parseControl(%q) = %+v, %v; want %q, %v", tc.in, m, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseControl(f *testing.F) {
	f.Add([]byte(`{"type":"take-over"}`))
	f.Add([]byte(`{"type":1}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseSerialControl(data)
		if err == nil && m.Type != "take-over" {
			t.Fatalf("accepted %q as %q", data, m.Type)
		}
		if err != nil && !errors.Is(err, errBadControl) && !errors.Is(err, errUnknownControl) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func TestClassifyOpenError(t *testing.T) {
	lv := func(code virt.ErrorNumber, msg string) error {
		return virt.Error{Code: uint32(code), Message: msg}
	}
	for _, tc := range []struct {
		name string
		err  error
		want error // nil: none of the sentinels
	}{
		{"not running", lv(virt.ErrOperationInvalid, "Requested operation is not valid: domain is not running"), errSerialVMStopped},
		{"held", lv(virt.ErrOperationFailed, "operation failed: Active console session exists for this domain"), errSerialHeld},
		{"no console", lv(virt.ErrInternalError, "internal error: cannot find character device <null>"), errSerialNoConsole},
		{"not a pty", lv(virt.ErrOperationUnsupported, "unsupported configuration: character device serial0 is not using a PTY"), errSerialNoConsole},
		{"gone", lv(virt.ErrNoDomain, "Domain not found"), errSerialVMGone},
		{"other failure", lv(virt.ErrOperationFailed, "something else"), nil},
		{"link lost", virt.ErrInterrupted, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classifyOpenError(tc.err)
			for _, s := range []error{errSerialVMStopped, errSerialHeld, errSerialNoConsole, errSerialVMGone, errSerialTakenOver, errSerialEnded} {
				if errors.Is(got, s) != (s == tc.want) {
					t.Fatalf("classifyOpenError(%v) = %v, want %v", tc.err, got, tc.want)
				}
			}
			if !errors.Is(got, tc.err) && tc.want != errSerialVMStopped && tc.want != errSerialVMGone {
				t.Errorf("the cause %v is lost", tc.err)
			}
		})
	}
}

func TestOpenGate(t *testing.T) {
	n := 0
	g := &serialOpenGate{opened: func() { n++ }}
	g.fire()
	g.fire()
	if !g.close() || n != 1 {
		t.Fatalf("fired %d times, close() reported %v", n, g.close())
	}
	late := &serialOpenGate{opened: func() { n++ }}
	if late.close() {
		t.Fatal("a gate that never fired reported open")
	}
	late.fire()
	if n != 1 {
		t.Fatal("a closed gate fired")
	}
}
