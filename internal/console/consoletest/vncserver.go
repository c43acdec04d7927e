package consoletest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
)

// VNCServer speaks the server side of the RFB handshake the way QEMU
// does, for one connection, and then sends a 720×400 ServerInit named
// "QEMU (fake)". Unit tests of the proxy and of the RFB code use it as the
// VM's VNC server.
type VNCServer struct {
	Version  string // e.g. "RFB 003.008\n"
	Types    []byte // offered security types (3.7+); Types[0] for 3.3
	Password string // for VNC Authentication
	Refuse   string // if set, refuse with this reason
	// What the server saw: the client's ClientInit, and whether its VNC
	// Authentication response matched Password.
	ClientInit []byte
	AuthOK     bool
}

// Serve runs the handshake on c, up to and including ServerInit.
func (f *VNCServer) Serve(c io.ReadWriter) error {
	if _, err := io.WriteString(c, f.Version); err != nil {
		return err
	}
	var buf [16]byte
	if _, err := io.ReadFull(c, buf[:12]); err != nil {
		return err
	}
	minor, _ := rfb.ParseVersion(buf[:12])
	var sec byte
	if minor >= 7 {
		if f.Refuse != "" {
			_, _ = c.Write([]byte{0})
			return writeReason(c, f.Refuse)
		}
		_, _ = c.Write(append([]byte{byte(len(f.Types))}, f.Types...))
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			return err
		}
		sec = buf[0]
		if !bytes.Contains(f.Types, []byte{sec}) { // as QEMU: refuse
			_, _ = c.Write([]byte{0, 0, 0, 1})
			if minor >= 8 {
				_ = writeReason(c, "Unsupported authentication type")
			}
			return errors.New("client chose a type not offered")
		}
	} else {
		sec = f.Types[0]
		_ = binary.Write(c, binary.BigEndian, uint32(sec))
	}
	if sec == rfb.SecVNCAuth {
		challenge := []byte("0123456789abcdef")
		_, _ = c.Write(challenge)
		if _, err := io.ReadFull(c, buf[:16]); err != nil {
			return err
		}
		want := rfb.AuthResponse(f.Password, challenge)
		f.AuthOK = buf == want
		if !f.AuthOK {
			_, _ = c.Write([]byte{0, 0, 0, 1})
			if minor >= 8 {
				return writeReason(c, "Authentication failed")
			}
			return nil
		}
		_, _ = c.Write([]byte{0, 0, 0, 0})
	} else if minor >= 8 {
		_, _ = c.Write([]byte{0, 0, 0, 0})
	}
	f.ClientInit = make([]byte, 1)
	if _, err := io.ReadFull(c, f.ClientInit); err != nil {
		return err
	}
	return WriteServerInit(c, 720, 400, "QEMU (fake)")
}

// writeReason writes a u32-length-prefixed failure reason.
func writeReason(w io.Writer, reason string) error {
	_ = binary.Write(w, binary.BigEndian, uint32(len(reason)))
	_, err := io.WriteString(w, reason)
	return err
}

// WriteServerInit writes an RFB ServerInit message: a framebuffer of
// width×height in 32-bit true colour, and the desktop name.
func WriteServerInit(w io.Writer, width, height int, name string) error {
	b := make([]byte, 24+len(name))
	binary.BigEndian.PutUint16(b[0:2], uint16(width))
	binary.BigEndian.PutUint16(b[2:4], uint16(height))
	b[4], b[5], b[7] = 32, 24, 1 // bpp, depth, true colour
	binary.BigEndian.PutUint16(b[8:10], 255)
	binary.BigEndian.PutUint16(b[10:12], 255)
	binary.BigEndian.PutUint16(b[12:14], 255)
	b[14], b[15], b[16] = 16, 8, 0
	binary.BigEndian.PutUint32(b[20:24], uint32(len(name)))
	copy(b[24:], name)
	_, err := w.Write(b)
	return err
}
