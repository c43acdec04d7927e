// Package recording is the file format of console recordings: the RFB
// bytes a VM's VNC server sent to the browser and the user's input, with
// timestamps, in compressed chunks, with keyframes (a full framebuffer
// update that needs no earlier decoder state) so that a player can seek
// without replaying from the start. docs/design-notes.md ("Console
// recordings") describes the format; package vnc feeds a Writer from its
// relay, and the API serves what a Reader gives.
//
// Layout of a file:
//
//	"KVMREC\x00\x01"              magic and version
//	u32 n, n bytes                the header, JSON (Header)
//	chunks, each:
//	  'C', u8 flags (1 = keyframe), u32 raw length, u32 stored length,
//	  u64 start (µs since the recording started), stored bytes
//	  (raw DEFLATE of the events when flags&2, else the events as they are)
//	trailer (written by Close): 'I', u32 n, n × (u64 start µs, u64 offset),
//	  u64 offset of the 'I', "KVMRIDX\x00"
//
// An event inside a chunk is: u8 type, uvarint time (µs since the chunk's
// start), uvarint length, bytes. A file cut short (a crash) is read up to
// its last whole chunk; the index is then rebuilt by scanning the chunk
// headers, which needs no decompression.
package recording

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// Magic starts every recording file.
const Magic = "KVMREC\x00\x01"

const (
	trailerMagic  = "KVMRIDX\x00"
	chunkHdrSize  = 1 + 1 + 4 + 4 + 8
	flagKeyframe  = 1
	flagDeflate   = 2
	maxHeaderSize = 1 << 20
	// MaxChunkRaw bounds one chunk's events (a reader refuses larger
	// ones, so that a damaged file cannot make it allocate much). A chunk
	// normally ends near ChunkTarget; a keyframe's full update may make it
	// larger.
	MaxChunkRaw = 64 << 20
	// ChunkTarget is the raw size at which a writer ends a chunk at the
	// next message boundary.
	ChunkTarget = 256 << 10
	// ChunkMaxAge is how long a chunk may collect events before it is
	// written out at the next message boundary, so that a crash loses at
	// most about this much.
	ChunkMaxAge = 2 * time.Second
)

// EventType says what an event holds.
type EventType uint8

// The event types.
const (
	// Server is bytes of the VNC server's stream to the browser.
	Server EventType = 1
	// Input is one client-to-server RFB message from the browser: a
	// KeyEvent, PointerEvent or QEMU extended KeyEvent.
	Input EventType = 2
	// Keyframe starts a keyframe chunk: u16 width, u16 height, then the
	// 16-byte RFB pixel format and the desktop name; the Server bytes that
	// follow begin with a full framebuffer update that needs no earlier
	// decoder state.
	Keyframe EventType = 3
	// Client is another client message worth keeping for the player:
	// SetPixelFormat or SetEncodings as the browser sent them.
	Client EventType = 4
)

// Header describes a recording; it is JSON in the file.
type Header struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Host    string    `json:"host"`
	UUID    string    `json:"uuid"`
	VMName  string    `json:"vmName"`
	User    string    `json:"user"`
	Started time.Time `json:"started"`
	// ServerInit is the VNC server's ServerInit message as the browser got
	// it (size, pixel format, name).
	ServerInit []byte `json:"serverInit"`
	// Reason is why it records: "manual" or "policy".
	Reason string `json:"reason,omitempty"`
}

// Event is one timestamped item of a recording.
type Event struct {
	Type EventType
	// At is the time since the recording started.
	At   time.Duration
	Data []byte
}

// KeyframeInfo is the content of a Keyframe event.
type KeyframeInfo struct {
	Width, Height uint16
	PixelFormat   [16]byte
	Name          string
}

// Marshal encodes k as a Keyframe event's data.
func (k KeyframeInfo) Marshal() []byte {
	b := make([]byte, 4+16+len(k.Name))
	binary.BigEndian.PutUint16(b, k.Width)
	binary.BigEndian.PutUint16(b[2:], k.Height)
	copy(b[4:], k.PixelFormat[:])
	copy(b[20:], k.Name)
	return b
}

// ParseKeyframe decodes a Keyframe event's data.
func ParseKeyframe(b []byte) (KeyframeInfo, error) {
	if len(b) < 20 {
		return KeyframeInfo{}, errors.New("keyframe event too short")
	}
	k := KeyframeInfo{Width: binary.BigEndian.Uint16(b), Height: binary.BigEndian.Uint16(b[2:]), Name: string(b[20:])}
	copy(k.PixelFormat[:], b[4:20])
	return k, nil
}

