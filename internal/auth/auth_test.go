package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

const tok = "0123456789abcdef-token"

func newMgr(t *testing.T, now *time.Time) *Manager {
	t.Helper()
	m, err := New(Options{Token: tok, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func code(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	return ""
}

func TestWeakTokenRefused(t *testing.T) {
	if _, err := New(Options{Token: "short"}); err == nil {
		t.Fatal("a 5-character token was accepted")
	}
}

func TestBearer(t *testing.T) {
	now := time.Now()
	m := newMgr(t, &now)
	r := httptest.NewRequest("POST", "/api/v1/vms", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if p, err := m.Authorize(r, "c"); err != nil || p.Session != nil {
		t.Fatalf("bearer: %+v %v", p, err)
	}
	r.Header.Set("Authorization", "Bearer "+tok+"x")
	if _, err := m.Authorize(r, "c"); code(err) != "invalid_token" {
		t.Fatalf("wrong bearer: %v", err)
	}
	r.Header.Set("Authorization", "Basic "+tok)
	if _, err := m.Authorize(r, "c"); code(err) != "invalid_token" {
		t.Fatalf("basic scheme: %v", err)
	}
	r.Header.Del("Authorization")
	if _, err := m.Authorize(r, "c"); code(err) != "unauthenticated" {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestSessionCSRFOriginAndExpiry(t *testing.T) {
	now := time.Now()
	m := newMgr(t, &now)
	if _, err := m.Login(Credentials{Token: "nope-nope-nope-nope"}, "c", ""); code(err) != "invalid_token" {
		t.Fatalf("login with wrong token: %v", err)
	}
	s, err := m.Login(Credentials{Token: tok}, "c", "")
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	m.SetCookie(w, s, false)
	c := w.Result().Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie flags: %+v", c)
	}
	req := func(method, csrf, origin string) *http.Request {
		r := httptest.NewRequest(method, "http://127.0.0.1:8080/api/v1/x", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: s.ID})
		if csrf != "" {
			r.Header.Set(CSRFHeader, csrf)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	if _, err := m.Authorize(req("GET", "", ""), "c"); err != nil {
		t.Fatalf("GET with session: %v", err)
	}
	if _, err := m.Authorize(req("POST", "", ""), "c"); code(err) != "csrf_failed" {
		t.Fatalf("POST without CSRF: %v", err)
	}
	if _, err := m.Authorize(req("POST", "wrong", ""), "c"); code(err) != "csrf_failed" {
		t.Fatalf("POST with wrong CSRF: %v", err)
	}
	if _, err := m.Authorize(req("POST", s.CSRF, "http://evil.example"), "c"); code(err) != "origin_mismatch" {
		t.Fatalf("POST from foreign origin: %v", err)
	}
	if _, err := m.Authorize(req("POST", s.CSRF, "http://127.0.0.1:8080"), "c"); err != nil {
		t.Fatalf("POST with CSRF from own origin: %v", err)
	}
	now = now.Add(3 * time.Hour) // beyond the idle timeout
	if _, err := m.Authorize(req("GET", "", ""), "c"); code(err) != "unauthenticated" {
		t.Fatalf("idle session still valid: %v", err)
	}
	s2, _ := m.Login(Credentials{Token: tok}, "c", "")
	m.Logout(s2.ID)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: s2.ID})
	if _, err := m.Authorize(r, "c"); code(err) != "unauthenticated" {
		t.Fatalf("session valid after logout: %v", err)
	}
}

func TestSessionsSurviveRestartButNotATokenChange(t *testing.T) {
	now := time.Now()
	store := t.TempDir() + "/sessions.json"
	m1, err := New(Options{Token: tok, StorePath: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m1.Login(Credentials{Token: tok}, "c", "")
	gone, _ := m1.Login(Credentials{Token: tok}, "c", "")
	m1.Logout(gone.ID)

	data, _ := os.ReadFile(store)
	if strings.Contains(string(data), s.ID) || strings.Contains(string(data), tok) {
		t.Fatal("the store holds a raw session id or the token")
	}
	req := func(m *Manager, id string) error {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: CookieName, Value: id})
		_, err := m.Authorize(r, "c")
		return err
	}
	m2, err := New(Options{Token: tok, StorePath: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := req(m2, s.ID); err != nil {
		t.Fatalf("session lost across a restart: %v", err)
	}
	if err := req(m2, gone.ID); code(err) != "unauthenticated" {
		t.Fatalf("a logged-out session came back: %v", err)
	}
	m3, err := New(Options{Token: tok + "-new", StorePath: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := req(m3, s.ID); code(err) != "unauthenticated" {
		t.Fatalf("a session survived a token change: %v", err)
	}
	if err := os.WriteFile(store, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Token: tok, StorePath: store}); err != nil {
		t.Fatalf("a damaged store stops the server: %v", err)
	}
}
