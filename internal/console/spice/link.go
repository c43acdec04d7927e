package spice

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SPICE's ticket is RSA-OAEP with SHA-1, fixed by the protocol
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The SPICE link handshake (spice-protocol's protocol.h): each channel
// starts with it. The client sends a SpiceLinkHeader and SpiceLinkMess
// (which channel, its capabilities), the server answers with a
// SpiceLinkReply that carries its RSA public key, the client sends the
// password ("ticket") encrypted with that key, and the server answers one
// 32-bit result. All integers are little-endian.
const (
	linkMagic      = 0x51444552 // "REDQ"
	linkHeaderSize = 16         // magic, major, minor, size
	linkMessSize   = 18         // connection_id, channel_type, channel_id, 3 × u32
	linkReplySize  = 178        // error, pub_key[162], 3 × u32
	pubKeySize     = 162
	ticketSize     = 128 // RSA-1024 ciphertext
	// maxLinkBody bounds a link message's body: the capabilities are a
	// few 32-bit words.
	maxLinkBody = 1024
	// commonCapAuthSelection is bit 0 of the common capabilities: the
	// client names its auth mechanism before the ticket.
	commonCapAuthSelection = 1 << 0
	authMechanismSpice     = 1
	// maxPassword is SPICE's own limit on a password's length.
	maxPassword = 60
)

// SPICE channel types (spice-protocol's enums.h).
const (
	channelMain    = 1
	channelDisplay = 2
)

// linkErrors names SPICE's link errors (SPICE_LINK_ERR_*).
var linkErrors = map[uint32]string{
	1: "error", 2: "invalid magic", 3: "invalid data", 4: "version mismatch", 5: "TLS required",
	6: "a TLS port is required", 7: "permission denied (wrong SPICE password)", 8: "bad connection id",
	9: "channel not available",
}

// errLink is a SPICE server's refusal of a channel.
type errLink struct{ code uint32 }

func (e errLink) Error() string {
	if s, ok := linkErrors[e.code]; ok {
		return "the SPICE server refused the channel: " + s
	}
	return fmt.Sprintf("the SPICE server refused the channel (error %d)", e.code)
}

// linkMess is what the proxy reads from a client's link message.
type linkMess struct {
	raw         []byte // header and body, to forward unchanged
	channelType uint8
	channelID   uint8
	commonCaps  uint32 // the first word of the common capabilities
}

// readLinkMessage reads a link header and its body (at least min bytes,
// at most maxLinkBody) from r.
func readLinkMessage(r io.Reader, minBody int) ([]byte, error) {
	var hdr [linkHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read link header: %w", err)
	}
	if m := binary.LittleEndian.Uint32(hdr[0:]); m != linkMagic {
		return nil, fmt.Errorf("not a SPICE link message (magic %#x)", m)
	}
	if major := binary.LittleEndian.Uint32(hdr[4:]); major != 2 {
		return nil, fmt.Errorf("unsupported SPICE protocol version %d", major)
	}
	size := binary.LittleEndian.Uint32(hdr[12:])
	if size < uint32(minBody) || size > maxLinkBody {
		return nil, fmt.Errorf("SPICE link message of %d bytes (want %d to %d)", size, minBody, maxLinkBody)
	}
	msg := make([]byte, linkHeaderSize+int(size))
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[linkHeaderSize:]); err != nil {
		return nil, fmt.Errorf("read link message: %w", err)
	}
	return msg, nil
}

// firstCommonCap returns the first word of the common capabilities of a
// link body whose counts and offset are at countsAt, or 0 if there is none.
func firstCommonCap(body []byte, countsAt int) (uint32, error) {
	nCommon := binary.LittleEndian.Uint32(body[countsAt:])
	nChannel := binary.LittleEndian.Uint32(body[countsAt+4:])
	off := binary.LittleEndian.Uint32(body[countsAt+8:])
	if nCommon > maxLinkBody/4 || nChannel > maxLinkBody/4 || uint64(off)+4*uint64(nCommon+nChannel) > uint64(len(body)) {
		return 0, errors.New("SPICE link message with capabilities outside it")
	}
	if nCommon == 0 {
		return 0, nil
	}
	return binary.LittleEndian.Uint32(body[off:]), nil
}

// readClientLink reads the client's link message.
func readClientLink(r io.Reader) (linkMess, error) {
	raw, err := readLinkMessage(r, linkMessSize)
	if err != nil {
		return linkMess{}, err
	}
	body := raw[linkHeaderSize:]
	caps, err := firstCommonCap(body, 6)
	if err != nil {
		return linkMess{}, err
	}
	return linkMess{raw: raw, channelType: body[4], channelID: body[5], commonCaps: caps}, nil
}

