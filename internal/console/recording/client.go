package recording

import (
	"encoding/binary"
)

// RFB client message types the framer knows.
const (
	MsgSetPixelFormat = 0
	MsgSetEncodings   = 2
	MsgUpdateRequest  = 3
	MsgKeyEvent       = 4
	MsgPointerEvent   = 5
	MsgClientCutText  = 6
	msgContinuous     = 150
	msgFence          = 248
	msgXVP            = 250
	msgSetDesktopSize = 251
	MsgQEMU           = 255
)

// maxEncodings bounds a SetEncodings the framer holds back to rewrite.
const maxEncodings = 1024

// ClientMessage is one whole small client message the framer saw.
type ClientMessage struct {
	Type byte
	Data []byte // valid only during the callback
}

// ClientFramer follows the message boundaries of the browser's stream to
// the VNC server (after ClientInit). It reports small messages (input,
// SetPixelFormat, SetEncodings) whole, can rewrite SetEncodings, and can
// put messages of its own between the browser's (Inject). It is not safe
// for concurrent use.
type ClientFramer struct {
	err error
	buf []byte // the message being collected (small ones), or its header
	// need is the size of the message being collected once known (0:
	// not known yet); skip counts the bytes of a large body to pass.
	need int
	skip int64
	// held is a SetEncodings kept back until whole, to rewrite it.
	held    bool
	pending []byte // injected messages waiting for a boundary
	// Rewrite, when not nil, replaces each SetEncodings (whole message)
	// before it goes on.
	Rewrite func(msg []byte) []byte
	// Seen, when not nil, is told each whole small message.
	Seen func(ClientMessage)
}

// Err returns why the framer stopped following the stream, if it did.
func (c *ClientFramer) Err() error { return c.err }

// AtBoundary reports whether the stream is between two messages (an
// injected message can go now).
func (c *ClientFramer) AtBoundary() bool {
	return c.err == nil && len(c.buf) == 0 && c.skip == 0
}

// Queue keeps msg for the next boundary; Feed's output carries it.
func (c *ClientFramer) Queue(msg []byte) { c.pending = append(c.pending, msg...) }

// Feed follows p, the next bytes from the browser, and returns what to send
// on: p itself unless a SetEncodings was held back or rewritten, or
// injected messages were waiting. After an error (Err) it returns p as it
// is.
func (c *ClientFramer) Feed(p []byte) []byte {
	if c.err != nil {
		return p
	}
	var out []byte // nil: the output so far is p[:i]
	i, emitted := 0, 0
	flushTo := func(j int) { // copy p[emitted:j] into out
		if out != nil {
			out = append(out, p[emitted:j]...)
		}
		emitted = j
	}
	startOut := func() {
		if out == nil {
			out = append(make([]byte, 0, len(p)+len(c.pending)+64), p[:emitted]...)
		}
	}
	if c.held {
		startOut() // the held SetEncodings goes on
	}
	for i < len(p) && c.err == nil {
		if c.skip > 0 {
			k := min(int64(len(p)-i), c.skip)
			c.skip -= k
			i += int(k)
			continue
		}
		if len(c.buf) == 0 && len(c.pending) > 0 {
			// A boundary: injected messages go first.
			flushTo(i)
			startOut()
			out = append(out, c.pending...)
			c.pending = c.pending[:0]
		}
		if len(c.buf) == 0 {
			c.need = fixedSize(p[i])
			if p[i] == MsgSetEncodings && c.Rewrite != nil {
				flushTo(i)
				startOut()
				c.held = true
			}
		}
		// Collect the header (or the whole small message).
		want := c.need
		if want == 0 {
			t := p[i]
			if len(c.buf) > 0 {
				t = c.buf[0]
			}
			want = headerSize(c.buf, t)
		}
		k := min(want-len(c.buf), len(p)-i)
		c.buf = append(c.buf, p[i:i+k]...)
		i += k
		if c.held {
			emitted = i
		}
		if len(c.buf) < want {
			break
		}
		if c.need == 0 {
			if hs := headerSize(c.buf, c.buf[0]); hs > len(c.buf) {
				continue // the header goes on (QEMU audio)
			}
			n, ok := c.bodySize()
			if !ok {
				c.err = ErrUnknownMessage
				break
			}
			if c.buf[0] == MsgSetEncodings || n+int64(len(c.buf)) <= 64 {
				c.need = len(c.buf) + int(n)
				continue
			}
			// A large body (clipboard text) passes without being kept.
			c.skip = n
			c.buf = c.buf[:0]
			continue
		}
		// A whole message.
		if c.Seen != nil {
			c.Seen(ClientMessage{Type: c.buf[0], Data: c.buf})
		}
		if c.held {
			out = append(out, c.Rewrite(c.buf)...)
			c.held = false
		}
		c.buf, c.need = c.buf[:0], 0
	}
	if c.held {
		emitted = len(p)
	}
	if len(c.buf) == 0 && c.skip == 0 && len(c.pending) > 0 && c.err == nil {
		flushTo(i)
		startOut()
		out = append(out, c.pending...)
		c.pending = c.pending[:0]
	}
	if out == nil {
		return p
	}
	flushTo(len(p))
	return out
}

