// Package auth decides who is calling and what they may do. Users log in
// with a name and password from the configuration (argon2id or bcrypt
// hashes) and get a role; the API token remains an admin credential for
// scripts (as a bearer token) and for the printed login URL. Browsers hold
// a session cookie (HttpOnly, SameSite=Strict, Secure under TLS) and send
// the session's CSRF token with every state-changing request.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// CookieName is the session cookie's name.
const CookieName = "kvmm_session"

// CSRFHeader carries the session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

// TokenUser is the user name of callers who present the API token.
const TokenUser = "token"

// MetricsTokenUser is the user name of callers who present the metrics
// token (role Metrics).
const MetricsTokenUser = "metrics-token"

// User is one configured account, as the config file holds it.
type User struct {
	Name         string `json:"name"`
	PasswordHash string `json:"password-hash"`
	Role         Role   `json:"role"`
}

// Options configures a Manager.
type Options struct {
	// Token is the API token; it must be at least 16 characters.
	Token string
	// MetricsToken, when set (at least 16 characters), is a token that
	// may only read GET /metrics (role Metrics), for a Prometheus server.
	MetricsToken string
	// Users may log in with a password.
	Users []User
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
	// written; a session ends when its user's password or the token changes.
	StorePath string
	// MaxSessionsPerUser caps each user's sessions (default
	// DefaultMaxSessionsPerUser); a login beyond it ends the user's oldest.
	MaxSessionsPerUser int
}

// DefaultMaxSessionsPerUser is how many sessions a user may have unless
// configured otherwise: enough for every browser and device of a person,
// few enough that the session store stays small.
const DefaultMaxSessionsPerUser = 20

// Session is one browser login.
type Session struct {
	// ID is the cookie value. It is known only in memory, to the request
	// that presents it; the store holds its hash.
	ID        string
	CSRF      string
	User      string
	Role      Role
	Client    string
	UserAgent string
	Created   time.Time
	LastSeen  time.Time

	key    [32]byte
	cred   string // which credential made the session: see credentialID
	ctx    context.Context
	cancel context.CancelFunc
}

// PublicID names the session in lists and revocations without giving away
// the cookie (a prefix of the hash the store keeps).
func (s *Session) PublicID() string { return hex.EncodeToString(s.key[:8]) }

// Principal is the authenticated caller of a request.
type Principal struct {
	User    string
	Role    Role
	Session *Session // nil for bearer-token callers
}

// Bind returns a context that also ends when the caller's session ends
// (logout, revocation, its lifetime): long requests such as consoles and
// event streams use it so that a revoked session loses them at once.
func (p Principal) Bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if p.Session == nil || p.Session.ctx == nil {
		return ctx, cancel
	}
	stop := context.AfterFunc(p.Session.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// Manager checks credentials and keeps sessions.
type Manager struct {
	opts      Options
	tokenHash [32]byte
	users     map[string]User
	dummyHash string        // verified for unknown users, so timing does not tell who exists
	hashing   chan struct{} // bounds concurrent password hashing (64 MiB each)
	limit     *limiter

	// metricsHash is the metrics token's hash; hasMetrics says one is set.
	metricsHash [32]byte
	hasMetrics  bool

	mu       sync.Mutex
	sessions map[[32]byte]*Session // by hash of the session id
	// ended remembers sessions ended by the cap on sessions per user, until
	// they would have expired, so that their next request can say why.
	ended   map[[32]byte]endedSession
	savedAt time.Time
	changes uint64 // counts changes to sessions; see persist

	saveMu  sync.Mutex // one store write at a time
	written uint64     // changes that the store holds (under saveMu)
	// write replaces the store file with data; tests may slow it down.
	write func(path string, data []byte) error
}

// endedSession is a session the cap ended.
type endedSession struct {
	user    string
	expires time.Time
}

// maxEnded bounds the memory of sessions ended by the cap. Forgetting one
// costs only the reason in its error message.
const maxEnded = 4096

// CheckUsers checks the configured password users: a valid name used once,
// a role, and a password hash of a known kind each. New runs it; config
// runs it too, as the file is read, so that a mistake stops the server
// before anything starts.
func CheckUsers(users []User) error {
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if err := ValidUserName(u.Name); err != nil {
			return err
		}
		if seen[u.Name] {
			return fmt.Errorf("user %q is configured twice", u.Name)
		}
		seen[u.Name] = true
		if (u.Role < Viewer || u.Role > Admin) && u.Role != Metrics {
			return fmt.Errorf("user %q has no role: use viewer, operator, admin or metrics", u.Name)
		}
		if u.PasswordHash == "" {
			return fmt.Errorf("user %q has no password-hash: make one with kvm-manager hash-password", u.Name)
		}
		if err := CheckHash(u.PasswordHash); err != nil {
			return fmt.Errorf("user %q: %w", u.Name, err)
		}
	}
	return nil
}

