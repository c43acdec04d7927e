package api

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

const testToken = "ui-test-token-0123456789"

func uiServer(t *testing.T, withUI bool) *Server {
	t.Helper()
	am, err := auth.New(auth.Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Auth: am}
	if withUI {
		opts.UI = fstest.MapFS{
			"index.html":          {Data: []byte(`<!doctype html><div id="root"></div><script type="module" src="/assets/app-1a2b.js"></script>`)},
			"assets/app-1a2b.js":  {Data: []byte("console.log('" + strings.Repeat("kvm ", 2000) + "')")},
			"assets/app-1a2b.css": {Data: []byte("body{}")},
			"favicon.svg":         {Data: []byte("<svg/>")},
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(s *Server, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestSPAServing(t *testing.T) {
	s := uiServer(t, true)

	for _, deep := range []string{"/", "/vms/local/4b1e2c3d-0000-4000-8000-1234567890ab", "/settings", "/login"} {
		w := get(s, deep)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `id="root"`) || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %q cache %q", deep, w.Code, w.Body.String(), w.Header().Get("Cache-Control"))
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q", deep, csp)
		}
	}

	w := get(s, "/assets/app-1a2b.js")
	if w.Code != 200 || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("asset: %d %v", w.Code, w.Header())
	}
	etag := w.Header().Get("ETag")
	if w := get(s, "/assets/app-1a2b.js", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("conditional GET: %d, %d bytes", w.Code, w.Body.Len())
	}
	gz := get(s, "/assets/app-1a2b.js", "Accept-Encoding", "gzip, br")
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", gz.Header())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != w.Body.String() {
		t.Error("the gzipped asset differs from the plain one")
	}
	if w := get(s, "/assets/gone-9999.js"); w.Code != 404 {
		t.Errorf("missing asset: %d", w.Code)
	}
	if w := get(s, "/api/v1/nope"); w.Code != 401 || !strings.Contains(w.Header().Get("Content-Type"), "json") {
		t.Errorf("unknown API path without credentials: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestLoginURL(t *testing.T) {
	s := uiServer(t, true)
	w := get(s, "/login?token="+testToken+"&next=/vms/local/x")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/vms/local/x" {
		t.Fatalf("good token: %d %v", w.Code, w.Header())
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != auth.CookieName || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", c)
	}
	w = get(s, "/login?token=wrong-token-wrong-token")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?error=invalid_token" || len(w.Result().Cookies()) != 0 {
		t.Fatalf("bad token: %d %v", w.Code, w.Header())
	}
	w = get(s, "/login?token="+testToken+"&next=//evil.example/")
	if w.Header().Get("Location") != "/" {
		t.Fatalf("open redirect: %v", w.Header().Get("Location"))
	}
}

func TestNoUINotice(t *testing.T) {
	s := uiServer(t, false)
	if w := get(s, "/"); w.Code != 200 || !strings.Contains(w.Body.String(), "built without its web UI") {
		t.Fatalf("no-UI page: %d %s", w.Code, w.Body.String())
	}
	if w := get(s, "/login?token=bad-bad-bad-bad-bad"); w.Code != 401 || !strings.Contains(w.Body.String(), "not valid") {
		t.Fatalf("no-UI bad token: %d", w.Code)
	}
}
