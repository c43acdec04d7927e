package snapshot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRenameHostMovesScreenshots(t *testing.T) {
	dir := t.TempDir()
	s := &Service{shots: shotStore{dir: dir}}
	if err := os.MkdirAll(filepath.Join(dir, "old", "u1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old", "u1", "1-61.png"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameHost("old", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new", "u1", "1-61.png")); err != nil {
		t.Errorf("not moved: %v", err)
	}
	if err := s.RenameHost("gone", "other"); err != nil {
		t.Errorf("nothing to move: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameHost("new", "x"); err == nil {
		t.Error("moved over an existing directory")
	}
}
