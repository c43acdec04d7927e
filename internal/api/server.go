// Package api is KVM Manager's HTTP surface: the JSON API under /api/v1, the
// Server-Sent Events stream, the login flow and the embedded web UI.
// Handlers decode, call one service, and encode; errors are mapped to HTTP
// statuses in one place (errors.go).
package api

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/background"
	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
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
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapexport"
	"github.com/kvm-manager/kvm-manager/internal/snapschedule"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/vmcreate"
)

// Options holds the services the API serves.
type Options struct {
	Hosts *host.Set
	// HostAdmin adds, edits, removes and tests hosts (nil serves none of
	// those routes).
	HostAdmin  *hostadmin.Service
	Inventory  *inventory.Inventory
	Lifecycle  *lifecycle.Service
	Operations *operation.Manager
	Auth       *auth.Manager
	Bus        *event.Bus
	// UI is the web front end's file tree (index.html at its root); nil
	// serves a notice page instead.
	UI     fs.FS
	Logger *slog.Logger
	// Heartbeat is the SSE keep-alive interval (default 15 s).
	Heartbeat time.Duration
	// Version is reported by /healthz.
	Version string
	// Tickets authorise console WebSockets (graphical and serial);
	// required with VNC or Serial.
	Tickets *console.Tickets
	// The optional features: each one given registers its routes; one left
	// nil serves none of them (404, as any unknown route), so that
	// handlers need no nil checks.
	//
	// Snapshots is the snapshot manager.
	Snapshots *snapshot.Service
	// VNC is the graphical console proxy; Screenshots captures VM screens.
	VNC *vnc.Proxy
	// Spice is the SPICE console proxy (served with VNC).
	Spice *spice.Proxy
	// Recordings keeps console recordings (served with VNC).
	Recordings  *recording.Store
	Screenshots *screen.Service
	// Serial serves the VMs' serial consoles.
	Serial *serial.Service
	// DomainEdit changes VM definitions: the consoles' fixes (add VNC
	// graphics, add a serial console), served with VNC and Serial.
	DomainEdit *domainedit.Editor
	// Audit records state-changing actions and console sessions; nil
	// records nothing.
	Audit *audit.Log
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed for the client address (throttling, audit, sessions).
	TrustedProxies []netip.Prefix
	// HSTS adds Strict-Transport-Security (TLS with a real certificate).
	HSTS bool
	// Started is when the server started, for /api/v1/server.
	Started time.Time
	// BodyTimeout is the longest a client may take to send a request body
	// (default DefaultBodyTimeout); see limitBody.
	BodyTimeout time.Duration
	// Storage manages pools and volumes (nil serves none of its routes).
	Storage *storage.Service
	// Networks manages virtual networks (nil serves none of its routes).
	Networks *network.Service
	// Create makes new VMs (nil serves none of its routes).
	Create *vmcreate.Service
	// Limits cap open event streams and consoles (limits.go).
	Limits StreamLimits
	// Metrics counts requests and failed logins and is served at GET
	// /metrics (nil: no such route).
	Metrics *metrics.Metrics
	// Schedules runs snapshot policies (served with Snapshots; nil serves
	// none of its routes).
	Schedules *snapschedule.Scheduler
	// Export exports and imports VMs with their snapshots (nil serves
	// none of its routes).
	Export *snapexport.Service
	// Hardware edits VMs' hardware and raw domain XML (nil serves none of
	// its routes).
	Hardware *hardware.Service
	// RecordingLimits cap the console recordings each caller starts
	// (recordlimits.go).
	RecordingLimits RecordingLimits
}

// Server is the HTTP handler of KVM Manager.
type Server struct {
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	assets *assets
	// methods are the HTTP methods the route table uses, in a fixed order,
	// for the Allow header of a 405.
	methods []string
	// streams counts open event streams and consoles against Limits.
	streams *streamSlots
	// recLimits counts console recordings against RecordingLimits.
	recLimits *recordingLimits
	// bg holds the audit writers that wait for operations to end (see
	// audit); bgCtx ends when Run's context does, and Run waits for them.
	bg     background.Group
	bgCtx  context.Context
	stopBG context.CancelFunc
}

// handlerFunc is a handler that returns its error for the router to map.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// The roles a route may need; public needs no credentials (health, login,
// static files).
const (
	public   auth.Role = 0
	viewer             = auth.Viewer
	operator           = auth.Operator
	admin              = auth.Admin
	// metricsRole: GET /metrics, for the metrics role and admins.
	metricsRole = auth.Metrics
)

