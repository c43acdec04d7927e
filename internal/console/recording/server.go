package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// RFB encodings the framers know. Stateless ones need no decoder state
// from earlier messages (no zlib stream that goes on across rectangles), so
// a player can start decoding at a full update made of them.
const (
	EncRaw          int32 = 0
	EncCopyRect     int32 = 1
	EncRRE          int32 = 2
	EncCoRRE        int32 = 4
	EncHextile      int32 = 5
	EncZlib         int32 = 6
	EncTight        int32 = 7
	EncZlibHex      int32 = 8
	EncZRLE         int32 = 16
	encH264         int32 = 50
	EncTightPNG     int32 = -260
	encCursor       int32 = -239
	encXCursor      int32 = -240
	encDesktopSize  int32 = -223
	encLastRect     int32 = -224
	encPointerMode  int32 = -257
	encQEMUKey      int32 = -258
	encQEMUAudio    int32 = -259
	encQEMULED      int32 = -261
	encDesktopName  int32 = -307
	encExtDesktop   int32 = -308
	encAlphaCursor  int32 = -314
	encExtMouse     int32 = -316
	encVMwareCursor int32 = 0x574d5664
	encVMwareLED    int32 = 0x574d5304
	encWMVi         int32 = 0x574d5669
)

// Stateful reports whether an encoding's decoder keeps state (a zlib
// stream) from one rectangle to the next.
func Stateful(enc int32) bool {
	switch enc {
	case EncZlib, EncTight, EncZlibHex, EncZRLE, encH264:
		return true
	}
	return false
}

// PixelFormat is the part of an RFB pixel format the framers need.
type PixelFormat struct {
	Raw [16]byte
}

func (p PixelFormat) bpp() int { return max(int(p.Raw[0])/8, 1) }

// tpixel is the size of a Tight pixel: 3 bytes for 32-bit true colour
// with 8 bits per channel.
func (p PixelFormat) tpixel() int {
	r := p.Raw
	if r[0] == 32 && r[1] == 24 && r[3] != 0 &&
		binary.BigEndian.Uint16(r[4:]) == 255 && binary.BigEndian.Uint16(r[6:]) == 255 && binary.BigEndian.Uint16(r[8:]) == 255 {
		return 3
	}
	return p.bpp()
}

// ErrUnknownMessage says that a framer met a message or encoding it cannot
// measure; it stops following the stream (the relay goes on).
var ErrUnknownMessage = errors.New("unknown RFB message")

// ServerEvent is what a ServerFramer reports at a message boundary.
type ServerEvent struct {
	// Start is true at the start of a message, false at its end.
	Start bool
	// Off is the offset in the bytes given to Feed.
	Off int
	// Type is the message type.
	Type byte
	// Full reports (at the end of a FramebufferUpdate) whether its
	// rectangles covered the whole screen in stateless encodings: a
	// player can start decoding there.
	Full bool
}

// ServerFramer follows the message boundaries of a VNC server's stream
// (after ServerInit) without decoding pixels: it reads headers and skips
// bodies. It is not safe for concurrent use.
type ServerFramer struct {
	// Width, Height and PF are the framebuffer as the stream says now.
	Width, Height int
	PF            PixelFormat
	err           error

	hdr  [16]byte
	have int
	need int
	next func([]byte) // called with the header once need bytes are there
	skip int64

	// the FramebufferUpdate being read
	rects    int
	area     int64
	stateful bool
	ry       int
	rw, rh   int
	enc      int32
	// hextile tiles
	tx, ty int
	// Tight's compact length
	tclen, tcval int
	msgT         byte
	inMsg        bool
	pendingAfter func() // run when the skip ends

	// Method values made once: a method value made per rectangle would
	// be an allocation each.
	onTypeFn, onRectFn, onTightCtrlFn, compactStepFn func([]byte)
	nextRectFn                                       func()
}

