package recording

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// writeSample writes a recording of n seconds: every second a keyframe (at
// each tenth second) or some server bytes, and an input event.
func writeSample(t testing.TB, n int) ([]byte, []time.Duration) {
	t.Helper()
	var out bytes.Buffer
	clk := &fakeClock{t: time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)}
	w, err := NewWriter(&out, Header{ID: "r1", Host: "local", UUID: "u", VMName: "vm", ServerInit: []byte{1, 2, 3}}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	var keys []time.Duration
	for s := 0; s < n; s++ {
		if s%10 == 0 {
			if err := w.StartKeyframe(KeyframeInfo{Width: 640, Height: 480, Name: "vm"}); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, clk.t.Sub(w.start))
		}
		if err := w.Add(Server, []byte(fmt.Sprintf("server %d", s))); err != nil {
			t.Fatal(err)
		}
		if err := w.Boundary(); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(500 * time.Millisecond)
		if err := w.Add(Input, []byte{5, 0, 0, byte(s), 0, 1}); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(500 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), keys
}

func TestWriteReadSeek(t *testing.T) {
	b, keys := writeSample(t, 35)
	for _, cut := range []struct {
		name string
		data []byte
	}{
		{"whole", b},
		// Without the trailer (a crash before Close) the index is
		// rebuilt by scanning.
		{"no trailer", b[:bytes.LastIndexByte(b, 'I')]},
	} {
		t.Run(cut.name, func(t *testing.T) {
			rd, err := Open(bytes.NewReader(cut.data), int64(len(cut.data)))
			if err != nil {
				t.Fatal(err)
			}
			if rd.Header().VMName != "vm" || !bytes.Equal(rd.Header().ServerInit, []byte{1, 2, 3}) {
				t.Fatalf("header %+v", rd.Header())
			}
			if len(rd.Index()) != len(keys) {
				t.Fatalf("keyframes %d, want %d", len(rd.Index()), len(keys))
			}
			for i, e := range rd.Index() {
				if e.At != keys[i] {
					t.Errorf("keyframe %d at %v, want %v", i, e.At, keys[i])
				}
			}
			if got, want := rd.Duration(), 34*time.Second+500*time.Millisecond; got != want {
				t.Errorf("duration %v, want %v", got, want)
			}
			// Read everything back in order.
			c := rd.Chunks(rd.FirstChunk())
			var servers, inputs int
			var last time.Duration
			for {
				ev, err := c.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ev.At < last {
					t.Fatalf("time went back: %v after %v", ev.At, last)
				}
				last = ev.At
				switch ev.Type {
				case Server:
					if want := fmt.Sprintf("server %d", servers); string(ev.Data) != want {
						t.Fatalf("server event %q, want %q", ev.Data, want)
					}
					servers++
				case Input:
					inputs++
				}
			}
			if servers != 35 || inputs != 35 {
				t.Fatalf("read %d server and %d input events, want 35 each", servers, inputs)
			}
			// Seek to 25.2 s: the keyframe at 20 s, whose chunk starts
			// with the keyframe event and then "server 20".
			e, i, ok := rd.Seek(25200 * time.Millisecond)
			if !ok || i != 2 || e.At != 20*time.Second {
				t.Fatalf("seek: %+v %d %v", e, i, ok)
			}
			c = rd.Chunks(e.Offset)
			ev, err := c.Next()
			if err != nil || ev.Type != Keyframe || !c.KeyframeChunk {
				t.Fatalf("first event after seek: %+v %v", ev, err)
			}
			k, err := ParseKeyframe(ev.Data)
			if err != nil || k.Width != 640 || k.Height != 480 || k.Name != "vm" {
				t.Fatalf("keyframe %+v %v", k, err)
			}
			ev, err = c.Next()
			if err != nil || string(ev.Data) != "server 20" || ev.At != 20*time.Second {
				t.Fatalf("event after keyframe: %q at %v, %v", ev.Data, ev.At, err)
			}
			if _, i, _ := rd.Seek(0); i != 0 {
				t.Errorf("seek to 0 gave keyframe %d", i)
			}
		})
	}
}

// TestCancelKeyframe: a keyframe whose update was not full is not indexed.
func TestCancelKeyframe(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, Header{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.StartKeyframe(KeyframeInfo{Width: 1, Height: 1})
	_ = w.Add(Server, []byte("partial"))
	w.CancelKeyframe()
	_ = w.StartKeyframe(KeyframeInfo{Width: 1, Height: 1})
	_ = w.Add(Server, []byte("full"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := Open(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Index()) != 1 {
		t.Fatalf("index %+v, want one keyframe", rd.Index())
	}
	c := rd.Chunks(rd.Index()[0].Offset)
	_, _ = c.Next()
	if ev, err := c.Next(); err != nil || string(ev.Data) != "full" {
		t.Fatalf("after keyframe: %q %v", ev.Data, err)
	}
}

// TestTruncated: a file cut anywhere opens (or fails with ErrFormat) and
// reads without panicking.
func TestTruncated(t *testing.T) {
	b, _ := writeSample(t, 12)
	for n := 0; n < len(b); n += 7 {
		rd, err := Open(bytes.NewReader(b[:n]), int64(n))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("cut at %d: %v", n, err)
			}
			continue
		}
		c := rd.Chunks(rd.FirstChunk())
		for i := 0; i < 1000; i++ {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	b, _ := writeSample(f, 12)
	f.Add(b)
	f.Add(b[:bytes.LastIndexByte(b, 'I')])
	f.Add(b[:len(b)/2])
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, e := range rd.Index() {
			c := rd.Chunks(e.Offset)
			for i := 0; i < 100; i++ {
				ev, err := c.Next()
				if err != nil {
					break
				}
				if ev.Type == Keyframe {
					_, _ = ParseKeyframe(ev.Data)
				}
			}
		}
		c := rd.Chunks(rd.FirstChunk())
		for i := 0; i < 1000; i++ {
			if _, err := c.Next(); err != nil {
				break
			}
		}
		_, _, _ = rd.Seek(rd.Duration() / 2)
	})
}