// fixedSize is the size of a message of type t whose size is fixed, 0 when
// it is known only from its header.
func fixedSize(t byte) int {
	switch t {
	case MsgSetPixelFormat:
		return 20
	case MsgUpdateRequest, msgContinuous:
		return 10
	case MsgKeyEvent:
		return 8
	case MsgPointerEvent:
		return 6
	case msgXVP:
		return 4
	}
	return 0
}

// headerSize is how much of a variable-size message to read to know its
// size (buf holds what was read of it so far, t its type).
func headerSize(buf []byte, t byte) int {
	switch t {
	case MsgSetEncodings:
		return 4
	case MsgClientCutText:
		return 8
	case msgFence:
		return 9
	case msgSetDesktopSize:
		return 8
	case MsgQEMU:
		if len(buf) >= 2 && buf[1] == 1 {
			return 4 // audio: submessage and operation
		}
		return 2
	}
	return 1
}

// bodySize returns the size of the rest of the message whose header is in
// c.buf, and whether the type is known.
func (c *ClientFramer) bodySize() (int64, bool) {
	b := c.buf
	switch b[0] {
	case MsgSetEncodings:
		n := int64(binary.BigEndian.Uint16(b[2:]))
		if n > maxEncodings {
			return 0, false
		}
		return 4 * n, true
	case MsgClientCutText:
		return abs32(b[4:]), true
	case msgFence:
		return int64(b[8]), true
	case msgSetDesktopSize:
		return 16 * int64(b[6]), true
	case MsgQEMU:
		switch {
		case len(b) == 2 && b[1] == 0: // extended key event
			return 10, true
		case len(b) == 4 && b[1] == 1:
			switch binary.BigEndian.Uint16(b[2:]) {
			case 0, 1:
				return 0, true
			case 2:
				return 6, true
			}
		}
	}
	return 0, false
}

// IsInput reports whether a client message is user input (key or
// pointer).
func IsInput(m []byte) bool {
	if len(m) == 0 {
		return false
	}
	return m[0] == MsgKeyEvent || m[0] == MsgPointerEvent || (m[0] == MsgQEMU && len(m) == 12 && m[1] == 0)
}

// SetEncodingsMessage builds a SetEncodings message.
func SetEncodingsMessage(encs []int32) []byte {
	b := make([]byte, 4, 4+4*len(encs))
	b[0] = MsgSetEncodings
	binary.BigEndian.PutUint16(b[2:], uint16(len(encs)))
	for _, e := range encs {
		b = binary.BigEndian.AppendUint32(b, uint32(e))
	}
	return b
}

// ParseSetEncodings reads a SetEncodings message's list.
func ParseSetEncodings(m []byte) []int32 {
	if len(m) < 4 {
		return nil
	}
	n := min(int(binary.BigEndian.Uint16(m[2:])), (len(m)-4)/4)
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(binary.BigEndian.Uint32(m[4+4*i:]))
	}
	return out
}

// StatelessEncodings returns encs without the encodings whose decoders keep
// state across rectangles, and with TightPNG (stateless: each rectangle is
// a fill, a JPEG or a PNG) first among the real encodings: what the
// recorder asks of the VNC server while it records, so that its periodic
// full updates are keyframes a player can start from. The browser decodes
// TightPNG as well as Tight.
func StatelessEncodings(encs []int32) []int32 {
	out := make([]int32, 0, len(encs)+1)
	hasPNG := false
	for _, e := range encs {
		if e == EncTightPNG {
			hasPNG = true
		}
	}
	if hasPNG {
		out = append(out, EncTightPNG)
	}
	for _, e := range encs {
		if Stateful(e) || e == EncTightPNG {
			continue
		}
		out = append(out, e)
	}
	return out
}

// UpdateRequest builds a FramebufferUpdateRequest for the whole screen.
func UpdateRequest(incremental bool, w, h int) []byte {
	b := make([]byte, 10)
	b[0] = MsgUpdateRequest
	if incremental {
		b[1] = 1
	}
	binary.BigEndian.PutUint16(b[6:], uint16(w))
	binary.BigEndian.PutUint16(b[8:], uint16(h))
	return b
}
