package auth

import (
	"crypto/sha256"
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
// ids, so the file cannot be used to log in. TokenID ties the sessions to
// the token they were made with: a new token ends them all.
type storeFile struct {
	TokenID  string          `json:"tokenId"`
	Sessions []storedSession `json:"sessions"`
}

type storedSession struct {
	Key      string    `json:"key"`
	CSRF     string    `json:"csrf"`
	User     string    `json:"user"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"lastSeen"`
}

// tokenID identifies the token without revealing it (a domain-separated
// hash; the token itself has 256 bits of entropy when generated).
func (m *Manager) tokenID() string {
	h := sha256.Sum256(append([]byte("kvm-manager sessions\x00"), m.tokenHash[:]...))
	return hex.EncodeToString(h[:])
}

// load reads the store; a missing file is an empty store.
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
	if err := json.Unmarshal(data, &f); err != nil {
		// A damaged store costs users a login, not the server its start.
		return nil
	}
	if f.TokenID != m.tokenID() {
		return nil
	}
	now := m.opts.Now()
	for _, s := range f.Sessions {
		raw, err := hex.DecodeString(s.Key)
		if err != nil || len(raw) != 32 {
			continue
		}
		sess := &Session{CSRF: s.CSRF, User: s.User, Created: s.Created, LastSeen: s.LastSeen}
		if m.expiredLocked(sess, now) {
			continue
		}
		m.sessions[[32]byte(raw)] = sess
	}
	return nil
}

// saveLocked writes the store atomically (temp file, then rename).
func (m *Manager) saveLocked(now time.Time) error {
	m.savedAt, m.dirty = now, false
	if m.opts.StorePath == "" {
		return nil
	}
	f := storeFile{TokenID: m.tokenID(), Sessions: []storedSession{}}
	for k, s := range m.sessions {
		f.Sessions = append(f.Sessions, storedSession{Key: hex.EncodeToString(k[:]), CSRF: s.CSRF, User: s.User, Created: s.Created, LastSeen: s.LastSeen})
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
