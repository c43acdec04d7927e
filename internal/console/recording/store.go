package recording

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Ext is the file name extension of recordings.
const Ext = ".kvmrec"

// StoreOptions configures a Store. Zero fields take the defaults.
type StoreOptions struct {
	// Dir holds the recordings, one file per console session.
	Dir string
	// MaxBytes ends a recording that grows past it (default 1 GiB).
	MaxBytes int64
	// MaxDuration ends a recording that runs longer (default 4 h).
	MaxDuration time.Duration
	// KeepFor deletes recordings older than it (default 30 days).
	KeepFor time.Duration
	// KeepBytes deletes the oldest recordings while all together are
	// larger (default 10 GiB).
	KeepBytes int64
	// MaxActive bounds the recordings running at once (default 16).
	MaxActive int
	Logger    *slog.Logger
}

// Store keeps recording files in a directory and enforces retention.
type Store struct {
	opts   StoreOptions
	log    *slog.Logger
	mu     sync.Mutex
	active map[string]bool
}

// NewStore makes the directory if needed.
func NewStore(opts StoreOptions) (*Store, error) {
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.MaxDuration == 0 {
		opts.MaxDuration = 4 * time.Hour
	}
	if opts.KeepFor == 0 {
		opts.KeepFor = 30 * 24 * time.Hour
	}
	if opts.KeepBytes == 0 {
		opts.KeepBytes = 10 << 30
	}
	if opts.MaxActive == 0 {
		opts.MaxActive = 16
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("make the recordings directory: %w", err)
	}
	return &Store{opts: opts, log: opts.Logger, active: make(map[string]bool)}, nil
}

// Options returns the store's options with defaults filled in.
func (s *Store) Options() StoreOptions { return s.opts }

// Problems the store answers.
var (
	ErrNotFound = problem.New(problem.NotFound, "recording_not_found", "there is no such recording",
		"list the recordings again; it may have been deleted or expired")
	ErrBusy = problem.New(problem.Conflict, "recording_limit",
		"too many console recordings are running", "stop a recording first, or raise recording.max_active in the configuration")
	ErrActive = problem.New(problem.Conflict, "recording_active", "the recording is still running",
		"stop the recording first")
)

var idRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)

// Active is a recording being written: Close ends it.
type Active struct {
	ID string
	W  *Writer
	f  *os.File
	s  *Store
	// once guards Close.
	once sync.Once
	err  error
}

// Create starts a new recording file for h (its ID and Started are set).
func (s *Store) Create(h Header) (*Active, error) {
	s.mu.Lock()
	if len(s.active) >= s.opts.MaxActive {
		s.mu.Unlock()
		return nil, ErrBusy
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	now := time.Now().UTC()
	id := now.Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:])
	s.active[id] = true
	s.mu.Unlock()
	h.ID, h.Started = id, now
	f, err := os.OpenFile(filepath.Join(s.opts.Dir, id+Ext), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err == nil {
		var w *Writer
		if w, err = NewWriter(f, h, nil); err == nil {
			return &Active{ID: id, W: w, f: f, s: s}, nil
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	s.mu.Lock()
	delete(s.active, id)
	s.mu.Unlock()
	return nil, fmt.Errorf("create a console recording: %w", err)
}

// Close ends the recording (index written, file closed) and applies the
// retention rules.
func (a *Active) Close() error {
	a.once.Do(func() {
		a.err = a.W.Close()
		if err := a.f.Close(); a.err == nil {
			a.err = err
		}
		a.s.mu.Lock()
		delete(a.s.active, a.ID)
		a.s.mu.Unlock()
		a.s.Prune()
	})
	return a.err
}

// Info describes a recording in a list.
type Info struct {
	ID        string        `json:"id"`
	Host      string        `json:"host"`
	UUID      string        `json:"uuid"`
	VMName    string        `json:"vmName"`
	User      string        `json:"user"`
	Reason    string        `json:"reason,omitempty"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"-"`
	Seconds   float64       `json:"duration"`
	Size      int64         `json:"size"`
	Active    bool          `json:"active"`
	Keyframes int           `json:"keyframes"`
}

// List returns the recordings, newest first. Files that cannot be read
// are left out (and logged).
func (s *Store) List() ([]Info, error) {
	ents, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("read the recordings directory: %w", err)
	}
	var out []Info
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), Ext)
		if !ok || !idRE.MatchString(id) {
			continue
		}
		in, err := s.Stat(id)
		if err != nil {
			s.log.Debug("unreadable recording", "id", id, "err", err)
			continue
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Info) int { return b.Started.Compare(a.Started) })
	return out, nil
}

// Stat describes one recording.
func (s *Store) Stat(id string) (Info, error) {
	f, rd, err := s.Open(id)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	h := rd.Header()
	s.mu.Lock()
	active := s.active[id]
	s.mu.Unlock()
	return Info{ID: id, Host: h.Host, UUID: h.UUID, VMName: h.VMName, User: h.User, Reason: h.Reason,
		Started: h.Started, Duration: rd.Duration(), Seconds: rd.Duration().Seconds(), Size: st.Size(), Active: active,
		Keyframes: len(rd.Index())}, nil
}

// Path returns the file of recording id (ErrNotFound for a malformed id).
func (s *Store) Path(id string) (string, error) {
	if !idRE.MatchString(id) {
		return "", ErrNotFound
	}
	return filepath.Join(s.opts.Dir, id+Ext), nil
}

// Open opens recording id for reading. A running recording can be read up
// to its last whole chunk.
func (s *Store) Open(id string) (*os.File, *Reader, error) {
	p, err := s.Path(id)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open recording: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	rd, err := Open(f, st.Size())
	if err != nil {
		_ = f.Close()
		return nil, nil, problem.Wrap(err, problem.Invalid, "recording_damaged",
			"the recording file is damaged", "download it for inspection, or delete it")
	}
	return f, rd, nil
}

// Delete removes a recording that is not running.
func (s *Store) Delete(id string) error {
	p, err := s.Path(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	active := s.active[id]
	s.mu.Unlock()
	if active {
		return ErrActive
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	} else if err != nil {
		return fmt.Errorf("delete recording: %w", err)
	}
	return nil
}

// Prune deletes finished recordings older than KeepFor, then the oldest
// while all recordings together are larger than KeepBytes.
func (s *Store) Prune() {
	ents, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return
	}
	type file struct {
		id   string
		mod  time.Time
		size int64
	}
	var files []file
	var total int64
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), Ext)
		if !ok || !idRE.MatchString(id) {
			continue
		}
		in, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{id, in.ModTime(), in.Size()})
		total += in.Size()
	}
	// IDs begin with the start time: oldest first.
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.id, b.id) })
	now := time.Now()
	for _, f := range files {
		s.mu.Lock()
		active := s.active[f.id]
		s.mu.Unlock()
		if active {
			continue
		}
		if now.Sub(f.mod) > s.opts.KeepFor || total > s.opts.KeepBytes {
			if err := os.Remove(filepath.Join(s.opts.Dir, f.id+Ext)); err == nil {
				total -= f.size
				s.log.Info("console recording deleted by retention", "id", f.id)
			}
		}
	}
}
