// Package wsframe is the console's own WebSocket (RFC 6455): framing, the
// server's opening handshake, and the client end once its handshake is done.
//
// It is written here rather than taken from a library: the VNC relay writes
// each server frame as one header and payload in a single write from a
// reused buffer, reads client frames into a reused buffer and unmasks them
// in place, and so allocates nothing per message and needs no goroutine
// handoff or per-call context (docs/benchmarks.md has the profile that led
// here). Only what a console needs is supported: binary messages, no
// extensions (so no compression), ping/pong and the close handshake;
// everything else is refused with a close code that says why.
package wsframe

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// WebSocket opcodes.
const (
	wsOpContinuation = 0x0
	wsOpText         = 0x1
	wsOpBinary       = 0x2
	wsOpClose        = 0x8
	wsOpPing         = 0x9
	wsOpPong         = 0xa
)

// WebSocket close status codes (RFC 6455 §7.4.1), for [Conn.SendClose]
// and in a [CloseError].
const (
	StatusNormal         = 1000
	StatusGoingAway      = 1001
	StatusProtocolError  = 1002
	StatusUnsupported    = 1003
	StatusNoStatus       = 1005 // never sent: an empty close frame
	StatusInvalidPayload = 1007
	StatusTooBig         = 1009
	StatusInternalError  = 1011
)

// Headroom is the room left before a payload for its frame header: two
// bytes, eight for a 64-bit length and four for a client's mask. A buffer
// given to [Conn.WriteMessage] starts with it.
const Headroom = 14

// wsMaxControl is the largest control frame payload (RFC 6455 §5.5).
const wsMaxControl = 125

// CloseWait bounds the close handshake: how long an endpoint that sent a
// close frame waits for the answer before it closes the connection.
const CloseWait = 5 * time.Second

// CloseError is how a WebSocket ended: the close frame the peer sent, or
// the one this end sent when it failed the connection (Local).
type CloseError struct {
	Code   int
	Reason string
	// Local is true when this end closed the connection because the peer
	// broke the protocol.
	Local bool
}

// Error describes the close.
func (e *CloseError) Error() string {
	who := "peer"
	if e.Local {
		who = "websocket failed"
	}
	if e.Reason == "" {
		return fmt.Sprintf("%s: close %d", who, e.Code)
	}
	return fmt.Sprintf("%s: close %d: %s", who, e.Code, e.Reason)
}

// ErrClosing is returned by writes (and pings) after this end sent its
// close frame.
var ErrClosing = errors.New("websocket: the connection is closing")

// errWSBusy is returned when a control frame could not be sent in time
// because a write of the other direction held the connection.
var errWSBusy = errors.New("websocket: timed out waiting to write")

// Conn is one end of a WebSocket, as the console uses it: Read returns the
// payload of the binary messages received as one byte stream (answering
// pings and the close handshake on the way), Write sends each call as one
// binary message. One goroutine may read and one write at a time; control
// frames may be sent from any goroutine. The server end is made by the
// console proxy with [Accept]; the client end with [NewClient], after a
// client's opening handshake (the test clients in internal/console/consoletest).
type Conn struct {
	nc     net.Conn
	client bool // this end masks what it sends and expects unmasked frames

	// Reading, by one goroutine at a time.
	rbuf       []byte
	rpos, rend int     // unread bytes are rbuf[rpos:rend]
	left       int64   // payload bytes of the current data frame not yet read
	mask       [4]byte // of the current data frame
	masked     bool
	maskPos    int
	inMessage  bool  // a fragmented message continues
	msgLen     int64 // bytes of the current message so far
	limit      int64 // largest message accepted; 0 for no limit
	rerr       error // sticky: once reading failed, it fails for good

	// Writing. wlock is a one-slot semaphore rather than a mutex so that a
	// ping or close can give up waiting for it.
	wlock     chan struct{}
	closeSent bool                          // guarded by wlock
	cbuf      [Headroom + wsMaxControl]byte // guarded by wlock: control frames
	wbuf      []byte                        // the writing goroutine's: Write's copy

	pongs     chan struct{} // a pong arrived
	closed    chan struct{} // closed by CloseNow
	closeOnce sync.Once
}

