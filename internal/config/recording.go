package config

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

// Recording configures console recordings (internal/console/recording).
type Recording struct {
	// RecordingDir holds the recordings; empty means <data-dir>/recordings.
	RecordingDir string `json:"recording-dir"`
	// RecordingAlwaysRoles and RecordingAlwaysVMs (UUIDs) name consoles
	// that always record, from the moment they open.
	RecordingAlwaysRoles []string `json:"recording-always-roles"`
	RecordingAlwaysVMs   []string `json:"recording-always-vms"`
	// RecordingMaxMiB and RecordingMaxDuration end one recording.
	RecordingMaxMiB      int      `json:"recording-max-mib"`
	RecordingMaxDuration Duration `json:"recording-max-duration"`
	// RecordingKeepFor and RecordingKeepMiB are the retention: older
	// recordings, and the oldest beyond this total, are deleted.
	RecordingKeepFor Duration `json:"recording-keep-for"`
	RecordingKeepMiB int      `json:"recording-keep-mib"`
	// RecordingMaxActive caps the recordings running at once.
	RecordingMaxActive int `json:"recording-max-active"`
	// RecordingsPerSession and RecordingsPerClient cap the recordings
	// running at once that one session (or API-token user), or one client
	// address, started; RecordingStartsPerSession and
	// RecordingStartsPerClient cap their starts in any minute.
	RecordingsPerSession      int `json:"max-recordings-per-session"`
	RecordingsPerClient       int `json:"max-recordings-per-client"`
	RecordingStartsPerSession int `json:"max-recording-starts-per-session"`
	RecordingStartsPerClient  int `json:"max-recording-starts-per-client"`
}

// DefaultRecording are the recording defaults.
func DefaultRecording() Recording {
	return Recording{RecordingMaxMiB: 1024, RecordingMaxDuration: Duration{4 * time.Hour},
		RecordingKeepFor: Duration{30 * 24 * time.Hour}, RecordingKeepMiB: 10240, RecordingMaxActive: 16,
		RecordingsPerSession: 4, RecordingsPerClient: 16, RecordingStartsPerSession: 10, RecordingStartsPerClient: 40}
}

func bindRecording(fs *flag.FlagSet, r *Recording) {
	fs.StringVar(&r.RecordingDir, "recording-dir", r.RecordingDir, "folder for console recordings (default <data-dir>/recordings)")
	list := func(dst *[]string) func(string) error {
		return func(s string) error {
			*dst = nil
			for _, v := range strings.Split(s, ",") {
				if v = strings.TrimSpace(v); v != "" {
					*dst = append(*dst, v)
				}
			}
			return nil
		}
	}
	fs.Func("recording-always-roles", "comma-separated roles whose consoles always record (viewer, operator, admin)", list(&r.RecordingAlwaysRoles))
	fs.Func("recording-always-vms", "comma-separated VM UUIDs whose consoles always record", list(&r.RecordingAlwaysVMs))
	fs.IntVar(&r.RecordingMaxMiB, "recording-max-mib", r.RecordingMaxMiB, "largest console recording in MiB; a recording ends there")
	fs.DurationVar(&r.RecordingMaxDuration.Duration, "recording-max-duration", r.RecordingMaxDuration.Duration, "longest console recording; a recording ends then")
	fs.DurationVar(&r.RecordingKeepFor.Duration, "recording-keep-for", r.RecordingKeepFor.Duration, "console recordings older than this are deleted")
	fs.IntVar(&r.RecordingKeepMiB, "recording-keep-mib", r.RecordingKeepMiB, "console recordings beyond this total (MiB) are deleted, oldest first")
	fs.IntVar(&r.RecordingMaxActive, "recording-max-active", r.RecordingMaxActive, "console recordings running at once (1 to 256)")
	fs.IntVar(&r.RecordingsPerSession, "max-recordings-per-session", r.RecordingsPerSession, "console recordings running at once that one session (or API token) started")
	fs.IntVar(&r.RecordingsPerClient, "max-recordings-per-client", r.RecordingsPerClient, "console recordings running at once started from one client address")
	fs.IntVar(&r.RecordingStartsPerSession, "max-recording-starts-per-session", r.RecordingStartsPerSession, "console recording starts allowed per session (or API token) in any minute")
	fs.IntVar(&r.RecordingStartsPerClient, "max-recording-starts-per-client", r.RecordingStartsPerClient, "console recording starts allowed per client address in any minute")
}

func (r Recording) validate() error {
	for _, role := range r.RecordingAlwaysRoles {
		if x, err := auth.ParseRole(role); err != nil || x == auth.Metrics {
			return fmt.Errorf("--recording-always-roles %q: use viewer, operator or admin", role)
		}
	}
	switch {
	case r.RecordingMaxMiB < 1 || r.RecordingMaxMiB > 1<<20:
		return fmt.Errorf("--recording-max-mib %d: use 1 to 1048576", r.RecordingMaxMiB)
	case r.RecordingKeepMiB < 1:
		return fmt.Errorf("--recording-keep-mib %d: use 1 or more", r.RecordingKeepMiB)
	case r.RecordingMaxDuration.Duration < time.Second:
		return fmt.Errorf("--recording-max-duration %v: use 1s or more", r.RecordingMaxDuration)
	case r.RecordingKeepFor.Duration < time.Minute:
		return fmt.Errorf("--recording-keep-for %v: use 1m or more", r.RecordingKeepFor)
	case r.RecordingMaxActive < 1 || r.RecordingMaxActive > 256:
		return fmt.Errorf("--recording-max-active %d: use 1 to 256", r.RecordingMaxActive)
	}
	for _, c := range []struct {
		name string
		v    int
	}{
		{"max-recordings-per-session", r.RecordingsPerSession}, {"max-recordings-per-client", r.RecordingsPerClient},
		{"max-recording-starts-per-session", r.RecordingStartsPerSession}, {"max-recording-starts-per-client", r.RecordingStartsPerClient},
	} {
		if c.v < 1 || c.v > 1000 {
			return fmt.Errorf("--%s %d: use 1 to 1000", c.name, c.v)
		}
	}
	return nil
}
