package storage

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// The prefetching reader hands over exactly the first limit bytes of its
// source, in order, whatever the sizes of the reads on both sides, and the
// error that ended the source after its bytes.
func TestPrefetchReader(t *testing.T) {
	src := make([]byte, 1<<20+12345)
	for i := range src {
		src[i] = byte(rand.IntN(256))
	}
	for _, tc := range []struct {
		limit       uint64
		count, size int
	}{{uint64(len(src)), 2, 4096}, {uint64(len(src)), 4, 1 << 20}, {1000, 3, 64}, {0, 2, 16}} {
		p := newPrefetchReader(iotest.HalfReader(bytes.NewReader(src)), tc.limit, tc.count, tc.size)
		got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(p, 1<<30)))
		p.Close()
		if err != nil || !bytes.Equal(got, src[:tc.limit]) {
			t.Errorf("%+v: read %d bytes (%v), want the first %d", tc, len(got), err, tc.limit)
		}
	}
	// A source that fails: its bytes, then its error.
	boom := errors.New("boom")
	p := newPrefetchReader(io.MultiReader(bytes.NewReader(src[:5000]), iotest.ErrReader(boom)), 1<<30, 2, 1024)
	got, err := io.ReadAll(p)
	p.Close()
	if !errors.Is(err, boom) || !bytes.Equal(got, src[:5000]) {
		t.Errorf("failing source: %d bytes, %v", len(got), err)
	}
	// A source shorter than the limit: its bytes, then EOF.
	p = newPrefetchReader(bytes.NewReader(src[:100]), 1000, 2, 64)
	got, err = io.ReadAll(p)
	p.Close()
	if err != nil || len(got) != 100 {
		t.Errorf("short source: %d bytes, %v", len(got), err)
	}
	// The consumer gives up early: Close stops the filler.
	p = newPrefetchReader(bytes.NewReader(src), uint64(len(src)), 2, 64)
	_, _ = p.Read(make([]byte, 10))
	p.Close()
}