func newConn(nc net.Conn, client bool, bufSize int, buffered []byte) *Conn {
	c := &Conn{
		nc: nc, client: client,
		rbuf:  make([]byte, max(bufSize, 2*len(buffered), 512)),
		wlock: make(chan struct{}, 1), pongs: make(chan struct{}, 1), closed: make(chan struct{}),
	}
	c.rend = copy(c.rbuf, buffered)
	return c
}

// NewClient makes the client end of a WebSocket on nc, whose opening
// handshake is done: buffered holds what the server sent right behind its
// answer, and bufSize is the read buffer's size (a large payload bypasses
// it and goes straight into the caller's buffer).
func NewClient(nc net.Conn, bufSize int, buffered []byte) *Conn {
	return newConn(nc, true, bufSize, buffered)
}

// SetReadDeadline sets the underlying connection's read deadline: a
// reader blocked in Read returns once it has passed.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetReadLimit bounds the size of one message; a larger one fails the
// connection with status 1009. n <= 0 means no limit.
func (c *Conn) SetReadLimit(n int64) { c.limit = max(n, 0) }

// wsFrameHeader is a parsed frame header.
type wsFrameHeader struct {
	fin    bool
	rsv    byte // the three reserved bits, in place
	op     byte
	masked bool
	mask   [4]byte
	length int64
	size   int // bytes of the header itself
}

// parseWSHeader parses the frame header at the start of b. ok is false when
// b holds only part of it.
func parseWSHeader(b []byte) (h wsFrameHeader, ok bool, err error) {
	if len(b) < 2 {
		return h, false, nil
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = b[0] & 0x70
	h.op = b[0] & 0x0f
	h.masked = b[1]&0x80 != 0
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, false, nil
		}
		h.length, n = int64(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return h, false, nil
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return h, true, errors.New("frame length has its most significant bit set")
		}
		h.length, n = int64(u), 10
	default:
		h.length = int64(l)
	}
	if h.masked {
		if len(b) < n+4 {
			return h, false, nil
		}
		copy(h.mask[:], b[n:n+4])
		n += 4
	}
	h.size = n
	return h, true, nil
}

// wsPutHeader writes the header of a final frame of type op with an n-byte
// payload into the end of dst (Headroom bytes), masked with key when mask
// is set, and returns where the header starts.
func wsPutHeader(dst []byte, op byte, n int, mask bool, key [4]byte) int {
	size := 2
	switch {
	case n > 0xffff:
		size += 8
	case n > 125:
		size += 2
	}
	if mask {
		size += 4
	}
	b := dst[Headroom-size : Headroom]
	b[0] = 0x80 | op
	switch {
	case n > 0xffff:
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:10], uint64(n))
	case n > 125:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:4], uint16(n))
	default:
		b[1] = byte(n)
	}
	if mask {
		b[1] |= 0x80
		copy(b[size-4:], key[:])
	}
	return Headroom - size
}

