package spice

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the protocol's
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
)

// fakeSpiceServer answers one link handshake on c with key, and reports
// the password it decrypted from the ticket.
func fakeSpiceServer(t *testing.T, c net.Conn, key *rsa.PrivateKey, want string) <-chan string {
	got := make(chan string, 1)
	go func() {
		defer close(got)
		msg, err := readLinkMessage(c, linkMessSize)
		if err != nil {
			t.Error(err)
			return
		}
		_ = msg
		der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		body := make([]byte, linkReplySize+4)
		copy(body[4:], der)
		binary.LittleEndian.PutUint32(body[166:], 1)
		binary.LittleEndian.PutUint32(body[174:], linkReplySize)
		binary.LittleEndian.PutUint32(body[178:], commonCapAuthSelection|1<<3)
		hdr := make([]byte, linkHeaderSize)
		binary.LittleEndian.PutUint32(hdr, linkMagic)
		binary.LittleEndian.PutUint32(hdr[4:], 2)
		binary.LittleEndian.PutUint32(hdr[8:], 2)
		binary.LittleEndian.PutUint32(hdr[12:], uint32(len(body)))
		_, _ = c.Write(append(hdr, body...))
		tk := make([]byte, 4+ticketSize)
		if _, err := io.ReadFull(c, tk); err != nil {
			t.Error(err)
			return
		}
		pw, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, key, tk[4:], nil) //nolint:gosec // the protocol's
		res := uint32(0)
		if err != nil || string(bytes.TrimSuffix(pw, []byte{0})) != want {
			res = 7
		}
		_ = binary.Write(c, binary.LittleEndian, res)
		got <- string(bytes.TrimSuffix(pw, []byte{0}))
	}()
	return got
}

func TestLinkPutsInThePassword(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, proxyPW string
		wantErr       bool
	}{
		{"right password", "s3cret", false},
		{"wrong password", "other", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			browser, proxyB := net.Pipe()
			proxyU, server := net.Pipe()
			defer browser.Close()
			defer server.Close()
			got := fakeSpiceServer(t, server, key, "s3cret")
			errc := make(chan error, 1)
			go func() {
				_, _, err := link(proxyB, proxyU, tc.proxyPW, func(uint8) error { return nil })
				errc <- err
			}()
			// The browser sends an empty password; the server must see the proxy's.
			cerr := consoletest.SpiceLink(browser, 0, consoletest.SpiceChannelMain, 0, "")
			perr := <-errc
			if pw := <-got; pw != tc.proxyPW {
				t.Errorf("server decrypted %q, want the proxy's %q", pw, tc.proxyPW)
			}
			var le errLink
			if tc.wantErr != (perr != nil) || (tc.wantErr && (!errors.As(perr, &le) || le.code != 7)) {
				t.Errorf("link: %v, want error %v", perr, tc.wantErr)
			}
			if tc.wantErr != (cerr != nil) {
				t.Errorf("client: %v, want error %v", cerr, tc.wantErr)
			}
		})
	}
}

func TestLinkRefusesAChannelBeforeTheServer(t *testing.T) {
	browser, proxyB := net.Pipe()
	proxyU, server := net.Pipe()
	defer browser.Close()
	defer server.Close()
	go func() { _ = consoletest.SpiceLink(browser, 0, consoletest.SpiceChannelInputs, 0, "") }()
	refused := errors.New("not the main channel")
	if _, _, err := link(proxyB, proxyU, "", func(uint8) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("link = %v, want the refusal", err)
	}
}
