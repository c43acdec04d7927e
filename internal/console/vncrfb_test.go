package console

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseRFBVersion(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: "RFB 003.008\n", want: 8},
		{in: "RFB 003.007\n", want: 7},
		{in: "RFB 003.003\n", want: 3},
		{in: "RFB 003.005\n", want: 3}, // unknown below 3.7: 3.3 (RFC 6143)
		{in: "RFB 003.889\n", want: 8}, // Apple's: treated as 3.8
		{in: "RFB 004.000\n", wantErr: true},
		{in: "RFB 003.008", wantErr: true},
		{in: "RFB 003.00a\n", wantErr: true},
		{in: "HTTP/1.1 200\n", wantErr: true},
		{in: "", wantErr: true},
	} {
		got, err := parseRFBVersion([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseRFBVersion(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseRFBVersion(f *testing.F) {
	for _, s := range []string{"RFB 003.008\n", "RFB 003.003\n", "RFB 999.999\n", "xxxxxxxxxxxx"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseRFBVersion(b)
		if err == nil && v != 3 && v != 7 && v != 8 {
			t.Fatalf("version %d from %q", v, b)
		}
		if err == nil && (len(b) != 12 || !bytes.HasPrefix(b, []byte("RFB 003."))) {
			t.Fatalf("accepted %q", b)
		}
	})
}

// The expected responses were computed with OpenSSL's DES (a different
// implementation) from the bit-reversed keys.
func TestVNCAuthResponse(t *testing.T) {
	for _, tc := range []struct {
		password, challenge, want string
	}{
		{"s3cretpw", "000102030405060708090a0b0c0d0e0f", "9379489d16946183f46a5f6900e3ead3"},
		{"s3cretpw-and-more", "000102030405060708090a0b0c0d0e0f", "9379489d16946183f46a5f6900e3ead3"}, // only 8 bytes count
		{"ab", "ffeeddccbbaa99887766554433221100", "857d0c0a27d67b209daa03952f48bf11"},                // zero-padded
	} {
		ch, _ := hex.DecodeString(tc.challenge)
		got := vncAuthResponse(tc.password, ch)
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("vncAuthResponse(%q) = %x, want %s", tc.password, got, tc.want)
		}
	}
}

func TestChooseSecurity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		types    []byte
		password string
		want     byte
		errLike  string
	}{
		{name: "none preferred", types: []byte{rfbSecVNCAuth, rfbSecNone}, password: "pw", want: rfbSecNone},
		{name: "vnc auth with password", types: []byte{rfbSecVNCAuth}, password: "pw", want: rfbSecVNCAuth},
		{name: "vnc auth without password", types: []byte{rfbSecVNCAuth}, errLike: "has none"},
		{name: "tls only", types: []byte{rfbSecVeNCrypt}, password: "pw", errLike: "VeNCrypt"},
		{name: "sasl and tight", types: []byte{rfbSecSASL, rfbSecTight}, errLike: "SASL, Tight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rfbChooseSecurity(tc.types, tc.password)
			if tc.errLike != "" {
				var re *RFBError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("err = %v, want an RFBError like %q", err, tc.errLike)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// fakeVNCServer speaks the server side of the RFB handshake the way QEMU
// does, for one connection.
type fakeVNCServer struct {
	version  string // e.g. "RFB 003.008\n"
	types    []byte // offered security types (3.7+); types[0] for 3.3
	password string // for VNC Authentication
	refuse   string // if set, refuse with this reason
	// what the server saw
	clientInit []byte
	authOK     bool
}

func (f *fakeVNCServer) serve(c io.ReadWriter) error {
	if _, err := io.WriteString(c, f.version); err != nil {
		return err
	}
	var buf [16]byte
	if _, err := io.ReadFull(c, buf[:12]); err != nil {
		return err
	}
	minor, _ := parseRFBVersion(buf[:12])
	var sec byte
	if minor >= 7 {
		if f.refuse != "" {
			_, _ = c.Write([]byte{0})
			return writeReason(c, f.refuse)
		}
		_, _ = c.Write(append([]byte{byte(len(f.types))}, f.types...))
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			return err
		}
		sec = buf[0]
		if !bytes.Contains(f.types, []byte{sec}) { // as QEMU: refuse
			_, _ = c.Write([]byte{0, 0, 0, 1})
			if minor >= 8 {
				_ = writeReason(c, "Unsupported authentication type")
			}
			return errors.New("client chose a type not offered")
		}
	} else {
		sec = f.types[0]
		_ = binary.Write(c, binary.BigEndian, uint32(sec))
	}
	if sec == rfbSecVNCAuth {
		challenge := []byte("0123456789abcdef")
		_, _ = c.Write(challenge)
		if _, err := io.ReadFull(c, buf[:16]); err != nil {
			return err
		}
		want := vncAuthResponse(f.password, challenge)
		f.authOK = buf == want
		if !f.authOK {
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
	f.clientInit = make([]byte, 1)
	if _, err := io.ReadFull(c, f.clientInit); err != nil {
		return err
	}
	return writeServerInit(c, 720, 400, "QEMU (fake)")
}

func writeReason(w io.Writer, reason string) error {
	_ = binary.Write(w, binary.BigEndian, uint32(len(reason)))
	_, err := io.WriteString(w, reason)
	return err
}

func writeServerInit(w io.Writer, width, height int, name string) error {
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

func TestClientHandshake(t *testing.T) {
	for _, tc := range []struct {
		name     string
		srv      fakeVNCServer
		password string
		errLike  string
	}{
		{name: "3.8 none", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecNone}}},
		{name: "3.8 vnc auth", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVNCAuth}, password: "s3cretpw"}, password: "s3cretpw"},
		{name: "3.8 wrong password", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVNCAuth}, password: "right"}, password: "wrong", errLike: "refused the VNC password from the VM's definition (Authentication failed)"},
		{name: "3.7 none", srv: fakeVNCServer{version: "RFB 003.007\n", types: []byte{rfbSecNone}}},
		{name: "3.7 vnc auth", srv: fakeVNCServer{version: "RFB 003.007\n", types: []byte{rfbSecVNCAuth}, password: "pw"}, password: "pw"},
		{name: "3.3 none", srv: fakeVNCServer{version: "RFB 003.003\n", types: []byte{rfbSecNone}}},
		{name: "3.3 vnc auth", srv: fakeVNCServer{version: "RFB 003.003\n", types: []byte{rfbSecVNCAuth}, password: "pw"}, password: "pw"},
		{name: "refused with reason", srv: fakeVNCServer{version: "RFB 003.008\n", refuse: "too many clients"}, errLike: "too many clients"},
		{name: "tls only", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "not rfb", srv: fakeVNCServer{version: "SSH-2.0-Open\n", types: []byte{rfbSecNone}}, errLike: "does not speak RFB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			_ = a.SetDeadline(time.Now().Add(5 * time.Second))
			_ = b.SetDeadline(time.Now().Add(5 * time.Second))
			srv := tc.srv
			done := make(chan error, 1)
			go func() { done <- srv.serve(b); b.Close() }()
			err := rfbClientHandshake(a, tc.password, false)
			if tc.errLike != "" {
				var re *RFBError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("err = %v, want an RFBError like %q", err, tc.errLike)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Write([]byte{1}); err != nil {
				t.Fatal(err)
			}
			cl, err := ReadServerInit(a)
			if err != nil {
				t.Fatal(err)
			}
			if cl.Width != 720 || cl.Height != 400 || cl.Name != "QEMU (fake)" || cl.BytesPerPixel != 4 {
				t.Errorf("ServerInit = %+v", cl)
			}
			if err := <-done; err != nil {
				t.Fatalf("server: %v", err)
			}
			if tc.password != "" && !srv.authOK {
				t.Error("server did not see the right VNC authentication response")
			}
		})
	}
}