// wsMask XORs b with the masking key, starting at byte pos of the key, and
// returns the key position after b. Eight bytes at a time.
func wsMask(key [4]byte, pos int, b []byte) int {
	if len(b) >= 8 {
		var k [8]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		k64 := binary.LittleEndian.Uint64(k[:])
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}

// Read reads payload bytes of binary messages. It returns what the buffer
// already holds without waiting for more, so that input events that arrive
// together leave together. Control frames are handled on the way: pings
// are answered; a close frame is answered and ends reading with a
// *CloseError; a frame that breaks the protocol fails the connection
// with a close frame saying why (also a *CloseError, Local).
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if c.rerr != nil {
			if n > 0 {
				return n, nil
			}
			return 0, c.rerr
		}
		buffered := c.rend - c.rpos
		if c.left > 0 {
			if buffered == 0 {
				if n > 0 {
					return n, nil
				}
				// A large payload goes straight into p, without a copy.
				if want := min(c.left, int64(len(p))); want >= int64(len(c.rbuf)/2) {
					k, err := c.nc.Read(p[:want])
					c.payload(p[:k])
					n = k
					if err != nil && k == 0 {
						c.rerr = err
					}
					continue
				}
				c.fill()
				continue
			}
			k := int(min(c.left, int64(buffered), int64(len(p)-n)))
			copy(p[n:n+k], c.rbuf[c.rpos:c.rpos+k])
			c.rpos += k
			c.payload(p[n : n+k])
			n += k
			continue
		}
		h, ok, err := parseWSHeader(c.rbuf[c.rpos:c.rend])
		if err != nil {
			c.fail(StatusProtocolError, err.Error())
			continue
		}
		if ok {
			if code, msg := c.check(h); code != 0 {
				c.fail(code, msg)
				continue
			}
		}
		if !ok || (h.op >= wsOpClose && buffered < h.size+int(h.length)) {
			if n > 0 {
				return n, nil
			}
			c.fill()
			continue
		}
		c.rpos += h.size
		if h.op >= wsOpClose {
			body := c.rbuf[c.rpos : c.rpos+int(h.length)]
			c.rpos += int(h.length)
			if h.masked {
				wsMask(h.mask, 0, body)
			}
			c.control(h.op, body)
			continue
		}
		if h.op != wsOpContinuation {
			c.msgLen = 0
		}
		c.msgLen += h.length
		if c.limit > 0 && c.msgLen > c.limit {
			c.fail(StatusTooBig, fmt.Sprintf("message larger than %d bytes", c.limit))
			continue
		}
		c.inMessage = !h.fin
		c.left, c.mask, c.masked, c.maskPos = h.length, h.mask, h.masked, 0
	}
	return n, nil
}

// payload accounts for (and unmasks) b, the next bytes of the current frame.
func (c *Conn) payload(b []byte) {
	if c.masked {
		c.maskPos = wsMask(c.mask, c.maskPos, b)
	}
	c.left -= int64(len(b))
}

// fill reads more of the connection into the buffer, after moving what is
// left of it (never more than a partial header or control frame) to the
// start.
func (c *Conn) fill() {
	if c.rpos > 0 {
		c.rend = copy(c.rbuf, c.rbuf[c.rpos:c.rend])
		c.rpos = 0
	}
	k, err := c.nc.Read(c.rbuf[c.rend:])
	c.rend += k
	if err != nil && k == 0 {
		c.rerr = err
	}
}

// check says what is wrong with a frame header (a close status and a
// reason), or returns code 0.
func (c *Conn) check(h wsFrameHeader) (int, string) {
	switch {
	case h.rsv != 0:
		return StatusProtocolError, "reserved bits set, but no extension was agreed"
	case !c.client && !h.masked:
		return StatusProtocolError, "unmasked frame from the client"
	case c.client && h.masked:
		return StatusProtocolError, "masked frame from the server"
	}
	switch h.op {
	case wsOpClose, wsOpPing, wsOpPong:
		if !h.fin {
			return StatusProtocolError, "fragmented control frame"
		}
		if h.length > wsMaxControl {
			return StatusProtocolError, "control frame longer than 125 bytes"
		}
	case wsOpContinuation:
		if !c.inMessage {
			return StatusProtocolError, "continuation frame without a message to continue"
		}
	case wsOpBinary:
		if c.inMessage {
			return StatusProtocolError, "new message before the previous one ended"
		}
	case wsOpText:
		if c.inMessage {
			return StatusProtocolError, "new message before the previous one ended"
		}
		return StatusUnsupported, "binary messages only"
	default:
		return StatusProtocolError, fmt.Sprintf("unknown opcode %#x", h.op)
	}
	return 0, ""
}

// control handles a control frame's payload.
func (c *Conn) control(op byte, body []byte) {
	switch op {
	case wsOpPing:
		// Answered at once; waits while the other direction writes.
		if c.lockWrite(-1) {
			if !c.closeSent {
				_ = c.writeControlLocked(wsOpPong, body)
			}
			c.unlockWrite()
		}
	case wsOpPong:
		select {
		case c.pongs <- struct{}{}:
		default:
		}
	case wsOpClose:
		code, reason, err := parseWSClose(body)
		if err != nil {
			c.fail(code, err.Error())
			return
		}
		// Echo the status code (RFC 6455 §5.5.1); an empty close gets an
		// empty answer.
		_ = c.SendClose(code, "", CloseWait)
		c.rerr = &CloseError{Code: code, Reason: reason}
	}
}