// New returns a Manager, or an error when the token is too weak or a user
// is configured wrongly.
func New(opts Options) (*Manager, error) {
	if len(opts.Token) < 16 {
		return nil, problem.New(problem.Invalid, problem.CodeWeakToken, "the API token must be at least 16 characters",
			"unset KVM_MANAGER_TOKEN to have a random one generated")
	}
	if opts.MetricsToken != "" && len(opts.MetricsToken) < 16 {
		return nil, problem.New(problem.Invalid, problem.CodeWeakToken, "the metrics token must be at least 16 characters",
			"put a longer random token in the metrics token file, e.g. from: head -c 24 /dev/urandom | base64")
	}
	if opts.MetricsToken != "" && opts.MetricsToken == opts.Token {
		return nil, problem.New(problem.Invalid, problem.CodeWeakToken, "the metrics token is the API token",
			"give the metrics token a value of its own: it is meant to be handed to a Prometheus server")
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
	if opts.MaxSessionsPerUser == 0 {
		opts.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if opts.MaxSessionsPerUser < 1 {
		return nil, fmt.Errorf("at most %d sessions per user: allow at least one", opts.MaxSessionsPerUser)
	}
	m := &Manager{
		opts: opts, tokenHash: sha256.Sum256([]byte(opts.Token)), users: make(map[string]User),
		hashing: make(chan struct{}, 2), limit: newLimiter(), sessions: make(map[[32]byte]*Session),
		ended: make(map[[32]byte]endedSession), write: writeFileAtomic,
	}
	if opts.MetricsToken != "" {
		m.metricsHash, m.hasMetrics = sha256.Sum256([]byte(opts.MetricsToken)), true
	}
	if err := CheckUsers(opts.Users); err != nil {
		return nil, err
	}
	for _, u := range opts.Users {
		m.users[u.Name] = u
	}
	if len(m.users) > 0 {
		hashes := make([]string, 0, len(m.users))
		for _, u := range opts.Users {
			hashes = append(hashes, u.PasswordHash)
		}
		h, err := slowestDummy(hashes)
		if err != nil {
			return nil, err
		}
		m.dummyHash = h
	}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// UnknownUserCost names the algorithm and parameters of the hash that
// unknown user names are checked against ("bcrypt:12",
// "argon2id:65536,3,2,32"), or "" without users: the start log shows it.
func (m *Manager) UnknownUserCost() string { return hashCost(m.dummyHash) }

// ValidUserName checks a configured user name: 1 to 64 of a-z, 0-9, '.',
// '_', '-', starting with a letter or digit; "token" is reserved for the
// API token.
func ValidUserName(name string) error {
	if name == TokenUser {
		return fmt.Errorf("the user name %q is reserved for the API token", name)
	}
	if len(name) == 0 || len(name) > 64 {
		return fmt.Errorf("user name %q: use 1 to 64 characters", problem.Clip(name))
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return fmt.Errorf("user name %q: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", problem.Clip(name))
		}
	}
	return nil
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
var ErrUnauthenticated = problem.New(problem.Unauthorized, problem.CodeUnauthenticated,
	"you are not logged in, or your session has ended", "log in again")

// ErrBadToken is returned for a wrong token.
var ErrBadToken = problem.New(problem.Unauthorized, problem.CodeInvalidToken,
	"that token is not valid", "use the token from the login URL that KVM Manager printed, or the value of KVM_MANAGER_TOKEN")

// ErrBadCredentials is returned for a wrong user name or password; it does
// not say which, so that it does not tell who has an account.
var ErrBadCredentials = problem.New(problem.Unauthorized, problem.CodeInvalidCredentials,
	"the user name or password is wrong", "check both and try again; an admin can set a new password with kvm-manager hash-password")

// ErrCSRF is returned when a session request lacks the CSRF token.
var ErrCSRF = problem.New(problem.Forbidden, problem.CodeCSRFFailed,
	"the request is missing a valid CSRF token", "reload the page; API clients should use a bearer token instead of cookies")

// ErrOrigin is returned when a session request comes from another origin.
var ErrOrigin = problem.New(problem.Forbidden, problem.CodeOriginMismatch,
	"the request comes from another web origin", "open KVM Manager at its own address; behind a TLS reverse proxy, "+
		"start it with --trusted-proxy and have the proxy send X-Forwarded-Proto: https and the Host unchanged")

// SessionLimitError is returned for a session that was ended because its
// user started more sessions than allowed: the web UI shows why.
func SessionLimitError(user string, limit int) error {
	return problem.New(problem.Unauthorized, problem.CodeSessionLimit,
		fmt.Sprintf("this session was ended because %s started more than %d sessions (the oldest end first)", user, limit),
		"log in again; end sessions you no longer use under Sessions, or log out when done")
}

// ErrNoSession is returned when a session to revoke does not exist.
var ErrNoSession = problem.New(problem.NotFound, problem.CodeNoSuchSession,
	"there is no such session (it may have ended already)", "reload the list of sessions")

// RoleError says that the caller's role does not allow what they asked.
func RoleError(have, need Role) error {
	return problem.New(problem.Forbidden, problem.CodeForbiddenRole,
		fmt.Sprintf("this needs the %s role, and you are logged in as %s", need, have),
		"ask an admin to give your user the "+need.String()+" role")
}

// Throttled is returned when a client has failed to log in, or presented a
// wrong API token, too often. Its problem carries RetryAfter, which the API
// sends as a Retry-After header.
type Throttled struct {
	RetryAfter time.Duration
	// Token says that the refused credential is the API token.
	Token bool
}

func (t *Throttled) Error() string { return t.problem().Error() }

func (t *Throttled) problem() *problem.Error {
	secs := max(int(t.RetryAfter.Round(time.Second).Seconds()), 1)
	wait := fmt.Sprintf("wait %d seconds", secs)
	if secs == 1 {
		wait = "wait 1 second"
	}
	p := problem.New(problem.TooMany, problem.CodeTooManyAttempts,
		"too many failed logins from your address: "+wait+" before trying again",
		"check the user name and password; an admin can reset a password with kvm-manager hash-password")
	if t.Token {
		p = problem.New(problem.TooMany, problem.CodeTooManyAttempts,
			"too many wrong API tokens or failed logins from your address: "+wait+" before trying again",
			"use the token from the login URL that KVM Manager printed, or the value of KVM_MANAGER_TOKEN")
	}
	p.RetryAfter = t.RetryAfter
	return p
}

// Unwrap lets problem.As find the user-facing error.
func (t *Throttled) Unwrap() error { return t.problem() }

func (m *Manager) tokenOK(t string) bool {
	h := sha256.Sum256([]byte(t))
	return subtle.ConstantTimeCompare(h[:], m.tokenHash[:]) == 1
}

func (m *Manager) metricsTokenOK(t string) bool {
	h := sha256.Sum256([]byte(t))
	return m.hasMetrics && subtle.ConstantTimeCompare(h[:], m.metricsHash[:]) == 1
}

// credentialID fingerprints the credential a session was made with, so a
// stored session ends when that credential changes (a new token, a new
// password hash in the config).
func (m *Manager) credentialID(user string) (string, bool) {
	var h [32]byte
	if user == TokenUser {
		h = sha256.Sum256(append([]byte("kvm-manager token\x00"), m.tokenHash[:]...))
	} else {
		u, ok := m.users[user]
		if !ok {
			return "", false
		}
		h = sha256.Sum256([]byte("kvm-manager password\x00" + u.PasswordHash))
	}
	return hex.EncodeToString(h[:16]), true
}

// Credentials are what a login presents: a token, or a user and password.
type Credentials struct {
	Token    string
	Username string
	Password string
}

// Login checks the credentials and starts a session for client (its
// address, for throttling and the session list). When the user already has
// as many sessions as allowed, the oldest ends.
func (m *Manager) Login(c Credentials, client, userAgent string) (*Session, error) {
	user, role, err := m.checkThrottled(c, client)
	if err != nil {
		return nil, err
	}
	now := m.opts.Now()
	cred, _ := m.credentialID(user)
	s := &Session{
		ID: randomString(32), CSRF: randomString(32), User: user, Role: role,
		Client: client, UserAgent: clipUA(userAgent), Created: now, LastSeen: now, cred: cred,
	}
	s.key = sessionKey(s.ID)
	m.mu.Lock()
	m.gcLocked(now)
	m.capLocked(user, m.opts.MaxSessionsPerUser-1, now)
	stored := *s
	stored.ID = "" // only the hash is kept
	m.startLocked(&stored)
	m.sessions[s.key] = &stored
	s.ctx = stored.ctx
	m.changes++
	m.mu.Unlock()
	// If the store cannot be written (disk full), the session still works;
	// it just does not survive a restart.
	_ = m.persist()
	return s, nil
}

// checkThrottled checks the credentials within the throttle: password
// checks reserve an attempt first, so concurrent guesses cannot exceed it.
func (m *Manager) checkThrottled(c Credentials, client string) (string, Role, error) {
	if c.Username == "" && c.Password == "" {
		ok := m.tokenOK(c.Token)
		if d := m.limit.check(TokenUser, client, ok, m.opts.Now()); d > 0 {
			return "", 0, &Throttled{RetryAfter: d, Token: true}
		}
		if !ok {
			return "", 0, ErrBadToken
		}
		return TokenUser, Admin, nil
	}
	a, d := m.limit.begin(c.Username, client, m.opts.Now())
	if d > 0 {
		return "", 0, &Throttled{RetryAfter: d}
	}
	user, role, err := m.check(c)
	a.done(err == nil, m.opts.Now())
	return user, role, err
}

// capLocked ends user's oldest sessions until at most keep are left, and
// remembers them so that their next request can say why.
func (m *Manager) capLocked(user string, keep int, now time.Time) {
	var mine []*Session
	for _, s := range m.sessions {
		if s.User == user {
			mine = append(mine, s)
		}
	}
	if len(mine) <= keep {
		return
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].Created.Before(mine[j].Created) })
	for _, s := range mine[:len(mine)-keep] {
		m.removeLocked(s.key)
		m.noteEndedLocked(s, now)
	}
}

// noteEndedLocked remembers a session the cap ended, within maxEnded:
// expired entries go first, then any.
func (m *Manager) noteEndedLocked(s *Session, now time.Time) {
	if len(m.ended) >= maxEnded {
		for k, e := range m.ended {
			if !now.Before(e.expires) {
				delete(m.ended, k)
			}
		}
		for k := range m.ended {
			if len(m.ended) < maxEnded {
				break
			}
			delete(m.ended, k)
		}
	}
	m.ended[s.key] = endedSession{user: s.User, expires: m.ExpiresAt(s)}
}

func clipUA(ua string) string {
	if len(ua) > 200 {
		return ua[:200]
	}
	return ua
}

// check returns who a user name and password belong to.
func (m *Manager) check(c Credentials) (string, Role, error) {
	if c.Token != "" {
		return "", 0, ErrBadCredentials
	}
	u, ok := m.users[c.Username]
	hash := u.PasswordHash
	if !ok {
		hash = m.dummyHash
	}
	if hash == "" { // no users configured at all
		return "", 0, ErrBadCredentials
	}
	m.hashing <- struct{}{}
	match := VerifyPassword(hash, c.Password)
	<-m.hashing
	if !ok || !match {
		return "", 0, ErrBadCredentials
	}
	return u.Name, u.Role, nil
}

// startLocked gives a session its lifetime context, which ends at its
// absolute expiry or when it is removed.
func (m *Manager) startLocked(s *Session) {
	s.ctx, s.cancel = context.WithDeadline(context.Background(), s.Created.Add(m.opts.SessionTTL))
}

func (m *Manager) removeLocked(key [32]byte) {
	if s, ok := m.sessions[key]; ok {
		s.cancel()
		delete(m.sessions, key)
	}
}

// Logout ends the session with the given id.
func (m *Manager) Logout(id string) {
	m.mu.Lock()
	m.removeLocked(sessionKey(id))
	m.changes++
	m.mu.Unlock()
	_ = m.persist() // a failed save leaves the session only in the file, and it expires there
}

// SessionInfo describes a session in the session list.
type SessionInfo struct {
	ID        string    `json:"id"`
	User      string    `json:"user"`
	Role      Role      `json:"role"`
	Client    string    `json:"client"`
	UserAgent string    `json:"userAgent"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"lastSeen"`
	ExpiresAt time.Time `json:"expiresAt"`
	Current   bool      `json:"current"`
}

// ExpiresAt is when s ends unless used again before: its idle deadline or
// its absolute one, whichever is earlier.
func (m *Manager) ExpiresAt(s *Session) time.Time {
	idle := s.LastSeen.Add(m.opts.IdleTimeout)
	abs := s.Created.Add(m.opts.SessionTTL)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// Sessions lists the live sessions p may see: its own user's, or all for
// an admin. Newest first.
func (m *Manager) Sessions(p Principal) []SessionInfo {
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gcLocked(now)
	out := []SessionInfo{}
	for k, s := range m.sessions {
		if p.Role < Admin && s.User != p.User {
			continue
		}
		out = append(out, SessionInfo{
			ID: s.PublicID(), User: s.User, Role: s.Role, Client: s.Client, UserAgent: s.UserAgent,
			Created: s.Created, LastSeen: s.LastSeen, ExpiresAt: m.ExpiresAt(s),
			Current: p.Session != nil && p.Session.key == k,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Revoke ends the session with the given public id. Anyone may end their
// own user's sessions; other users' need an admin. It returns the session
// that ended, for the audit log.
func (m *Manager) Revoke(p Principal, id string) (SessionInfo, error) {
	m.mu.Lock()
	for k, s := range m.sessions {
		if s.PublicID() != id {
			continue
		}
		if s.User != p.User && p.Role < Admin {
			m.mu.Unlock()
			return SessionInfo{}, RoleError(p.Role, Admin)
		}
		info := SessionInfo{ID: id, User: s.User, Role: s.Role, Client: s.Client}
		m.removeLocked(k)
		m.changes++
		m.mu.Unlock()
		_ = m.persist()
		return info, nil
	}
	m.mu.Unlock()
	return SessionInfo{}, ErrNoSession
}

// Authenticate returns the caller of r, which comes from client (its
// address): a bearer token, or a live session cookie. Wrong bearer tokens
// are throttled per address like failed logins; while an address is locked
// out, no token from it is looked at, valid or not. It does not check
// CSRF; see Authorize.
func (m *Manager) Authenticate(r *http.Request, client string) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		bearer := ok && strings.EqualFold(scheme, "Bearer")
		admin := bearer && m.tokenOK(strings.TrimSpace(tok))
		metrics := bearer && !admin && m.metricsTokenOK(strings.TrimSpace(tok))
		if d := m.limit.check(TokenUser, client, admin || metrics, m.opts.Now()); d > 0 {
			return Principal{}, &Throttled{RetryAfter: d, Token: true}
		}
		switch {
		case admin:
			return Principal{User: TokenUser, Role: Admin}, nil
		case metrics:
			return Principal{User: MetricsTokenUser, Role: Metrics}, nil
		}
		return Principal{}, ErrBadToken
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Principal{}, ErrUnauthenticated
	}
	now := m.opts.Now()
	key := sessionKey(c.Value)
	m.mu.Lock()
	s, ok := m.sessions[key]
	if !ok || m.expiredLocked(s, now) {
		m.removeLocked(key)
		e, capped := m.ended[key]
		m.mu.Unlock()
		if capped && now.Before(e.expires) {
			return Principal{}, SessionLimitError(e.user, m.opts.MaxSessionsPerUser)
		}
		return Principal{}, ErrUnauthenticated
	}
	s.LastSeen = now
	m.changes++
	save := now.Sub(m.savedAt) > time.Minute
	if save {
		m.savedAt = now // one request a minute writes
	}
	cp := *s
	m.mu.Unlock()
	if save {
		_ = m.persist() // idle times are approximate to a minute across restarts
	}
	cp.ID = c.Value
	return Principal{User: cp.User, Role: cp.Role, Session: &cp}, nil
}

// Authorize authenticates r (from client, its address) and, for cookie
// sessions, checks that state-changing requests come from our own origin
// with the CSRF token.
func (m *Manager) Authorize(r *http.Request, client string) (Principal, error) {
	p, err := m.Authenticate(r, client)
	if err != nil {
		return p, err
	}
	if p.Session == nil || SafeMethod(r.Method) {
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

// SafeMethod reports whether an HTTP method only reads: such requests need
// no CSRF token and change nothing worth auditing.
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (m *Manager) expiredLocked(s *Session, now time.Time) bool {
	return now.Sub(s.Created) > m.opts.SessionTTL || now.Sub(s.LastSeen) > m.opts.IdleTimeout
}

// Flush writes pending session changes (last-seen times) to the store.
func (m *Manager) Flush() error { return m.persist() }

func (m *Manager) gcLocked(now time.Time) {
	for k, s := range m.sessions {
		if m.expiredLocked(s, now) {
			m.removeLocked(k)
		}
	}
}

// SetCookie writes the session cookie. secure marks it Secure also when
// the server itself speaks plain HTTP behind a TLS reverse proxy.
func (m *Manager) SetCookie(w http.ResponseWriter, s *Session, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.ID, Path: "/", HttpOnly: true, Secure: m.opts.SecureCookies || secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(m.opts.SessionTTL.Seconds()),
	})
}

// ClearCookie removes the session cookie from the browser.
func (m *Manager) ClearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: m.opts.SecureCookies || secure,
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
