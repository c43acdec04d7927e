package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed ui
var builtinUI embed.FS

var loginTemplate = template.Must(template.ParseFS(builtinUI, "ui/login.html"))

func loginHTML(errMsg string) []byte {
	var b bytes.Buffer
	_ = loginTemplate.Execute(&b, struct{ Error string }{errMsg})
	return b.Bytes()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ui serves the web front end: files that exist are served (hashed assets
// under /assets/ cached for a year), and any other path that is not an API
// path gets index.html, so deep links work in a single-page app. Without a
// built front end it serves a small built-in page.
func (s *Server) ui() http.Handler {
	root := s.opts.UI
	if root == nil {
		sub, _ := fs.Sub(builtinUI, "ui")
		root = sub
	}
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, r, s.log, s.noRoute(w, r))
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" && p != "index.html" && p != "login.html" {
			if st, err := fs.Stat(root, p); err == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		index, err := fs.ReadFile(root, "index.html")
		if err != nil {
			http.Error(w, "the web UI is missing from this build", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
}