// parseWSClose reads a close frame's payload. An invalid one returns the
// status to fail the connection with.
func parseWSClose(b []byte) (int, string, error) {
	switch {
	case len(b) == 0:
		return StatusNoStatus, "", nil
	case len(b) == 1:
		return StatusProtocolError, "", errors.New("close frame with a one-byte payload")
	}
	code := int(binary.BigEndian.Uint16(b))
	if !wsValidCloseCode(code) {
		return StatusProtocolError, "", fmt.Errorf("invalid close code %d", code)
	}
	if !utf8.Valid(b[2:]) {
		return StatusInvalidPayload, "", errors.New("close reason is not UTF-8")
	}
	return code, string(b[2:]), nil
}

// wsValidCloseCode reports whether a peer may send code in a close frame.
func wsValidCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// fail sends a close frame with code and reason and ends reading with a
// local *CloseError.
func (c *Conn) fail(code int, reason string) {
	_ = c.SendClose(code, reason, time.Second)
	c.rerr = &CloseError{Code: code, Reason: reason, Local: true}
}

// lockWrite takes the write side: at once (wait 0), within wait, or for as
// long as it takes (wait < 0). It gives up when the connection is closed.
func (c *Conn) lockWrite(wait time.Duration) bool {
	select {
	case c.wlock <- struct{}{}:
		return true
	default:
	}
	switch {
	case wait == 0:
		return false
	case wait < 0:
		select {
		case c.wlock <- struct{}{}:
			return true
		case <-c.closed:
			return false
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case c.wlock <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-c.closed:
		return false
	}
}

func (c *Conn) unlockWrite() { <-c.wlock }

// WriteMessage sends frame[Headroom:] as one binary message: the header
// goes into the headroom before the payload, so that frame and payload
// leave in one write. A client's payload is masked in place.
func (c *Conn) WriteMessage(frame []byte) error {
	var key [4]byte
	if c.client {
		binary.LittleEndian.PutUint32(key[:], rand.Uint32())
		wsMask(key, 0, frame[Headroom:])
	}
	start := wsPutHeader(frame, wsOpBinary, len(frame)-Headroom, c.client, key)
	if !c.lockWrite(-1) {
		return net.ErrClosed
	}
	defer c.unlockWrite()
	if c.closeSent {
		return ErrClosing
	}
	_, err := c.nc.Write(frame[start:])
	return err
}

// Write sends p as one binary message.
func (c *Conn) Write(p []byte) (int, error) {
	need := Headroom + len(p)
	if cap(c.wbuf) < need {
		c.wbuf = make([]byte, need)
	}
	f := c.wbuf[:need]
	copy(f[Headroom:], p)
	if err := c.WriteMessage(f); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeControlLocked sends a control frame; the caller holds the write side.
func (c *Conn) writeControlLocked(op byte, body []byte) error {
	f := c.cbuf[:Headroom+len(body)]
	copy(f[Headroom:], body)
	var key [4]byte
	if c.client {
		binary.LittleEndian.PutUint32(key[:], rand.Uint32())
		wsMask(key, 0, f[Headroom:])
	}
	start := wsPutHeader(f, op, len(body), c.client, key)
	_, err := c.nc.Write(f[start:])
	return err
}

// SendClose sends a close frame with code (none for StatusNoStatus) and
// reason (cut to fit, kept valid UTF-8), unless one was sent already. It
// waits at most wait for a write of the other direction to finish.
func (c *Conn) SendClose(code int, reason string, wait time.Duration) error {
	if !c.lockWrite(wait) {
		return errWSBusy
	}
	defer c.unlockWrite()
	if c.closeSent {
		return nil
	}
	c.closeSent = true
	var b [wsMaxControl]byte
	n := 0
	if code != StatusNoStatus {
		binary.BigEndian.PutUint16(b[:2], uint16(code))
		n = 2 + copy(b[2:], wsClipReason(reason))
	}
	return c.writeControlLocked(wsOpClose, b[:n])
}

// wsClipReason cuts a close reason to the 123 bytes a close frame holds,
// at a character boundary.
func wsClipReason(s string) string {
	const room = wsMaxControl - 2
	if len(s) <= room {
		return s
	}
	s = s[:room-3]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// Ping sends a ping and waits up to timeout for a pong. It fails with
// errWSBusy when it could not even send the ping within timeout.
func (c *Conn) Ping(timeout time.Duration) error {
	select { // a late pong of an earlier ping does not count
	case <-c.pongs:
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	if !c.lockWrite(timeout) {
		return errWSBusy
	}
	var err error
	if c.closeSent {
		err = ErrClosing
	} else {
		err = c.writeControlLocked(wsOpPing, nil)
	}
	c.unlockWrite()
	if err != nil {
		return err
	}
	select {
	case <-c.pongs:
		return nil
	case <-t.C:
		return errors.New("websocket: no pong within " + timeout.String())
	case <-c.closed:
		return net.ErrClosed
	}
}

// CloseNow closes the connection without a close handshake.
func (c *Conn) CloseNow() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.nc.Close()
	})
	return err
}

// Close runs the close handshake with status 1000 and closes the
// connection: it sends a close frame, reads (and drops) what still comes
// until the peer's close frame or CloseWait, then closes. Do not call it
// while another goroutine reads.
func (c *Conn) Close() error {
	err := c.SendClose(StatusNormal, "", CloseWait)
	_ = c.nc.SetReadDeadline(time.Now().Add(CloseWait))
	var buf [512]byte
	for c.rerr == nil {
		_, _ = c.Read(buf[:])
	}
	_ = c.CloseNow()
	return err
}

// AcceptKey is the Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// HeaderHasToken reports whether a comma-separated header has token.
func HeaderHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Accept answers a WebSocket opening handshake (RFC 6455 §4.2)
// and takes over the connection, with a read buffer of bufSize. A request
// that is no valid upgrade gets an HTTP error and an error. Like
// coder/websocket's Accept, which this replaces, it refuses an Origin that
// is not the request's host (cross-site requests), agrees to the "binary"
// subprotocol when asked (older noVNC) and to no extension.
func Accept(w http.ResponseWriter, r *http.Request, bufSize int) (*Conn, error) {
	if status, err := wsCheckUpgrade(w, r); err != nil {
		http.Error(w, err.Error(), status)
		return nil, err
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			err := fmt.Errorf("websocket: request Origin %q is not authorized for Host %q", o, r.Host)
			http.Error(w, err.Error(), http.StatusForbidden)
			return nil, err
		}
	}
	h := w.Header()
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", AcceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))))
	if HeaderHasToken(r.Header, "Sec-WebSocket-Protocol", "binary") {
		h.Set("Sec-WebSocket-Protocol", "binary")
	}
	// The 101 goes out with the hijack; the access log sees its status.
	w.WriteHeader(http.StatusSwitchingProtocols)
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("websocket: take over the connection: %w", err)
	}
	// The server's read deadlines were for the request; the console has
	// its own pings.
	_ = nc.SetDeadline(time.Time{})
	var early []byte // frames the client sent right behind its request
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
	}
	return newConn(nc, false, bufSize, early), nil
}

// wsCheckUpgrade checks an opening handshake request.
func wsCheckUpgrade(w http.ResponseWriter, r *http.Request) (int, error) {
	switch {
	case !r.ProtoAtLeast(1, 1):
		return http.StatusUpgradeRequired, fmt.Errorf("websocket: the handshake needs HTTP/1.1, not %s", r.Proto)
	case !HeaderHasToken(r.Header, "Connection", "Upgrade"), !HeaderHasToken(r.Header, "Upgrade", "websocket"):
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, errors.New("websocket: the request does not ask for an upgrade to websocket")
	case r.Method != http.MethodGet:
		return http.StatusMethodNotAllowed, fmt.Errorf("websocket: the handshake must be a GET, not %s", r.Method)
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		w.Header().Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, fmt.Errorf("websocket: unsupported version %q (only 13)", r.Header.Get("Sec-WebSocket-Version"))
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return http.StatusBadRequest, errors.New("websocket: the request needs exactly one Sec-WebSocket-Key")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return http.StatusBadRequest, errors.New("websocket: Sec-WebSocket-Key is not 16 bytes in base64")
	}
	return 0, nil
}