// linkReply is what the proxy reads from a server's link reply.
type linkReply struct {
	raw        []byte
	err        uint32
	pubKey     []byte
	commonCaps uint32
}

func readServerLink(r io.Reader) (linkReply, error) {
	raw, err := readLinkMessage(r, linkReplySize)
	if err != nil {
		return linkReply{}, err
	}
	body := raw[linkHeaderSize:]
	rep := linkReply{raw: raw, err: binary.LittleEndian.Uint32(body), pubKey: body[4 : 4+pubKeySize]}
	if rep.err != 0 {
		return rep, nil
	}
	rep.commonCaps, err = firstCommonCap(body, 4+pubKeySize)
	return rep, err
}

// encryptTicket encrypts password for the SPICE server whose public key
// (DER SubjectPublicKeyInfo, zero-padded to 162 bytes) is pub, the way
// spice-server expects it: RSA-OAEP with SHA-1 of the password and a NUL.
func encryptTicket(pub []byte, password string) ([]byte, error) {
	if len(password) > maxPassword {
		return nil, fmt.Errorf("the SPICE password is longer than %d bytes", maxPassword)
	}
	k, err := x509.ParsePKIXPublicKey(trimDER(pub))
	if err != nil {
		return nil, fmt.Errorf("the SPICE server's public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok || rk.Size() != ticketSize {
		return nil, errors.New("the SPICE server's public key is not RSA-1024")
	}
	return rsa.EncryptOAEP(sha1.New(), rand.Reader, rk, append([]byte(password), 0), nil) //nolint:gosec // fixed by the protocol
}

// trimDER cuts a DER value to its own length (the key field is padded).
func trimDER(b []byte) []byte {
	if len(b) < 2 || b[0] != 0x30 {
		return b
	}
	n, hdr := int(b[1]), 2
	if b[1]&0x80 != 0 {
		l := int(b[1] & 0x7f)
		if l == 0 || l > 2 || len(b) < 2+l {
			return b
		}
		n = 0
		for _, c := range b[2 : 2+l] {
			n = n<<8 | int(c)
		}
		hdr = 2 + l
	}
	if hdr+n > len(b) {
		return b
	}
	return b[:hdr+n]
}

// link runs a channel's link handshake between the browser (b) and the
// SPICE server (up). The browser's ticket is dropped: the proxy encrypts
// the VM's password itself, so the password never leaves the server, and
// the browser sends an empty one. allow checks the channel the browser
// asks for before anything reaches the server. It returns the channel's
// type and id.
func link(b io.ReadWriter, up io.ReadWriter, password string, allow func(channelType uint8) error) (uint8, uint8, error) {
	cm, err := readClientLink(b)
	if err != nil {
		return 0, 0, err
	}
	if err := allow(cm.channelType); err != nil {
		return 0, 0, err
	}
	if _, err := up.Write(cm.raw); err != nil {
		return 0, 0, fmt.Errorf("send link message: %w", err)
	}
	rep, err := readServerLink(up)
	if err != nil {
		return 0, 0, err
	}
	if _, err := b.Write(rep.raw); err != nil {
		return 0, 0, err
	}
	if rep.err != 0 {
		return 0, 0, errLink{rep.err}
	}
	authSel := cm.commonCaps&rep.commonCaps&commonCapAuthSelection != 0
	n := ticketSize
	if authSel {
		n += 4
	}
	ticket := make([]byte, n)
	if _, err := io.ReadFull(b, ticket); err != nil {
		return 0, 0, fmt.Errorf("read the browser's ticket: %w", err)
	}
	if authSel && binary.LittleEndian.Uint32(ticket) != authMechanismSpice {
		return 0, 0, fmt.Errorf("unsupported SPICE auth mechanism %d (the proxy speaks SPICE tickets only)", binary.LittleEndian.Uint32(ticket))
	}
	enc, err := encryptTicket(rep.pubKey, password)
	if err != nil {
		return 0, 0, err
	}
	copy(ticket[n-ticketSize:], enc)
	if _, err := up.Write(ticket); err != nil {
		return 0, 0, fmt.Errorf("send ticket: %w", err)
	}
	var res [4]byte
	if _, err := io.ReadFull(up, res[:]); err != nil {
		return 0, 0, fmt.Errorf("read link result: %w", err)
	}
	if _, err := b.Write(res[:]); err != nil {
		return 0, 0, err
	}
	if code := binary.LittleEndian.Uint32(res[:]); code != 0 {
		return 0, 0, errLink{code}
	}
	return cm.channelType, cm.channelID, nil
}
