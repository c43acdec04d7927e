// Package rfb is the RFB (VNC) protocol as far as the console proxy speaks
// it: the version and security handshake on both sides. Everything after
// ClientInit is relayed untouched. RFC 6143 describes the protocol.
package rfb

import (
	"crypto/des"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
)

// RFB security types the proxy knows by name.
const (
	SecInvalid  = 0
	SecNone     = 1
	SecVNCAuth  = 2
	SecTight    = 16
	SecVeNCrypt = 19
	SecSASL     = 20
)

// Version38 is the version the proxy announces to browsers and answers
// servers with.
const Version38 = "RFB 003.008\n"

// MaxReason bounds a failure reason string (and a desktop name) read from
// a VNC server, so that a broken server cannot make the proxy allocate much.
const MaxReason = 4096

// Error is a failure of the RFB handshake with the VM's VNC server. Its
// message is safe to show: it never contains the password.
type Error struct {
	Msg string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// ParseVersion reads a 12-byte ProtocolVersion message ("RFB 003.008\n")
// and returns the minor version the proxy will speak: 3, 7 or 8. Following
// RFC 6143, unknown minor versions below 7 are treated as 3.3 and anything
// above 8 as 3.8.
func ParseVersion(b []byte) (int, error) {
	if len(b) != 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return 0, fmt.Errorf("not an RFB protocol version: %q", b)
	}
	major, ok1 := rfbDigits3(b[4:7])
	minor, ok2 := rfbDigits3(b[8:11])
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("not an RFB protocol version: %q", b)
	}
	switch {
	case major != 3:
		return 0, fmt.Errorf("unsupported RFB major version %d", major)
	case minor >= 8:
		return 8, nil
	case minor == 7:
		return 7, nil
	default:
		return 3, nil
	}
}