func TestServerHandshake(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		choice  byte
		wantErr bool
	}{
		{name: "3.8", version: "RFB 003.008\n", choice: rfbSecNone},
		{name: "3.7", version: "RFB 003.007\n", choice: rfbSecNone},
		{name: "3.3", version: "RFB 003.003\n"},
		{name: "3.8 picks vnc auth", version: "RFB 003.008\n", choice: rfbSecVNCAuth, wantErr: true},
		{name: "garbage version", version: "GET / HTTP/1.\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			_ = a.SetDeadline(time.Now().Add(5 * time.Second))
			_ = b.SetDeadline(time.Now().Add(5 * time.Second))
			type result struct {
				minor int
				err   error
			}
			res := make(chan result, 1)
			var si bytes.Buffer
			_ = writeServerInit(&si, 720, 400, "QEMU (fake)")
			go func() {
				minor, err := rfbServerHandshake(b, b)
				if err == nil {
					_, err = b.Write(rfbServerInitMessage(minor, si.Bytes()))
				}
				res <- result{minor, err}
				if err != nil {
					b.Close()
				}
			}()
			// The client side, by hand.
			var buf [64]byte
			if _, err := io.ReadFull(a, buf[:12]); err != nil || string(buf[:12]) != rfbVersion38 {
				t.Fatalf("server version %q, %v", buf[:12], err)
			}
			_, _ = io.WriteString(a, tc.version)
			if tc.name == "garbage version" {
				if r := <-res; r.err == nil {
					t.Fatal("garbage version accepted")
				}
				return
			}
			minor, _ := parseRFBVersion([]byte(tc.version))
			if minor == 3 {
				if _, err := io.ReadFull(a, buf[:4]); err != nil || binary.BigEndian.Uint32(buf[:4]) != rfbSecNone {
					t.Fatalf("3.3 security type %x, %v", buf[:4], err)
				}
			} else {
				if _, err := io.ReadFull(a, buf[:2]); err != nil || buf[0] != 1 || buf[1] != rfbSecNone {
					t.Fatalf("security types %x, %v; want only None", buf[:2], err)
				}
				_, _ = a.Write([]byte{tc.choice})
			}
			if tc.wantErr {
				// RFB 3.8 tells the client why.
				if _, err := io.ReadFull(a, buf[:8]); err != nil || binary.BigEndian.Uint32(buf[:4]) != 1 {
					t.Fatalf("security result %x, %v; want failure", buf[:8], err)
				}
				reason := make([]byte, binary.BigEndian.Uint32(buf[4:8]))
				if _, err := io.ReadFull(a, reason); err != nil || !strings.Contains(string(reason), "None") {
					t.Fatalf("failure reason %q, %v", reason, err)
				}
				if r := <-res; !errors.Is(r.err, errRFBClientSecurity) {
					t.Fatalf("err = %v", r.err)
				}
				return
			}
			if minor == 8 {
				if _, err := io.ReadFull(a, buf[:4]); err != nil || binary.BigEndian.Uint32(buf[:4]) != 0 {
					t.Fatalf("security result %x, %v; want OK", buf[:4], err)
				}
			}
			// ServerInit follows at once: the browser's ClientInit need not
			// be waited for (the relay drops it).
			cl, err := ReadServerInit(a)
			if err != nil || cl.Name != "QEMU (fake)" || cl.Width != 720 {
				t.Fatalf("ServerInit %+v, %v", cl, err)
			}
			r := <-res
			if r.err != nil || r.minor != minor {
				t.Fatalf("handshake = %d, %v; want %d", r.minor, r.err, minor)
			}
		})
	}
}

