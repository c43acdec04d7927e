package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed ui
var builtinUI embed.FS

var noUITemplate = template.Must(template.ParseFS(builtinUI, "ui/noui.html"))

// staticFile is one front-end file, read once at start with its validator
// and, where it pays, a gzipped copy: embedded files have no modification
// time, so an ETag is what makes 304s work.
type staticFile struct {
	data, gz []byte
	etag     string
	ctype    string
}

// assets is the front end held in memory.
type assets struct {
	files map[string]*staticFile
	index *staticFile
}

// loadAssets reads every file of fsys. It returns nil when fsys is nil.
func loadAssets(fsys fs.FS) (*assets, error) {
	if fsys == nil {
		return nil, nil
	}
	a := &assets{files: make(map[string]*staticFile)}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		f := &staticFile{data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: mime.TypeByExtension(path.Ext(p))}
		if f.ctype == "" {
			f.ctype = http.DetectContentType(data)
		}
		if len(data) > 1024 && compressible(f.ctype) {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			_, _ = zw.Write(data)
			_ = zw.Close()
			if b.Len() < len(data)*9/10 {
				f.gz = b.Bytes()
			}
		}
		a.files[p] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.index = a.files["index.html"]
	if a.index == nil {
		return nil, fs.ErrNotExist
	}
	return a, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

// serve writes f with caching headers, answering conditional requests with
// 304 and gzip-capable clients with the compressed copy.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", f.etag)
	h.Set("Content-Type", f.ctype)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.data
	if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// contentSecurityPolicy allows only our own origin: scripts and styles come
// from the server, nothing is framed, and nothing is fetched elsewhere.
// Inline style attributes are allowed because UI libraries position
// popovers and charts with them; inline scripts are not.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// ui serves the front end: existing files (hashed assets under /assets/
// cached for a year), index.html for every other non-API path so that deep
// links work, and a notice page when the binary has no UI.
func (s *Server) ui() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, r, s.log, s.noRoute(w, r))
			return
		}
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		if s.assets == nil {
			s.noUIPage(w, http.StatusOK, "")
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if f, ok := s.assets.files[p]; ok && p != "index.html" {
			cc := "no-cache"
			if strings.HasPrefix(p, "assets/") {
				cc = "public, max-age=31536000, immutable"
			}
			f.serve(w, r, cc)
			return
		}
		if strings.HasPrefix(p, "assets/") {
			// A missing hashed asset is an old page asking for a previous
			// build's file: say so rather than send HTML as JavaScript.
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		s.assets.index.serve(w, r, "no-cache")
	})
}

func (s *Server) noUIPage(w http.ResponseWriter, status int, errMsg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = noUITemplate.Execute(w, struct{ Error string }{errMsg})
}
