// Package app builds KVM Manager's services from its configuration and runs
// them: one place for the wiring, one errgroup for everything that runs in
// the background, and one ordered shutdown.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kvm-manager/kvm-manager/internal/api"
	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/config"
	"github.com/kvm-manager/kvm-manager/internal/connlimit"
	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/screen"
	"github.com/kvm-manager/kvm-manager/internal/console/serial"
	"github.com/kvm-manager/kvm-manager/internal/console/spice"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/hardware"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/hostadmin"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/lifecycle"
	"github.com/kvm-manager/kvm-manager/internal/metrics"
	"github.com/kvm-manager/kvm-manager/internal/network"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/snapexport"
	"github.com/kvm-manager/kvm-manager/internal/snapschedule"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/vmcreate"
	"github.com/kvm-manager/kvm-manager/web"
)

// The shutdown's time limits.
const (
	// operationsGrace is how long running operations get to end (canceled
	// or finished) before the one stuck in libvirt is named in the log.
	operationsGrace = 3 * time.Second
	// httpGrace bounds the HTTP server's shutdown, and then the wait for
	// the hosts' links to close.
	httpGrace = 5 * time.Second
)

// Options are what the process gives the app besides the configuration.
type Options struct {
	// Version is reported by /healthz and printed at start.
	Version string
	// Stdout receives the start banner (address, login URL, certificate
	// fingerprint).
	Stdout io.Writer
	// Logger receives the server log.
	Logger *slog.Logger
	// Token is the access token; empty makes a random one, which the
	// banner prints in a login URL.
	Token string
}

// App is the whole server, built and listening, not yet serving.
type App struct {
	log *slog.Logger

	auth      *auth.Manager
	auditLog  *audit.Log
	ops       *operation.Manager
	hosts     *host.Set
	vnc       *vnc.Proxy
	spice     *spice.Proxy
	screens   *screen.Service
	serial    *serial.Service
	snapshots *snapshot.Service
	schedules *snapschedule.Scheduler
	api       *api.Server

	ln   net.Listener
	http *http.Server
	// endRequests ends the context every request inherits (see New).
	endRequests context.CancelFunc
}

