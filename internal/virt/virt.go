// Package virt is the seam between the services and libvirt: [Conn] is the
// small set of libvirt calls that the services use, [Libvirt] implements it
// over go-libvirt's RPC client, and package virtfake implements it in memory
// so that unit tests can drive the services' logic without libvirtd.
//
// The value types (domains, UUIDs, stats records, error codes) are
// go-libvirt's own, under aliases: the services already speak them, the
// inventory parses go-libvirt's typed parameters, and converting every
// record into a copy of itself would add code without adding meaning. What
// the seam changes is the calls: one method per thing a service does, with
// the flags that only ever take one value left out.
package virt

import (
	"github.com/digitalocean/go-libvirt"
)

// Value types shared with go-libvirt (aliases, so no conversion is needed).
type (
	// Domain names a domain (name, UUID and, when it runs, its ID).
	Domain = libvirt.Domain
	// UUID is a domain's 16-byte UUID.
	UUID = libvirt.UUID
	// DomainSnapshot names one snapshot of a domain.
	DomainSnapshot = libvirt.DomainSnapshot
	// StorageVol names a storage volume.
	StorageVol = libvirt.StorageVol
	// DomainStatsRecord is one domain's typed stats parameters.
	DomainStatsRecord = libvirt.DomainStatsRecord
	// TypedParam is one named, typed value of a stats record.
	TypedParam = libvirt.TypedParam
	// TypedParamValue is the value of a TypedParam.
	TypedParamValue = libvirt.TypedParamValue
	// Error is the error libvirt answers with; its Code is an ErrorNumber.
	Error = libvirt.Error
	// ErrorNumber is a libvirt error code.
	ErrorNumber = libvirt.ErrorNumber
	// DomainState is a libvirt domain state.
	DomainState = libvirt.DomainState
	// DomainXMLFlags selects what a domain's XML includes.
	DomainXMLFlags = libvirt.DomainXMLFlags
	// UndefineFlags selects what undefining a domain removes.
	UndefineFlags = libvirt.DomainUndefineFlagsValues
	// StatsTypes selects the stats groups of AllDomainStats.
	StatsTypes = libvirt.DomainStatsTypes
	// StatsFlags filters and modifies AllDomainStats.
	StatsFlags = libvirt.ConnectGetAllDomainStatsFlags
)

// Error codes the services tell apart.
const (
	ErrNoDomain         = libvirt.ErrNoDomain
	ErrNoDomainSnapshot = libvirt.ErrNoDomainSnapshot
	ErrNoStorageVol     = libvirt.ErrNoStorageVol
	ErrOperationInvalid = libvirt.ErrOperationInvalid
	ErrXMLError         = libvirt.ErrXMLError
)

// Domain states (see DomainState).
const (
	StateNoState     = libvirt.DomainNostate
	StateRunning     = libvirt.DomainRunning
	StateBlocked     = libvirt.DomainBlocked
	StatePaused      = libvirt.DomainPaused
	StateShutdown    = libvirt.DomainShutdown
	StateShutoff     = libvirt.DomainShutoff
	StateCrashed     = libvirt.DomainCrashed
	StatePMSuspended = libvirt.DomainPmsuspended
)

// Flags the services pass.
const (
	// XMLSecure includes passwords in a domain's XML.
	XMLSecure = libvirt.DomainXMLSecure
	// XMLInactive reads the persistent definition, not the live one.
	XMLInactive = libvirt.DomainXMLInactive
	// UndefineManagedSave removes a managed-save image with the definition.
	UndefineManagedSave = libvirt.DomainUndefineManagedSave
	// UndefineKeepNvram keeps a UEFI VM's variable store.
	UndefineKeepNvram = libvirt.DomainUndefineKeepNvram
	// UndefineNvram removes a UEFI VM's variable store.
	UndefineNvram = libvirt.DomainUndefineNvram
	// StatsNowait skips stats that would wait behind a running job.
	StatsNowait = libvirt.ConnectGetAllDomainsStatsNowait
	// StatsActive limits AllDomainStats to running domains.
	StatsActive = libvirt.ConnectGetAllDomainsStatsActive
	// Stats groups.
	StatsState     = libvirt.DomainStatsState
	StatsCPUTotal  = libvirt.DomainStatsCPUTotal
	StatsBalloon   = libvirt.DomainStatsBalloon
	StatsVCPU      = libvirt.DomainStatsVCPU
	StatsInterface = libvirt.DomainStatsInterface
	StatsBlock     = libvirt.DomainStatsBlock
)

