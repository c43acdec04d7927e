package app

import (
	"log/slog"
	"path/filepath"

	"github.com/kvm-manager/kvm-manager/internal/config"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
)

// recordingEvent is the payload of a "recording" event: a VM's consoles
// started or stopped recording.
type recordingEvent struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	vnc.RecordingStatus
}

// newRecordings opens the console recordings folder and applies the
// retention once at start.
func newRecordings(cfg config.Config, log *slog.Logger) (*recording.Store, error) {
	dir := cfg.RecordingDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "recordings")
	}
	s, err := recording.NewStore(recording.StoreOptions{
		Dir: dir, MaxBytes: int64(cfg.RecordingMaxMiB) << 20, MaxDuration: cfg.RecordingMaxDuration.Duration,
		KeepFor: cfg.RecordingKeepFor.Duration, KeepBytes: int64(cfg.RecordingKeepMiB) << 20,
		MaxActive: cfg.RecordingMaxActive, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	s.Prune()
	return s, nil
}
