package inventory

// State names as the API shows them, indexed by libvirt's virDomainState.
var stateNames = [...]string{
	0: "nostate",
	1: "running",
	2: "blocked",
	3: "paused",
	4: "shutting-down",
	5: "shutoff",
	6: "crashed",
	7: "pmsuspended",
}

// StateName returns the API name of a libvirt domain state.
func StateName(state int32) string {
	if state >= 0 && int(state) < len(stateNames) {
		return stateNames[state]
	}
	return "unknown"
}

// Reason names per state, from libvirt-domain.h. Unknown values become "".
var reasonNames = map[int32][]string{
	1: {"unknown", "booted", "migrated", "restored", "from-snapshot", "unpaused", "migration-canceled", "save-canceled", "wakeup", "crashed", "postcopy", "postcopy-failed"},
	3: {"unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from-snapshot", "shutting-down", "snapshot", "crashed", "starting-up", "postcopy", "postcopy-failed", "api-error"},
	4: {"unknown", "user"},
	5: {"unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon"},
	6: {"unknown", "panicked"},
	7: {"unknown"},
}

// ReasonName returns the API name of a libvirt state reason.
func ReasonName(state, reason int32) string {
	names := reasonNames[state]
	if reason >= 0 && int(reason) < len(names) && reason != 0 {
		return names[reason]
	}
	return ""
}

// Active reports whether a state means the VM has a running QEMU process.
func Active(state string) bool {
	switch state {
	case "running", "blocked", "paused", "shutting-down", "pmsuspended":
		return true
	}
	return false
}
