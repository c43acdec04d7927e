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
	return nil
}

// saveLocked writes the store atomically (temp file, then rename).
func (m *Manager) saveLocked(now time.Time) error {
	m.savedAt, m.dirty = now, false
	if m.opts.StorePath == "" {
		return nil
	}
	f := storeFile{Version: storeVersion, Sessions: []storedSession{}}
	for k, s := range m.sessions {
		f.Sessions = append(f.Sessions, storedSession{
			Key: hex.EncodeToString(k[:]), CSRF: s.CSRF, User: s.User, Cred: s.cred,
			Client: s.Client, UserAgent: s.UserAgent, Created: s.Created, LastSeen: s.LastSeen,
		})
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(m.opts.StorePath), ".sessions-*")
	if err != nil {
		return fmt.Errorf("save sessions: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save sessions: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save sessions: %w", err)
	}
	if err := os.Rename(tmp.Name(), m.opts.StorePath); err != nil {
		return fmt.Errorf("save sessions: %w", err)
	}
	return nil
}