// NewServerFramer returns a framer for a stream whose ServerInit was si.
func NewServerFramer(si []byte) (*ServerFramer, error) {
	if len(si) < 24 {
		return nil, fmt.Errorf("short ServerInit (%d bytes)", len(si))
	}
	f := &ServerFramer{Width: int(binary.BigEndian.Uint16(si)), Height: int(binary.BigEndian.Uint16(si[2:]))}
	copy(f.PF.Raw[:], si[4:20])
	f.onTypeFn, f.onRectFn, f.onTightCtrlFn, f.compactStepFn = f.onType, f.onRect, f.onTightCtrl, f.compactStep
	f.nextRectFn = f.nextRect
	f.wantMsg()
	return f, nil
}

// Err returns why the framer stopped following the stream, if it did.
func (f *ServerFramer) Err() error { return f.err }

// SetPixelFormat applies a SetPixelFormat the browser sent.
func (f *ServerFramer) SetPixelFormat(pf [16]byte) { f.PF.Raw = pf }

// InMessage reports whether the framer is inside a message.
func (f *ServerFramer) InMessage() bool { return f.inMsg }

func (f *ServerFramer) want(n int, next func([]byte)) {
	f.need, f.have, f.next = n, 0, next
}

func (f *ServerFramer) wantMsg() {
	f.inMsg = false
	f.want(1, f.onTypeFn)
}

// Feed follows p, the next bytes of the stream, and calls fn (if not nil)
// at each message start and end. After an error (Err) it ignores input.
func (f *ServerFramer) Feed(p []byte, fn func(ServerEvent)) {
	i := 0
	for i < len(p) && f.err == nil {
		if f.skip > 0 {
			k := int64(len(p) - i)
			if k > f.skip {
				k = f.skip
			}
			f.skip -= k
			i += int(k)
			if f.skip > 0 {
				return
			}
			f.afterSkip(i, fn)
			continue
		}
		if !f.inMsg && f.have == 0 && fn != nil {
			fn(ServerEvent{Start: true, Off: i, Type: p[i]})
		}
		k := min(f.need-f.have, len(p)-i)
		copy(f.hdr[f.have:], p[i:i+k])
		f.have += k
		i += k
		if f.have < f.need {
			return
		}
		next := f.next
		f.next = nil
		next(f.hdr[:f.need])
		if f.next == nil && f.skip == 0 && f.err == nil {
			f.afterSkip(i, fn)
		}
	}
}

// afterSkip continues once a body was skipped: a pending rectangle or tile
// step, or the message's end.
func (f *ServerFramer) afterSkip(off int, fn func(ServerEvent)) {
	if f.err != nil {
		return
	}
	if f.pendingAfter != nil {
		a := f.pendingAfter
		f.pendingAfter = nil
		a()
		if f.next != nil || f.skip > 0 || f.err != nil {
			return
		}
	}
	// The message ended.
	if fn != nil {
		full := f.msgT == 0 && !f.stateful && f.area >= int64(f.Width)*int64(f.Height) && f.Width > 0 && f.Height > 0
		fn(ServerEvent{Off: off, Type: f.msgT, Full: full})
	}
	f.wantMsg()
}

func (f *ServerFramer) fail(format string, a ...any) {
	f.err = fmt.Errorf("%w: "+format, append([]any{ErrUnknownMessage}, a...)...)
}

