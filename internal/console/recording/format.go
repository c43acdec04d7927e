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

// Writer writes a recording. Its methods are safe for concurrent use (the
// relay's two directions write to it). Events are collected into a chunk
// in memory and written out compressed when the chunk is full or old, at
// a message boundary (Boundary).
type Writer struct {
	mu      sync.Mutex
	w       *bufio.Writer
	f       io.Writer
	off     int64
	start   time.Time
	now     func() time.Time
	chunk   bytes.Buffer
	chunkAt time.Duration // start of the chunk, since start
	opened  time.Time     // wall time the chunk was opened
	key     bool          // the chunk being collected is a keyframe
	index   []IndexEntry
	last    time.Duration
	comp    bytes.Buffer
	err     error
	closed  bool
}

// NewWriter writes the magic and h to w and returns a Writer. start is the
// recording's time zero; now gives the time (time.Now when nil; tests and
// the benchmark pass their own).
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
	return &Writer{w: bw, f: w, off: int64(12 + len(js)), start: h.Started, now: now}, nil
}

// Size returns the bytes written so far (with the chunk being collected,
// uncompressed).
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.off + int64(w.chunk.Len())
}

// Elapsed returns the time since the recording started.
func (w *Writer) Elapsed() time.Duration { return w.now().Sub(w.start) }

// Add appends an event stamped now. It returns the first write error met.
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
	if w.chunk.Len() == 0 && !w.key {
		w.chunkAt = at
		w.opened = w.now()
	}
	var hdr [1 + 2*binary.MaxVarintLen64]byte
	hdr[0] = byte(t)
	n := 1 + binary.PutUvarint(hdr[1:], uint64((at-w.chunkAt)/time.Microsecond))
	n += binary.PutUvarint(hdr[n:], uint64(len(data)))
	w.chunk.Write(hdr[:n])
	w.chunk.Write(data)
	if w.chunk.Len() > MaxChunkRaw-ChunkTarget {
		// A single message this large cannot be a keyframe any more.
		w.key = false
		w.err = w.flushLocked()
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
	if err := w.flushLocked(); err != nil {
		w.err = err
		return err
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
// boundary: a chunk that is full or old is written out. (Chunks end only
// at boundaries, so that a keyframe chunk holds its whole update.)
func (w *Writer) Boundary() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.chunk.Len() >= ChunkTarget || (w.chunk.Len() > 0 && w.now().Sub(w.opened) >= ChunkMaxAge) {
		w.err = w.flushLocked()
	}
	return w.err
}

// flushLocked writes the chunk being collected, compressed, and records a
// keyframe chunk in the index.
func (w *Writer) flushLocked() error {
	if w.chunk.Len() == 0 {
		w.key = false
		return nil
	}
	raw := w.chunk.Bytes()
	flags := byte(0)
	stored := raw
	// The screen mostly comes compressed already (TightPNG's PNG and JPEG
	// rectangles): a sample says whether DEFLATE pays before the whole
	// chunk is compressed, which would cost more CPU than the relay.
	if w.compressible(raw) {
		w.comp.Reset()
		fw := deflaters.Get().(*flate.Writer)
		fw.Reset(&w.comp)
		_, err := fw.Write(raw)
		if err == nil {
			err = fw.Close()
		}
		deflaters.Put(fw)
		if err != nil {
			return fmt.Errorf("compress recording chunk: %w", err)
		}
		if w.comp.Len() < len(raw) {
			flags |= flagDeflate
			stored = w.comp.Bytes()
		}
	}
	if w.key {
		flags |= flagKeyframe
		w.index = append(w.index, IndexEntry{At: w.chunkAt, Offset: w.off})
	}
	var hdr [chunkHdrSize]byte
	hdr[0] = 'C'
	hdr[1] = flags
	binary.BigEndian.PutUint32(hdr[2:], uint32(len(raw)))
	binary.BigEndian.PutUint32(hdr[6:], uint32(len(stored)))
	binary.BigEndian.PutUint64(hdr[10:], uint64(w.chunkAt/time.Microsecond))
	if _, err := w.w.Write(hdr[:]); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	if _, err := w.w.Write(stored); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	w.off += int64(chunkHdrSize + len(stored))
	w.chunk.Reset()
	w.key = false
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	// Do not keep a large chunk's buffer for the rest of the session.
	if w.chunk.Cap() > 4*ChunkTarget {
		w.chunk = bytes.Buffer{}
	}
	if w.comp.Cap() > 4*ChunkTarget {
		w.comp = bytes.Buffer{}
	}
	return nil
}

// sampleSize is how much of a chunk is compressed to judge the rest.
const sampleSize = 4 << 10

// compressible reports whether DEFLATE shrinks a sample of raw (from its
// middle) by at least an eighth.
func (w *Writer) compressible(raw []byte) bool {
	if len(raw) <= 2*sampleSize {
		return true
	}
	mid := len(raw)/2 - sampleSize/2
	sample := raw[mid : mid+sampleSize]
	var c countWriter
	fw := deflaters.Get().(*flate.Writer)
	fw.Reset(&c)
	_, _ = fw.Write(sample)
	_ = fw.Close()
	deflaters.Put(fw)
	return c.n < sampleSize-sampleSize/8
}

// countWriter counts bytes written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// Close writes the last chunk and the keyframe index. It does not close
// the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.flushLocked(); err != nil {
		w.err = err
		return err
	}
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
	w.err = w.w.Flush()
	return w.err
}

// Keyframes returns the keyframes written so far.
func (w *Writer) Keyframes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.index)
}
