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

// loginPage serves the login form. With ?token= (the URL printed at start)
// it logs the browser in and redirects, so the token leaves the address bar.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if tok := r.URL.Query().Get("token"); tok != "" {
		sess, err := s.opts.Auth.Login(tok)
		if err == nil {
			s.opts.Auth.SetCookie(w, sess)
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return nil
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(loginHTML(err.Error()))
		return nil
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(loginHTML(""))
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
