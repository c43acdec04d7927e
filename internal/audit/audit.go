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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Results of an entry.
const (
	ResultOK     = "ok"
	ResultError  = "error"
	ResultDenied = "denied"
)

// Entry is one line of the audit log.
type Entry struct {
	Time       time.Time     `json:"time"`
	User       string        `json:"user"`
	Role       string        `json:"role,omitempty"`
	Client     string        `json:"client"`
	Action     string        `json:"action"`
	Host       string        `json:"host,omitempty"`
	UUID       string        `json:"uuid,omitempty"`
	VM         string        `json:"vm,omitempty"`
	Result     string        `json:"result"`
	Status     int           `json:"status,omitempty"`
	Error      *problem.Info `json:"error,omitempty"` // code and message only: the log records what happened, not advice
	DurationMs int64         `json:"durationMs"`
	Operation  string        `json:"operation,omitempty"`
	Detail     string        `json:"detail,omitempty"`
	// Count is how many attempts a summary of refused logins stands for,
	// and Names the user names they tried (a bounded list).
	Count int      `json:"count,omitempty"`
	Names []string `json:"names,omitempty"`
}

// Options configures a Log.
type Options struct {
	// Path is the file for the actions of authenticated callers; it is
	// created (0600) when missing.
	Path string
	// AnonymousPath is the file for failed logins, which anyone who can
	// reach the port can cause (default: audit-anonymous.log beside Path).
	// Keeping them apart means that no flood of them can rotate away what
	// users did.
	AnonymousPath string
	// MaxSize rotates a file before it grows beyond this many bytes
	// (default 16 MiB).
	MaxSize int64
	// MaxAge rotates a file at the first write after its first line
	// turned this old (default 7 days; negative: never by age).
	MaxAge time.Duration
	// Keep is how many rotated files of Path are kept (default 4: with the
	// defaults at least four weeks, at most 80 MiB). Failed logins keep
	// one rotated file.
	Keep int
	// SummaryInterval is how often refused (throttled) failed logins are
	// written, as one summary line per client address (default 1 min).
	SummaryInterval time.Duration
	// Logger receives write failures (the audit log itself cannot).
	Logger *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Log appends entries to the audit files. A failed write (disk full) does
// not stop the action being audited: the server must keep working, so the
// failure is logged, remembered and shown to admins until a write succeeds.
type Log struct {
	opts Options

	mu      sync.Mutex
	users   file // actions of authenticated callers
	anon    file // failed logins
	pending map[string]*loginSummary
	timer   *time.Timer
	lastErr error
	// failures counts failed writes, for the metrics.
	failures atomic.Uint64
}

// Open opens (or creates) the audit log.
func Open(opts Options) (*Log, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 16 << 20
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 7 * 24 * time.Hour
	}
	if opts.Keep <= 0 {
		opts.Keep = 4
	}
	if opts.SummaryInterval <= 0 {
		opts.SummaryInterval = time.Minute
	}
	if opts.AnonymousPath == "" {
		opts.AnonymousPath = filepath.Join(filepath.Dir(opts.Path), "audit-anonymous.log")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{opts: opts, pending: make(map[string]*loginSummary)}
	l.users = file{path: opts.Path, maxSize: opts.MaxSize, maxAge: opts.MaxAge, keep: opts.Keep, log: opts.Logger}
	l.anon = file{path: opts.AnonymousPath, maxSize: opts.MaxSize, maxAge: opts.MaxAge, keep: 1, log: opts.Logger}
	for _, fl := range []*file{&l.users, &l.anon} {
		if err := fl.open(); err != nil {
			l.users.close()
			return nil, err
		}
		fl.removeStale()
	}
	return l, nil
}

// Path is the audit log's file (of authenticated callers' actions).
func (l *Log) Path() string { return l.opts.Path }

// Write appends e, an action of an authenticated caller. Its error is
// also kept for WriteError.
func (l *Log) Write(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(&l.users, e)
}

// FailedLogin records a failed login. Failed logins are anonymous (anyone
// can cause them), so they go to a file of their own. A refused attempt
// (throttled: the client is locked out) is not written on its own line but
// counted into one summary per client address and SummaryInterval.
func (l *Log) FailedLogin(e Entry, throttled bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !throttled {
		return l.writeLocked(&l.anon, e)
	}
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	l.countLocked(e)
	if l.timer == nil {
		l.timer = time.AfterFunc(l.opts.SummaryInterval, l.flushSummaries)
	}
	return nil
}

// flushSummaries writes the pending summaries of refused logins.
func (l *Log) flushSummaries() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *Log) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	for _, e := range l.summariesLocked() {
		_ = l.writeLocked(&l.anon, e) // failures are logged and shown like any other
	}
	clear(l.pending)
}

func (l *Log) writeLocked(fl *file, e Entry) error {
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	line = append(line, '\n')
	err = fl.write(line, l.opts.Now())
	if err != nil {
		l.failures.Add(1)
	}
	if err != nil && l.lastErr == nil {
		l.opts.Logger.Error("audit log write failed: actions go on, but are not recorded", "path", fl.path, "err", err)
	} else if err == nil && l.lastErr != nil {
		l.opts.Logger.Info("audit log writes work again", "path", fl.path)
	}
	l.lastErr = err
	return err
}

