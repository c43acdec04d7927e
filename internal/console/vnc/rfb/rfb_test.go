package rfb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
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
		got, err := ParseVersion([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseVersion(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseRFBVersion(f *testing.F) {
	for _, s := range []string{"RFB 003.008\n", "RFB 003.003\n", "RFB 999.999\n", "xxxxxxxxxxxx"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVersion(b)
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
		got := AuthResponse(tc.password, ch)
		if hex.EncodeToString(got[:]) != tc.want {
			t.Errorf("AuthResponse(%q) = %x, want %s", tc.password, got, tc.want)
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
		{name: "none preferred", types: []byte{SecVNCAuth, SecNone}, password: "pw", want: SecNone},
		{name: "vnc auth with password", types: []byte{SecVNCAuth}, password: "pw", want: SecVNCAuth},
		{name: "vnc auth without password", types: []byte{SecVNCAuth}, errLike: "has none"},
		{name: "tls only", types: []byte{SecVeNCrypt}, password: "pw", errLike: "VeNCrypt"},
		{name: "sasl and tight", types: []byte{SecSASL, SecTight}, errLike: "SASL, Tight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rfbChooseSecurity(tc.types, tc.password)
			if tc.errLike != "" {
				var re *Error
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("err = %v, want an Error like %q", err, tc.errLike)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestReadServerInitBounded(t *testing.T) {
	var b bytes.Buffer
	b.Write(make([]byte, 20))
	_ = binary.Write(&b, binary.BigEndian, uint32(1<<30))
	if _, err := ReadServerInit(&b); err == nil {
		t.Fatal("a 1 GiB desktop name was accepted")
	}
	if _, err := ReadServerInit(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Fatal("a short ServerInit was accepted")
	}
}
