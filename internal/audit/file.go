package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// file is one rotating JSON-lines file: path, then path.1 (the newest
// rotated one) up to path.<keep>. It is rotated when a line would take it
// beyond maxSize, or at the first write after its first line turned
// maxAge old. Callers hold the Log's lock.
type file struct {
	path    string
	maxSize int64
	maxAge  time.Duration
	keep    int
	log     *slog.Logger

	f     *os.File
	size  int64
	first time.Time // when the current file got its first line (zero: empty)
}

func (fl *file) open() error {
	f, err := os.OpenFile(fl.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open audit log: %w", err)
	}
	fl.f, fl.size, fl.first = f, st.Size(), time.Time{}
	if fl.size > 0 {
		fl.first = firstTime(fl.path, st.ModTime())
	}
	return nil
}

// firstTime is the time of a file's first line, or fallback when that
// line cannot be read (damaged, or written by hand).
func firstTime(path string, fallback time.Time) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return fallback
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 4096).ReadSlice('\n')
	if err != nil && len(line) == 0 {
		return fallback
	}
	var e struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(line, &e) != nil || e.Time.IsZero() {
		return fallback
	}
	return e.Time
}

// write appends one line (ending in a newline); now is the wall clock.
func (fl *file) write(line []byte, now time.Time) error {
	if fl.f == nil {
		if err := fl.open(); err != nil {
			return err
		}
	}
	if fl.size > 0 && (fl.size+int64(len(line)) > fl.maxSize || (fl.maxAge > 0 && now.Sub(fl.first) >= fl.maxAge)) {
		if err := fl.rotate(); err != nil {
			return err
		}
	}
	n, err := fl.f.Write(line)
	fl.size += int64(n)
	if err != nil {
		if n > 0 {
			// Never leave half a line: the next entry would be glued to it.
			// If the truncate fails too, the reader skips the broken line.
			_ = fl.f.Truncate(fl.size - int64(n))
			fl.size -= int64(n)
		}
		return fmt.Errorf("write audit log: %w", err)
	}
	if fl.first.IsZero() {
		fl.first = now
	}
	return nil
}

// rotate shifts path.N to path.N+1 (dropping the oldest beyond keep) and
// path to path.1, and starts an empty path.
func (fl *file) rotate() error {
	if err := fl.f.Close(); err != nil {
		fl.log.Warn("closing the audit log before rotation failed", "path", fl.path, "err", err)
	}
	fl.f = nil
	for i := fl.keep - 1; i >= 1; i-- {
		if err := os.Rename(fl.gen(i), fl.gen(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate audit log: %w", err)
		}
	}
	if err := os.Rename(fl.path, fl.gen(1)); err != nil {
		return fmt.Errorf("rotate audit log: %w", err)
	}
	return fl.open()
}

// gen is the name of rotated generation i (1 = the newest).
func (fl *file) gen(i int) string { return fl.path + "." + strconv.Itoa(i) }

// files are the file's generations, newest first, including ones that
// do not exist (yet).
func (fl *file) files() []string {
	out := []string{fl.path}
	for i := 1; i <= fl.keep; i++ {
		out = append(out, fl.gen(i))
	}
	return out
}

// removeStale deletes generations beyond keep, left by a larger keep
// before: they would otherwise stay on disk unread forever.
func (fl *file) removeStale() {
	matches, _ := filepath.Glob(fl.path + ".*")
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimPrefix(m, fl.path+"."))
		if err != nil || n <= fl.keep {
			continue
		}
		if err := os.Remove(m); err == nil {
			fl.log.Info("removed an audit log generation beyond the configured number", "path", m, "keep", fl.keep)
		}
	}
}

func (fl *file) close() error {
	if fl.f == nil {
		return nil
	}
	err := fl.f.Close()
	fl.f = nil
	return err
}