// New builds every service from cfg and opens the listening socket. Close
// releases what it opened when Run is not called.
func New(cfg config.Config, opts Options) (_ *App, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// a is not the named result, which a failing return sets to nil.
	a := &App{log: log}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	// Every connection, console and libvirt link is a file: use all the
	// process may have, then cap connections below it (see listen).
	files, hardFiles, ferr := connlimit.RaiseFileLimit()
	if ferr != nil {
		log.Warn("could not raise the open-file limit to its hard limit", "limit", files, "hard", hardFiles, "err", ferr)
		if files == 0 {
			files = 1024 // unknown: assume the usual soft limit
		}
	} else {
		log.Info("open-file limit", "limit", files, "hard", hardFiles)
	}

	if err := privateDataDir(cfg.DataDir, log); err != nil {
		return nil, err
	}
	metricsToken, err := readMetricsToken(cfg.MetricsTokenFile)
	if err != nil {
		return nil, err
	}
	token, generated := opts.Token, false
	if token == "" {
		token, generated = auth.RandomToken(), true
	}
	a.auth, err = auth.New(auth.Options{
		Token: token, Users: cfg.Users, StorePath: filepath.Join(cfg.DataDir, "sessions.json"),
		SessionTTL: cfg.SessionTTL.Duration, IdleTimeout: cfg.SessionIdle.Duration, SecureCookies: cfg.TLS(),
		MaxSessionsPerUser: cfg.MaxSessionsPerUser, MetricsToken: metricsToken,
	})
	if err != nil {
		return nil, err
	}
	if len(cfg.Users) > 0 {
		// Unknown names cost the slowest configured hash: this says which.
		log.Info("password users", "count", len(cfg.Users), "unknownNamesCheckedAs", a.auth.UnknownUserCost())
	}
	a.auditLog, err = audit.Open(audit.Options{
		Path: filepath.Join(cfg.DataDir, "audit.log"), Logger: log,
		MaxSize: int64(cfg.AuditMaxSize) << 20, MaxAge: cfg.AuditMaxAge.Duration, Keep: cfg.AuditKeep,
	})
	if err != nil {
		return nil, err
	}
	proxies, err := cfg.ProxyPrefixes()
	if err != nil {
		return nil, err
	}

	bus := event.New()
	inv := inventory.New(inventory.Options{Publisher: bus, Logger: log, Interval: cfg.StatsInterval.Duration})
	// The hosts are read at each scrape through a.hosts, set below.
	mets := metrics.New(metrics.Options{
		Inventory: inv, Logger: log, AuditWriteFailures: a.auditLog.WriteFailures,
		Hosts: func() []host.Status { return a.hosts.Statuses() },
	})
	a.ops = operation.New(operation.Options{Publisher: bus, Logger: log, Ended: func(kind string, st operation.State) {
		mets.OperationEnded(kind, string(st))
	}})
	// Every running VM's addresses and guest agent facts, read per host
	// link beside the inventory.
	addrWatch := network.NewWatcher(network.WatchOptions{Inventory: inv, Logger: log})
	// Every host, configured or added through the API, gets the same
	// observers: the VM cache, the address watcher, the host events, and
	// the key alerts.
	keyAlerts := &hostadmin.KeyAlerts{Audit: a.auditLog, Publisher: bus}
	newHost := func(name, uri string, source host.Source) (*host.Host, error) {
		return host.New(host.Options{
			Name: name, URI: uri, Logger: log, DataDir: cfg.DataDir, Source: source,
			Observers: []host.Observer{inv, addrWatch, host.StatePublisher{Publisher: bus}, keyAlerts, mets.HostObserver()},
		})
	}
	var hosts []*host.Host
	for _, hc := range cfg.Hosts {
		h, err := newHost(hc.Name, hc.URI, host.SourceConfig)
		if err != nil {
			return nil, err
		}
		inv.AddHost(hc.Name)
		hosts = append(hosts, h)
	}
	a.hosts, err = host.NewSet(hosts...)
	if err != nil {
		return nil, err
	}
	hostAdmin := hostadmin.New(hostadmin.Options{
		Hosts: a.hosts, Inventory: inv, Publisher: bus, DataDir: cfg.DataDir, NewHost: newHost, Logger: log,
		// a.snapshots and a.schedules are built below, before anything can
		// rename a host.
		Renamed: []func(string, string) error{
			func(o, n string) error { return a.snapshots.RenameHost(o, n) },
			func(o, n string) error { return a.schedules.RenameHost(o, n) },
		},
	})
	if err := hostAdmin.Load(); err != nil {
		return nil, err
	}
	life := lifecycle.New(lifecycle.Options{Hosts: a.hosts, Inventory: inv, Operations: a.ops})
	ui, err := web.Assets()
	if errors.Is(err, web.ErrNoUI) {
		log.Warn("serving without the web UI", "reason", err)
		ui = nil
	} else if err != nil {
		return nil, err
	}
	// The features: each one given to the API registers its routes.
	recordings, err := newRecordings(cfg, log)
	if err != nil {
		return nil, err
	}
	a.vnc = vnc.New(vnc.Options{Hosts: a.hosts, Inventory: inv, Logger: log,
		Recordings: recordings, RecordPolicy: vnc.RecordPolicy{Roles: cfg.RecordingAlwaysRoles, VMs: cfg.RecordingAlwaysVMs},
		RecordingChanged: func(h, uuid string, st vnc.RecordingStatus) {
			bus.Publish(event.TypeRecording, recordingEvent{Host: h, UUID: uuid, RecordingStatus: st})
		}})
	a.spice = spice.New(spice.Options{Hosts: a.hosts, Inventory: inv, Logger: log})
	// A changed thumbnail is published, so that cards fetch it only then
	// instead of polling (issue 13).
	screenshots := screen.New(screen.Options{
		Hosts: a.hosts, Inventory: inv, Dir: cfg.ScreenshotsDir, Logger: log,
		MaxPerVM: cfg.ScreenshotsPerVM, MaxBytesPerVM: int64(cfg.ScreenshotsMiBPerVM) << 20,
		Changed: func(c screen.ThumbnailChange) { bus.Publish(event.TypeThumbnail, c) },
	})
	a.screens = screenshots
	a.serial = serial.New(serial.Options{
		Hosts: a.hosts, Inventory: inv, Bus: bus, Logger: log, Scrollback: cfg.SerialScrollback << 10,
	})
	domainEdit := domainedit.New(domainedit.Options{Hosts: a.hosts, Inventory: inv, Logger: log})
	// Each snapshot of a running VM is stored with a console screenshot.
	a.snapshots = snapshot.New(snapshot.Options{
		Hosts: a.hosts, Inventory: inv, Operations: a.ops, Bus: bus, DataDir: cfg.DataDir, Logger: log,
		Screens: snapshot.ScreensFunc(func(ctx context.Context, hostName, uuid string) ([]byte, error) {
			shot, err := screenshots.Capture(ctx, hostName, uuid)
			return shot.PNG, err
		}),
	})
	// Snapshot policies: runs are operations of their own, audited as the
	// scheduler's.
	a.schedules, err = snapschedule.New(snapschedule.Options{
		DataDir: cfg.DataDir, Snapshots: a.snapshots, Operations: a.ops, VMs: inv, Bus: bus, Audit: a.auditLog, Logger: log,
		RunsPerHost: cfg.ScheduleRunsPerHost, AllowEvery: cfg.ScheduleTestIntervals, RunEnded: mets.ScheduleRun,
	})
	if err != nil {
		return nil, err
	}
	a.api, err = api.New(api.Options{
		Hosts: a.hosts, HostAdmin: hostAdmin, Inventory: inv, Lifecycle: life, Operations: a.ops, Auth: a.auth, Bus: bus,
		UI: ui, Logger: log, Version: opts.Version, Tickets: console.NewTickets(nil),
		Audit: a.auditLog, TrustedProxies: proxies, HSTS: cfg.TLSCert != "", Started: time.Now(),
		Limits: api.StreamLimits{
			EventsPerSession: cfg.EventStreamsPerSession, EventsPerClient: cfg.EventStreamsPerClient,
			ConsolesPerSession: cfg.ConsolesPerSession, ConsolesPerClient: cfg.ConsolesPerClient,
			TransfersPerSession: cfg.TransfersPerSession, TransfersPerClient: cfg.TransfersPerClient,
		},
		BodyTimeout: cfg.BodyTimeout.Duration,
		RecordingLimits: api.RecordingLimits{PerSession: cfg.RecordingsPerSession, PerClient: cfg.RecordingsPerClient,
			StartsPerSession: cfg.RecordingStartsPerSession, StartsPerClient: cfg.RecordingStartsPerClient},
		Snapshots: a.snapshots, VNC: a.vnc, Spice: a.spice, Screenshots: screenshots, Recordings: recordings,
		Serial: a.serial, DomainEdit: domainEdit, Metrics: mets, Schedules: a.schedules,
		Hardware: hardware.New(hardware.Options{Hosts: a.hosts, Inventory: inv, Operations: a.ops, Logger: log}),
		Storage: storage.New(storage.Options{Hosts: storage.HostSet{Set: a.hosts}, Inventory: inv, Operations: a.ops,
			IdleTime: cfg.TransferIdle.Duration}),
		Networks: network.New(network.Options{Hosts: network.HostSet{Set: a.hosts}, Inventory: inv}),
		Create:   vmcreate.New(vmcreate.Options{Hosts: storage.HostSet{Set: a.hosts}, Inventory: inv, Operations: a.ops, Logger: log}),
		Export:   snapexport.New(snapexport.Options{Hosts: snapexport.HostSet{Set: a.hosts}, Operations: a.ops, Logger: log}),
	})
	if err != nil {
		return nil, err
	}

	stdout := opts.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	tlsConf, err := serverTLS(cfg, stdout)
	if err != nil {
		return nil, err
	}
	a.ln, err = listen(cfg, files, log)
	if err != nil {
		return nil, err
	}
	base := "http://" + a.ln.Addr().String()
	if tlsConf != nil {
		a.ln = tls.NewListener(a.ln, tlsConf)
		base = "https://" + a.ln.Addr().String()
	}
	if hostPart, _, _ := net.SplitHostPort(cfg.Listen); !config.IsLoopback(hostPart) && tlsConf == nil {
		log.Warn("serving plain HTTP to the network (--insecure-http): passwords, session cookies and consoles cross it unencrypted")
	}
	fmt.Fprintf(stdout, "KVM Manager %s is serving on %s\n", opts.Version, base)
	if generated {
		fmt.Fprintf(stdout, "Open this URL to log in (it contains the access token: keep it private):\n  %s/login?token=%s\n", base, token)
	} else {
		fmt.Fprintf(stdout, "Log in at %s/login with the token from KVM_MANAGER_TOKEN\n", base)
	}

	// Requests inherit reqCtx, which ends at shutdown so that event streams
	// (which never finish on their own) let the server stop promptly.
	reqCtx, endRequests := context.WithCancel(context.Background())
	a.endRequests = endRequests
	a.http = &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    api.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// Close releases what New opened: the listener, the audit log, the
// request context. Run calls it when it returns.
func (a *App) Close() {
	if a.endRequests != nil {
		a.endRequests()
	}
	if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.serial != nil {
		a.serial.Close() // its bus follower started in New
	}
	if a.auditLog != nil {
		_ = a.auditLog.Close()
	}
}

// Run serves until ctx ends (SIGINT or SIGTERM) or serving fails, then
// shuts down in order and waits for every component it started. The error
// is serving's; a shutdown asked for by ctx returns nil.
func (a *App) Run(ctx context.Context) error {
	defer a.Close()
	// Hosts and the background components have contexts of their own: they
	// stop last, in shutdown, not when ctx ends, because what stops before
	// them still needs them (operations need their host's link; audit
	// entries of operations are written when those end).
	hostCtx, stopHosts := context.WithCancel(context.Background())
	defer stopHosts()
	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()

	g, gctx := errgroup.WithContext(ctx)
	hostsDone := make(chan struct{})
	g.Go(func() error {
		defer close(hostsDone)
		a.hosts.Run(hostCtx)
		return nil
	})
	g.Go(func() error { return a.snapshots.Run(bgCtx) })
	g.Go(func() error { return a.schedules.Run(bgCtx) })
	g.Go(func() error { a.screens.Run(bgCtx); return nil })
	g.Go(func() error { return a.api.Run(bgCtx) })
	g.Go(func() error {
		if err := a.http.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	// gctx ends with ctx, or when a component fails (serving).
	stuck := make(chan struct{})
	g.Go(func() error {
		<-gctx.Done()
		if !a.shutdown(hostsDone, stopBackground, stopHosts) {
			close(stuck)
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-stuck:
		// A host's link did not close in time: the process exits anyway
		// (the operating system closes the sockets), and says so.
		a.log.Warn("hosts did not stop in time")
		return nil
	}
}

// shutdown stops the server in an order where each step still has what it
// needs from the later ones. It reports whether the hosts stopped in time.
func (a *App) shutdown(hostsDone <-chan struct{}, stopBackground, stopHosts context.CancelFunc) bool {
	a.log.Info("shutting down")
	// 1. Graphical consoles are hijacked connections the HTTP server does
	// not track: close them (browsers get a close frame saying why).
	a.vnc.Close()
	a.spice.Close()
	// 2. Serial console viewers get a close frame before requests are
	// ended.
	a.serial.Close()
	// 3. Operations end while event streams are still open, so that
	// clients see each one canceled or finished; one stuck in libvirt is
	// named in the log after operationsGrace. Hosts still run: canceling an
	// operation may need its host's link.
	opsCtx, cancelOps := context.WithTimeout(context.Background(), operationsGrace)
	if err := a.ops.Shutdown(opsCtx); err != nil {
		a.log.Warn("operations did not finish in time", "err", err)
	}
	cancelOps()
	// 4. Requests end: event streams return, so that 5. the HTTP server's
	// graceful shutdown does not wait for them.
	a.endRequests()
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), httpGrace)
	defer cancelHTTP()
	_ = a.http.Shutdown(httpCtx)
	// 6. Sessions are saved once no request can change them.
	if err := a.auth.Flush(); err != nil {
		a.log.Warn("saving sessions failed", "err", err)
	}
	// 7. The background components (the snapshot watcher, audit entries
	// of operations) finish with the operations ended, and 8. the hosts
	// stop last: work of those components may still read from libvirt.
	stopBackground()
	stopHosts()
	select {
	case <-hostsDone:
		return true
	case <-httpCtx.Done():
		return false
	}
}
