package rfb_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
)

// The handshakes against the fake VNC server and the test client of
// package consoletest, which itself builds on this package: hence an
// external test package.

func TestClientHandshake(t *testing.T) {
	for _, tc := range []struct {
		name     string
		srv      consoletest.VNCServer
		password string
		errLike  string
	}{
		{name: "3.8 none", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecNone}}},
		{name: "3.8 vnc auth", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVNCAuth}, Password: "s3cretpw"}, password: "s3cretpw"},
		{name: "3.8 wrong password", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVNCAuth}, Password: "right"}, password: "wrong", errLike: "refused the VNC password from the VM's definition (Authentication failed)"},
		{name: "3.7 none", srv: consoletest.VNCServer{Version: "RFB 003.007\n", Types: []byte{rfb.SecNone}}},
		{name: "3.7 vnc auth", srv: consoletest.VNCServer{Version: "RFB 003.007\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"}, password: "pw"},
		{name: "3.3 none", srv: consoletest.VNCServer{Version: "RFB 003.003\n", Types: []byte{rfb.SecNone}}},
		{name: "3.3 vnc auth", srv: consoletest.VNCServer{Version: "RFB 003.003\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"}, password: "pw"},
		{name: "refused with reason", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Refuse: "too many clients"}, errLike: "too many clients"},
		{name: "tls only", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "not rfb", srv: consoletest.VNCServer{Version: "SSH-2.0-Open\n", Types: []byte{rfb.SecNone}}, errLike: "does not speak RFB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			_ = a.SetDeadline(time.Now().Add(5 * time.Second))
			_ = b.SetDeadline(time.Now().Add(5 * time.Second))
			srv := tc.srv
			done := make(chan error, 1)
			go func() { done <- srv.Serve(b); b.Close() }()
			err := rfb.ClientHandshake(a, tc.password, false)
			if tc.errLike != "" {
				var re *rfb.Error
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("err = %v, want an rfb.Error like %q", err, tc.errLike)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Write([]byte{1}); err != nil {
				t.Fatal(err)
			}
			cl, err := consoletest.ReadServerInit(a)
			if err != nil {
				t.Fatal(err)
			}
			if cl.Width != 720 || cl.Height != 400 || cl.Name != "QEMU (fake)" || cl.BytesPerPixel != 4 {
				t.Errorf("ServerInit = %+v", cl)
			}
			if err := <-done; err != nil {
				t.Fatalf("server: %v", err)
			}
			if tc.password != "" && !srv.AuthOK {
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
		{name: "3.8", version: "RFB 003.008\n", choice: rfb.SecNone},
		{name: "3.7", version: "RFB 003.007\n", choice: rfb.SecNone},
		{name: "3.3", version: "RFB 003.003\n"},
		{name: "3.8 picks vnc auth", version: "RFB 003.008\n", choice: rfb.SecVNCAuth, wantErr: true},
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
			_ = consoletest.WriteServerInit(&si, 720, 400, "QEMU (fake)")
			go func() {
				minor, err := rfb.ServerHandshake(b, b)
				if err == nil {
					_, err = b.Write(rfb.ServerInitMessage(minor, si.Bytes()))
				}
				res <- result{minor, err}
				if err != nil {
					b.Close()
				}
			}()
			// The client side, by hand.
			var buf [64]byte
			if _, err := io.ReadFull(a, buf[:12]); err != nil || string(buf[:12]) != rfb.Version38 {
				t.Fatalf("server version %q, %v", buf[:12], err)
			}
			_, _ = io.WriteString(a, tc.version)
			if tc.name == "garbage version" {
				if r := <-res; r.err == nil {
					t.Fatal("garbage version accepted")
				}
				return
			}
			minor, _ := rfb.ParseVersion([]byte(tc.version))
			if minor == 3 {
				if _, err := io.ReadFull(a, buf[:4]); err != nil || binary.BigEndian.Uint32(buf[:4]) != rfb.SecNone {
					t.Fatalf("3.3 security type %x, %v", buf[:4], err)
				}
			} else {
				if _, err := io.ReadFull(a, buf[:2]); err != nil || buf[0] != 1 || buf[1] != rfb.SecNone {
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
				if r := <-res; !errors.Is(r.err, rfb.ErrClientSecurity) {
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
			cl, err := consoletest.ReadServerInit(a)
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
		srv      consoletest.VNCServer
		password string
		errLike  string
	}{
		{name: "3.8 none", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecNone}}},
		{name: "3.8 vnc auth", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"}, password: "pw"},
		{name: "3.8 wrong password", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"}, password: "nope", errLike: "refused the VNC password"},
		{name: "3.7 none", srv: consoletest.VNCServer{Version: "RFB 003.007\n", Types: []byte{rfb.SecNone}}},
		{name: "3.3 none", srv: consoletest.VNCServer{Version: "RFB 003.003\n", Types: []byte{rfb.SecNone}}},
		{name: "3.3 vnc auth", srv: consoletest.VNCServer{Version: "RFB 003.003\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"}, password: "pw"},
		// Without a password None is sent before the types arrive; a
		// server without None refuses it, and the error says what it
		// offered.
		{name: "3.8 password wanted, none known", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVNCAuth}, Password: "pw"},
			errLike: "asks for a password"},
		{name: "3.8 TLS only", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Types: []byte{rfb.SecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "3.7 TLS only", srv: consoletest.VNCServer{Version: "RFB 003.007\n", Types: []byte{rfb.SecVeNCrypt}}, errLike: "VeNCrypt"},
		{name: "refused", srv: consoletest.VNCServer{Version: "RFB 003.008\n", Refuse: "too many clients"}, errLike: "too many clients"},
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
				done <- srv.Serve(c)
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			err = rfb.ClientHandshake(c, tc.password, true)
			if tc.errLike != "" {
				var re *rfb.Error
				if !errors.As(err, &re) || !strings.Contains(re.Msg, tc.errLike) {
					t.Fatalf("err = %v, want an rfb.Error like %q", err, tc.errLike)
				}
				<-done
				if srv.ClientInit != nil {
					t.Error("the server took a ClientInit after failed authentication")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			si, err := rfb.ReadServerInit(c)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := consoletest.ReadServerInit(struct {
				io.Reader
				io.Writer
			}{bytes.NewReader(si), io.Discard})
			if err != nil || cl.Name != "QEMU (fake)" {
				t.Fatalf("ServerInit %+v %v", cl, err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(srv.ClientInit, []byte{1}) {
				t.Errorf("ClientInit %v, want shared", srv.ClientInit)
			}
		})
	}
}
