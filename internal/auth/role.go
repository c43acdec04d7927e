package auth

import (
	"encoding/json"
	"fmt"
)

// Role is what a user may do. Each role includes the ones below it, so a
// check is one comparison: p.Role >= need.
type Role int

// The roles, weakest first.
const (
	// Viewer sees VMs, their stats, operations and snapshot lists.
	Viewer Role = iota + 1
	// Operator also powers VMs, opens consoles and manages snapshots.
	Operator
	// Admin also deletes VMs, edits their definitions, reads the audit log
	// and manages everyone's sessions.
	Admin
)

// Metrics may read GET /metrics and nothing else: a user (or the metrics
// token) for a Prometheus server. It stands outside the order above (below
// every other role), so that a p.Role >= need check never lets it in;
// Allows is the one place that lets it read the metrics.
const Metrics Role = -1

// Allows reports whether r may call a route that needs need. Each role
// includes the ones below it; the metrics route is open to Metrics and
// Admin only.
func (r Role) Allows(need Role) bool {
	if need == Metrics {
		return r == Metrics || r >= Admin
	}
	return r >= need && r > 0
}

// ParseRole reads a role name from the configuration.
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return Viewer, nil
	case "operator":
		return Operator, nil
	case "admin":
		return Admin, nil
	case "metrics":
		return Metrics, nil
	}
	return 0, fmt.Errorf("role %q: use viewer, operator, admin or metrics", s)
}

// String returns the role's name as configured.
func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Operator:
		return "operator"
	case Admin:
		return "admin"
	case Metrics:
		return "metrics"
	}
	return "none"
}

// MarshalJSON writes the role's name.
func (r Role) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads a role's name.
func (r *Role) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a role must be a string")
	}
	v, err := ParseRole(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// permissions are what the web UI needs to know to offer only what the
// server will allow; the server itself checks roles, not these names.
var permissions = []struct {
	name string
	min  Role
}{
	{"vm.read", Viewer},
	{"vm.power", Operator},
	{"vm.console", Operator},
	{"vm.snapshot", Operator},
	{"vm.create", Operator},
	{"vm.delete", Admin},
	{"vm.edit", Admin},
	{"audit.read", Admin},
	{"sessions.manage", Admin},
	{"hosts.manage", Admin},
}

// Permissions lists the named permissions r has.
func (r Role) Permissions() []string {
	out := []string{}
	for _, p := range permissions {
		if r >= p.min {
			out = append(out, p.name)
		}
	}
	return out
}
