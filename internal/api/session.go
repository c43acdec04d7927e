package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// loginRequest is a password login ({username, password}) or a token
// login ({token}).
type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

type sessionResponse struct {
	User        string    `json:"user"`
	Role        auth.Role `json:"role"`
	CSRFToken   string    `json:"csrfToken"`
	ExpiresAt   time.Time `json:"expiresAt,omitzero"`
	Permissions []string  `json:"permissions"`
}

func (s *Server) sessionResponse(p auth.Principal) sessionResponse {
	resp := sessionResponse{User: p.User, Role: p.Role, Permissions: p.Role.Permissions()}
	if p.Session != nil {
		resp.CSRFToken = p.Session.CSRF
		resp.ExpiresAt = s.opts.Auth.ExpiresAt(p.Session)
	}
	return resp
}

// startSession checks credentials, sets the cookie and notes the user for
// the audit log (also when the login fails: failed logins are what an
// admin looks for).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, c auth.Credentials) (*auth.Session, error) {
	note := noteOf(r)
	note.action = "login"
	note.user = c.Username
	if c.Username == "" {
		note.user = auth.TokenUser
	}
	note.user = problem.Clip(note.user)
	sess, err := s.opts.Auth.Login(c, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return nil, err
	}
	note.role = sess.Role
	s.opts.Auth.SetCookie(w, sess, s.forwardedHTTPS(r))
	return sess, nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Token == "" && req.Username == "" {
		return problem.New(problem.Invalid, problem.CodeMissingCredentials, "give a user name and password, or an API token", "")
	}
	sess, err := s.startSession(w, r, auth.Credentials{Token: req.Token, Username: req.Username, Password: req.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.sessionResponse(auth.Principal{User: sess.User, Role: sess.Role, Session: sess}))
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if p, ok := auth.FromContext(r.Context()); ok && p.Session != nil {
		s.opts.Auth.Logout(p.Session.ID)
	}
	s.opts.Auth.ClearCookie(w, s.forwardedHTTPS(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionInfo lets a reloaded page learn its CSRF token and role again.
func (s *Server) sessionInfo(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	writeJSON(w, http.StatusOK, s.sessionResponse(p))
	return nil
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"sessions": s.opts.Auth.Sessions(p)})
	return nil
}

// revokeSession ends a session; its consoles and event streams close.
func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	ended, err := s.opts.Auth.Revoke(p, r.PathValue("id"))
	if err != nil {
		return err
	}
	noteOf(r).detail = "session of " + ended.User + " from " + ended.Client
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// loginPage serves the login route. With ?token= (the URL printed at start)
// it logs the browser in and redirects, so the token leaves the address bar;
// a wrong token redirects to /login?error=invalid_token. Otherwise the web
// UI renders its login page.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	if tok := r.URL.Query().Get("token"); tok != "" {
		if _, err := s.startSession(w, r, auth.Credentials{Token: tok}); err != nil {
			noteOf(r).err = err
			p, _ := problem.As(err)
			if s.assets == nil {
				status := http.StatusUnauthorized
				var th *auth.Throttled
				if errors.As(err, &th) {
					status = http.StatusTooManyRequests
					setRetryAfter(w, p)
				}
				s.noUIPage(w, status, p.Message+". "+p.Hint)
				return nil
			}
			http.Redirect(w, r, "/login?error="+p.Code, http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	if s.assets == nil {
		s.noUIPage(w, http.StatusOK, "")
		return nil
	}
	s.assets.index.serve(w, r, "no-cache")
	return nil
}

// safeNext keeps redirects on this site: next must be a path on this
// origin. Browsers forgive a lot in a Location header (they drop tabs and
// newlines, read a backslash as a slash), so anything unusual falls back to
// "/": characters other than printable ASCII (controls, spaces, anything
// non-ASCII must come percent-encoded), backslashes anywhere, a second
// leading slash, and anything that parses with a scheme or a host.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}
