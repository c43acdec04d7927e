// Package certs provides the server's TLS certificate: the files an admin
// gives, or a self-signed one generated once and kept in the data dir so
// that browsers that accepted it keep accepting it across restarts.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Load reads a certificate and key from PEM files and checks they match
// and are in date.
func Load(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			// Typical of a service user (kvm-manager) given root's files.
			return c, fmt.Errorf("load TLS certificate %s and key %s: %w; the user KVM Manager runs as (uid %d) "+
				"cannot read them: make them readable by it, e.g. chgrp kvm-manager FILE && chmod 640 FILE", certFile, keyFile, err, os.Getuid())
		}
		return c, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if now.After(c.Leaf.NotAfter) {
		return c, fmt.Errorf("the TLS certificate %s expired on %s: renew it", certFile, c.Leaf.NotAfter.Format(time.DateOnly))
	}
	return c, nil
}

// SelfSigned returns the certificate in dir (cert.pem, key.pem), making
// one when there is none or the one there expires within 30 days. It is
// valid for hosts (names or addresses) plus localhost and the loopback
// addresses. created says whether a new one was made.
func SelfSigned(dir string, hosts []string, now time.Time) (cert tls.Certificate, created bool, err error) {
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err == nil && now.Add(30*24*time.Hour).Before(c.Leaf.NotAfter) {
		return c, false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c, false, fmt.Errorf("the self-signed certificate in %s is damaged (%w): delete the folder to have a new one made", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c, false, fmt.Errorf("create %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return c, false, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return c, false, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "KVM Manager (self-signed)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(2 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
		if h == "" || h == "0.0.0.0" || h == "::" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, strings.ToLower(h))
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return c, false, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return c, false, fmt.Errorf("encode key: %w", err)
	}
	// The key first, private; then the certificate that names it.
	if err := writeFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return c, false, err
	}
	if err := writeFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return c, false, err
	}
	c, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return c, false, fmt.Errorf("load the new certificate: %w", err)
	}
	return c, true, nil
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Fingerprint is the certificate's SHA-256 fingerprint as browsers show it
// (colon-separated upper-case hex), for users to compare on first visit.
func Fingerprint(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// ServerConfig is the TLS configuration the server uses: TLS 1.2 or later
// with Go's default (modern, forward-secret) cipher suites.
func ServerConfig(c tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}
}
