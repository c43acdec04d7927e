// Package consoletest holds test support for the consoles: a minimal RFB
// client, the client end of the console's WebSocket, an adapter for
// coder/websocket connections and a fake VNC server. The integration
// tests, the unit tests of the console packages and the console benchmark
// use them; the server does not.
package consoletest

import (
	"bufio"
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// A minimal RFB client and the client end of the console's WebSocket, for
// the integration tests and the console benchmark (kvm-bench console, in bench/console): they
// talk to the proxy and, for comparison, straight to QEMU, with the same
// code.

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
	if err := rfb.ClientHandshake(rw, password, false); err != nil {
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
	if n > rfb.MaxReason {
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

// WebSocketStream reads a coder/websocket connection's binary messages as
// one byte stream and sends each write as one binary message, with no
// allocation per message. It lifts the connection's read limit: a server's
// messages carry screens. Tests use it to drive the console with a
// WebSocket implementation other than the server's own.
func WebSocketStream(c *websocket.Conn) io.ReadWriter {
	c.SetReadLimit(-1)
	return &struct {
		coderWSReader
		coderWSWriter
	}{coderWSReader{c: c}, coderWSWriter{c: c}}
}

// coderWSReader reads a WebSocket's binary messages as one byte stream.
type coderWSReader struct {
	c *websocket.Conn
	r io.Reader
}

func (w *coderWSReader) Read(p []byte) (int, error) {
	for {
		if w.r == nil {
			// Background: a cancellable context would cost an allocation
			// per message; closing the connection ends the read instead.
			typ, r, err := w.c.Reader(context.Background())
			if err != nil {
				return 0, err
			}
			if typ != websocket.MessageBinary {
				_ = w.c.Close(websocket.StatusUnsupportedData, "binary messages only")
				return 0, errors.New("a text message arrived; RFB is binary")
			}
			w.r = r
		}
		n, err := w.r.Read(p)
		if err == io.EOF {
			w.r = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// coderWSWriter sends each Write as one binary message.
type coderWSWriter struct {
	c *websocket.Conn
}

func (w *coderWSWriter) Write(p []byte) (int, error) {
	if err := w.c.Write(context.Background(), websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// DialWebSocket opens the client end of a WebSocket to a ws:// URL as a
// browser's WebSocket does for the console (binary messages, no
// extensions), with header added to the upgrade request, and with as
// little work as the direct path to a VNC server: one TCP connection, the
// upgrade request written and its answer parsed here, and frames read and
// written on the connection itself. The console benchmark (bench/console) uses it, so that the
// proxy path is not measured with a heavier client than the direct one;
// tests use it as a second client implementation. ctx bounds the opening
// handshake only.
func DialWebSocket(ctx context.Context, rawURL string, header http.Header) (*wsframe.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket URL: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket URL %q: only ws:// is supported", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	c, err := wsClientHandshake(nc, u, header)
	if !stop() || err != nil {
		_ = nc.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

// wsClientHandshake sends the opening handshake request on nc and checks
// the answer.
func wsClientHandshake(nc net.Conn, u *url.URL, header http.Header) (*wsframe.Conn, error) {
	var k [16]byte
	_, _ = cryptorand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", u.RequestURI(), u.Host, key)
	if err := header.Write(&b); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		return nil, fmt.Errorf("send the websocket upgrade: %w", err)
	}
	br := bufio.NewReaderSize(nc, 4096)
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, fmt.Errorf("read the websocket upgrade answer: %w", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return nil, &WSUpgradeError{Status: res.StatusCode, Body: body}
	}
	switch {
	case !wsframe.HeaderHasToken(res.Header, "Upgrade", "websocket"), !wsframe.HeaderHasToken(res.Header, "Connection", "Upgrade"):
		return nil, errors.New("websocket upgrade answer without Upgrade: websocket")
	case res.Header.Get("Sec-WebSocket-Accept") != wsframe.AcceptKey(key):
		return nil, errors.New("websocket upgrade answer with a wrong Sec-WebSocket-Accept")
	case res.Header.Get("Sec-WebSocket-Extensions") != "":
		return nil, errors.New("websocket upgrade answer with an extension that was not asked for")
	}
	var early []byte // frames that came with the answer
	if n := br.Buffered(); n > 0 {
		early, _ = br.Peek(n)
	}
	// A small buffer: a large payload goes straight into the reader's
	// buffer, and only what came with the frame header is copied.
	return wsframe.NewClient(nc, 4<<10, early), nil
}

// WSUpgradeError is a refused WebSocket upgrade: the HTTP status and the
// start of the body.
type WSUpgradeError struct {
	Status int
	Body   []byte
}

// Error says how the upgrade was refused.
func (e *WSUpgradeError) Error() string {
	return fmt.Sprintf("websocket upgrade refused: %d %s", e.Status, bytes.TrimSpace(e.Body))
}

// RoundTrip sends SetEncodings(ExtendedKeyEvent) and waits for QEMU's
// acknowledgement, a one-rectangle update it sends at once: the immediate
// round trip the console benchmarks measure.
func (c *RFBClient) RoundTrip() (time.Duration, error) {
	start := time.Now()
	if err := c.SetEncodings(RFBEncodingExtendedKeyEvent); err != nil {
		return 0, err
	}
	rects, err := c.ReadUpdate(false)
	if err != nil {
		return 0, err
	}
	took := time.Since(start)
	if len(rects) != 1 || rects[0].Encoding != RFBEncodingExtendedKeyEvent {
		return 0, fmt.Errorf("unexpected answer %+v", rects)
	}
	return took, nil
}
