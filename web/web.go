// Package web holds KVM Manager's front end (a React app in this directory,
// built by Vite into dist/). Builds with the builtinassets tag (make build)
// embed dist/ into the binary; other builds read it from disk when
// KVM_MANAGER_WEB_DIR names it, so `go test ./...` needs no Node.
package web

import "errors"

// ErrNoUI means this binary has no front end to serve.
var ErrNoUI = errors.New("the web UI is not built into this binary (build with make build)")