func rfbDigits3(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func rfbVersionString(minor int) string {
	return fmt.Sprintf("RFB 003.%03d\n", minor)
}

// rfbSecName names a security type for messages.
func rfbSecName(t byte) string {
	switch t {
	case SecInvalid:
		return "Invalid"
	case SecNone:
		return "None"
	case SecVNCAuth:
		return "VNC Authentication"
	case SecTight:
		return "Tight"
	case SecVeNCrypt:
		return "VeNCrypt (TLS)"
	case SecSASL:
		return "SASL"
	}
	return fmt.Sprintf("type %d", t)
}

// rfbReadReason reads a u32-length-prefixed failure reason.
func rfbReadReason(r io.Reader) string {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return ""
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > MaxReason {
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return ""
	}
	return strings.ToValidUTF8(string(b), "?")
}

// ClientHandshake runs the client side of the RFB handshake with a VM's VNC
// server: it agrees on a version and completes the security handshake,
// using password for VNC Authentication. It returns an *Error when the
// server refuses or asks for something the proxy cannot do, and a plain
// error when the connection fails.
//
// With earlyInit it also sends ClientInit (shared), in the same write as
// its last security message instead of after the SecurityResult: a server
// reads its input in order, so it takes the ClientInit once the security
// handshake succeeded (and never, if it failed), and one round trip is
// saved; without a password, the choice of None goes with the version too
// (see below), saving a second one. The proxy does this with QEMU; the RFB
// client of the tests and the benchmark does not (earlyInit false: it
// stops before ClientInit), as VNC clients do not.
func ClientHandshake(c io.ReadWriter, password string, earlyInit bool) error {
	// last appends ClientInit to the last message when asked to.
	last := func(b []byte) []byte {
		if earlyInit {
			return append(b, 1)
		}
		return b
	}
	var buf [16]byte
	if _, err := io.ReadFull(c, buf[:12]); err != nil {
		return fmt.Errorf("read the server's RFB version: %w", err)
	}
	minor, err := ParseVersion(buf[:12])
	if err != nil {
		return &Error{Msg: "the VM's VNC server does not speak RFB 3.x: " + err.Error()}
	}
	hello := []byte(rfbVersionString(minor))
	// Without a password the only type the proxy can choose is None: with
	// earlyInit it sends that choice and ClientInit with its version,
	// before the server lists its types, saving another round trip. A
	// server that does not offer None refuses the choice, and the types
	// read below say why.
	speculate := earlyInit && minor >= 7 && password == ""
	if speculate {
		hello = append(hello, SecNone, 1)
	}
	if _, err := c.Write(hello); err != nil {
		return fmt.Errorf("send RFB version: %w", err)
	}
	var sec byte
	if minor >= 7 {
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			return fmt.Errorf("read security types: %w", err)
		}
		n := int(buf[0])
		if n == 0 {
			return &Error{Msg: "the VM's VNC server refused the connection: " + rfbReadReason(c)}
		}
		types := make([]byte, n)
		if _, err := io.ReadFull(c, types); err != nil {
			return fmt.Errorf("read security types: %w", err)
		}
		if sec, err = rfbChooseSecurity(types, password); err != nil {
			return err
		}
		choice := []byte{sec}
		if sec == SecNone {
			choice = last(choice)
		}
		if !speculate {
			if _, err := c.Write(choice); err != nil {
				return fmt.Errorf("send security type: %w", err)
			}
		}
	} else {
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			return fmt.Errorf("read security type: %w", err)
		}
		t := binary.BigEndian.Uint32(buf[:4])
		if t == SecInvalid {
			return &Error{Msg: "the VM's VNC server refused the connection: " + rfbReadReason(c)}
		}
		if t > 255 {
			return &Error{Msg: fmt.Sprintf("the VM's VNC server asks for unknown security type %d", t)}
		}
		if sec, err = rfbChooseSecurity([]byte{byte(t)}, password); err != nil {
			return err
		}
		if sec == SecNone && earlyInit {
			if _, err := c.Write([]byte{1}); err != nil {
				return fmt.Errorf("send ClientInit: %w", err)
			}
		}
	}
	if sec == SecVNCAuth {
		if _, err := io.ReadFull(c, buf[:16]); err != nil {
			return fmt.Errorf("read VNC authentication challenge: %w", err)
		}
		resp := AuthResponse(password, buf[:16])
		if _, err := c.Write(last(resp[:])); err != nil {
			return fmt.Errorf("send VNC authentication response: %w", err)
		}
	}
	// RFB 3.8 always sends SecurityResult; 3.3 and 3.7 only after
	// authentication.
	if minor < 8 && sec == SecNone {
		return nil
	}
	if _, err := io.ReadFull(c, buf[:4]); err != nil {
		return fmt.Errorf("read security result: %w", err)
	}
	if binary.BigEndian.Uint32(buf[:4]) != 0 {
		reason := "authentication failed"
		if minor >= 8 {
			if r := rfbReadReason(c); r != "" {
				reason = r
			}
		}
		if sec == SecVNCAuth {
			return &Error{Msg: "the VM's VNC server refused the VNC password from the VM's definition (" + reason + ")"}
		}
		return &Error{Msg: "the VM's VNC server refused the connection (" + reason + ")"}
	}
	return nil
}

// rfbChooseSecurity picks None when offered, else VNC Authentication when the
// proxy has a password, and otherwise says why it cannot connect.
func rfbChooseSecurity(types []byte, password string) (byte, error) {
	if slices.Contains(types, SecNone) {
		return SecNone, nil
	}
	if slices.Contains(types, SecVNCAuth) {
		if password == "" {
			return 0, &Error{Msg: "the VM's VNC server asks for a password, but the VM's definition has none"}
		}
		return SecVNCAuth, nil
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = rfbSecName(t)
	}
	return 0, &Error{Msg: "the VM's VNC server only offers " + strings.Join(names, ", ") +
		"; KVM Manager's console supports no security or VNC password authentication (turn off vnc_tls and vnc_sasl in the host's qemu.conf for consoles through KVM Manager)"}
}