// With earlyInit the ClientInit goes out with the last security message;
// a server that reads in order takes it once security succeeded, and
// never when it failed.
func TestClientHandshakeEarlyInit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		srv      fakeVNCServer
		password string
		errLike  string
	}{
		{name: "3.8 none", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecNone}}},
		{name: "3.8 vnc auth", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVNCAuth}, password: "pw"}, password: "pw"},
		{name: "3.8 wrong password", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVNCAuth}, password: "pw"}, password: "nope", errLike: "refused the VNC password"},
		{name: "3.7 none", srv: fakeVNCServer{version: "RFB 003.007\n", types: []byte{rfbSecNone}}},
		{name: "3.3 none", srv: fakeVNCServer{version: "RFB 003.003\n", types: []byte{rfbSecNone}}},
		{name: "3.3 vnc auth", srv: fakeVNCServer{version: "RFB 003.003\n", types: []byte{rfbSecVNCAuth}, password: "pw"}, password: "pw"},
		// Without a password None is sent before the types arrive; a
		// server without None refuses it, and the error says what it
		// offered.
		{name: "3.8 password wanted, none known", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVNCAuth}, password: "pw"},
			errLike: "asks for a password"},
		{name: "3.8 TLS only", srv: fakeVNCServer{version: "RFB 003.008\n", types: []byte{rfbSecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "3.7 TLS only", srv: fakeVNCServer{version: "RFB 003.007\n", types: []byte{rfbSecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "refused", srv: fakeVNCServer{version: "RFB 003.008\n", refuse: "too many clients"}, errLike: "too many clients"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			srv := tc.srv
			done := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					done <- err
					return
				}
				defer c.Close()
				done <- srv.serve(c)
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			err = rfbClientHandshake(c, tc.password, true)
			if tc.errLike != "" {
				var re *RFBError
				if !errors.As(err, &re) || !strings.Contains(re.Msg, tc.errLike) {
					t.Fatalf("err = %v, want an RFBError like %q", err, tc.errLike)
				}
				<-done
				if srv.clientInit != nil {
					t.Error("the server took a ClientInit after failed authentication")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			si, err := rfbReadServerInit(c)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := ReadServerInit(struct {
				io.Reader
				io.Writer
			}{bytes.NewReader(si), io.Discard})
			if err != nil || cl.Name != "QEMU (fake)" {
				t.Fatalf("ServerInit %+v %v", cl, err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(srv.clientInit, []byte{1}) {
				t.Errorf("ClientInit %v, want shared", srv.clientInit)
			}
		})
	}
}

func TestReadServerInitBounded(t *testing.T) {
	var b bytes.Buffer
	b.Write(make([]byte, 20))
	_ = binary.Write(&b, binary.BigEndian, uint32(1<<30))
	if _, err := rfbReadServerInit(&b); err == nil {
		t.Fatal("a 1 GiB desktop name was accepted")
	}
	if _, err := rfbReadServerInit(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Fatal("a short ServerInit was accepted")
	}
}