// Conn is one live link to a libvirt daemon, as the services use it. A Conn
// must not be kept beyond one piece of work: host replaces it on reconnect.
// Errors are libvirt's own (see [Error]), so host.Problem and host.IsCode
// work on them unchanged.
type Conn interface {
	// ListDomains returns every domain, running or not.
	ListDomains() ([]Domain, error)
	// LookupDomain finds a domain by UUID (ErrNoDomain when there is none).
	LookupDomain(uuid UUID) (Domain, error)
	// State returns a domain's state and the reason for it.
	State(dom Domain) (state, reason int32, err error)
	// XML returns a domain's XML (the live one while it runs).
	XML(dom Domain, flags DomainXMLFlags) (string, error)
	// Autostart reports whether the domain starts with the host.
	Autostart(dom Domain) (bool, error)
	// SetAutostart turns starting with the host on or off.
	SetAutostart(dom Domain, on bool) error
	// Persistent reports whether the domain has a definition (not transient).
	Persistent(dom Domain) (bool, error)

	// Start boots a defined domain.
	Start(dom Domain) error
	// Shutdown asks the guest to power off (ACPI); it returns at once.
	Shutdown(dom Domain) error
	// Reboot asks the guest to reboot.
	Reboot(dom Domain) error
	// Destroy powers the domain off at once (force off).
	Destroy(dom Domain) error
	// Reset resets the domain like a reset button.
	Reset(dom Domain) error
	// Suspend pauses the domain's CPUs.
	Suspend(dom Domain) error
	// Resume runs a paused domain again.
	Resume(dom Domain) error
	// Undefine removes a persistent domain's definition.
	Undefine(dom Domain, flags UndefineFlags) error
	// Define stores a domain definition (new, or replacing the one with the
	// same UUID), validated against libvirt's schema first.
	Define(doc string) (Domain, error)

	// SnapshotCount returns how many snapshots the domain has.
	SnapshotCount(dom Domain) (int, error)
	// LeafSnapshots returns the snapshots that have no children.
	LeafSnapshots(dom Domain) ([]DomainSnapshot, error)
	// DeleteSnapshot deletes one snapshot (its children are re-parented).
	DeleteSnapshot(snap DomainSnapshot) error

	// AllDomainStats reads stats of the given domains (all when doms is
	// nil) in one call.
	AllDomainStats(doms []Domain, types StatsTypes, flags StatsFlags) ([]DomainStatsRecord, error)

	// LookupVolumeByPath finds the storage volume of a file, if a pool
	// holds it.
	LookupVolumeByPath(path string) (StorageVol, error)
	// DeleteVolume deletes a storage volume and its file.
	DeleteVolume(vol StorageVol) error

	// SetMemoryStatsPeriod asks a running domain's balloon driver to report
	// memory statistics every seconds (0 stops it). It changes the running
	// domain only, never its definition, so it must be set again after
	// each start.
	SetMemoryStatsPeriod(dom Domain, seconds int) error
}

// Libvirt implements Conn over go-libvirt's RPC client.
type Libvirt struct {
	l *libvirt.Libvirt
}

// New returns a Conn over a connected go-libvirt client.
func New(l *libvirt.Libvirt) *Libvirt { return &Libvirt{l: l} }

var _ Conn = (*Libvirt)(nil)

// ListDomains implements Conn.
func (c *Libvirt) ListDomains() ([]Domain, error) {
	doms, _, err := c.l.ConnectListAllDomains(1, 0)
	return doms, err
}

