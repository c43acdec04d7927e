// Package snapschedule takes snapshots on schedules and prunes them with
// retention rules: policies (a cron schedule, a name pattern, memory or
// disk-only, whether to run while the VM is off, keep-last/-hourly/-daily/
// -weekly/-monthly/-yearly as Proxmox Backup Server prunes) attached to VMs
// or to all VMs of a host.
//
// A policy prunes only its own snapshots: every snapshot a run takes is
// recorded in the data dir by VM UUID, snapshot name and creation time, so
// a snapshot made by hand or by another policy is never touched, even when
// its name matches. Pinned snapshots (a flag kept here too) are never
// pruned. The scheduler is persisted: a slot missed while the server was
// down runs once at start, and its result says so. Each VM's run is an
// operation (visible, audited), at most N at once per host; a run is
// skipped with its reason when the VM's pool is over 90 % full or other
// work holds the VM; three failures in a row raise an alert (a "schedule"
// event the dashboard and the status bar show).
package snapschedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Limits on what a client may store.
const (
	MaxPolicies        = 200
	MaxTargets         = 500
	MaxNameLen         = 32
	MaxDescriptionLen  = 500
	AlertAfterFailures = 3
	// FullPercent is the pool fill above which runs are skipped.
	FullPercent = 90.0
)

// Target is what a policy applies to: one VM (Host and UUID), or every VM
// of a host (Host and AllVMs).
type Target struct {
	Host   string `json:"host"`
	UUID   string `json:"uuid,omitempty"`
	AllVMs bool   `json:"allVMs,omitempty"`
}

// Spec is what a client sends to create or replace a policy.
type Spec struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Schedule    string    `json:"schedule"`
	Retention   Retention `json:"retention"`
	// NamePattern names the snapshots (DefaultPattern when empty).
	NamePattern string `json:"namePattern"`
	// Memory takes the memory of running VMs too; otherwise snapshots are
	// disk-only, quiesced when the guest agent is connected and marked
	// crash-consistent when it is not.
	Memory bool `json:"memory"`
	// RunWhileOff snapshots shut-off VMs too (disk-only).
	RunWhileOff bool     `json:"runWhileOff"`
	Enabled     *bool    `json:"enabled"`
	Targets     []Target `json:"targets"`
}

// Policy is a stored policy.
type Policy struct {
	ID string `json:"id"`
	Spec
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// enabled reports whether the policy runs.
func (p Policy) enabled() bool { return p.Enabled == nil || *p.Enabled }

func invalid(code, msg, hint string) error {
	return problem.New(problem.Invalid, code, msg, hint)
}

// checked is a validated Spec with its parsed parts.
type checked struct {
	spec     Spec
	schedule Schedule
	pattern  Pattern
}

// check validates a spec; it changes nothing.
func check(sp Spec, allowEvery bool) (checked, error) {
	c := checked{spec: sp}
	if err := checkPolicyName(sp.Name); err != nil {
		return c, err
	}
	if len(sp.Description) > MaxDescriptionLen {
		return c, invalid(problem.CodeInvalidPolicy, fmt.Sprintf("the description is longer than %d bytes", MaxDescriptionLen), "shorten it")
	}
	var err error
	if c.schedule, err = ParseSchedule(sp.Schedule, allowEvery); err != nil {
		return c, invalid(problem.CodeInvalidSchedule, fmt.Sprintf("schedule %q is not valid: %v", problem.Clip(sp.Schedule), err), ScheduleRule)
	}
	if err := sp.Retention.Validate(); err != nil {
		return c, invalid(problem.CodeInvalidRetention, "the retention is not valid: "+err.Error(), "give each keep option a count from 0 to 1000; all 0 keeps every snapshot")
	}
	if c.spec.NamePattern == "" {
		c.spec.NamePattern = DefaultPattern
	}
	if c.pattern, err = ParsePattern(c.spec.NamePattern, sp.Name); err != nil {
		msg := err.Error()
		if p, ok := problem.As(err); ok {
			msg = p.Message
		}
		return c, invalid(problem.CodeInvalidNamePattern, fmt.Sprintf("name pattern %q is not valid: %s", problem.Clip(c.spec.NamePattern), msg), PatternRule)
	}
	if len(sp.Targets) > MaxTargets {
		return c, invalid(problem.CodeInvalidPolicy, fmt.Sprintf("the policy names %d targets; at most %d are allowed", len(sp.Targets), MaxTargets), "attach it to all VMs of a host instead")
	}
	seen := map[string]bool{}
	c.spec.Targets = make([]Target, 0, len(sp.Targets))
	for _, t := range sp.Targets {
		if t.Host == "" || len(t.Host) > 64 {
			return c, invalid(problem.CodeInvalidPolicy, "a target has no host", `give each target a "host" and a "uuid", or "allVMs": true`)
		}
		switch {
		case t.AllVMs && t.UUID != "":
			return c, invalid(problem.CodeInvalidPolicy, "a target names a VM and all VMs at once", `send either "uuid" or "allVMs": true`)
		case !t.AllVMs:
			u, err := host.ParseUUID(strings.ToLower(t.UUID))
			if err != nil {
				return c, invalid(problem.CodeInvalidPolicy, fmt.Sprintf("target UUID %q is not a UUID", problem.Clip(t.UUID)), "use the VM's UUID from GET /api/v1/vms")
			}
			t.UUID = host.FormatUUID(u)
		}
		if k := t.Host + "/" + t.UUID; !seen[k] {
			seen[k] = true
			c.spec.Targets = append(c.spec.Targets, t)
		}
	}
	return c, nil
}

// checkPolicyName: policy names go into snapshot names, so they follow
// a stricter form of the snapshot name rule.
func checkPolicyName(n string) error {
	ok := n != "" && len(n) <= MaxNameLen
	for i := 0; ok && i < len(n); i++ {
		c := n[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))
	}
	if !ok {
		return invalid(problem.CodeInvalidPolicy, fmt.Sprintf("policy name %q is not allowed", problem.Clip(n)),
			fmt.Sprintf("use 1 to %d letters, digits, '-' and '_', starting with a letter or digit", MaxNameLen))
	}
	return nil
}

