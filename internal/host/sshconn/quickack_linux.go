package sshconn

import (
	"net"
	"syscall"
)

// quickAckConn turns off delayed ACKs on the TCP connection to sshd after
// every read (Linux resets TCP_QUICKACK by itself). sshd does not set
// TCP_NODELAY on connections without a terminal, so its Nagle algorithm
// holds a small packet (a VNC server's greeting, say) until the previous
// one is acknowledged; with our side delaying that ACK up to 40 ms, every
// console handshake that followed a libvirt call on the same connection
// took 45 to 55 ms instead of 2 to 6 (measured on loopback, see
// docs/benchmarks.md).
type quickAckConn struct {
	*net.TCPConn
	raw syscall.RawConn
	set func(fd uintptr)
}

func quickAck(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	q := &quickAckConn{TCPConn: tc, raw: raw}
	q.set = func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1) }
	q.raw.Control(q.set) //nolint:errcheck // best effort: without it only latency suffers
	return q
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	if n > 0 {
		_ = c.raw.Control(c.set)
	}
	return n, err
}