// Route is one entry of the API's route table. The table is the single
// source for the router, the role checks and the test that checks
// api/openapi.yaml (whose x-role says the same).
type Route struct {
	Method  string
	Pattern string
	// Role is the weakest role that may call the route.
	Role auth.Role
	// action names the route in the audit log ("" = not audited: reads);
	// "{x}" is replaced by the path value x.
	action string
	handle handlerFunc
}

// New builds the server and its routes. It fails only when the UI file tree
// cannot be read.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	a, err := loadAssets(opts.UI)
	if err != nil {
		return nil, fmt.Errorf("load web UI: %w", err)
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), assets: a,
		streams: newStreamSlots(opts.Limits, opts.Logger)}
	s.bgCtx, s.stopBG = context.WithCancel(context.Background())
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
		if !slices.Contains(s.methods, rt.Method) {
			s.methods = append(s.methods, rt.Method)
		}
	}
	slices.Sort(s.methods)
	opts.Metrics.AddStreams(s.openStreams)
	// Unknown API paths answer JSON, after authentication so that they tell
	// an anonymous caller nothing.
	s.mux.Handle("/api/", s.wrap(Route{Role: viewer, handle: func(w http.ResponseWriter, r *http.Request) error {
		return s.noRoute(w, r)
	}}))
	s.mux.Handle("/", s.ui())
	return s, nil
}

// Run returns when ctx ends, after the server's background work: the audit
// entries of operations still running are written, saying that the server
// stopped before the operation ended. Run it until the operations are shut
// down, so that their entries say how they ended.
func (s *Server) Run(ctx context.Context) error {
	<-ctx.Done()
	s.stopBG()
	s.bg.Close()
	return nil
}

// Routes returns the API's route table (method and pattern of each route).
func (s *Server) Routes() []Route { return s.routes() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	setSecurityHeaders(w.Header())
	if s.opts.HSTS {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}
	if s.forwardedHTTPS(r) {
		// The Origin checks compare the scheme too: here it is the proxy's.
		r = r.WithContext(auth.WithForwardedHTTPS(r.Context()))
	}
	if s.isUpload(r) || s.isImport(r) || s.limitBody(rec, r) {
		s.mux.ServeHTTP(rec, r)
	}
	// The path only: query strings may carry tokens or console tickets.
	s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "dur", time.Since(start))
}

func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// wrap applies authentication, the route's role, the session's lifetime,
// error mapping and the audit log to one route.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() {
			if s.opts.Metrics == nil {
				return
			}
			status := http.StatusOK
			if rec, ok := w.(*recorder); ok {
				status = rec.status
			}
			s.opts.Metrics.ObserveRequest(rt.Pattern, r.Method, status, time.Since(start))
			if rt.action == "login" && status >= 400 {
				s.opts.Metrics.LoginFailed()
			}
		}()
		note := &auditNote{}
		r = r.WithContext(context.WithValue(r.Context(), auditNoteKey{}, note))
		var p auth.Principal
		if rt.Role != public {
			var err error
			p, err = s.opts.Auth.Authorize(r, s.clientAddr(r))
			if err == nil && !p.Role.Allows(rt.Role) {
				err = auth.RoleError(p.Role, rt.Role)
			}
			if err != nil {
				writeError(w, r, s.log, err)
				// Refusals of a known caller are worth an admin's attention
				// (a role probed, a CSRF or Origin failure); anonymous
				// refusals are noise and tell nothing about who.
				if p.User != "" && (rt.action != "" || !auth.SafeMethod(r.Method)) {
					s.audit(r, rt, p, note, start, http.StatusForbidden, "", err)
				}
				return
			}
			// Consoles and event streams end with the session.
			ctx, cancel := p.Bind(auth.WithPrincipal(r.Context(), p))
			defer cancel()
			r = r.WithContext(ctx)
		}
		err := rt.handle(w, r)
		if err != nil {
			writeError(w, r, s.log, err)
		}
		if rt.action != "" || note.action != "" {
			status := http.StatusOK
			if rec, ok := w.(*recorder); ok {
				status = rec.status
			}
			s.audit(r, rt, p, note, start, status, w.Header().Get("Location"), err)
		}
	})
}

// noRoute answers a request no route took: 405 with Allow when the path
// exists for other methods, else 404. (The catch-all handlers match every
// method, so the mux never answers 405 by itself.)
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range s.methods {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := s.mux.Handler(r2); pattern != "/" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return errNoRoute
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return problem.New(problem.MethodNotAllowed, problem.CodeMethodNotAllowed,
		r.Method+" is not allowed on "+problem.Clip(r.URL.Path), "use "+strings.Join(allow, " or "))
}

// recorder remembers the status for the access log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
