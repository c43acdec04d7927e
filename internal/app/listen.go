package app

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/certs"
	"github.com/kvm-manager/kvm-manager/internal/config"
	"github.com/kvm-manager/kvm-manager/internal/connlimit"
)

// listen opens the server's socket with the connection caps in front of
// everything else, TLS included, so that a refused connection costs one
// accept and one close. The overall cap stays below the open-file limit.
func listen(cfg config.Config, fileLimit uint64, log *slog.Logger) (net.Listener, error) {
	inner, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	total, perAddr, lowered := connlimit.Resolve(fileLimit, cfg.MaxConnections, cfg.MaxConnectionsPerAddress)
	if lowered {
		log.Warn("--max-connections lowered to fit the open-file limit (raise the limit, e.g. LimitNOFILE= in the service unit, to allow more)",
			"configured", cfg.MaxConnections, "used", total, "open-file limit", fileLimit)
	}
	log.Info("connection limits", "max-connections", total, "max-connections-per-address", perAddr, "body-timeout", cfg.BodyTimeout)
	return connlimit.New(inner, connlimit.Options{
		Total: total, PerAddr: perAddr, Logger: log,
		// Go hands freed memory back to the system over minutes; after a
		// burst of connections (a flood, or many event streams ending at
		// once) do it now. It runs at most once per halving of a peak of
		// 256 or more connections, and takes milliseconds.
		Drained: func() {
			start := time.Now()
			// Two collections: the first only moves sync.Pool contents
			// (net/http's 4 KiB read and write buffers of every
			// connection) to the pools' victim caches, the second frees
			// them, and FreeOSMemory returns the pages.
			runtime.GC()
			debug.FreeOSMemory()
			log.Debug("returned free memory to the system after a burst of connections", "took", time.Since(start))
		},
	}), nil
}

// serverTLS returns the TLS configuration, or nil for plain HTTP. A
// self-signed certificate's fingerprint is printed so that users can check
// what their browser shows on the first visit.
func serverTLS(cfg config.Config, stdout io.Writer) (*tls.Config, error) {
	now := time.Now()
	switch {
	case cfg.TLSCert != "":
		c, err := certs.Load(cfg.TLSCert, cfg.TLSKey, now)
		if err != nil {
			return nil, err
		}
		return certs.ServerConfig(c), nil
	case cfg.TLSSelfSigned:
		hostPart, _, _ := net.SplitHostPort(cfg.Listen)
		names := []string{hostPart}
		if hn, err := os.Hostname(); err == nil {
			names = append(names, hn)
		}
		dir := filepath.Join(cfg.DataDir, "tls")
		c, created, err := certs.SelfSigned(dir, names, now)
		if err != nil {
			return nil, err
		}
		verb := "Using the"
		if created {
			verb = "Made a new"
		}
		fmt.Fprintf(stdout, "%s self-signed certificate in %s; its SHA-256 fingerprint is\n  %s\n", verb, dir, certs.Fingerprint(c))
		return certs.ServerConfig(c), nil
	}
	return nil, nil
}
