package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RenameHost moves the stored screenshots of a host's snapshots to the
// host's new name, so that a renamed host's snapshots keep their pictures.
// The host must be stopped (no snapshot being taken on it). A host without
// screenshots, or a server without a data dir, has nothing to move; when
// the new name already has a directory (left by a removed host of that
// name) it is left alone and the old one stays.
func (s *Service) RenameHost(oldName, newName string) error {
	if s.shots.dir == "" {
		return nil
	}
	from, to := filepath.Join(s.shots.dir, oldName), filepath.Join(s.shots.dir, newName)
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("snapshot screenshots of host %q not moved: %s already exists", oldName, to)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("move snapshot screenshots of host %q: %w", oldName, err)
	}
	return nil
}
