package vnc

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
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

// ReadBufferSize is the read buffer to give [wsframe.Accept] for a
// console's WebSocket: the browser sends small input events.
const ReadBufferSize = vncUpBufSize

var (
	vncDownBufs = sync.Pool{New: func() any { return new([vncDownBufSize]byte) }}
	vncUpBufs   = sync.Pool{New: func() any { return new([vncUpBufSize]byte) }}
)

// vncSession is one open console: a browser WebSocket joined to one VNC
// connection.
type vncSession struct {
	v       *Proxy
	ws      *wsframe.Conn
	host    string
	uuid    string
	vmName  string
	started time.Time

	closeOnce sync.Once
	ending    atomic.Bool   // set by close/abort: the relay drops what still comes
	done      chan struct{} // closed by close/abort
	closeSent chan struct{} // closed once the close frame went out (or could not)
	cause     error         // why the console ended, set by the first close
	up        atomic.Pointer[net.Conn]
	toBrowser atomic.Int64
	toVM      atomic.Int64

	serverInit []byte
	rec        vncRec // recording (record.go)
}

func newVNCSession(v *Proxy, ws *wsframe.Conn, hostName, uuid, vmName string) *vncSession {
	ws.SetReadLimit(v.opts.ReadLimit)
	return &vncSession{v: v, ws: ws, host: hostName, uuid: uuid, vmName: vmName, started: time.Now(),
		done: make(chan struct{}), closeSent: make(chan struct{})}
}

// start finishes the browser's RFB handshake once the VNC server's side is
// done (up, its ServerInit si, or the error uerr): it tells the browser the
// failure in the SecurityResult (RFB 3.8) and the close reason, or sends it
// the ServerInit. The browser's ClientInit is still to come: the relay
// drops it.
func (s *vncSession) start(up net.Conn, si []byte, uerr error, minor int) error {
	if uerr != nil {
		msg := "cannot connect to the VM's display"
		if p, ok := problem.As(uerr); ok {
			msg = p.Message
		}
		if minor >= 8 {
			_ = rfb.FailSecurity(s.ws, msg)
		}
		s.close(wsframe.StatusInternalError, msg, uerr)
		return uerr
	}
	s.up.Store(&up)
	if s.ending.Load() { // closed meanwhile (shutdown): close the new connection too
		_ = up.Close()
		return net.ErrClosed
	}
	if _, err := s.ws.Write(rfb.ServerInitMessage(minor, si)); err != nil {
		s.close(wsframe.StatusProtocolError, "RFB handshake failed", err)
		return err
	}
	return nil
}

// drain reads (and drops) what the browser still sends after a failed
// handshake, until its close frame or the close wait ends, then closes.
func (s *vncSession) drain() {
	var buf [512]byte
	for {
		if _, err := s.ws.Read(buf[:]); err != nil {
			break
		}
	}
	_ = s.ws.CloseNow()
}

// relay copies bytes both ways until either side ends, then closes both.
func (s *vncSession) relay(up net.Conn) {
	s.v.log.Debug("console open", "host", s.host, "uuid", s.uuid, "vm", s.vmName)
	go s.pingLoop()
	down := make(chan struct{})
	go func() {
		err := s.vmToBrowser(up)
		s.close(wsframe.StatusNormal, "the VM's display closed (the VM may have stopped)", err)
		close(down)
	}()
	err := s.browserToVM(up, 1) // the ClientInit
	s.close(wsframe.StatusNormal, "", err)
	<-down
	s.recEnd()
	s.logEnd(s.cause)
}

// vmToBrowser copies the VNC server's bytes to the browser, one WebSocket
// message per read: the read leaves room for the frame header before the
// payload, so that each message is one write, with no allocation.
func (s *vncSession) vmToBrowser(up net.Conn) error {
	bp := vncDownBufs.Get().(*[vncDownBufSize]byte)
	defer vncDownBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := up.Read(buf[wsframe.Headroom:])
		if n > 0 {
			if werr := s.ws.WriteMessage(buf[:wsframe.Headroom+n]); werr != nil {
				return werr
			}
			s.toBrowser.Add(int64(n))
			s.recDown(buf[wsframe.Headroom : wsframe.Headroom+n])
		}
		if err != nil {
			return err
		}
	}
}

// browserToVM copies the browser's messages, after the first skip bytes,
// to the VNC server until the WebSocket ends (its close handshake, an
// error, or the close wait after this end closed), then closes the
// WebSocket. Once the console is ending, what still arrives is dropped.
func (s *vncSession) browserToVM(up net.Conn, skip int) error {
	bp := vncUpBufs.Get().(*[vncUpBufSize]byte)
	defer vncUpBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := s.ws.Read(buf)
		data := buf[:n]
		if skip > 0 {
			k := min(skip, n)
			data, skip = data[k:], skip-k
		}
		if len(data) > 0 && !s.ending.Load() {
			if _, werr := s.writeUp(up, data); werr != nil {
				s.close(wsframe.StatusNormal, "the VM's display closed (the VM may have stopped)", werr)
			} else {
				s.toVM.Add(int64(len(data)))
			}
		}
		if err != nil {
			_ = s.ws.CloseNow()
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
		err := s.ws.Ping(iv)
		switch {
		case err == nil:
			missed = 0
		case errors.Is(err, net.ErrClosed), errors.Is(err, wsframe.ErrClosing):
			return
		default:
			if missed++; missed >= 2 {
				s.v.log.Info("console closed: the browser stopped answering pings", "host", s.host, "uuid", s.uuid)
				s.abort(errors.New("the browser stopped answering pings"))
				return
			}
		}
	}
}

// close ends the console: the VNC connection at once, the WebSocket with a
// close frame carrying reason (cut to 123 bytes) and then the close
// handshake, which browserToVM (or drain) completes. cause says why, for
// the log. Safe to call many times: the first call counts.
func (s *vncSession) close(code int, reason string, cause error) {
	s.closeOnce.Do(func() {
		s.cause = cause
		s.ending.Store(true)
		close(s.done)
		if up := s.up.Load(); up != nil {
			_ = (*up).Close()
		}
		// Whoever reads the browser stops after the close wait at the
		// latest, and then closes the connection.
		_ = s.ws.SetReadDeadline(time.Now().Add(wsframe.CloseWait))
		// A write of the other direction may hold the connection: do not
		// hold up the caller (a relay goroutine, or Close at shutdown).
		go func() {
			_ = s.ws.SendClose(code, reason, wsframe.CloseWait)
			close(s.closeSent)
		}()
	})
}

// abort ends the console without a close handshake, which a browser that
// stopped answering would never complete; cause says why, for the log.
func (s *vncSession) abort(cause error) {
	s.closeOnce.Do(func() {
		s.cause = cause
		s.ending.Store(true)
		close(s.done)
		close(s.closeSent)
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

// vncClosedErr reports whether err is an ordinary end of a console.
func vncClosedErr(err error) bool {
	var ce *wsframe.CloseError
	if errors.As(err, &ce) && !ce.Local {
		switch ce.Code {
		case wsframe.StatusNormal, wsframe.StatusGoingAway, wsframe.StatusNoStatus:
			return true
		}
	}
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
