package consoletest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SPICE's ticket is RSA-OAEP with SHA-1, fixed by the protocol
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// SPICE channel types and messages the test client uses (spice-protocol).
const (
	SpiceChannelMain    = 1
	SpiceChannelDisplay = 2
	SpiceChannelInputs  = 3

	SpiceMsgMainInit            = 103
	SpiceMsgcMainAttachChannels = 104
	SpiceMsgInputsInit          = 101
	SpiceMsgcInputsKeyDown      = 101
	SpiceMsgcInputsKeyUp        = 102
)

// SpiceLinkError is a SPICE server's refusal of a channel (its link error
// or link result code; 7 is a wrong password).
type SpiceLinkError struct{ Code uint32 }

func (e *SpiceLinkError) Error() string { return fmt.Sprintf("SPICE link error %d", e.Code) }

// SpiceLink runs a SPICE channel's link handshake as a client on rw (a TCP
// connection or a WebSocket stream), with the capabilities spice-html5
// sends (auth selection, mini header), and password encrypted with the
// server's key.
func SpiceLink(rw io.ReadWriter, connID uint32, chType, chID uint8, password string) error {
	msg := make([]byte, 16+18+4)
	binary.LittleEndian.PutUint32(msg[0:], 0x51444552)
	binary.LittleEndian.PutUint32(msg[4:], 2)
	binary.LittleEndian.PutUint32(msg[8:], 2)
	binary.LittleEndian.PutUint32(msg[12:], 18+4)
	b := msg[16:]
	binary.LittleEndian.PutUint32(b[0:], connID)
	b[4], b[5] = chType, chID
	binary.LittleEndian.PutUint32(b[6:], 1)  // common caps
	binary.LittleEndian.PutUint32(b[10:], 0) // channel caps
	binary.LittleEndian.PutUint32(b[14:], 18)
	binary.LittleEndian.PutUint32(b[18:], 1<<0|1<<3) // auth selection, mini header
	if _, err := rw.Write(msg); err != nil {
		return err
	}
	var hdr [16]byte
	if _, err := io.ReadFull(rw, hdr[:]); err != nil {
		return fmt.Errorf("read link reply header: %w", err)
	}
	if binary.LittleEndian.Uint32(hdr[:]) != 0x51444552 {
		return errors.New("link reply: bad magic")
	}
	size := binary.LittleEndian.Uint32(hdr[12:])
	if size < 178 || size > 4096 {
		return fmt.Errorf("link reply of %d bytes", size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(rw, body); err != nil {
		return fmt.Errorf("read link reply: %w", err)
	}
	if code := binary.LittleEndian.Uint32(body); code != 0 {
		return &SpiceLinkError{code}
	}
	ticket := make([]byte, 4+128)
	binary.LittleEndian.PutUint32(ticket, 1)
	k, err := x509.ParsePKIXPublicKey(body[4 : 4+162]) // DER SubjectPublicKeyInfo, RSA-1024
	if err != nil {
		return fmt.Errorf("server key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return errors.New("server key is not RSA")
	}
	enc, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, rk, append([]byte(password), 0), nil) //nolint:gosec // protocol
	if err != nil {
		return err
	}
	copy(ticket[4:], enc)
	if _, err := rw.Write(ticket); err != nil {
		return err
	}
	var res [4]byte
	if _, err := io.ReadFull(rw, res[:]); err != nil {
		return fmt.Errorf("read link result: %w", err)
	}
	if code := binary.LittleEndian.Uint32(res[:]); code != 0 {
		return &SpiceLinkError{code}
	}
	return nil
}

// SpiceReadMsg reads one message (mini header: type u16, size u32) of at
// most 16 MiB.
func SpiceReadMsg(r io.Reader) (uint16, []byte, error) {
	var h [6]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	size := binary.LittleEndian.Uint32(h[2:])
	if size > 16<<20 {
		return 0, nil, fmt.Errorf("SPICE message of %d bytes", size)
	}
	data := make([]byte, size)
	_, err := io.ReadFull(r, data)
	return binary.LittleEndian.Uint16(h[:]), data, err
}

// SpiceWriteMsg writes one message with a mini header.
func SpiceWriteMsg(w io.Writer, typ uint16, data []byte) error {
	b := make([]byte, 6+len(data))
	binary.LittleEndian.PutUint16(b, typ)
	binary.LittleEndian.PutUint32(b[2:], uint32(len(data)))
	copy(b[6:], data)
	_, err := w.Write(b)
	return err
}

// SpiceMainInit reads a main channel's messages up to SPICE_MSG_MAIN_INIT
// (at most 64) and returns its session id, then asks for the other
// channels (SPICE_MSGC_MAIN_ATTACH_CHANNELS), as spice-html5 does.
func SpiceMainInit(rw io.ReadWriter) (uint32, error) {
	for range 64 {
		typ, data, err := SpiceReadMsg(rw)
		if err != nil {
			return 0, err
		}
		if typ == SpiceMsgMainInit && len(data) >= 4 {
			return binary.LittleEndian.Uint32(data), SpiceWriteMsg(rw, SpiceMsgcMainAttachChannels, nil)
		}
	}
	return 0, errors.New("no SPICE main init in 64 messages")
}

// SpiceKey sends a key press and release of a PC (set 1) scancode on an
// inputs channel; shift holds Shift around it.
func SpiceKey(w io.Writer, scancode uint32, shift bool) error {
	send := func(typ uint16, code uint32) error {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], code)
		return SpiceWriteMsg(w, typ, b[:])
	}
	if shift {
		if err := send(SpiceMsgcInputsKeyDown, 0x2a); err != nil {
			return err
		}
	}
	if err := send(SpiceMsgcInputsKeyDown, scancode); err != nil {
		return err
	}
	if err := send(SpiceMsgcInputsKeyUp, scancode|0x80); err != nil {
		return err
	}
	if shift {
		return send(SpiceMsgcInputsKeyUp, 0x2a|0x80)
	}
	return nil
}

// usScancodes maps the characters SpiceType knows to US-layout set 1
// scancodes; upper case and the shifted symbols use Shift.
var usScancodes = func() map[rune][2]uint32 {
	m := map[rune][2]uint32{' ': {0x39, 0}, '\n': {0x1c, 0}}
	row := func(chars string, first uint32, shift uint32) {
		for i, c := range chars {
			m[c] = [2]uint32{first + uint32(i), shift}
		}
	}
	row("1234567890-=", 0x02, 0)
	row("!@#$%^&*()_+", 0x02, 1)
	row("qwertyuiop[]", 0x10, 0)
	row("QWERTYUIOP{}", 0x10, 1)
	row("asdfghjkl;'", 0x1e, 0)
	row("ASDFGHJKL:\"", 0x1e, 1)
	row("zxcvbnm,./", 0x2c, 0)
	row("ZXCVBNM<>?", 0x2c, 1)
	return m
}()

// SpiceType types s on an inputs channel as a US keyboard would, one key
// every pace: QEMU passes SPICE's keys to the guest's PS/2 keyboard at
// once, whose queue holds 16 scancodes and drops what overflows.
func SpiceType(w io.Writer, s string, pace time.Duration) error {
	for i, c := range s {
		if i > 0 {
			time.Sleep(pace)
		}
		k, ok := usScancodes[c]
		if !ok {
			return fmt.Errorf("no scancode for %q", c)
		}
		if err := SpiceKey(w, k[0], k[1] == 1); err != nil {
			return err
		}
	}
	return nil
}
