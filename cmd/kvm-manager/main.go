// Command kvm-manager serves a web UI and a JSON API for the QEMU/KVM VMs of
// one or more libvirt hosts.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/api"
	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/certs"
	"github.com/kvm-manager/kvm-manager/internal/config"
	"github.com/kvm-manager/kvm-manager/internal/connlimit"
	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/screen"
	"github.com/kvm-manager/kvm-manager/internal/console/serial"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/lifecycle"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
	"github.com/kvm-manager/kvm-manager/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "hash-password" {
		err = hashPassword(os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = run(os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kvm-manager:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// Every connection, console and libvirt link is a file: use all the
	// process may have, then cap connections below it (see listen).
	files, hardFiles, err := connlimit.RaiseFileLimit()
	if err != nil {
		log.Warn("could not raise the open-file limit to its hard limit", "limit", files, "hard", hardFiles, "err", err)
		if files == 0 {
			files = 1024 // unknown: assume the usual soft limit
		}
	} else {
		log.Info("open-file limit", "limit", files, "hard", hardFiles)
	}

	if err := privateDataDir(cfg.DataDir, log); err != nil {
		return err
	}
	token, generated := os.Getenv("KVM_MANAGER_TOKEN"), false
	if token == "" {
		token, generated = auth.RandomToken(), true
	}
	authMgr, err := auth.New(auth.Options{
		Token: token, Users: cfg.Users, StorePath: filepath.Join(cfg.DataDir, "sessions.json"),
		SessionTTL: cfg.SessionTTL.Duration, IdleTimeout: cfg.SessionIdle.Duration, SecureCookies: cfg.TLS(),
		MaxSessionsPerUser: cfg.MaxSessionsPerUser,
	})
	if err != nil {
		return err
	}
	if len(cfg.Users) > 0 {
		// Unknown names cost the slowest configured hash: this says which.
		log.Info("password users", "count", len(cfg.Users), "unknownNamesCheckedAs", authMgr.UnknownUserCost())
	}
	auditLog, err := audit.Open(audit.Options{
		Path: filepath.Join(cfg.DataDir, "audit.log"), Logger: log,
		MaxSize: int64(cfg.AuditMaxSize) << 20, MaxAge: cfg.AuditMaxAge.Duration, Keep: cfg.AuditKeep,
	})
	if err != nil {
		return err
	}
	defer auditLog.Close()
	proxies, err := cfg.ProxyPrefixes()
	if err != nil {
		return err
	}

	bus := event.New()
	ops := operation.New(operation.Options{Publisher: bus, Logger: log})
	inv := inventory.New(inventory.Options{Publisher: bus, Logger: log, Interval: cfg.StatsInterval.Duration})
	var hosts []*host.Host
	for _, hc := range cfg.Hosts {
		h, err := host.New(host.Options{
			Name: hc.Name, URI: hc.URI, Logger: log,
			Observers: []host.Observer{inv, host.StatePublisher{Publisher: bus}},
		})
		if err != nil {
			return err
		}
		inv.AddHost(hc.Name)
		hosts = append(hosts, h)
	}
	set, err := host.NewSet(hosts...)
	if err != nil {
		return err
	}
	life := lifecycle.New(lifecycle.Options{Hosts: set, Inventory: inv, Operations: ops})
	ui, err := web.Assets()
	if errors.Is(err, web.ErrNoUI) {
		log.Warn("serving without the web UI", "reason", err)
		ui = nil
	} else if err != nil {
		return err
	}
	tickets := console.NewTickets(nil)
	// -- feature services are built here --
	vncProxy := vnc.New(vnc.Options{Hosts: set, Inventory: inv, Logger: log})
	screenshots := screen.New(screen.Options{
		Hosts: set, Inventory: inv, Dir: cfg.ScreenshotsDir, Logger: log,
		MaxPerVM: cfg.ScreenshotsPerVM, MaxBytesPerVM: int64(cfg.ScreenshotsMiBPerVM) << 20,
	})
	serialConsoles := serial.New(serial.Options{
		Hosts: set, Inventory: inv, Bus: bus, Logger: log, Scrollback: cfg.SerialScrollback << 10,
	})
	domainEdit := domainedit.New(domainedit.Options{Hosts: set, Inventory: inv, Logger: log})
	// Each snapshot of a running VM is stored with a console screenshot.
	snaps := snapshot.New(snapshot.Options{
		Hosts: set, Inventory: inv, Operations: ops, Bus: bus, DataDir: cfg.DataDir, Logger: log,
		Screens: snapshot.ScreensFunc(func(ctx context.Context, hostName, uuid string) ([]byte, error) {
			shot, err := screenshots.Capture(ctx, hostName, uuid)
			return shot.PNG, err
		}),
	})
	snapCtx, stopSnaps := context.WithCancel(context.Background())
	defer stopSnaps()
	go snaps.Run(snapCtx)
	srv, err := api.New(api.Options{
		Hosts: set, Inventory: inv, Lifecycle: life, Operations: ops, Auth: authMgr, Bus: bus,
		UI: ui, Logger: log, Version: version, Tickets: tickets,
		Audit: auditLog, TrustedProxies: proxies, HSTS: cfg.TLSCert != "", Started: time.Now(),
		Limits: api.StreamLimits{
			EventsPerSession: cfg.EventStreamsPerSession, EventsPerClient: cfg.EventStreamsPerClient,
			ConsolesPerSession: cfg.ConsolesPerSession, ConsolesPerClient: cfg.ConsolesPerClient,
		},
		// -- feature services are passed here --
		Snapshots:   snaps,
		BodyTimeout: cfg.BodyTimeout.Duration,

		VNC: vncProxy, Screenshots: screenshots,
		Serial: serialConsoles, DomainEdit: domainEdit,
	})
	if err != nil {
		return err
	}

	tlsConf, err := serverTLS(cfg, stdout)
	if err != nil {
		return err
	}
	ln, err := listen(cfg, files, log)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		base = "https://" + ln.Addr().String()
	}
	if hostPart, _, _ := net.SplitHostPort(cfg.Listen); !config.IsLoopback(hostPart) && tlsConf == nil {
		log.Warn("serving plain HTTP to the network (--insecure-http): passwords, session cookies and consoles cross it unencrypted")
	}
	fmt.Fprintf(stdout, "KVM Manager %s is serving on %s\n", version, base)
	if generated {
		fmt.Fprintf(stdout, "Open this URL to log in (it contains the access token: keep it private):\n  %s/login?token=%s\n", base, token)
	} else {
		fmt.Fprintf(stdout, "Log in at %s/login with the token from KVM_MANAGER_TOKEN\n", base)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Requests inherit reqCtx, which ends at shutdown so that event streams
	// (which never finish on their own) let the server stop promptly.
	reqCtx, endRequests := context.WithCancel(context.Background())
	defer endRequests()
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    api.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	hostCtx, stopHosts := context.WithCancel(context.Background())
	hostsDone := make(chan struct{})
	go func() { set.Run(hostCtx); close(hostsDone) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()

	select {
	case err := <-serveErr:
		stopHosts()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Graphical consoles are hijacked connections the HTTP server does not
	// track: close them (browsers get a close frame saying why).
	vncProxy.Close()
	// Serial console viewers get a close frame before requests are ended.
	serialConsoles.Close()
	// Operations end while event streams are still open, so that clients
	// see each one canceled or finished; one stuck in libvirt is named in
	// the log after 3 s.
	opsCtx, cancelOps := context.WithTimeout(context.Background(), 3*time.Second)
	if err := ops.Shutdown(opsCtx); err != nil {
		log.Warn("operations did not finish in time", "err", err)
	}
	cancelOps()
	endRequests()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutdownCtx)
	if err := authMgr.Flush(); err != nil {
		log.Warn("saving sessions failed", "err", err)
	}
	stopHosts()
	select {
	case <-hostsDone:
	case <-shutdownCtx.Done():
	}
	return nil
}

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
