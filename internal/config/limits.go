package config

import (
	"flag"
	"fmt"
	"time"
)

// Limits are the audit log's retention and the caps on long-lived
// requests (event streams and consoles). They are kept together, beside
// Config, so that each can be found with the other limits in
// docs/security.md ("Audit log retention", "Stream limits").
type Limits struct {
	// AuditMaxSize is the size in MiB at which an audit file is rotated.
	AuditMaxSize int `json:"audit-max-size"`
	// AuditMaxAge rotates an audit file whose first line is this old.
	AuditMaxAge Duration `json:"audit-max-age"`
	// AuditKeep is how many rotated files of users' actions are kept.
	AuditKeep int `json:"audit-keep"`
	// EventStreamsPerSession and EventStreamsPerClient cap open
	// /api/v1/events streams per session (or per API-token user) and per
	// client address.
	EventStreamsPerSession int `json:"max-event-streams-per-session"`
	EventStreamsPerClient  int `json:"max-event-streams-per-client"`
	// ConsolesPerSession and ConsolesPerClient cap open consoles
	// (graphical and serial) per session and per client address.
	ConsolesPerSession int `json:"max-consoles-per-session"`
	ConsolesPerClient  int `json:"max-consoles-per-client"`
	// TransfersPerSession and TransfersPerClient cap volume uploads and
	// downloads running at once per session and per client address.
	TransfersPerSession int `json:"max-transfers-per-session"`
	TransfersPerClient  int `json:"max-transfers-per-client"`
	// TransferIdle is how long an upload may stall (no byte arriving)
	// before it is stopped and its volume removed.
	TransferIdle Duration `json:"transfer-idle"`
}

// DefaultLimits are the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{
		AuditMaxSize: 16, AuditMaxAge: Duration{7 * 24 * time.Hour}, AuditKeep: 4,
		EventStreamsPerSession: 16, EventStreamsPerClient: 64,
		ConsolesPerSession: 8, ConsolesPerClient: 32,
		TransfersPerSession: 4, TransfersPerClient: 8, TransferIdle: Duration{60 * time.Second},
	}
}

// bindLimits registers the limits' flags on fs, bound to l's fields with
// their values as defaults (see bind).
func bindLimits(fs *flag.FlagSet, l *Limits) {
	fs.IntVar(&l.AuditMaxSize, "audit-max-size", l.AuditMaxSize, "MiB at which an audit log file is rotated")
	fs.DurationVar(&l.AuditMaxAge.Duration, "audit-max-age", l.AuditMaxAge.Duration, "an audit log file whose first line is this old is rotated")
	fs.IntVar(&l.AuditKeep, "audit-keep", l.AuditKeep, "rotated audit log files of users' actions to keep")
	fs.IntVar(&l.EventStreamsPerSession, "max-event-streams-per-session", l.EventStreamsPerSession, "open event streams allowed per session (or API token)")
	fs.IntVar(&l.EventStreamsPerClient, "max-event-streams-per-client", l.EventStreamsPerClient, "open event streams allowed per client address")
	fs.IntVar(&l.ConsolesPerSession, "max-consoles-per-session", l.ConsolesPerSession, "open consoles (graphical and serial) allowed per session (or API token)")
	fs.IntVar(&l.ConsolesPerClient, "max-consoles-per-client", l.ConsolesPerClient, "open consoles (graphical and serial) allowed per client address")
	fs.IntVar(&l.TransfersPerSession, "max-transfers-per-session", l.TransfersPerSession, "volume uploads and downloads running at once per session (or API token)")
	fs.IntVar(&l.TransfersPerClient, "max-transfers-per-client", l.TransfersPerClient, "volume uploads and downloads running at once per client address")
	fs.DurationVar(&l.TransferIdle.Duration, "transfer-idle", l.TransferIdle.Duration, "an upload that receives nothing this long is stopped and its volume removed (1s to 1h)")
}

// validate checks the limits and says what is wrong.
func (l Limits) validate() error {
	if l.AuditMaxSize < 1 || l.AuditMaxSize > 4096 {
		return fmt.Errorf("--audit-max-size %d: use 1 to 4096 (MiB)", l.AuditMaxSize)
	}
	if l.AuditMaxAge.Duration < time.Hour || l.AuditMaxAge.Duration > 366*24*time.Hour {
		return fmt.Errorf("--audit-max-age %s: use 1h to 8784h", l.AuditMaxAge)
	}
	if l.AuditKeep < 1 || l.AuditKeep > 100 {
		return fmt.Errorf("--audit-keep %d: use 1 to 100", l.AuditKeep)
	}
	for _, c := range []struct {
		name string
		v    int
	}{
		{"max-event-streams-per-session", l.EventStreamsPerSession}, {"max-event-streams-per-client", l.EventStreamsPerClient},
		{"max-consoles-per-session", l.ConsolesPerSession}, {"max-consoles-per-client", l.ConsolesPerClient},
		{"max-transfers-per-session", l.TransfersPerSession}, {"max-transfers-per-client", l.TransfersPerClient},
	} {
		if c.v < 1 || c.v > 100000 {
			return fmt.Errorf("--%s %d: use 1 to 100000", c.name, c.v)
		}
	}
	if l.TransferIdle.Duration < time.Second || l.TransferIdle.Duration > time.Hour {
		return fmt.Errorf("--transfer-idle %s: use 1s to 1h", l.TransferIdle)
	}
	return nil
}