// IndexEntry is one keyframe: where its chunk starts in the file and when.
type IndexEntry struct {
	At     time.Duration `json:"at"`
	Offset int64         `json:"offset"`
}

// deflaters keeps compressors: one holds about 1 MiB of state.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return w
}}

// keepBufs is how many chunk buffers a Writer keeps for reuse: one being
// collected and one being written is the steady state; more exist only
// while chunks wait for the disk, and are dropped after.
const keepBufs = 3

// MaxQueued bounds the chunks waiting for the disk, in bytes: a recording
// whose disk falls this far behind ends (ErrBackedUp) rather than hold
// more memory or slow the console down. One chunk larger than this (a
// keyframe's full update) may wait alone.
const MaxQueued = 16 << 20

// ErrBackedUp ends a recording whose chunks wait for the disk beyond
// MaxQueued.
var ErrBackedUp = errors.New("the disk did not keep up with the console")

// job is a chunk handed to the writing goroutine.
type job struct {
	raw   *[]byte
	key   bool
	start time.Duration
}

// Writer writes a recording. Its methods are safe for concurrent use (the
// relay's two directions write to it). Events are collected into a chunk
// in memory; a chunk that is full or old is handed, at a message boundary
// (Boundary), to a goroutine of the Writer that compresses it if that
// pays and writes it, so that the relay never waits for the disk. At most
// MaxQueued bytes wait; beyond that the recording fails (ErrBackedUp).
type Writer struct {
	mu      sync.Mutex
	w       *bufio.Writer
	off     int64 // bytes written by the goroutine
	queued  int64 // bytes handed to the goroutine, not yet written
	start   time.Time
	now     func() time.Time
	chunk   *[]byte
	chunkAt time.Duration // start of the chunk, since start
	opened  time.Time     // wall time the chunk was opened
	key     bool          // the chunk being collected is a keyframe
	index   []IndexEntry
	last    time.Duration
	err     error
	closed  bool
	q       chan job
	done    chan struct{}
	// comp is the goroutine's compression buffer.
	comp bytes.Buffer
	// free holds chunk buffers for reuse (keepBufs at most), so that a
	// busy recording allocates none per chunk.
	free chan *[]byte
}

// NewWriter writes the magic and h to w and returns a Writer. start is the
// recording's time zero; now gives the time (time.Now when nil; tests and
// the benchmark pass their own). Close must be called: it ends the
// Writer's goroutine.
func NewWriter(w io.Writer, h Header, now func() time.Time) (*Writer, error) {
	if now == nil {
		now = time.Now
	}
	h.Version = 1
	if h.Started.IsZero() {
		h.Started = now()
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode recording header: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var hdr [12]byte
	copy(hdr[:], Magic)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(js)))
	if _, err := bw.Write(hdr[:]); err != nil {
		return nil, err
	}
	if _, err := bw.Write(js); err != nil {
		return nil, err
	}
	// The header goes out now: a running recording can be listed.
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	wr := &Writer{w: bw, off: int64(12 + len(js)), start: h.Started, now: now,
		q: make(chan job, MaxQueued/ChunkTarget+1), done: make(chan struct{}), free: make(chan *[]byte, keepBufs)}
	wr.chunk = wr.getChunk()
	go wr.run()
	return wr, nil
}

// Size returns the bytes written so far, with those waiting to be written
// and the chunk being collected (uncompressed).
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.off + w.queued + int64(len(*w.chunk))
}

// Queued returns the bytes waiting for the disk (the memory a recording
// holds beyond the chunk being collected).
func (w *Writer) Queued() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.queued
}

// Elapsed returns the time since the recording started.
func (w *Writer) Elapsed() time.Duration { return w.now().Sub(w.start) }

// Err returns the error that ended the recording, if any.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Add appends an event stamped now. It returns the first error met.
func (w *Writer) Add(t EventType, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addLocked(t, w.now().Sub(w.start), data)
}

// AddAt appends an event with its own time (the benchmark and tests build
// long recordings quickly this way). Times must not go backwards; an
// earlier time is recorded as the latest one.
func (w *Writer) AddAt(t EventType, at time.Duration, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addLocked(t, at, data)
}

