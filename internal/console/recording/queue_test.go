package recording

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// gate is a writer that blocks while closed (a stalled disk).
type gate struct {
	mu   sync.Mutex
	open chan struct{}
	buf  bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

// TestWriterBacksUpWithoutBlocking: while the disk stalls, Add and
// Boundary return at once; past MaxQueued the recording fails with
// ErrBackedUp, holding no more than that; once the disk moves, Close
// writes what waited and an index, and the file reads back.
func TestWriterBacksUpWithoutBlocking(t *testing.T) {
	g := &gate{open: make(chan struct{})}
	close(g.open) // the header goes through
	clk := &fakeClock{t: time.Unix(0, 0)}
	w, err := NewWriter(g, Header{ID: "q"}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	g.open = make(chan struct{}) // the disk stalls now
	rnd := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	if err := w.StartKeyframeAt(KeyframeInfo{Width: 8, Height: 8}, 0); err != nil {
		t.Fatal(err)
	}
	var failed error
	added := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 4*MaxQueued/len(data) && failed == nil; i++ {
			if failed = w.AddAt(Server, time.Duration(i)*time.Millisecond, data); failed != nil {
				break
			}
			added += len(data)
			failed = w.Boundary()
			if q := w.Queued(); q > MaxQueued {
				failed = fmt.Errorf("%d bytes wait, more than MaxQueued", q)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Add or Boundary waited for the stalled disk")
	}
	if !errors.Is(failed, ErrBackedUp) {
		t.Fatalf("after %d bytes with the disk stalled: %v, want ErrBackedUp", added, failed)
	}
	close(g.open)
	if err := w.Close(); !errors.Is(err, ErrBackedUp) {
		t.Fatalf("close: %v, want ErrBackedUp", err)
	}
	b := g.buf.Bytes()
	rd, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Index()) != 1 {
		t.Fatalf("index %v, want the keyframe", rd.Index())
	}
	c := rd.Chunks(rd.FirstChunk())
	n := 0
	for {
		ev, err := c.Next()
		if err != nil {
			break
		}
		if ev.Type == Server {
			n += len(ev.Data)
		}
	}
	if n == 0 || n > MaxQueued+ChunkTarget+len(data) {
		t.Fatalf("%d bytes of server events in the file", n)
	}
}

func TestCompressible(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 256<<10)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	pixels := make([]byte, 256<<10) // 32-bit pixels of a text screen
	for i := 0; i < len(pixels); i += 4 {
		if rnd.IntN(8) == 0 {
			pixels[i], pixels[i+1], pixels[i+2] = 0xaa, 0xaa, 0xaa
		}
	}
	for _, c := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"random (PNG, JPEG)", random, false},
		{"raw pixels", pixels, true},
		{"small input", []byte{4, 1, 0, 0, 0, 0, 0, 0x61, 5, 0, 0, 1, 0, 2}, true},
		{"small random", random[:3000], false},
	} {
		if got := compressible(c.b); got != c.want {
			t.Errorf("%s: compressible = %v, want %v", c.name, got, c.want)
		}
	}
}
