package inventory

// State is a VM's state as the API shows it: libvirt's domain state, named.
type State string

// The VM states, one per libvirt virDomainState.
const (
	StateNoState      State = "nostate"
	StateRunning      State = "running"
	StateBlocked      State = "blocked"
	StatePaused       State = "paused"
	StateShuttingDown State = "shutting-down"
	StateShutoff      State = "shutoff"
	StateCrashed      State = "crashed"
	StatePMSuspended  State = "pmsuspended"
	// StateUnknown is a state newer than this code.
	StateUnknown State = "unknown"
)

// stateNames are the states indexed by libvirt's virDomainState.
var stateNames = [...]State{
	0: StateNoState,
	1: StateRunning,
	2: StateBlocked,
	3: StatePaused,
	4: StateShuttingDown,
	5: StateShutoff,
	6: StateCrashed,
	7: StatePMSuspended,
}

// StateName returns the API name of a libvirt domain state.
func StateName(state int32) State {
	if state >= 0 && int(state) < len(stateNames) {
		return stateNames[state]
	}
	return StateUnknown
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
func Active(state State) bool {
	switch state {
	case StateRunning, StateBlocked, StatePaused, StateShuttingDown, StatePMSuspended:
		return true
	}
	return false
}
