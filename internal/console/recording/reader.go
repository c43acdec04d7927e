package recording

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrFormat says that a file is not a recording, or is damaged.
var ErrFormat = errors.New("not a console recording, or a damaged one")

// Reader reads a recording from a file.
type Reader struct {
	r        io.ReaderAt
	size     int64
	hdr      Header
	first    int64 // offset of the first chunk
	index    []IndexEntry
	end      int64 // offset after the last whole chunk
	duration time.Duration
}

// maxIndex bounds the keyframes a trailer may list.
const maxIndex = 1 << 20

// Open reads the header and the keyframe index of the recording in r (of
// size bytes). A file without its trailer (recording cut short) is indexed
// by scanning its chunk headers.
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	var pre [12]byte
	if _, err := r.ReadAt(pre[:], 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if string(pre[:8]) != Magic {
		return nil, fmt.Errorf("%w: bad magic", ErrFormat)
	}
	n := binary.BigEndian.Uint32(pre[8:])
	if n > maxHeaderSize || int64(n)+12 > size {
		return nil, fmt.Errorf("%w: header length %d", ErrFormat, n)
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, 12); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	rd := &Reader{r: r, size: size, first: 12 + int64(n)}
	if err := json.Unmarshal(js, &rd.hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if !rd.readTrailer() {
		if err := rd.scan(); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// readTrailer reads the index that Close wrote, and reports whether there
// was a valid one.
func (rd *Reader) readTrailer() bool {
	if rd.size < rd.first+16 {
		return false
	}
	var t [16]byte
	if _, err := rd.r.ReadAt(t[:], rd.size-16); err != nil || string(t[8:]) != trailerMagic {
		return false
	}
	at := int64(binary.BigEndian.Uint64(t[:8]))
	if at < rd.first || at+5 > rd.size-16 {
		return false
	}
	var ih [5]byte
	if _, err := rd.r.ReadAt(ih[:], at); err != nil || ih[0] != 'I' {
		return false
	}
	cnt := int64(binary.BigEndian.Uint32(ih[1:]))
	if cnt > maxIndex || at+5+16*cnt != rd.size-16 {
		return false
	}
	b := make([]byte, 16*cnt)
	if _, err := rd.r.ReadAt(b, at+5); err != nil {
		return false
	}
	idx := make([]IndexEntry, 0, cnt)
	for i := int64(0); i < cnt; i++ {
		e := IndexEntry{At: time.Duration(binary.BigEndian.Uint64(b[16*i:])) * time.Microsecond,
			Offset: int64(binary.BigEndian.Uint64(b[16*i+8:]))}
		if e.Offset < rd.first || e.Offset >= at || e.At < 0 {
			return false
		}
		idx = append(idx, e)
	}
	rd.index = idx
	rd.end = at
	// The duration is the last chunk's start plus its events: read the
	// chunk headers from the last keyframe on (few).
	from := rd.first
	if len(idx) > 0 {
		from = idx[len(idx)-1].Offset
	}
	rd.duration = rd.lastTime(from, at)
	return true
}

// chunkHeader is a chunk's header as read.
type chunkHeader struct {
	flags  byte
	raw    uint32
	stored uint32
	at     time.Duration
}

func (rd *Reader) chunkAt(off, limit int64) (chunkHeader, bool) {
	if off+chunkHdrSize > limit {
		return chunkHeader{}, false
	}
	var b [chunkHdrSize]byte
	if _, err := rd.r.ReadAt(b[:], off); err != nil || b[0] != 'C' {
		return chunkHeader{}, false
	}
	h := chunkHeader{flags: b[1], raw: binary.BigEndian.Uint32(b[2:]), stored: binary.BigEndian.Uint32(b[6:]),
		at: time.Duration(binary.BigEndian.Uint64(b[10:])&(1<<62-1)) * time.Microsecond}
	if h.raw > MaxChunkRaw || h.stored > MaxChunkRaw+MaxChunkRaw/8 || off+chunkHdrSize+int64(h.stored) > limit {
		return chunkHeader{}, false
	}
	return h, true
}

// scan rebuilds the index of a file that has no trailer.
func (rd *Reader) scan() error {
	off := rd.first
	for {
		h, ok := rd.chunkAt(off, rd.size)
		if !ok {
			break
		}
		if h.flags&flagKeyframe != 0 {
			rd.index = append(rd.index, IndexEntry{At: h.at, Offset: off})
		}
		off += chunkHdrSize + int64(h.stored)
	}
	rd.end = off
	from := rd.first
	if len(rd.index) > 0 {
		from = rd.index[len(rd.index)-1].Offset
	}
	rd.duration = rd.lastTime(from, off)
	return nil
}

// lastTime returns the time of the last event in the chunks from off to
// end: the recording's duration.
func (rd *Reader) lastTime(off, end int64) time.Duration {
	var last time.Duration
	var lastOff int64 = -1
	for {
		h, ok := rd.chunkAt(off, end)
		if !ok {
			break
		}
		last, lastOff = h.at, off
		off += chunkHdrSize + int64(h.stored)
	}
	if lastOff < 0 {
		return 0
	}
	c := rd.Chunks(lastOff)
	for {
		ev, err := c.Next()
		if err != nil {
			break
		}
		last = ev.At
	}
	return last
}

// Header returns the recording's header.
func (rd *Reader) Header() Header { return rd.hdr }

// Index returns the keyframes, oldest first.
func (rd *Reader) Index() []IndexEntry { return rd.index }

// Duration returns the time of the last event.
func (rd *Reader) Duration() time.Duration { return rd.duration }

// Seek returns the keyframe to start from to show time at: the last one at
// or before at (the first one if at is before it). ok is false when the
// recording has no keyframe.
func (rd *Reader) Seek(at time.Duration) (e IndexEntry, i int, ok bool) {
	if len(rd.index) == 0 {
		return IndexEntry{}, -1, false
	}
	lo, hi := 0, len(rd.index)
	for lo < hi { // first entry after at
		m := (lo + hi) / 2
		if rd.index[m].At <= at {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo > 0 {
		lo--
	}
	return rd.index[lo], lo, true
}

// Chunks returns a cursor over the events from the chunk at offset off
// (a keyframe's, or the first chunk's: FirstChunk) to the end.
func (rd *Reader) Chunks(off int64) *Cursor {
	return &Cursor{rd: rd, off: off}
}

// FirstChunk is the offset of the first chunk.
func (rd *Reader) FirstChunk() int64 { return rd.first }

// Cursor reads events in order.
type Cursor struct {
	rd    *Reader
	off   int64
	buf   []byte
	pos   int
	base  time.Duration
	chunk int
	// KeyframeChunk reports whether the chunk that the last event came
	// from is a keyframe chunk, and ChunkStart its offset.
	KeyframeChunk bool
	ChunkStart    int64
}

// Next returns the next event, io.EOF at the end. Its Data stays valid
// until the cursor moves to another chunk.
func (c *Cursor) Next() (Event, error) {
	for c.pos >= len(c.buf) {
		if err := c.load(); err != nil {
			return Event{}, err
		}
	}
	b := c.buf[c.pos:]
	t := EventType(b[0])
	dt, n1 := binary.Uvarint(b[1:])
	if n1 <= 0 {
		return Event{}, fmt.Errorf("%w: bad event time", ErrFormat)
	}
	l, n2 := binary.Uvarint(b[1+n1:])
	if n2 <= 0 || l > uint64(len(b)-1-n1-n2) {
		return Event{}, fmt.Errorf("%w: bad event length", ErrFormat)
	}
	if dt > uint64(1<<62)/uint64(time.Microsecond) {
		return Event{}, fmt.Errorf("%w: bad event time", ErrFormat)
	}
	s := 1 + n1 + n2
	ev := Event{Type: t, At: c.base + time.Duration(dt)*time.Microsecond, Data: b[s : s+int(l)]}
	c.pos += s + int(l)
	return ev, nil
}

func (c *Cursor) load() error {
	h, ok := c.rd.chunkAt(c.off, c.rd.end)
	if !ok {
		return io.EOF
	}
	stored := make([]byte, h.stored)
	if _, err := c.rd.r.ReadAt(stored, c.off+chunkHdrSize); err != nil {
		return fmt.Errorf("read recording: %w", err)
	}
	raw := stored
	if h.flags&flagDeflate != 0 {
		raw = make([]byte, h.raw)
		fr := flate.NewReader(bytes.NewReader(stored))
		_, err := io.ReadFull(fr, raw)
		_ = fr.Close()
		if err != nil {
			return fmt.Errorf("%w: chunk at %d: %v", ErrFormat, c.off, err)
		}
	} else if uint32(len(raw)) != h.raw {
		return fmt.Errorf("%w: chunk at %d: length", ErrFormat, c.off)
	}
	c.ChunkStart = c.off
	c.KeyframeChunk = h.flags&flagKeyframe != 0
	c.buf, c.pos, c.base = raw, 0, h.at
	c.off += chunkHdrSize + int64(h.stored)
	c.chunk++
	return nil
}
