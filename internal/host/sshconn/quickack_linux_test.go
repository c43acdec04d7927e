package sshconn

import (
	"io"
	"net"
	"testing"
)

// quickAck wraps TCP connections only, and the wrapper reads as the
// connection does.
func TestQuickAckWrapsTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("hello"))
		_ = c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	q := quickAck(c)
	defer q.Close()
	if _, ok := q.(*quickAckConn); !ok {
		t.Fatalf("a TCP connection is not wrapped: %T", q)
	}
	if b, err := io.ReadAll(q); err != nil || string(b) != "hello" {
		t.Errorf("read %q, %v", b, err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if quickAck(a) != a {
		t.Error("a pipe was wrapped")
	}
}