// AuthResponse answers a VNC Authentication challenge: the challenge
// DES-encrypted with the password (truncated or zero-padded to 8 bytes) as
// the key, each key byte bit-reversed as RFB requires.
func AuthResponse(password string, challenge []byte) [16]byte {
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = bits.Reverse8(b)
	}
	var out [16]byte
	c, err := des.NewCipher(key[:])
	if err != nil { // cannot happen: the key is always 8 bytes
		panic(err)
	}
	c.Encrypt(out[:8], challenge[:8])
	c.Encrypt(out[8:], challenge[8:16])
	return out
}

// ErrClientSecurity is returned by ServerHandshake when the browser picks a
// security type the proxy did not offer.
var ErrClientSecurity = errors.New("the client chose a security type that was not offered")

// ServerHandshake runs the server side of the RFB handshake with the
// browser: it announces RFB 3.8, offers only security type None (the
// WebSocket itself is authenticated) and reads the client's security choice.
// It returns the minor version agreed, for ServerInitMessage.
func ServerHandshake(r io.Reader, w io.Writer) (int, error) {
	if _, err := io.WriteString(w, Version38); err != nil {
		return 0, fmt.Errorf("send RFB version: %w", err)
	}
	var buf [12]byte
	if _, err := io.ReadFull(r, buf[:12]); err != nil {
		return 0, fmt.Errorf("read the client's RFB version: %w", err)
	}
	minor, err := ParseVersion(buf[:12])
	if err != nil {
		return 0, err
	}
	if minor < 7 {
		// RFB 3.3: the server decides.
		if _, err := w.Write([]byte{0, 0, 0, SecNone}); err != nil {
			return 0, fmt.Errorf("send security type: %w", err)
		}
		return minor, nil
	}
	if _, err := w.Write([]byte{1, SecNone}); err != nil {
		return 0, fmt.Errorf("send security types: %w", err)
	}
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		return 0, fmt.Errorf("read the client's security type: %w", err)
	}
	if buf[0] != SecNone {
		if minor >= 8 {
			_ = FailSecurity(w, "only security type None is offered")
		}
		return 0, ErrClientSecurity
	}
	return minor, nil
}

// ServerInitMessage is what the browser gets once the VNC server's side
// is ready: a successful SecurityResult where the agreed version has one,
// and the VNC server's ServerInit right behind it. The browser sends its
// ClientInit in between, but reads ServerInit only after that, so sending
// both at once saves it a round trip; the relay drops the ClientInit (the
// proxy always asks the VNC server for a shared session, so that one
// console never disconnects another).
func ServerInitMessage(minor int, serverInit []byte) []byte {
	if minor < 8 {
		return serverInit
	}
	return append([]byte{0, 0, 0, 0}, serverInit...)
}

// ReadServerInit reads a VNC server's ServerInit as it came, to pass on.
func ReadServerInit(r io.Reader) ([]byte, error) {
	b := make([]byte, 24, 64)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read ServerInit: %w", err)
	}
	n := binary.BigEndian.Uint32(b[20:24])
	if n > MaxReason {
		return nil, fmt.Errorf("ServerInit with a desktop name of %d bytes", n)
	}
	b = append(b, make([]byte, n)...)
	if _, err := io.ReadFull(r, b[24:]); err != nil {
		return nil, fmt.Errorf("read ServerInit: %w", err)
	}
	return b, nil
}

// FailSecurity sends a failed SecurityResult with a reason (RFB 3.8 only),
// which VNC clients such as noVNC show to the user.
func FailSecurity(w io.Writer, reason string) error {
	if len(reason) > 512 {
		reason = reason[:512]
	}
	b := make([]byte, 8+len(reason))
	binary.BigEndian.PutUint32(b[0:4], 1)
	binary.BigEndian.PutUint32(b[4:8], uint32(len(reason)))
	copy(b[8:], reason)
	_, err := w.Write(b)
	return err
}