func (f *ServerFramer) onType(b []byte) {
	f.msgT = b[0]
	f.inMsg = true
	switch b[0] {
	case 0: // FramebufferUpdate
		f.area, f.stateful = 0, false
		f.want(3, func(h []byte) {
			f.rects = int(binary.BigEndian.Uint16(h[1:]))
			f.nextRect()
		})
	case 1: // SetColourMapEntries
		f.want(5, func(h []byte) { f.skip = 6 * int64(binary.BigEndian.Uint16(h[3:])) })
	case 2, 150: // Bell, EndOfContinuousUpdates
	case 3: // ServerCutText (negative length: extended clipboard)
		f.want(7, func(h []byte) { f.skip = abs32(h[3:]) })
	case 248: // Fence
		f.want(8, func(h []byte) { f.skip = int64(h[7]) })
	case 255: // QEMU
		f.want(3, func(h []byte) {
			op := binary.BigEndian.Uint16(h[1:])
			switch {
			case h[0] == 1 && op <= 1:
			case h[0] == 1 && op == 2:
				f.want(4, func(l []byte) { f.skip = int64(binary.BigEndian.Uint32(l)) })
			default:
				f.fail("QEMU server message %d.%d", h[0], op)
			}
		})
	default:
		f.fail("server message type %d", b[0])
	}
}

func abs32(b []byte) int64 {
	v := int64(int32(binary.BigEndian.Uint32(b)))
	if v < 0 {
		v = -v
	}
	return v
}

// nextRect reads the next rectangle header, or ends the update.
func (f *ServerFramer) nextRect() {
	if f.rects == 0 {
		return
	}
	f.rects--
	f.want(12, f.onRectFn)
}

// then skips skip bytes and then calls after.
func (f *ServerFramer) then(skip int64, after func()) {
	f.skip = skip
	f.pendingAfter = after
	if skip == 0 {
		f.pendingAfter = nil
		after()
	}
}

func (f *ServerFramer) onRect(h []byte) {
	f.ry = int(binary.BigEndian.Uint16(h[2:]))
	f.rw, f.rh = int(binary.BigEndian.Uint16(h[4:])), int(binary.BigEndian.Uint16(h[6:]))
	f.enc = int32(binary.BigEndian.Uint32(h[8:]))
	w, hh, bpp := int64(f.rw), int64(f.rh), int64(f.PF.bpp())
	if f.enc >= 0 && f.enc < 0x100 || f.enc == EncTightPNG {
		if Stateful(f.enc) {
			f.stateful = true
		}
		if f.enc != EncCopyRect {
			f.area += w * hh
		}
	}
	switch f.enc {
	case EncRaw:
		f.then(w*hh*bpp, f.nextRectFn)
	case EncCopyRect:
		f.then(4, f.nextRectFn)
	case EncRRE, EncCoRRE:
		sub := int64(8)
		if f.enc == EncCoRRE {
			sub = 4
		}
		f.want(4, func(l []byte) { f.then(bpp+int64(binary.BigEndian.Uint32(l))*(bpp+sub), f.nextRect) })
	case EncHextile:
		f.tx, f.ty = 0, 0
		f.hextileTile()
	case EncZlib, EncZRLE:
		f.want(4, func(l []byte) { f.then(int64(binary.BigEndian.Uint32(l)), f.nextRect) })
	case EncTight, EncTightPNG:
		f.want(1, f.onTightCtrlFn)
	case encCursor:
		f.then(w*hh*bpp+(w+7)/8*hh, f.nextRect)
	case encXCursor:
		if w*hh > 0 {
			f.then(6+2*((w+7)/8)*hh, f.nextRect)
		} else {
			f.nextRect()
		}
	case encDesktopSize:
		f.Width, f.Height = f.rw, f.rh
		f.nextRect()
	case encLastRect:
		f.rects = 0
	case encPointerMode, encQEMUKey, encQEMUAudio, encExtMouse:
		f.nextRect()
	case encQEMULED:
		f.then(1, f.nextRect)
	case encVMwareLED:
		f.then(4, f.nextRectFn)
	case encDesktopName:
		f.want(4, func(l []byte) { f.then(int64(binary.BigEndian.Uint32(l)), f.nextRect) })
	case encExtDesktop:
		status := f.ry
		f.want(4, func(l []byte) {
			if status == 0 {
				f.Width, f.Height = f.rw, f.rh
			}
			f.then(16*int64(l[0]), f.nextRect)
		})
	case encAlphaCursor:
		f.want(4, func([]byte) { f.then(w*hh*4, f.nextRect) })
	case encVMwareCursor:
		f.want(2, func(t []byte) {
			if t[0] == 0 {
				f.then(2*w*hh*bpp, f.nextRect)
			} else {
				f.then(w*hh*4, f.nextRect)
			}
		})
	case encWMVi:
		f.want(16, func(pf []byte) {
			copy(f.PF.Raw[:], pf)
			f.nextRect()
		})
	default:
		f.fail("encoding %d", f.enc)
	}
}

