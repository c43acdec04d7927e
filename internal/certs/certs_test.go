package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedIsMadeOnceAndServes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	c1, created, err := SelfSigned(dir, []string{"kvm.example.org", "192.0.2.7"}, now)
	if err != nil || !created {
		t.Fatalf("first: %v created=%v", err, created)
	}
	if st, _ := os.Stat(filepath.Join(dir, "key.pem")); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode())
	}
	c2, created, err := SelfSigned(dir, nil, now)
	if err != nil || created || Fingerprint(c1) != Fingerprint(c2) {
		t.Fatalf("second call made a new certificate: %v created=%v", err, created)
	}
	if err := c1.Leaf.VerifyHostname("kvm.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c1.Leaf.VerifyHostname("192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(Fingerprint(c1), ":") || len(Fingerprint(c1)) != 95 {
		t.Fatalf("fingerprint %q", Fingerprint(c1))
	}
	// Near expiry it is replaced.
	_, created, err = SelfSigned(dir, nil, now.Add(2*365*24*time.Hour-10*24*time.Hour))
	if err != nil || !created {
		t.Fatalf("renewal: %v created=%v", err, created)
	}

	// A real TLS handshake with it, trusting only it.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = ServerConfig(c2)
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(c2.Leaf)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	resp, err := cl.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	old := &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS11}
	if conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), old); err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 accepted")
	}
}

func TestLoadRefusesMismatchAndDamage(t *testing.T) {
	now := time.Now()
	a, b := t.TempDir(), t.TempDir()
	if _, _, err := SelfSigned(a, nil, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SelfSigned(b, nil, now); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(a, "cert.pem"), filepath.Join(a, "key.pem"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(a, "cert.pem"), filepath.Join(b, "key.pem"), now); err == nil {
		t.Fatal("a key of another certificate was accepted")
	}
	if _, err := Load(filepath.Join(a, "cert.pem"), filepath.Join(a, "key.pem"), now.Add(3*365*24*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired certificate: %v", err)
	}
	if err := os.WriteFile(filepath.Join(a, "cert.pem"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SelfSigned(a, nil, now); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged: %v", err)
	}
}
