package api

import (
	"net/http"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

type loginRequest struct {
	Token string `json:"token"`
}

type sessionResponse struct {
	User      string `json:"user"`
	CSRFToken string `json:"csrfToken"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	sess, err := s.opts.Auth.Login(req.Token)
	if err != nil {
		return err
	}
	s.opts.Auth.SetCookie(w, sess)
	writeJSON(w, http.StatusOK, sessionResponse{User: sess.User, CSRFToken: sess.CSRF})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if p, ok := auth.FromContext(r.Context()); ok && p.Session != nil {
		s.opts.Auth.Logout(p.Session.ID)
	}
	s.opts.Auth.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionInfo lets a reloaded page learn its CSRF token again.
func (s *Server) sessionInfo(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	resp := sessionResponse{User: p.User}
	if p.Session != nil {
		resp.CSRFToken = p.Session.CSRF
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// loginPage serves the login route. With ?token= (the URL printed at start)
// it logs the browser in and redirects, so the token leaves the address bar;
// a wrong token redirects to /login?error=invalid_token. Otherwise the web
// UI renders its login page.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	if tok := r.URL.Query().Get("token"); tok != "" {
		sess, err := s.opts.Auth.Login(tok)
		if err != nil {
			if s.assets == nil {
				s.noUIPage(w, http.StatusUnauthorized, "That token is not valid. Use the login URL KVM Manager printed, or the value of KVM_MANAGER_TOKEN.")
				return nil
			}
			http.Redirect(w, r, "/login?error=invalid_token", http.StatusSeeOther)
			return nil
		}
		s.opts.Auth.SetCookie(w, sess)
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

// safeNext keeps redirects on this site: only absolute paths, no scheme or
// protocol-relative URLs.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
