// Package audit keeps the audit log: one JSON object per line in a file in
// the data dir, for every state-changing action and every console session,
// and answers queries over it for the admins' audit page.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Results of an entry.
const (
	ResultOK     = "ok"
	ResultError  = "error"
	ResultDenied = "denied"
)

// ErrorInfo is the error an action ended with.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Entry is one line of the audit log.
type Entry struct {
	Time       time.Time  `json:"time"`
	User       string     `json:"user"`
	Role       string     `json:"role,omitempty"`
	Client     string     `json:"client"`
	Action     string     `json:"action"`
	Host       string     `json:"host,omitempty"`
	UUID       string     `json:"uuid,omitempty"`
	VM         string     `json:"vm,omitempty"`
	Result     string     `json:"result"`
	Status     int        `json:"status,omitempty"`
	Error      *ErrorInfo `json:"error,omitempty"`
	DurationMs int64      `json:"durationMs"`
	Operation  string     `json:"operation,omitempty"`
	Detail     string     `json:"detail,omitempty"`
}

// Options configures a Log.
type Options struct {
	// Path is the log file; it is created (0600) when missing.
	Path string
	// MaxSize rotates the file to Path+".1" beyond this many bytes
	// (default 16 MiB), so that the log is bounded to twice that.
	MaxSize int64
	// Logger receives write failures (the audit log itself cannot).
	Logger *slog.Logger
}

// Log appends entries to the audit file. A failed write (disk full) does
// not stop the action being audited: the server must keep working, so the
// failure is logged, remembered and shown to admins until a write succeeds.
type Log struct {
	opts Options

	mu      sync.Mutex
	f       *os.File
	size    int64
	lastErr error
}

// Open opens (or creates) the audit log.
func Open(opts Options) (*Log, error) {
	if opts.MaxSize == 0 {
		opts.MaxSize = 16 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	l := &Log{opts: opts}
	if err := l.openLocked(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) openLocked() error {
	f, err := os.OpenFile(l.opts.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open audit log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path is the audit log's file.
func (l *Log) Path() string { return l.opts.Path }

// Write appends e. Its error is also kept for WriteError.
func (l *Log) Write(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	err = l.writeLocked(line)
	if err != nil && l.lastErr == nil {
		l.opts.Logger.Error("audit log write failed: actions go on, but are not recorded", "path", l.opts.Path, "err", err)
	} else if err == nil && l.lastErr != nil {
		l.opts.Logger.Info("audit log writes work again", "path", l.opts.Path)
	}
	l.lastErr = err
	return err
}

func (l *Log) writeLocked(line []byte) error {
	if l.f == nil {
		if err := l.openLocked(); err != nil {
			return err
		}
	}
	if l.size+int64(len(line)) > l.opts.MaxSize {
		if err := l.rotateLocked(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		if n > 0 {
			// Never leave half a line: the next entry would be glued to it.
			// If the truncate fails too, the reader skips the broken line.
			_ = l.f.Truncate(l.size - int64(n))
			l.size -= int64(n)
		}
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

func (l *Log) rotateLocked() error {
	if err := l.f.Close(); err != nil {
		l.opts.Logger.Warn("closing the audit log before rotation failed", "err", err)
	}
	l.f = nil
	if err := os.Rename(l.opts.Path, l.opts.Path+".1"); err != nil {
		return fmt.Errorf("rotate audit log: %w", err)
	}
	return l.openLocked()
}

// WriteError says why the last write failed, or "" when it succeeded.
func (l *Log) WriteError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr == nil {
		return ""
	}
	return l.lastErr.Error()
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Filter selects entries for Query.
type Filter struct {
	// Before, when set, returns only entries older than it (the paging
	// cursor: the time of the last entry already shown).
	Before time.Time
	// User, VM and Action match exactly when set; VM matches a name or UUID.
	User, VM, Action string
	// Limit is the most entries returned (default 200, at most 1000).
	Limit int
}

// Query returns the newest entries that match f, newest first, and
// whether there are more.
func (l *Log) Query(f Filter) ([]Entry, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	f.Limit = min(f.Limit, 1000)
	var all []Entry
	// The rotated file holds the older half.
	for _, p := range []string{l.opts.Path + ".1", l.opts.Path} {
		es, err := readFile(p, f)
		if err != nil {
			return nil, false, err
		}
		all = append(all, es...)
	}
	// Files are in time order; answer newest first.
	out := make([]Entry, 0, min(len(all), f.Limit))
	for i := len(all) - 1; i >= 0 && len(out) < f.Limit; i-- {
		out = append(out, all[i])
	}
	return out, len(all) > len(out), nil
}

func readFile(path string, f Filter) ([]Entry, error) {
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer file.Close()
	var out []Entry
	r := bufio.NewReaderSize(file, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var e Entry
			// A damaged line (a crash mid-write, a hand edit) is skipped,
			// not fatal: the rest of the log still matters.
			if json.Unmarshal(line, &e) == nil && f.match(e) {
				out = append(out, e)
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
	}
}

func (f Filter) match(e Entry) bool {
	if !f.Before.IsZero() && !e.Time.Before(f.Before) {
		return false
	}
	if f.User != "" && e.User != f.User {
		return false
	}
	if f.Action != "" && e.Action != f.Action && !strings.HasPrefix(e.Action, f.Action+".") {
		return false
	}
	if f.VM != "" && e.VM != f.VM && e.UUID != f.VM {
		return false
	}
	return true
}
