package console

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/coder/websocket"
)

// A minimal RFB client, for the integration tests and the console benchmark
// (cmd/bench-console): they talk to the proxy and, for comparison, straight
// to QEMU, with the same code. The server does not use it.

// RFB encodings and message types the client knows.
const (
	RFBEncodingRaw              int32 = 0
	RFBEncodingDesktopSize      int32 = -223
	RFBEncodingExtendedKeyEvent int32 = -258
)

// RFBClient is one RFB connection after the handshake.
type RFBClient struct {
	rw io.ReadWriter
	// Width and Height are the framebuffer size from ServerInit (updated
	// by DesktopSize updates).
	Width, Height int
	// Name is the desktop name from ServerInit.
	Name string
	// BytesPerPixel is from the server's pixel format.
	BytesPerPixel int
	buf           [64]byte
	discard       []byte
}

// RFBHandshake runs the client side of the RFB handshake over rw: version,
// security (None, or VNC Authentication with password), ClientInit (shared)
// and ServerInit.
func RFBHandshake(rw io.ReadWriter, password string) (*RFBClient, error) {
	if err := rfbClientHandshake(rw, password); err != nil {
		return nil, err
	}
	if _, err := rw.Write([]byte{1}); err != nil {
		return nil, fmt.Errorf("send ClientInit: %w", err)
	}
	return ReadServerInit(rw)
}

// ReadServerInit reads ServerInit, after the client sent ClientInit.
func ReadServerInit(rw io.ReadWriter) (*RFBClient, error) {
	c := &RFBClient{rw: rw}
	if _, err := io.ReadFull(rw, c.buf[:24]); err != nil {
		return nil, fmt.Errorf("read ServerInit: %w", err)
	}
	c.Width = int(binary.BigEndian.Uint16(c.buf[0:2]))
	c.Height = int(binary.BigEndian.Uint16(c.buf[2:4]))
	c.BytesPerPixel = int(c.buf[4]) / 8
	n := binary.BigEndian.Uint32(c.buf[20:24])
	if n > rfbMaxReason {
		return nil, fmt.Errorf("desktop name of %d bytes", n)
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(rw, name); err != nil {
		return nil, fmt.Errorf("read desktop name: %w", err)
	}
	c.Name = string(name)
	if c.BytesPerPixel < 1 {
		return nil, errors.New("ServerInit has no pixel size")
	}
	return c, nil
}

// SetEncodings sends a SetEncodings message.
func (c *RFBClient) SetEncodings(encs ...int32) error {
	b := make([]byte, 4+4*len(encs))
	b[0] = 2
	binary.BigEndian.PutUint16(b[2:4], uint16(len(encs)))
	for i, e := range encs {
		binary.BigEndian.PutUint32(b[4+4*i:], uint32(e))
	}
	_, err := c.rw.Write(b)
	return err
}

// RequestUpdate sends a FramebufferUpdateRequest for the whole screen.
func (c *RFBClient) RequestUpdate(incremental bool) error {
	b := c.buf[:10]
	b[0] = 3
	b[1] = 0
	if incremental {
		b[1] = 1
	}
	binary.BigEndian.PutUint16(b[2:4], 0)
	binary.BigEndian.PutUint16(b[4:6], 0)
	binary.BigEndian.PutUint16(b[6:8], uint16(c.Width))
	binary.BigEndian.PutUint16(b[8:10], uint16(c.Height))
	_, err := c.rw.Write(b)
	return err
}

// KeyEvent sends a key press or release of an X11 keysym.
func (c *RFBClient) KeyEvent(down bool, keysym uint32) error {
	b := c.buf[:8]
	b[0], b[1], b[2], b[3] = 4, 0, 0, 0
	if down {
		b[1] = 1
	}
	binary.BigEndian.PutUint32(b[4:8], keysym)
	_, err := c.rw.Write(b)
	return err
}

// Rect is one rectangle of a FramebufferUpdate. Pixels is filled only for
// raw rectangles when ReadUpdate was asked to keep them.
type Rect struct {
	X, Y, W, H int
	Encoding   int32
	Pixels     []byte
}

// ReadUpdate reads server messages until a FramebufferUpdate arrives and
// returns its rectangles (Bell, ServerCutText and colour maps are skipped).
// Raw pixels are kept when keep is true, else discarded without allocating.
// Only raw and pseudo-encodings without payload (DesktopSize,
// ExtendedKeyEvent) are understood: ask for nothing else with SetEncodings.
func (c *RFBClient) ReadUpdate(keep bool) ([]Rect, error) {
	for {
		if _, err := io.ReadFull(c.rw, c.buf[:1]); err != nil {
			return nil, err
		}
		switch c.buf[0] {
		case 0: // FramebufferUpdate
			return c.readRects(keep)
		case 1: // SetColourMapEntries
			if _, err := io.ReadFull(c.rw, c.buf[:5]); err != nil {
				return nil, err
			}
			if err := c.skip(6 * int(binary.BigEndian.Uint16(c.buf[3:5]))); err != nil {
				return nil, err
			}
		case 2: // Bell
		case 3: // ServerCutText
			if _, err := io.ReadFull(c.rw, c.buf[:7]); err != nil {
				return nil, err
			}
			if err := c.skip(int(binary.BigEndian.Uint32(c.buf[3:7]))); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown server message type %d", c.buf[0])
		}
	}
}

func (c *RFBClient) readRects(keep bool) ([]Rect, error) {
	if _, err := io.ReadFull(c.rw, c.buf[:3]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(c.buf[1:3]))
	rects := make([]Rect, 0, n)
	for range n {
		if _, err := io.ReadFull(c.rw, c.buf[:12]); err != nil {
			return nil, err
		}
		r := Rect{
			X: int(binary.BigEndian.Uint16(c.buf[0:2])), Y: int(binary.BigEndian.Uint16(c.buf[2:4])),
			W: int(binary.BigEndian.Uint16(c.buf[4:6])), H: int(binary.BigEndian.Uint16(c.buf[6:8])),
			Encoding: int32(binary.BigEndian.Uint32(c.buf[8:12])),
		}
		switch r.Encoding {
		case RFBEncodingRaw:
			size := r.W * r.H * c.BytesPerPixel
			if keep {
				r.Pixels = make([]byte, size)
				if _, err := io.ReadFull(c.rw, r.Pixels); err != nil {
					return nil, err
				}
			} else if err := c.skip(size); err != nil {
				return nil, err
			}
		case RFBEncodingDesktopSize:
			c.Width, c.Height = r.W, r.H
		case RFBEncodingExtendedKeyEvent:
		default:
			return nil, fmt.Errorf("unexpected encoding %d", r.Encoding)
		}
		rects = append(rects, r)
	}
	return rects, nil
}

func (c *RFBClient) skip(n int) error {
	if c.discard == nil {
		c.discard = make([]byte, 64<<10)
	}
	for n > 0 {
		k, err := c.rw.Read(c.discard[:min(n, len(c.discard))])
		n -= k
		if err != nil {
			return err
		}
	}
	return nil
}

// WebSocketStream reads a WebSocket's binary messages as one byte stream and
// sends each write as one binary message, with no allocation per message.
// It lifts the connection's read limit: a server's messages carry screens.
func WebSocketStream(c *websocket.Conn) io.ReadWriter {
	c.SetReadLimit(-1)
	return &struct {
		vncWSReader
		vncWSWriter
	}{vncWSReader{c: c}, vncWSWriter{c: c}}
}
