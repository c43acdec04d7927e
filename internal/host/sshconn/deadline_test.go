package sshconn

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func TestDeadlineConn(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &deadlineConn{Conn: a}

	// A deadline cleared before it passes leaves the conn working.
	if err := c.SetDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = b.Write([]byte("x")) }()
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 'x' {
		t.Fatalf("read after a cleared deadline: %q %v", buf, err)
	}

	// A deadline that passes wakes a blocked Read with ErrDeadlineExceeded.
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want ErrDeadlineExceeded", err)
	}
	if err := c.SetDeadline(time.Time{}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("SetDeadline after expiry: %v", err)
	}

	// A deadline in the past closes at once.
	x, y := net.Pipe()
	defer y.Close()
	d := &deadlineConn{Conn: x}
	_ = d.SetDeadline(time.Unix(1, 0))
	if _, err := d.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("write after a past deadline: %v", err)
	}
}