// WriteFailures counts the writes that failed since the log was opened.
func (l *Log) WriteFailures() uint64 { return l.failures.Load() }

// WriteError says why the last write failed, or "" when it succeeded.
func (l *Log) WriteError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr == nil {
		return ""
	}
	return l.lastErr.Error()
}

// Close writes the pending summaries and closes the files.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	return errors.Join(l.users.close(), l.anon.close())
}

// Filter selects entries for Query.
type Filter struct {
	// Before, when set, returns only entries older than it (the first
	// form of paging cursor: the time of the last entry already shown).
	Before time.Time
	// At and Skip are the exact paging cursor (see Cursor): entries at At
	// or older, less the first Skip of those at exactly At, which an
	// earlier page showed. Entries that share a time are not lost between
	// pages, as they can be with Before.
	At   time.Time
	Skip int
	// User, VM and Action match exactly when set; VM matches a name or
	// UUID, User also a name a summary of refused logins lists, and Action
	// also every action below it ("vm" matches "vm.start").
	User, VM, Action string
	// Limit is the most entries returned (default 200, at most 1000).
	Limit int
}

// Cursor says where the next page of a query starts: at time At, after
// the Skip entries at exactly that time that pages so far showed.
type Cursor struct {
	At   time.Time
	Skip int
}

// String is the cursor as the API sends it: "<RFC 3339 time>~<skip>".
func (c Cursor) String() string {
	return c.At.UTC().Format(time.RFC3339Nano) + "~" + strconv.Itoa(c.Skip)
}

// ParseCursor reads a cursor written by Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	at, skip, ok := strings.Cut(s, "~")
	if !ok {
		return Cursor{}, errors.New("a cursor is a time and a count joined by ~")
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Cursor{}, fmt.Errorf("cursor time: %w", err)
	}
	n, err := strconv.Atoi(skip)
	if err != nil || n < 0 {
		return Cursor{}, errors.New("a cursor's count is a number from 0")
	}
	return Cursor{At: t, Skip: n}, nil
}

// Next is the cursor of the page after page, an answer of Query(f).
func (f Filter) Next(page []Entry) Cursor {
	if len(page) == 0 {
		return Cursor{At: f.At, Skip: f.Skip}
	}
	last := page[len(page)-1].Time
	n := 0
	for _, e := range page {
		if e.Time.Equal(last) {
			n++
		}
	}
	if n == len(page) && last.Equal(f.At) {
		n += f.Skip // the whole page shares the cursor's time
	}
	return Cursor{At: last, Skip: n}
}

// Query returns the newest entries that match f, newest first, and
// whether there are more. Both files are read (users' actions and failed
// logins), each from its newest generation back until no older generation
// can hold an entry of this page; summaries of refused logins not yet
// written are included.
//
// Lines are not written in time order: an operation's or a console
// session's line is written when it ends, with the time it started. So a
// newer generation can hold entries older than some in the generation
// before it (a snapshot taken across a rotation), and the order of lines
// says nothing about the order of entries: every answer is sorted.
func (l *Log) Query(f Filter) ([]Entry, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	f.Limit = min(f.Limit, 1000)
	need := f.Limit + f.Skip // entries needed to fill this page and say whether there are more
	var all []Entry
	for _, fl := range []*file{&l.users, &l.anon} {
		var got []Entry
		for i, p := range fl.files() {
			if i > 0 && len(got) > need && !mayHoldNewer(p, got, need) {
				break
			}
			es, err := readFile(p, f)
			if err != nil {
				return nil, false, err
			}
			got = append(got, es...)
		}
		all = append(all, got...)
	}
	l.mu.Lock()
	for _, e := range l.summariesLocked() {
		if f.match(e) {
			all = append(all, e)
		}
	}
	l.mu.Unlock()
	sortNewestFirst(all)
	if f.Skip > 0 {
		skip := 0
		for skip < len(all) && skip < f.Skip && all[skip].Time.Equal(f.At) {
			skip++
		}
		all = all[skip:]
	}
	if len(all) > f.Limit {
		return all[:f.Limit], true, nil
	}
	return all, false, nil
}

// sortNewestFirst orders entries by time, newest first, and entries of the
// same time always the same way, so that a cursor's skip count means the
// same entries from one page to the next.
func sortNewestFirst(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(tieKey(a), tieKey(b))
	})
}

func tieKey(e Entry) string {
	return strings.Join([]string{e.Action, e.User, e.Client, e.Host, e.UUID, e.Operation, e.Detail, e.Result}, "\x00")
}

// mayHoldNewer reports whether the older generation at path may hold an
// entry newer than the need+1-th newest of got. Every entry is written
// after the time it carries, so none in a file is newer than the file's
// last write: the modification time that rotation (a rename) keeps.
func mayHoldNewer(path string, got []Entry, need int) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false // missing: nothing to read
	}
	times := make([]time.Time, len(got))
	for i, e := range got {
		times[i] = e.Time
	}
	slices.SortFunc(times, func(a, b time.Time) int { return b.Compare(a) })
	return !st.ModTime().Before(times[need])
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
	if !f.At.IsZero() && e.Time.After(f.At) {
		return false
	}
	if f.User != "" && e.User != f.User && !slices.Contains(e.Names, f.User) {
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
