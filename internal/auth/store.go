package auth

import (
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// storeFile is the on-disk form of the sessions. Keys are hashes of session
// ids, so the file cannot be used to log in. Each session names the
// credential it was made with: a new token or password ends it.
type storeFile struct {
	Version  int             `json:"version"`
	Sessions []storedSession `json:"sessions"`
}

type storedSession struct {
	Key       string    `json:"key"`
	CSRF      string    `json:"csrf"`
	User      string    `json:"user"`
	Cred      string    `json:"cred"`
	Client    string    `json:"client,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"lastSeen"`
}

const storeVersion = 2

// load reads the store; a missing file is an empty store. Sessions whose
// user is gone, or whose credential changed, are dropped; the role is the
// user's current one.
func (m *Manager) load() error {
	if m.opts.StorePath == "" {
		return nil
	}
	data, err := os.ReadFile(m.opts.StorePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read sessions: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != storeVersion {
		// A damaged or old store costs users a login, not the server its start.
		return nil
	}
	now := m.opts.Now()
	for _, s := range f.Sessions {
		raw, err := hex.DecodeString(s.Key)
		if err != nil || len(raw) != 32 {
			continue
		}
		cred, ok := m.credentialID(s.User)
		if !ok || subtle.ConstantTimeCompare([]byte(cred), []byte(s.Cred)) != 1 {
			continue
		}
		role := Admin
		if s.User != TokenUser {
			role = m.users[s.User].Role
		}
		sess := &Session{
			CSRF: s.CSRF, User: s.User, Role: role, Client: s.Client, UserAgent: s.UserAgent,
			Created: s.Created, LastSeen: s.LastSeen, key: [32]byte(raw), cred: s.Cred,
		}
		if m.expiredLocked(sess, now) {
			continue
		}
		m.startLocked(sess)
		m.sessions[sess.key] = sess
	}
	// A cap lowered since the store was written: the newest sessions stay.
	users := map[string]bool{}
	for _, s := range m.sessions {
		users[s.User] = true
	}
	for u := range users {
		m.capLocked(u, m.opts.MaxSessionsPerUser, now)
	}
	return nil
}

// persist writes the sessions to the store unless it already holds every
// change made so far. The lock on the sessions is held only to copy them;
// encoding and writing happen outside it, one writer at a time. A writer
// takes the newest copy when its turn comes, so concurrent logins share
// one write and the newest state always wins.
func (m *Manager) persist() error {
	if m.opts.StorePath == "" {
		return nil
	}
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	changes := m.changes
	if changes == m.written {
		m.mu.Unlock()
		return nil
	}
	f := storeFile{Version: storeVersion, Sessions: make([]storedSession, 0, len(m.sessions))}
	for k, s := range m.sessions {
		f.Sessions = append(f.Sessions, storedSession{
			Key: hex.EncodeToString(k[:]), CSRF: s.CSRF, User: s.User, Cred: s.cred,
			Client: s.Client, UserAgent: s.UserAgent, Created: s.Created, LastSeen: s.LastSeen,
		})
	}
	m.savedAt = m.opts.Now()
	m.mu.Unlock()
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := m.write(m.opts.StorePath, data); err != nil {
		return fmt.Errorf("save sessions: %w", err)
	}
	m.written = changes
	return nil
}

// writeFileAtomic replaces path with data: a temporary file, then a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sessions-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
