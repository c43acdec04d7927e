//go:build builtinassets

package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets returns the built front end, embedded into the binary.
func Assets() (fs.FS, error) {
	return fs.Sub(dist, "dist")
}
