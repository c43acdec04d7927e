package snapshot

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Screens captures a VM's console as a PNG image. The graphical console
// feature implements it (server-side screenshots); a nil Screens stores no
// screenshots.
type Screens interface {
	// Capture returns the current screen of the VM as PNG bytes. It must
	// honour ctx's deadline.
	Capture(ctx context.Context, host, uuid string) ([]byte, error)
}

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// maxScreenshot bounds one stored screenshot.
const maxScreenshot = 16 << 20

// shotStore keeps snapshot screenshots under <data dir>/snapshots/<host>/
// <uuid>/<creation time>-<hex name>.png. The creation time in the file name
// keeps a screenshot from being shown for a different snapshot that was
// later given the same name; the hex name makes any name a safe file name.
type shotStore struct {
	dir string // "" stores nothing
}

func (st shotStore) vmDir(hostName, uuid string) string {
	return filepath.Join(st.dir, hostName, uuid)
}

func shotFile(name string, created time.Time) string {
	return strconv.FormatInt(created.Unix(), 10) + "-" + hex.EncodeToString([]byte(name)) + ".png"
}

// save stores a PNG for a snapshot, atomically.
func (st shotStore) save(hostName, uuid, name string, created time.Time, png []byte) error {
	if st.dir == "" {
		return errors.New("no data directory for screenshots")
	}
	if !bytes.HasPrefix(png, pngMagic) {
		return errors.New("the console screenshot is not a PNG image")
	}
	if len(png) > maxScreenshot {
		return fmt.Errorf("the console screenshot is larger than %d MiB", maxScreenshot>>20)
	}
	dir := st.vmDir(hostName, uuid)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create screenshot directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*.png")
	if err != nil {
		return fmt.Errorf("store screenshot: %w", err)
	}
	_, werr := tmp.Write(png)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store screenshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, shotFile(name, created))); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store screenshot: %w", err)
	}
	return nil
}

// read returns a snapshot's screenshot, or fs.ErrNotExist.
func (st shotStore) read(hostName, uuid, name string, created time.Time) ([]byte, error) {
	if st.dir == "" {
		return nil, fs.ErrNotExist
	}
	return os.ReadFile(filepath.Join(st.vmDir(hostName, uuid), shotFile(name, created)))
}

// index returns the screenshot file names stored for a VM.
func (st shotStore) index(hostName, uuid string) map[string]bool {
	out := map[string]bool{}
	if st.dir == "" {
		return out
	}
	ents, err := os.ReadDir(st.vmDir(hostName, uuid))
	if err != nil {
		return out
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			out[e.Name()] = true
		}
	}
	return out
}

// prune removes screenshots of snapshots that no longer exist. keep holds
// the file names (shotFile) of the snapshots that do.
func (st shotStore) prune(hostName, uuid string, have, keep map[string]bool) {
	for f := range have {
		if !keep[f] {
			_ = os.Remove(filepath.Join(st.vmDir(hostName, uuid), f))
		}
	}
}

// removeNames removes the screenshots of the named snapshots, whatever
// their creation times.
func (st shotStore) removeNames(hostName, uuid string, names []string) {
	if st.dir == "" || len(names) == 0 {
		return
	}
	suffixes := make(map[string]bool, len(names))
	for _, n := range names {
		suffixes["-"+hex.EncodeToString([]byte(n))+".png"] = true
	}
	for f := range st.index(hostName, uuid) {
		if i := strings.IndexByte(f, '-'); i > 0 && suffixes[f[i:]] {
			_ = os.Remove(filepath.Join(st.vmDir(hostName, uuid), f))
		}
	}
}

// removeVM removes every screenshot of a VM.
func (st shotStore) removeVM(hostName, uuid string) error {
	if st.dir == "" {
		return nil
	}
	return os.RemoveAll(st.vmDir(hostName, uuid))
}

// ScreensFunc adapts a function to Screens.
type ScreensFunc func(ctx context.Context, host, uuid string) ([]byte, error)

// Capture implements Screens.
func (f ScreensFunc) Capture(ctx context.Context, host, uuid string) ([]byte, error) {
	return f(ctx, host, uuid)
}
