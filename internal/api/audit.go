package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// auditNote lets a handler add what only it knows to its audit entry: the
// user of a login, a snapshot's name, or an action on a route that is not
// always audited (the login URL).
type auditNote struct {
	action string
	user   string
	role   auth.Role
	detail string
	// err is a failure the handler answered itself (a redirect).
	err error
	// skip leaves the request out of the audit log: a refusal repeated
	// in a loop that another entry counts (recordlimits.go).
	skip bool
}

type auditNoteKey struct{}

func noteOf(r *http.Request) *auditNote {
	if n, ok := r.Context().Value(auditNoteKey{}).(*auditNote); ok {
		return n
	}
	return &auditNote{} // outside wrap (tests): notes go nowhere
}

// audit writes the entry for one request. Work that runs on as an
// operation (202 with a Location) is recorded when the operation ends,
// with its result and duration.
func (s *Server) audit(r *http.Request, rt Route, p auth.Principal, note *auditNote, start time.Time, status int, location string, err error) {
	if s.opts.Audit == nil || note.skip {
		return
	}
	action := rt.action
	if note.action != "" {
		action = note.action
	}
	if action == "" {
		action = strings.ToLower(r.Method) + " " + rt.Pattern
	}
	action = expandAction(action, r)
	e := audit.Entry{
		Time: start, User: p.User, Client: s.clientAddr(r), Action: action,
		Host: r.PathValue("host"), Status: status, Detail: note.detail,
	}
	if p.Role != 0 {
		e.Role = p.Role.String()
	}
	if note.user != "" {
		e.User, e.Role = note.user, note.role.String()
		if note.role == 0 {
			e.Role = ""
		}
	}
	if u, perr := host.ParseUUID(strings.ToLower(r.PathValue("uuid"))); perr == nil {
		e.UUID = host.FormatUUID(u)
		if vm, gerr := s.opts.Inventory.Get(e.Host, e.UUID); gerr == nil {
			e.VM = vm.Name
		}
	}
	if name := r.PathValue("name"); name != "" && e.Detail == "" {
		e.Detail = problem.Clip(name)
	}
	if err == nil {
		err = note.err
	}
	e.Result, e.Error = resultOf(status, err)
	if opID, ok := strings.CutPrefix(location, "/api/v1/operations/"); ok && status == http.StatusAccepted && err == nil {
		e.Operation = opID
		s.bg.Go(func() { s.auditOperation(s.bgCtx, e, opID) })
		return
	}
	e.DurationMs = time.Since(start).Milliseconds()
	if action == "login" && e.Result != audit.ResultOK {
		// Anyone who can reach the port can fail a login: these go apart
		// from what users did, and the refused ones only as a count.
		_ = s.opts.Audit.FailedLogin(e, status == http.StatusTooManyRequests)
		return
	}
	_ = s.opts.Audit.Write(e) // failures are logged and shown on the audit page
}

// errStoppedFirst is the audit entry's error of an operation that was
// still running when the server stopped waiting for it (shutdown).
var errStoppedFirst = problem.New(problem.Unavailable, problem.CodeServerStopped,
	"the server stopped before the operation ended", "see the server log for how it ended")

// auditOperation waits for an operation and records how it ended, or, when
// ctx ends first (shutdown), that the server stopped before it did.
func (s *Server) auditOperation(ctx context.Context, e audit.Entry, id string) {
	op, err := s.opts.Operations.Wait(ctx, id)
	if err != nil && ctx.Err() != nil {
		// The operation may have ended as ctx did: its record wins.
		if o, gerr := s.opts.Operations.Get(id); gerr == nil && o.Finished != nil {
			op, err = o, nil
		} else {
			err = errStoppedFirst
		}
	}
	if err != nil {
		e.Result, e.Error = resultOf(0, err)
	} else {
		if op.Error != nil {
			e.Result, e.Error = audit.ResultError, &problem.Info{Code: op.Error.Code, Message: op.Error.Message}
		}
		if op.Finished != nil {
			e.DurationMs = op.Finished.Sub(e.Time).Milliseconds()
		}
	}
	_ = s.opts.Audit.Write(e)
}

func resultOf(status int, err error) (string, *problem.Info) {
	if err == nil && status < 400 {
		return audit.ResultOK, nil
	}
	info := &problem.Info{Code: "http_" + strconv.Itoa(status)}
	if p, ok := problem.As(err); ok {
		info.Code, info.Message = p.Code, p.Message
		if p.Kind == problem.Forbidden {
			return audit.ResultDenied, info
		}
	}
	return audit.ResultError, info
}