func (w *Writer) addLocked(t EventType, at time.Duration, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("recording closed")
	}
	if at < w.last {
		at = w.last
	}
	w.last = at
	c := *w.chunk
	if len(c) == 0 && !w.key {
		w.chunkAt = at
		w.opened = w.now()
	}
	c = append(c, byte(t))
	c = binary.AppendUvarint(c, uint64((at-w.chunkAt)/time.Microsecond))
	c = binary.AppendUvarint(c, uint64(len(data)))
	c = append(c, data...)
	*w.chunk = c
	if len(c) > MaxChunkRaw-ChunkTarget {
		// A single message this large cannot be a keyframe any more.
		w.key = false
		w.flushLocked()
	}
	return w.err
}

// StartKeyframe ends the chunk being collected and starts a keyframe
// chunk with a Keyframe event (k) at the current time. The Server bytes
// added next must start a full framebuffer update; if it turns out not to
// be full, call CancelKeyframe.
func (w *Writer) StartKeyframe(k KeyframeInfo) error {
	return w.StartKeyframeAt(k, -1)
}

// StartKeyframeAt is StartKeyframe with its own time (at < 0: now).
func (w *Writer) StartKeyframeAt(k KeyframeInfo, at time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if at < 0 {
		at = w.now().Sub(w.start)
	}
	if at < w.last {
		at = w.last
	}
	if w.flushLocked(); w.err != nil {
		return w.err
	}
	w.key = true
	w.chunkAt = at
	w.opened = w.now()
	return w.addLocked(Keyframe, at, k.Marshal())
}

// CancelKeyframe makes the chunk being collected an ordinary one: the
// update that followed StartKeyframe did not cover the screen.
func (w *Writer) CancelKeyframe() {
	w.mu.Lock()
	w.key = false
	w.mu.Unlock()
}

// Boundary tells the writer that the server stream is at a message
// boundary: a chunk that is full or old is handed on to be written.
// (Chunks end only at boundaries, so that a keyframe chunk holds its
// whole update.)
func (w *Writer) Boundary() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if n := len(*w.chunk); n >= ChunkTarget || (n > 0 && w.now().Sub(w.opened) >= ChunkMaxAge) {
		w.flushLocked()
	}
	return w.err
}

// flushLocked hands the chunk being collected to the writing goroutine,
// or fails the recording (w.err) when too much already waits.
func (w *Writer) flushLocked() {
	n := int64(len(*w.chunk))
	if n == 0 || w.err != nil {
		w.key = false
		return
	}
	if w.queued > 0 && w.queued+n > MaxQueued {
		w.err = ErrBackedUp
		w.key = false
		return
	}
	select {
	case w.q <- job{raw: w.chunk, key: w.key, start: w.chunkAt}:
		w.queued += n
	default: // as many small chunks wait as the queue holds
		w.err = ErrBackedUp
		w.key = false
		return
	}
	w.chunk = w.getChunk()
	w.key = false
}

// getChunk returns an empty chunk buffer, a kept one if there is one.
func (w *Writer) getChunk() *[]byte {
	select {
	case b := <-w.free:
		*b = (*b)[:0]
		return b
	default:
		b := make([]byte, 0, ChunkTarget+64<<10)
		return &b
	}
}

// putChunk keeps b for reuse, unless enough are kept or it is large (one
// whole update).
func (w *Writer) putChunk(b *[]byte) {
	if cap(*b) > 4*ChunkTarget {
		return
	}
	select {
	case w.free <- b:
	default:
	}
}

// run writes the chunks handed to it until Close closes the queue.
func (w *Writer) run() {
	defer close(w.done)
	for j := range w.q {
		n := int64(len(*j.raw))
		off, err := w.write(j)
		w.putChunk(j.raw)
		w.mu.Lock()
		w.queued -= n
		if err != nil && w.err == nil {
			w.err = err
		}
		if err == nil {
			if j.key {
				w.index = append(w.index, IndexEntry{At: j.start, Offset: w.off})
			}
			w.off = off
		}
		w.mu.Unlock()
	}
}

