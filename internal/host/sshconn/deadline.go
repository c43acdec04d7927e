package sshconn

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// deadlineConn gives an SSH channel's net.Conn the deadlines that
// x/crypto's channels lack (their SetDeadline fails), the only way callers
// such as the VNC proxy bound a handshake or give up on cancel. A channel's
// blocked Read cannot be woken without closing it, so a deadline that
// passes closes the channel, and later calls fail with an error wrapping
// os.ErrDeadlineExceeded. That is weaker than a socket's deadline, which
// can be extended after it fired; every caller here abandons the
// connection once a deadline passes, so it is enough. Clearing or moving
// a deadline before it passes works as on a socket.
type deadlineConn struct {
	net.Conn
	mu      sync.Mutex
	timer   *time.Timer
	expired bool
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return c.errExpired()
	}
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if t.IsZero() {
		return nil
	}
	d := time.Until(t)
	if d <= 0 {
		c.expireLocked()
		return nil
	}
	c.timer = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.expireLocked()
	})
	return nil
}

// SetReadDeadline and SetWriteDeadline are SetDeadline: with the channel
// closed on expiry, the two cannot be told apart.
func (c *deadlineConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

func (c *deadlineConn) expireLocked() {
	if !c.expired {
		c.expired = true
		_ = c.Conn.Close()
	}
}

func (c *deadlineConn) errExpired() error {
	return fmt.Errorf("ssh channel: %w", os.ErrDeadlineExceeded)
}

func (c *deadlineConn) wrap(n int, err error) (int, error) {
	if err != nil {
		c.mu.Lock()
		expired := c.expired
		c.mu.Unlock()
		if expired {
			return n, c.errExpired()
		}
	}
	return n, err
}

func (c *deadlineConn) Read(p []byte) (int, error)  { return c.wrap(c.Conn.Read(p)) }
func (c *deadlineConn) Write(p []byte) (int, error) { return c.wrap(c.Conn.Write(p)) }

// Close stops a pending deadline and closes the channel.
func (c *deadlineConn) Close() error {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
