//go:build !builtinassets

package web

import (
	"errors"
	"io/fs"
	"os"
)

// Assets returns the front end from the directory named by KVM_MANAGER_WEB_DIR,
// so that UI work needs no Go rebuild. Without that variable (or in a build
// without the builtinassets tag and without a built UI) it returns ErrNoUI.
func Assets() (fs.FS, error) {
	dir := os.Getenv("KVM_MANAGER_WEB_DIR")
	if dir == "" {
		return nil, ErrNoUI
	}
	if _, err := os.Stat(dir + "/index.html"); err != nil {
		return nil, errors.Join(ErrNoUI, err)
	}
	return os.DirFS(dir), nil
}
