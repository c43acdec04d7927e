package console

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Relay buffer sizes. VNC server to browser carries the framebuffer (large
// reads make few, large WebSocket messages: 256 KiB relayed 10 to 20 % more
// full-screen updates per second than 64 KiB, at less CPU per byte, see
// docs/benchmarks.md); browser to VNC server carries small input events.
// Buffers are pooled and held only while a console is open.
const (
	vncDownBufSize = 256 << 10
	vncUpBufSize   = 8 << 10
)

var (
	vncDownBufs = sync.Pool{New: func() any { return new([vncDownBufSize]byte) }}
	vncUpBufs   = sync.Pool{New: func() any { return new([vncUpBufSize]byte) }}
)

// vncSession is one open console: a browser WebSocket joined to one VNC
// connection.
type vncSession struct {
	v       *VNC
	ws      *websocket.Conn
	host    string
	uuid    string
	vmName  string
	started time.Time

	rd vncWSReader
	wr vncWSWriter

	closeOnce sync.Once
	done      chan struct{}
	up        atomic.Pointer[net.Conn]
	toBrowser atomic.Int64
	toVM      atomic.Int64
}

func newVNCSession(v *VNC, ws *websocket.Conn, hostName, uuid, vmName string) *vncSession {
	ws.SetReadLimit(v.opts.ReadLimit)
	s := &vncSession{v: v, ws: ws, host: hostName, uuid: uuid, vmName: vmName, started: time.Now(), done: make(chan struct{})}
	s.rd.c, s.wr.c = ws, ws
	return s
}

// handshake runs the browser's side of the RFB handshake while the VNC
// server's side completes in the background (upc), and returns the VNC
// connection ready for relaying. abandon cancels the background side.
func (s *vncSession) handshake(upc <-chan vncUpstream, abandon func()) (net.Conn, error) {
	timer := time.AfterFunc(s.v.opts.HandshakeTimeout, func() { _ = s.ws.CloseNow() })
	defer timer.Stop()
	minor, err := rfbServerHandshake(&s.rd, &s.wr)
	if err != nil {
		abandon()
		s.close(websocket.StatusProtocolError, "RFB handshake failed")
		return nil, err
	}
	r := <-upc
	if r.err != nil {
		msg := "cannot connect to the VM's display"
		if p, ok := problem.As(r.err); ok {
			msg = p.Message
		}
		if minor >= 8 {
			_ = rfbFailSecurity(&s.wr, msg)
		}
		s.close(websocket.StatusInternalError, msg)
		return nil, r.err
	}
	s.up.Store(&r.conn)
	if err := rfbFinishHandshake(&s.rd, &s.wr, minor); err != nil {
		s.close(websocket.StatusProtocolError, "RFB handshake failed")
		return nil, err
	}
	return r.conn, nil
}

// relay copies bytes both ways until either side ends, then closes both.
func (s *vncSession) relay(up net.Conn) {
	s.v.log.Debug("console open", "host", s.host, "uuid", s.uuid, "vm", s.vmName)
	go s.pingLoop()
	fromBrowser := make(chan error, 1)
	go func() {
		err := s.browserToVM(up)
		s.close(websocket.StatusNormalClosure, "")
		fromBrowser <- err
	}()
	err := s.vmToBrowser(up)
	s.close(websocket.StatusNormalClosure, "the VM's display closed (the VM may have stopped)")
	if err2 := <-fromBrowser; err == nil || vncClosedErr(err) {
		err = err2 // the side that ended first says why
	}
	s.logEnd(err)
}

// vmToBrowser copies the VNC server's bytes to the browser, one WebSocket
// message per read, with no allocation per message.
func (s *vncSession) vmToBrowser(up net.Conn) error {
	bp := vncDownBufs.Get().(*[vncDownBufSize]byte)
	defer vncDownBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if werr := s.ws.Write(context.Background(), websocket.MessageBinary, buf[:n]); werr != nil {
				return werr
			}
			s.toBrowser.Add(int64(n))
		}
		if err != nil {
			return err
		}
	}
}

// browserToVM copies the browser's messages to the VNC server.
func (s *vncSession) browserToVM(up net.Conn) error {
	bp := vncUpBufs.Get().(*[vncUpBufSize]byte)
	defer vncUpBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := s.rd.Read(buf)
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				return werr
			}
			s.toVM.Add(int64(n))
		}
		if err != nil {
			return err
		}
	}
}

// pingLoop pings the browser while the console is open and closes it after
// two missed pongs in a row: a browser that vanished without closing (sleep,
// network loss) would otherwise hold the console open for ever.
func (s *vncSession) pingLoop() {
	iv := s.v.opts.PingInterval
	t := time.NewTicker(iv)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), iv)
		err := s.ws.Ping(ctx)
		cancel()
		switch {
		case err == nil:
			missed = 0
		case errors.Is(err, net.ErrClosed):
			return
		default:
			if missed++; missed >= 2 {
				s.v.log.Info("console closed: the browser stopped answering pings", "host", s.host, "uuid", s.uuid)
				s.abort()
				return
			}
		}
	}
}

// close ends the console: the VNC connection at once, the WebSocket with a
// close frame carrying reason (at most 123 bytes). Safe to call many times.
func (s *vncSession) close(code websocket.StatusCode, reason string) {
	s.closeOnce.Do(func() {
		close(s.done)
		if up := s.up.Load(); up != nil {
			_ = (*up).Close()
		}
		if len(reason) > 123 {
			reason = reason[:120] + "..."
		}
		// The close handshake waits for the browser's answer; do not hold
		// up the caller (a relay goroutine, or Close at shutdown) for it.
		go func() { _ = s.ws.Close(code, reason) }()
	})
}

// abort ends the console without a close handshake, which a browser that
// stopped answering would never complete.
func (s *vncSession) abort() {
	s.closeOnce.Do(func() {
		close(s.done)
		if up := s.up.Load(); up != nil {
			_ = (*up).Close()
		}
		_ = s.ws.CloseNow()
	})
}

func (s *vncSession) logEnd(err error) {
	if err != nil && !vncClosedErr(err) {
		s.v.log.Info("console ended", "host", s.host, "uuid", s.uuid, "vm", s.vmName,
			"duration", time.Since(s.started).Round(time.Millisecond), "err", err)
		return
	}
	s.v.log.Debug("console ended", "host", s.host, "uuid", s.uuid, "vm", s.vmName,
		"duration", time.Since(s.started).Round(time.Millisecond),
		"bytes_to_browser", s.toBrowser.Load(), "bytes_to_vm", s.toVM.Load())
}

func vncClosedErr(err error) bool {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// errVNCTextMessage is returned when the browser sends a text message: RFB is
// binary.
var errVNCTextMessage = errors.New("the browser sent a text message; the console speaks binary RFB")

// vncWSReader reads a WebSocket's binary messages as one byte stream, with no
// allocation per message. It is used by one goroutine at a time.
type vncWSReader struct {
	c *websocket.Conn
	r io.Reader
}

func (w *vncWSReader) Read(p []byte) (int, error) {
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
				return 0, errVNCTextMessage
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

// vncWSWriter sends each Write as one binary WebSocket message.
type vncWSWriter struct {
	c *websocket.Conn
}

func (w *vncWSWriter) Write(p []byte) (int, error) {
	if err := w.c.Write(context.Background(), websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
