package snapschedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileName is the scheduler's file in the data dir.
const fileName = "snapshot-schedules.json"

// stored is the file's content.
type stored struct {
	Version  int               `json:"version"`
	Policies []Policy          `json:"policies"`
	Status   map[string]Status `json:"status"` // by policy ID
	Owned    []Owned           `json:"owned"`
	Pins     []Pin             `json:"pins"`
}

// load reads the file; a missing file is an empty store.
func load(path string) (stored, error) {
	var st stored
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stored{Version: 1, Status: map[string]Status{}}, nil
	}
	if err != nil {
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse %s: %w", path, err)
	}
	if st.Status == nil {
		st.Status = map[string]Status{}
	}
	return st, nil
}

// save writes the file atomically (a temporary file renamed over it, after
// fsync), so that a crash leaves the old or the new content, never half.
func save(path string, st stored) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".schedules-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
