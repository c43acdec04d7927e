package storage

import (
	"io"
	"sync"
)

// prefetchReader reads ahead of its consumer: a goroutine fills buffers
// from r (at most limit bytes in all) while the consumer, libvirt's stream,
// sends the previous ones. An upload thus waits for the slower of the two
// sides, not for their sum (it used to read a piece from the HTTP body,
// then send it, one after the other).
type prefetchReader struct {
	full chan prefetched // filled buffers, in order
	free chan []byte     // buffers to fill again
	done chan struct{}   // closed by Close: the filler stops
	wg   sync.WaitGroup

	cur  []byte // unread part of the buffer being consumed
	buf  []byte // that buffer, to give back once consumed
	err  error  // the error that ended the stream, once reached
	once sync.Once
}

type prefetched struct {
	buf []byte
	n   int
	err error
}

// newPrefetchReader reads limit bytes of r ahead in count buffers of size
// bytes. Close must be called (after whatever unblocks a pending read of r,
// if the consumer gives up early) before r may be dropped.
func newPrefetchReader(r io.Reader, limit uint64, count, size int) *prefetchReader {
	p := &prefetchReader{full: make(chan prefetched, count), free: make(chan []byte, count), done: make(chan struct{})}
	for range count {
		p.free <- make([]byte, size)
	}
	p.wg.Add(1)
	go p.fill(r, limit)
	return p
}

func (p *prefetchReader) fill(r io.Reader, limit uint64) {
	defer p.wg.Done()
	defer close(p.full)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.done:
			return
		}
		want := buf
		if uint64(len(want)) > limit {
			want = want[:limit]
		}
		if len(want) == 0 {
			p.full <- prefetched{buf: buf, err: io.EOF}
			return
		}
		n, err := io.ReadFull(r, want)
		limit -= uint64(n)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // the consumer counts the bytes and says what is missing
		}
		select {
		case p.full <- prefetched{buf: buf, n: n, err: err}:
		case <-p.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns prefetched bytes, then the error that ended the reading.
func (p *prefetchReader) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if p.buf != nil {
			p.free <- p.buf // never blocks: count buffers in all
			p.buf = nil
		}
		c, ok := <-p.full
		if !ok {
			p.err = io.EOF
			continue
		}
		p.buf, p.cur = c.buf, c.buf[:c.n]
		if c.err != nil {
			p.err = c.err
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// Close stops the filler and waits for it: after Close, r is not read any
// more. A filler blocked in r.Read returns only when that read does.
func (p *prefetchReader) Close() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}