// hextileTile reads the next tile of a Hextile rectangle.
func (f *ServerFramer) hextileTile() {
	if f.ty >= f.rh {
		f.nextRect()
		return
	}
	tw, th := min(16, f.rw-f.tx), min(16, f.rh-f.ty)
	advance := func() {
		f.tx += 16
		if f.tx >= f.rw {
			f.tx = 0
			f.ty += 16
		}
		f.hextileTile()
	}
	bpp := f.PF.bpp()
	f.want(1, func(b []byte) {
		s := b[0]
		if s&1 != 0 {
			f.then(int64(tw*th*bpp), advance)
			return
		}
		n := 0
		if s&2 != 0 {
			n += bpp
		}
		if s&4 != 0 {
			n += bpp
		}
		if s&8 == 0 {
			f.then(int64(n), advance)
			return
		}
		f.want(n+1, func(h []byte) {
			cnt := int64(h[n])
			per := int64(2)
			if s&16 != 0 {
				per += int64(bpp)
			}
			f.then(cnt*per, advance)
		})
	})
}

// onTightCtrl reads a Tight rectangle's compression control byte.
func (f *ServerFramer) onTightCtrl(b []byte) {
	c := b[0]
	tp := int64(f.PF.tpixel())
	switch c >> 4 {
	case 8: // fill
		f.then(tp, f.nextRectFn)
	case 9, 10: // JPEG, PNG: a compact length and the data
		f.compactLen()
	default:
		if c>>4 > 10 {
			f.fail("tight compression %#x", c)
			return
		}
		if f.enc == EncTight {
			f.stateful = true
		}
		if c&0x40 == 0 {
			f.tightData(0, 0)
			return
		}
		f.want(1, func(fb []byte) {
			switch fb[0] {
			case 0, 2:
				f.tightData(fb[0], 0)
			case 1:
				f.want(1, func(nc []byte) {
					colors := int(nc[0]) + 1
					f.then(int64(colors)*tp, func() { f.tightData(1, colors) })
				})
			default:
				f.fail("tight filter %d", fb[0])
			}
		})
	}
}

// tightData skips the data of a basic Tight rectangle.
func (f *ServerFramer) tightData(filter byte, colors int) {
	w, h := f.rw, f.rh
	var size int
	switch {
	case filter == 1 && colors <= 2:
		size = (w + 7) / 8 * h
	case filter == 1:
		size = w * h
	default:
		size = w * h * f.PF.tpixel()
	}
	if size < 12 {
		f.then(int64(size), f.nextRectFn)
		return
	}
	f.compactLen()
}

// compactLen reads Tight's 1 to 3 byte length, then skips that much and
// goes on with the next rectangle.
func (f *ServerFramer) compactLen() {
	f.tclen, f.tcval = 0, 0
	f.want(1, f.compactStepFn)
}

func (f *ServerFramer) compactStep(b []byte) {
	v := int(b[0])
	if f.tclen == 2 {
		f.tcval |= v << 14
		f.then(int64(f.tcval), f.nextRectFn)
		return
	}
	f.tcval |= (v & 0x7f) << (7 * f.tclen)
	f.tclen++
	if v&0x80 == 0 {
		f.then(int64(f.tcval), f.nextRectFn)
		return
	}
	f.want(1, f.compactStepFn)
}
