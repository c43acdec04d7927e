// Package auth decides who is calling: API clients present the API token as
// a bearer token; browsers exchange the token once for a session cookie
// (HttpOnly, SameSite=Strict) and send the session's CSRF token with every
// state-changing request.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// CookieName is the session cookie's name.
const CookieName = "kvmm_session"

// CSRFHeader carries the session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

// Options configures a Manager.
type Options struct {
	// Token is the API token; it must be at least 16 characters.
	Token string
	// SessionTTL is the longest a session lives (default 12 h).
	SessionTTL time.Duration
	// IdleTimeout ends a session unused for this long (default 2 h).
	IdleTimeout time.Duration
	// SecureCookies marks cookies Secure (set when serving TLS).
	SecureCookies bool
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// StorePath, when set, is a file where sessions are kept so that a
	// restart does not log browsers out. Only hashes of session ids are
	// written, and the sessions are dropped when the token changes.
	StorePath string
}

// Session is one browser login.
type Session struct {
	ID       string
	CSRF     string
	User     string
	Created  time.Time
	LastSeen time.Time
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User    string
	Session *Session // nil for bearer-token callers
}

// Manager checks credentials and keeps sessions in memory: a restart logs
// every browser out, which is the safe direction to fail in.
type Manager struct {
	opts      Options
	tokenHash [32]byte
	mu        sync.Mutex
	sessions  map[[32]byte]*Session // by hash of the session id
	savedAt   time.Time
	dirty     bool
}

// New returns a Manager, or an error when the token is too weak.
func New(opts Options) (*Manager, error) {
	if len(opts.Token) < 16 {
		return nil, problem.New(problem.Invalid, "weak_token", "the API token must be at least 16 characters",
			"unset KVM_MANAGER_TOKEN to have a random one generated")
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 2 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts, tokenHash: sha256.Sum256([]byte(opts.Token)), sessions: make(map[[32]byte]*Session)}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

func sessionKey(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// RandomToken returns a new random token suitable as an API token.
func RandomToken() string { return randomString(32) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrUnauthenticated is returned when a request carries no valid credentials.
var ErrUnauthenticated = problem.New(problem.Unauthorized, "unauthenticated",
	"you are not logged in, or your session has expired", "log in again with the token printed when KVM Manager started")

// ErrBadToken is returned for a wrong token.
var ErrBadToken = problem.New(problem.Unauthorized, "invalid_token",
	"that token is not valid", "use the token from the login URL that KVM Manager printed, or the value of KVM_MANAGER_TOKEN")

// ErrCSRF is returned when a session request lacks the CSRF token.
var ErrCSRF = problem.New(problem.Forbidden, "csrf_failed",
	"the request is missing a valid CSRF token", "reload the page; API clients should use a bearer token instead of cookies")

// ErrOrigin is returned when a session request comes from another origin.
var ErrOrigin = problem.New(problem.Forbidden, "origin_mismatch",
	"the request comes from another web origin", "open KVM Manager at its own address")

func (m *Manager) tokenOK(t string) bool {
	h := sha256.Sum256([]byte(t))
	return subtle.ConstantTimeCompare(h[:], m.tokenHash[:]) == 1
}

// Login exchanges the API token for a new session.
func (m *Manager) Login(token string) (*Session, error) {
	if !m.tokenOK(token) {
		return nil, ErrBadToken
	}
	now := m.opts.Now()
	s := &Session{ID: randomString(32), CSRF: randomString(32), User: "admin", Created: now, LastSeen: now}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gcLocked(now)
	stored := *s
	stored.ID = "" // only the hash is kept
	m.sessions[sessionKey(s.ID)] = &stored
	// If the store cannot be written (disk full), the session still works;
	// it just does not survive a restart.
	_ = m.saveLocked(now)
	return s, nil
}

// Logout ends the session with the given id.
func (m *Manager) Logout(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, sessionKey(id))
	_ = m.saveLocked(m.opts.Now()) // a failed save leaves the session only in the file, and it expires there
}

// Authenticate returns the caller of r: a bearer token, or a live session
// cookie. It does not check CSRF; see Authorize.
func (m *Manager) Authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || !m.tokenOK(strings.TrimSpace(tok)) {
			return Principal{}, ErrBadToken
		}
		return Principal{User: "token"}, nil
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Principal{}, ErrUnauthenticated
	}
	now := m.opts.Now()
	key := sessionKey(c.Value)
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[key]
	if !ok || m.expiredLocked(s, now) {
		delete(m.sessions, key)
		return Principal{}, ErrUnauthenticated
	}
	s.LastSeen = now
	m.dirty = true
	if now.Sub(m.savedAt) > time.Minute {
		_ = m.saveLocked(now) // idle times are approximate to a minute across restarts
	}
	cp := *s
	cp.ID = c.Value
	return Principal{User: s.User, Session: &cp}, nil
}

// Authorize authenticates r and, for cookie sessions, checks that
// state-changing requests come from our own origin with the CSRF token.
func (m *Manager) Authorize(r *http.Request) (Principal, error) {
	p, err := m.Authenticate(r)
	if err != nil {
		return p, err
	}
	if p.Session == nil || safeMethod(r.Method) {
		return p, nil
	}
	if o := r.Header.Get("Origin"); o != "" && !SameOrigin(r, o) {
		return p, ErrOrigin
	}
	got := r.Header.Get(CSRFHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRF)) != 1 {
		return p, ErrCSRF
	}
	return p, nil
}

// SameOrigin reports whether origin names the host the request was sent to.
// WebSocket upgrades and cookie-authenticated writes must pass it.
func SameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (m *Manager) expiredLocked(s *Session, now time.Time) bool {
	return now.Sub(s.Created) > m.opts.SessionTTL || now.Sub(s.LastSeen) > m.opts.IdleTimeout
}

// Flush writes pending session changes (last-seen times) to the store.
func (m *Manager) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirty {
		return nil
	}
	return m.saveLocked(m.opts.Now())
}

func (m *Manager) gcLocked(now time.Time) {
	for id, s := range m.sessions {
		if m.expiredLocked(s, now) {
			delete(m.sessions, id)
		}
	}
}

// SetCookie writes the session cookie.
func (m *Manager) SetCookie(w http.ResponseWriter, s *Session) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.ID, Path: "/", HttpOnly: true, Secure: m.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(m.opts.SessionTTL.Seconds()),
	})
}

// ClearCookie removes the session cookie from the browser.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: m.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1,
	})
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored by WithPrincipal.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