// write writes one chunk, compressed if that pays, and returns the file
// offset after it. Only the goroutine calls it (w.comp is its own; w.off
// changes only here).
func (w *Writer) write(j job) (int64, error) {
	w.mu.Lock()
	off := w.off
	failed := w.err != nil
	w.mu.Unlock()
	if failed {
		return off, nil // the recording failed: what waits is dropped
	}
	raw := *j.raw
	flags := byte(0)
	stored := raw
	// The screen mostly comes compressed already (TightPNG's PNG and JPEG
	// rectangles): an estimate from samples says whether DEFLATE may pay
	// before the chunk is compressed, which would cost more CPU than the
	// relay.
	if compressible(raw) {
		w.comp.Reset()
		fw := deflaters.Get().(*flate.Writer)
		fw.Reset(&w.comp)
		_, err := fw.Write(raw)
		if err == nil {
			err = fw.Close()
		}
		deflaters.Put(fw)
		if err != nil {
			return off, fmt.Errorf("compress recording chunk: %w", err)
		}
		if w.comp.Len() < len(raw) {
			flags |= flagDeflate
			stored = w.comp.Bytes()
		}
	}
	if j.key {
		flags |= flagKeyframe
	}
	var hdr [chunkHdrSize]byte
	hdr[0] = 'C'
	hdr[1] = flags
	binary.BigEndian.PutUint32(hdr[2:], uint32(len(raw)))
	binary.BigEndian.PutUint32(hdr[6:], uint32(len(stored)))
	binary.BigEndian.PutUint64(hdr[10:], uint64(j.start/time.Microsecond))
	if _, err := w.w.Write(hdr[:]); err != nil {
		return off, fmt.Errorf("write recording: %w", err)
	}
	if _, err := w.w.Write(stored); err != nil {
		return off, fmt.Errorf("write recording: %w", err)
	}
	if err := w.w.Flush(); err != nil {
		return off, fmt.Errorf("write recording: %w", err)
	}
	if w.comp.Cap() > 4*ChunkTarget {
		w.comp = bytes.Buffer{}
	}
	return off + int64(chunkHdrSize+len(stored)), nil
}

// compressible estimates whether DEFLATE shrinks raw by at least an
// eighth, from the order-0 entropy of three 2 KiB samples (start, middle,
// end): bytes that are already compressed (PNG, JPEG) carry close to 8
// bits each, while raw pixels, fills, headers and input do not. Counting
// bytes costs about a twentieth of compressing the samples, which is
// what this did before (docs/benchmarks.md). It may miss long repeats
// in high-entropy bytes, which a screen rarely has; the cost of a miss is
// a chunk stored as it is.
func compressible(raw []byte) bool {
	const sample = 2 << 10
	if len(raw) <= 3*sample {
		return entropyBits(raw) < 7
	}
	var hist [256]int
	for _, at := range [3]int{0, len(raw)/2 - sample/2, len(raw) - sample} {
		for _, b := range raw[at : at+sample] {
			hist[b]++
		}
	}
	return entropyOf(&hist, 3*sample) < 7
}

func entropyBits(p []byte) float64 {
	var hist [256]int
	for _, b := range p {
		hist[b]++
	}
	return entropyOf(&hist, len(p))
}

// entropyOf is the order-0 entropy in bits per byte of n bytes counted
// in hist.
func entropyOf(hist *[256]int, n int) float64 {
	if n == 0 {
		return 0
	}
	e := 0.0
	fn := float64(n)
	for _, c := range hist {
		if c > 0 {
			p := float64(c) / fn
			e -= p * math.Log2(p)
		}
	}
	return e
}

// Close writes the last chunk and the keyframe index, after what waits.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return w.Err()
	}
	w.closed = true
	w.flushLocked()
	close(w.q)
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunk = new([]byte)
	if w.err != nil && !errors.Is(w.err, ErrBackedUp) {
		return w.err
	}
	// A recording that fell behind keeps what was written, with its
	// index, so that it plays up to there.
	b := make([]byte, 0, 5+16*len(w.index)+16)
	b = append(b, 'I')
	b = binary.BigEndian.AppendUint32(b, uint32(len(w.index)))
	for _, e := range w.index {
		b = binary.BigEndian.AppendUint64(b, uint64(e.At/time.Microsecond))
		b = binary.BigEndian.AppendUint64(b, uint64(e.Offset))
	}
	b = binary.BigEndian.AppendUint64(b, uint64(w.off))
	b = append(b, trailerMagic...)
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
		return err
	}
	return w.err
}

// Keyframes returns the keyframes written so far.
func (w *Writer) Keyframes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.index)
}