// LookupDomain implements Conn.
func (c *Libvirt) LookupDomain(uuid UUID) (Domain, error) { return c.l.DomainLookupByUUID(uuid) }

// State implements Conn.
func (c *Libvirt) State(dom Domain) (int32, int32, error) { return c.l.DomainGetState(dom, 0) }

// XML implements Conn.
func (c *Libvirt) XML(dom Domain, flags DomainXMLFlags) (string, error) {
	return c.l.DomainGetXMLDesc(dom, flags)
}

// Autostart implements Conn.
func (c *Libvirt) Autostart(dom Domain) (bool, error) {
	a, err := c.l.DomainGetAutostart(dom)
	return a == 1, err
}

// SetAutostart implements Conn.
func (c *Libvirt) SetAutostart(dom Domain, on bool) error {
	v := int32(0)
	if on {
		v = 1
	}
	return c.l.DomainSetAutostart(dom, v)
}

// Persistent implements Conn.
func (c *Libvirt) Persistent(dom Domain) (bool, error) {
	p, err := c.l.DomainIsPersistent(dom)
	return p == 1, err
}

// Start implements Conn.
func (c *Libvirt) Start(dom Domain) error { return c.l.DomainCreate(dom) }

// Shutdown implements Conn.
func (c *Libvirt) Shutdown(dom Domain) error { return c.l.DomainShutdown(dom) }

// Reboot implements Conn.
func (c *Libvirt) Reboot(dom Domain) error { return c.l.DomainReboot(dom, 0) }

// Destroy implements Conn.
func (c *Libvirt) Destroy(dom Domain) error { return c.l.DomainDestroyFlags(dom, 0) }

// Reset implements Conn.
func (c *Libvirt) Reset(dom Domain) error { return c.l.DomainReset(dom, 0) }

// Suspend implements Conn.
func (c *Libvirt) Suspend(dom Domain) error { return c.l.DomainSuspend(dom) }

// Resume implements Conn.
func (c *Libvirt) Resume(dom Domain) error { return c.l.DomainResume(dom) }

// Undefine implements Conn.
func (c *Libvirt) Undefine(dom Domain, flags UndefineFlags) error {
	return c.l.DomainUndefineFlags(dom, flags)
}

// Define implements Conn.
func (c *Libvirt) Define(doc string) (Domain, error) {
	return c.l.DomainDefineXMLFlags(doc, libvirt.DomainDefineValidate)
}

// SnapshotCount implements Conn.
func (c *Libvirt) SnapshotCount(dom Domain) (int, error) {
	n, err := c.l.DomainSnapshotNum(dom, 0)
	return int(n), err
}

// LeafSnapshots implements Conn.
func (c *Libvirt) LeafSnapshots(dom Domain) ([]DomainSnapshot, error) {
	snaps, _, err := c.l.DomainListAllSnapshots(dom, 1, uint32(libvirt.DomainSnapshotListLeaves))
	return snaps, err
}

// DeleteSnapshot implements Conn.
func (c *Libvirt) DeleteSnapshot(snap DomainSnapshot) error {
	return c.l.DomainSnapshotDelete(snap, 0)
}

// AllDomainStats implements Conn.
func (c *Libvirt) AllDomainStats(doms []Domain, types StatsTypes, flags StatsFlags) ([]DomainStatsRecord, error) {
	return c.l.ConnectGetAllDomainStats(doms, uint32(types), uint32(flags))
}

// LookupVolumeByPath implements Conn.
func (c *Libvirt) LookupVolumeByPath(path string) (StorageVol, error) {
	return c.l.StorageVolLookupByPath(path)
}

// DeleteVolume implements Conn.
func (c *Libvirt) DeleteVolume(vol StorageVol) error { return c.l.StorageVolDelete(vol, 0) }

// SetMemoryStatsPeriod implements Conn.
func (c *Libvirt) SetMemoryStatsPeriod(dom Domain, seconds int) error {
	return c.l.DomainSetMemoryStatsPeriod(dom, int32(seconds), libvirt.DomainMemLive)
}
