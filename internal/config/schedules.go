package config

import (
	"flag"
	"fmt"
)

// Schedules configures the snapshot scheduler (internal/snapschedule).
type Schedules struct {
	// ScheduleRunsPerHost caps the scheduled snapshot runs going on at
	// once on one host; further VMs wait their turn.
	ScheduleRunsPerHost int `json:"schedule-runs-per-host"`
	// ScheduleTestIntervals admits "@every 5s"-style schedules. Tests use
	// it to see several runs in seconds; a real policy runs at most once a
	// minute.
	ScheduleTestIntervals bool `json:"schedule-test-intervals"`
}

// DefaultSchedules are the scheduler's defaults.
func DefaultSchedules() Schedules { return Schedules{ScheduleRunsPerHost: 2} }

func bindSchedules(fs *flag.FlagSet, s *Schedules) {
	fs.IntVar(&s.ScheduleRunsPerHost, "schedule-runs-per-host", s.ScheduleRunsPerHost, "scheduled snapshot runs going on at once on one host (1 to 64)")
	fs.BoolVar(&s.ScheduleTestIntervals, "schedule-test-intervals", s.ScheduleTestIntervals, "allow \"@every 5s\" snapshot schedules (for tests only)")
}

func (s Schedules) validate() error {
	if s.ScheduleRunsPerHost < 1 || s.ScheduleRunsPerHost > 64 {
		return fmt.Errorf("--schedule-runs-per-host %d: use 1 to 64", s.ScheduleRunsPerHost)
	}
	return nil
}