// RunResult is how one run of a policy went.
type RunResult struct {
	// Slot is the scheduled time the run stands for.
	Slot     time.Time  `json:"slot"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// State is running, succeeded, failed (at least one VM failed),
	// skipped (every VM skipped) or empty (no VM to run on).
	State string `json:"state"`
	// Missed is set for a run made at start for slots missed while the
	// server was down (Skipped says how many).
	Missed  bool       `json:"missed,omitempty"`
	Skipped int        `json:"missedSlots,omitempty"`
	Message string     `json:"message"`
	VMs     []VMResult `json:"vms"`
}

// VMResult is one VM's part of a run.
type VMResult struct {
	Host        string   `json:"host"`
	UUID        string   `json:"uuid"`
	VM          string   `json:"vm,omitempty"`
	State       string   `json:"state"` // succeeded, failed, skipped
	Operation   string   `json:"operation,omitempty"`
	Snapshot    string   `json:"snapshot,omitempty"`
	Consistency string   `json:"consistency,omitempty"`
	Pruned      []string `json:"pruned"`
	// Reason says why a VM was skipped or failed.
	Reason string `json:"reason,omitempty"`
	Code   string `json:"code,omitempty"`
}

// Run states.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped"
	RunEmpty     = "empty"
)

// Status is a policy's persisted run state.
type Status struct {
	// LastSlot is the last scheduled time handled (run, skipped or missed).
	LastSlot *time.Time `json:"lastSlot,omitempty"`
	// Failures counts failed runs in a row; skips do not change it.
	Failures int        `json:"failures"`
	Last     *RunResult `json:"last,omitempty"`
}

// View is a policy as the API shows it.
type View struct {
	Policy
	// Description is the schedule in words.
	ScheduleText string `json:"scheduleText"`
	// Next are the next three run times, in the server's time zone.
	Next   []time.Time `json:"next"`
	Status Status      `json:"status"`
	// Alert is set after AlertAfterFailures failures in a row.
	Alert bool `json:"alert"`
	// Running reports whether a run is in progress.
	Running bool `json:"running"`
}

// Owned is a snapshot a policy took.
type Owned struct {
	Host        string    `json:"host"`
	UUID        string    `json:"uuid"`
	Name        string    `json:"name"`
	Created     time.Time `json:"created"`
	Policy      string    `json:"policy"` // the policy's ID
	Consistency string    `json:"consistency,omitempty"`
}

// Pin marks a snapshot that is never pruned.
type Pin struct {
	Host    string    `json:"host"`
	UUID    string    `json:"uuid"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func snapKey(hostName, uuid, name string, created time.Time) string {
	return hostName + "/" + uuid + "/" + name + "/" + created.UTC().Format(time.RFC3339)
}