// expandAction fills "{x}" in an action name with the path value x,
// clipped: the path is the caller's input.
func expandAction(a string, r *http.Request) string {
	for {
		i := strings.IndexByte(a, '{')
		j := strings.IndexByte(a, '}')
		if i < 0 || j < i {
			return a
		}
		v := r.PathValue(a[i+1 : j])
		if len(v) > 32 {
			v = v[:32]
		}
		a = a[:i] + v + a[j+1:]
	}
}

// clientAddr is the caller's address: the peer, or the address a trusted
// reverse proxy says it forwarded for (the rightmost untrusted hop).
func (s *Server) clientAddr(r *http.Request) string {
	peer, viaProxy := s.peer(r)
	if !viaProxy {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a garbled header: trust nothing in it
		}
		if !s.trusted(a) {
			return a.String()
		}
	}
	return peer
}

// forwardedHTTPS reports whether a trusted reverse proxy says the browser
// reached it over HTTPS (X-Forwarded-Proto), so cookies must be Secure.
func (s *Server) forwardedHTTPS(r *http.Request) bool {
	_, viaProxy := s.peer(r)
	return viaProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// peer is the address of the TCP peer, and whether it is one of the
// trusted reverse proxies (whose forwarding headers are believed).
func (s *Server) peer(r *http.Request) (string, bool) {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if len(s.opts.TrustedProxies) == 0 {
		return peer, false
	}
	a, err := netip.ParseAddr(peer)
	return peer, err == nil && s.trusted(a)
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var errNoAudit = problem.New(problem.Unavailable, problem.CodeAuditUnavailable,
	"this server keeps no audit log", "")

type auditResponse struct {
	Entries []audit.Entry `json:"entries"`
	More    bool          `json:"more"`
	// Next is the cursor of the next (older) page, while there is more.
	Next       string `json:"next,omitempty"`
	File       string `json:"file"`
	WriteError string `json:"writeError,omitempty"`
}

// auditLog answers GET /api/v1/audit for the admins' audit page.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Audit == nil {
		return errNoAudit
	}
	q := r.URL.Query()
	f := audit.Filter{User: q.Get("user"), VM: q.Get("vm"), Action: q.Get("action")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return problem.New(problem.Invalid, problem.CodeInvalidLimit, "limit must be a number from 1 to 1000", "")
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return problem.New(problem.Invalid, problem.CodeInvalidBefore, "before must be a time such as 2026-11-26T14:00:00Z", "")
		}
		f.Before = t
	}
	if v := q.Get("cursor"); v != "" {
		c, err := audit.ParseCursor(v)
		if err != nil {
			return problem.New(problem.Invalid, "invalid_cursor", "cursor must be the next value of an earlier answer", "start again without a cursor")
		}
		f.At, f.Skip = c.At, c.Skip
	}
	es, more, err := s.opts.Audit.Query(f)
	if err != nil {
		return problem.Wrap(err, problem.Internal, problem.CodeAuditReadFailed, "the audit log could not be read", "see the server log")
	}
	resp := auditResponse{Entries: es, More: more, File: s.opts.Audit.Path(), WriteError: s.opts.Audit.WriteError()}
	if more {
		resp.Next = f.Next(es).String()
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type serverInfoResponse struct {
	Version       string  `json:"version"`
	UptimeSeconds float64 `json:"uptimeSeconds"`
	Goroutines    int     `json:"goroutines"`
	HeapBytes     uint64  `json:"heapBytes"`
	AuditFile     string  `json:"auditFile,omitempty"`
	AuditError    string  `json:"auditError,omitempty"`
}

// serverInfo answers GET /api/v1/server: what an admin checks when the
// server misbehaves (and what the fault tests use to find leaks).
func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	resp := serverInfoResponse{
		Version: s.opts.Version, Goroutines: runtime.NumGoroutine(), HeapBytes: ms.HeapAlloc,
	}
	if !s.opts.Started.IsZero() {
		resp.UptimeSeconds = time.Since(s.opts.Started).Seconds()
	}
	if s.opts.Audit != nil {
		resp.AuditFile, resp.AuditError = s.opts.Audit.Path(), s.opts.Audit.WriteError()
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
