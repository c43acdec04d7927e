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
	"errors"
	"io"
	"net"
	"time"

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
	// StoragePool names a storage pool (name and UUID).
	StoragePool = libvirt.StoragePool
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
	// SnapshotXMLFlags selects what a snapshot's XML includes.
	SnapshotXMLFlags = libvirt.DomainSnapshotXMLFlags
	// SnapshotListFlags selects which snapshots SnapshotChildren lists.
	SnapshotListFlags = libvirt.DomainSnapshotListFlags
	// SnapshotCreateFlags selects how CreateSnapshot takes a snapshot.
	SnapshotCreateFlags = libvirt.DomainSnapshotCreateFlags
	// SnapshotRevertFlags selects the state a revert leaves the domain in.
	SnapshotRevertFlags = libvirt.DomainSnapshotRevertFlags
	// PausedReason says why a paused domain is paused (State's reason).
	PausedReason = libvirt.DomainPausedReason
	// ShutoffReason says why a shut-off domain is off (State's reason).
	ShutoffReason = libvirt.DomainShutoffReason
)

// Error codes the services tell apart.
const (
	ErrNoDomain         = libvirt.ErrNoDomain
	ErrNoDomainSnapshot = libvirt.ErrNoDomainSnapshot
	ErrNoStorageVol     = libvirt.ErrNoStorageVol
	ErrNoStoragePool    = libvirt.ErrNoStoragePool
	// ErrStorageVolExist: a volume of that name is already in the pool.
	ErrStorageVolExist  = libvirt.ErrStorageVolExist
	ErrOperationInvalid = libvirt.ErrOperationInvalid
	ErrXMLError         = libvirt.ErrXMLError
	// ErrInvalidArg is libvirt's "invalid argument" (a volume shrink without its flag).
	ErrInvalidArg = libvirt.ErrInvalidArg
	// ErrOperationFailed is libvirt's generic "operation failed".
	ErrOperationFailed      = libvirt.ErrOperationFailed
	ErrInternalError        = libvirt.ErrInternalError
	ErrOperationUnsupported = libvirt.ErrOperationUnsupported
	ErrArgumentUnsupported  = libvirt.ErrArgumentUnsupported
	ErrAgentUnresponsive    = libvirt.ErrAgentUnresponsive
	// ErrRPC is what a console stream ends with when another client takes
	// the console over.
	ErrRPC = libvirt.ErrRPC
	// ErrSnapshotRevertRisky is libvirt's refusal of a revert that needs
	// SnapshotRevertForce.
	ErrSnapshotRevertRisky = libvirt.ErrSnapshotRevertRisky
)

// ErrInterrupted is what a call answers when its link closed while it
// waited for the answer (go-libvirt's own sentinel, not a libvirt error):
// what the call did is then unknown.
var ErrInterrupted = libvirt.ErrInterrupted

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

// Reasons the services tell apart (see State).
const (
	// PausedSave: paused while its state is saved (a snapshot with memory
	// interrupted by a libvirtd restart leaves it so).
	PausedSave = libvirt.DomainPausedSave
	// PausedSnapshot: paused while a snapshot is taken.
	PausedSnapshot = libvirt.DomainPausedSnapshot
	// ShutoffDaemon: libvirtd stopped the domain (for example when it could
	// not reconnect to its QEMU after a restart).
	ShutoffDaemon = libvirt.DomainShutoffDaemon
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
	// UndefineSnapshotsMetadata removes the snapshots' metadata with the
	// definition (their data stays in the disk images).
	UndefineSnapshotsMetadata = libvirt.DomainUndefineSnapshotsMetadata
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

	// SnapshotXMLSecure includes passwords in a snapshot's XML.
	SnapshotXMLSecure = libvirt.DomainSnapshotXMLSecure
	// SnapshotListDescendants lists all descendants, not only children.
	SnapshotListDescendants = libvirt.DomainSnapshotListDescendants
	// SnapshotListLeaves lists only snapshots without children.
	SnapshotListLeaves = libvirt.DomainSnapshotListLeaves
	// SnapshotListExternal lists only external snapshots.
	SnapshotListExternal = libvirt.DomainSnapshotListExternal
	// SnapshotCreateAtomic: all disks or none.
	SnapshotCreateAtomic = libvirt.DomainSnapshotCreateAtomic
	// SnapshotCreateDiskOnly: disks only, as external overlays.
	SnapshotCreateDiskOnly = libvirt.DomainSnapshotCreateDiskOnly
	// SnapshotCreateQuiesce: freeze the guest's file systems (guest agent).
	SnapshotCreateQuiesce = libvirt.DomainSnapshotCreateQuiesce
	// SnapshotRevertRunning runs the domain after the revert.
	SnapshotRevertRunning = libvirt.DomainSnapshotRevertRunning
	// SnapshotRevertPaused leaves the domain paused after the revert.
	SnapshotRevertPaused = libvirt.DomainSnapshotRevertPaused
	// SnapshotRevertForce accepts a risky revert.
	SnapshotRevertForce = libvirt.DomainSnapshotRevertForce
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
	// ListSnapshots returns every snapshot of the domain.
	ListSnapshots(dom Domain) ([]DomainSnapshot, error)
	// LookupSnapshot finds a snapshot by name (ErrNoDomainSnapshot when
	// there is none).
	LookupSnapshot(dom Domain, name string) (DomainSnapshot, error)
	// CurrentSnapshot returns the domain's current snapshot
	// (ErrNoDomainSnapshot when it has none).
	CurrentSnapshot(dom Domain) (DomainSnapshot, error)
	// SnapshotIsCurrent reports whether snap is its domain's current
	// snapshot.
	SnapshotIsCurrent(snap DomainSnapshot) (bool, error)
	// SnapshotXML returns a snapshot's XML (with the domain definition
	// captured with it).
	SnapshotXML(snap DomainSnapshot, flags SnapshotXMLFlags) (string, error)
	// SnapshotChildren lists a snapshot's children, or with
	// SnapshotListDescendants all its descendants, filtered by
	// SnapshotListLeaves and SnapshotListExternal.
	SnapshotChildren(snap DomainSnapshot, flags SnapshotListFlags) ([]DomainSnapshot, error)
	// CreateSnapshot takes a new snapshot as doc defines it; it becomes
	// the current one, a child of the one current before.
	CreateSnapshot(dom Domain, doc string, flags SnapshotCreateFlags) (DomainSnapshot, error)
	// RedefineSnapshot replaces the metadata of an existing snapshot with
	// doc (a description edit); current makes it the current one again.
	RedefineSnapshot(dom Domain, doc string, current bool) error
	// RevertSnapshot reverts the domain to snap, which becomes current.
	RevertSnapshot(snap DomainSnapshot, flags SnapshotRevertFlags) error

	// JobRunning reports whether a job (a snapshot, a migration, a save:
	// anyone's) runs on the domain.
	JobRunning(dom Domain) (bool, error)
	// JobStats returns the statistics of the domain's running job (none
	// when no job runs).
	JobStats(dom Domain) ([]TypedParam, error)

	// LibVersion returns the daemon's libvirt version as major*1,000,000 +
	// minor*1,000 + release.
	LibVersion() (uint64, error)

	// AllDomainStats reads stats of the given domains (all when doms is
	// nil) in one call.
	AllDomainStats(doms []Domain, types StatsTypes, flags StatsFlags) ([]DomainStatsRecord, error)

	// LookupVolumeByPath finds the storage volume of a file, if a pool
	// holds it.
	LookupVolumeByPath(path string) (StorageVol, error)
	// DeleteVolume deletes a storage volume and its file.
	DeleteVolume(vol StorageVol) error

	// ListPools returns every storage pool, active or not.
	ListPools() ([]StoragePool, error)
	// LookupPool finds a pool by name (ErrNoStoragePool when there is none).
	LookupPool(name string) (StoragePool, error)
	// PoolInfo returns a pool's state and sizes (libvirt refreshes
	// nothing for it: see RefreshPool).
	PoolInfo(pool StoragePool) (PoolInfo, error)
	// PoolXML returns a pool's definition.
	PoolXML(pool StoragePool) (string, error)
	// PoolAutostart reports whether the pool starts with the daemon.
	PoolAutostart(pool StoragePool) (bool, error)
	// DefinePool stores a new persistent pool definition (not started).
	DefinePool(doc string) (StoragePool, error)
	// BuildPool makes the pool's target (a directory pool's directory).
	BuildPool(pool StoragePool) error
	// StartPool activates a defined pool.
	StartPool(pool StoragePool) error
	// StopPool deactivates a pool; its volumes stay where they are.
	StopPool(pool StoragePool) error
	// RefreshPool rescans an active pool's volumes and sizes.
	RefreshPool(pool StoragePool) error
	// UndefinePool removes an inactive pool's definition; its target and
	// volumes stay on the host.
	UndefinePool(pool StoragePool) error
	// ListVolumes returns an active pool's volumes.
	ListVolumes(pool StoragePool) ([]StorageVol, error)
	// LookupVolume finds a volume of the pool by name (ErrNoStorageVol
	// when there is none).
	LookupVolume(pool StoragePool, name string) (StorageVol, error)
	// VolumeInfo returns a volume's capacity (virtual size) and allocation
	// (bytes used on the host).
	VolumeInfo(vol StorageVol) (capacity, allocation uint64, err error)
	// VolumeXML returns a volume's description (format, path).
	VolumeXML(vol StorageVol) (string, error)
	// CreateVolume creates a volume in the pool as doc describes it.
	CreateVolume(pool StoragePool, doc string) (StorageVol, error)
	// ResizeVolume sets a volume's capacity (virtual size) to capacity
	// bytes; it never shrinks (libvirt refuses without the shrink flag).
	ResizeVolume(vol StorageVol, capacity uint64) error
	// CloneVolume creates a volume in the pool as doc describes it, with
	// the content of src (libvirt copies it; it may take long).
	CloneVolume(pool StoragePool, doc string, src StorageVol) (StorageVol, error)
	// BlockResize grows a running domain's disk (its target, e.g. vda) to
	// size bytes through QEMU, so that the guest sees the new size.
	BlockResize(dom Domain, disk string, size uint64) error
	// UpdateDevice changes a device of the domain (a CD-ROM's media) as
	// doc describes it, live and/or in the definition as flags say.
	UpdateDevice(dom Domain, doc string, flags DeviceModifyFlags) error

	// SetMemoryStatsPeriod asks a running domain's balloon driver to report
	// memory statistics every seconds (0 stops it). It changes the running
	// domain only, never its definition, so it must be set again after
	// each start.
	SetMemoryStatsPeriod(dom Domain, seconds int) error

	// Virtual networks, addresses and the guest agent (network.go).
	NetworkConn
	// Domain capabilities, for creating VMs (create.go).
	CreateConn
	// Block jobs, for merging external snapshots (block.go).
	BlockConn
	// Changes of an existing VM's hardware (hardware.go).
	HardwareConn
}

// PoolInfo is a pool's state and sizes in bytes.
type PoolInfo struct {
	// State is libvirt's virStoragePoolState: PoolInactive, PoolRunning...
	State                           int
	Capacity, Allocation, Available uint64
}

// DeviceModifyFlags say where UpdateDevice applies a change.
type DeviceModifyFlags = libvirt.DomainDeviceModifyFlags

// Where UpdateDevice applies a change: the running domain, its stored
// definition; force ejects media from a locked tray.
const (
	DeviceModifyLive   = libvirt.DomainDeviceModifyLive
	DeviceModifyConfig = libvirt.DomainDeviceModifyConfig
	DeviceModifyForce  = libvirt.DomainDeviceModifyForce
)

// Storage pool states (PoolInfo.State).
const (
	PoolInactive     = int(libvirt.StoragePoolInactive)
	PoolBuilding     = int(libvirt.StoragePoolBuilding)
	PoolRunning      = int(libvirt.StoragePoolRunning)
	PoolDegraded     = int(libvirt.StoragePoolDegraded)
	PoolInaccessible = int(libvirt.StoragePoolInaccessible)
)

// Link is a Conn on a libvirt connection of the caller's own, for a
// stream: go-libvirt delivers stream data from the connection's one reader
// goroutine, so a slow stream consumer would stall every other call on a
// shared link. The caller closes it.
type Link interface {
	Conn
	// OpenConsole connects the domain's first console to in (keyboard)
	// and out (screen) and blocks for the life of the stream: it returns
	// nil when the stream ends cleanly (the VM stopped, or in returned
	// EOF). It first reads in once the console is open. force takes the
	// console over from another client.
	OpenConsole(dom Domain, force bool, in io.Reader, out io.Writer) error
	// Connected reports whether the link is still up.
	Connected() bool
	// Close disconnects the link. It makes a call, which a daemon that
	// stopped answering never answers: links from NewLink bound it and
	// then close their socket; callers of other links bound it themselves.
	// A call stuck on the link may stay stuck after Close (go-libvirt).
	Close() error

	// UploadVolume writes length bytes read from r into the volume from
	// its start, as one stream; it returns when libvirt has them all, or
	// with r's error (libvirt is told to abort the stream then).
	UploadVolume(vol StorageVol, r io.Reader, length uint64) error
	// DownloadVolume writes the volume's content to w, as one stream.
	DownloadVolume(vol StorageVol, w io.Writer) error
}

// Libvirt implements Conn and Link over go-libvirt's RPC client.
type Libvirt struct {
	l *libvirt.Libvirt
	// conn is the client's socket, when known: Close closes it when the
	// polite disconnect does not return.
	conn net.Conn
}

// New returns a Conn over a connected go-libvirt client.
func New(l *libvirt.Libvirt) *Libvirt { return &Libvirt{l: l} }

// NewLink returns a Link over a connected go-libvirt client and its
// socket, whose Close cannot hang: go-libvirt can deadlock a link for good
// (a stream packet that comes after the stream's end blocks its reader
// while it holds the lock every call needs), and then only closing the
// socket lets libvirtd free what the link held.
func NewLink(l *libvirt.Libvirt, conn net.Conn) *Libvirt { return &Libvirt{l: l, conn: conn} }

// linkCloseTimeout bounds the polite disconnect of a Link with a socket.
const linkCloseTimeout = 2 * time.Second

var _ Link = (*Libvirt)(nil)

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

// ListSnapshots implements Conn.
func (c *Libvirt) ListSnapshots(dom Domain) ([]DomainSnapshot, error) {
	snaps, _, err := c.l.DomainListAllSnapshots(dom, 1, 0)
	return snaps, err
}

// LookupSnapshot implements Conn.
func (c *Libvirt) LookupSnapshot(dom Domain, name string) (DomainSnapshot, error) {
	return c.l.DomainSnapshotLookupByName(dom, name, 0)
}

// CurrentSnapshot implements Conn.
func (c *Libvirt) CurrentSnapshot(dom Domain) (DomainSnapshot, error) {
	return c.l.DomainSnapshotCurrent(dom, 0)
}

// SnapshotIsCurrent implements Conn.
func (c *Libvirt) SnapshotIsCurrent(snap DomainSnapshot) (bool, error) {
	cur, err := c.l.DomainSnapshotIsCurrent(snap, 0)
	return cur == 1, err
}

// SnapshotXML implements Conn.
func (c *Libvirt) SnapshotXML(snap DomainSnapshot, flags SnapshotXMLFlags) (string, error) {
	return c.l.DomainSnapshotGetXMLDesc(snap, uint32(flags))
}

// SnapshotChildren implements Conn.
func (c *Libvirt) SnapshotChildren(snap DomainSnapshot, flags SnapshotListFlags) ([]DomainSnapshot, error) {
	snaps, _, err := c.l.DomainSnapshotListAllChildren(snap, 1, uint32(flags))
	return snaps, err
}

// CreateSnapshot implements Conn.
func (c *Libvirt) CreateSnapshot(dom Domain, doc string, flags SnapshotCreateFlags) (DomainSnapshot, error) {
	return c.l.DomainSnapshotCreateXML(dom, doc, uint32(flags))
}

// RedefineSnapshot implements Conn.
func (c *Libvirt) RedefineSnapshot(dom Domain, doc string, current bool) error {
	flags := libvirt.DomainSnapshotCreateRedefine
	if current {
		flags |= libvirt.DomainSnapshotCreateCurrent
	}
	_, err := c.l.DomainSnapshotCreateXML(dom, doc, uint32(flags))
	return err
}

// RevertSnapshot implements Conn.
func (c *Libvirt) RevertSnapshot(snap DomainSnapshot, flags SnapshotRevertFlags) error {
	return c.l.DomainRevertToSnapshot(snap, uint32(flags))
}

// JobRunning implements Conn.
func (c *Libvirt) JobRunning(dom Domain) (bool, error) {
	typ, _, _, _, _, _, _, _, _, _, _, _, err := c.l.DomainGetJobInfo(dom)
	return libvirt.DomainJobType(typ) != libvirt.DomainJobNone, err
}

// JobStats implements Conn.
func (c *Libvirt) JobStats(dom Domain) ([]TypedParam, error) {
	_, params, err := c.l.DomainGetJobStats(dom, 0)
	return params, err
}

// LibVersion implements Conn.
func (c *Libvirt) LibVersion() (uint64, error) { return c.l.ConnectGetLibVersion() }

// OpenConsole implements Link.
func (c *Libvirt) OpenConsole(dom Domain, force bool, in io.Reader, out io.Writer) error {
	var flags uint32
	if force {
		flags = uint32(libvirt.DomainConsoleForce)
	}
	return c.l.DomainOpenConsoleBidirectional(dom, libvirt.OptString{}, in, out, flags)
}

// Connected implements Link.
func (c *Libvirt) Connected() bool { return c.l.IsConnected() }

// Close implements Link. With a known socket it waits at most
// linkCloseTimeout for the disconnect call, then closes the socket.
func (c *Libvirt) Close() error {
	if c.conn == nil {
		return c.l.Disconnect()
	}
	done := make(chan error, 1)
	go func() { done <- c.l.Disconnect() }()
	t := time.NewTimer(linkCloseTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = c.conn.Close()
		return errors.New("libvirt did not answer the disconnect in time; its socket was closed")
	}
}

// ListPools implements Conn.
func (c *Libvirt) ListPools() ([]StoragePool, error) {
	pools, _, err := c.l.ConnectListAllStoragePools(1, 0)
	return pools, err
}

// LookupPool implements Conn.
func (c *Libvirt) LookupPool(name string) (StoragePool, error) {
	return c.l.StoragePoolLookupByName(name)
}

// PoolInfo implements Conn.
func (c *Libvirt) PoolInfo(pool StoragePool) (PoolInfo, error) {
	st, capa, alloc, avail, err := c.l.StoragePoolGetInfo(pool)
	return PoolInfo{State: int(st), Capacity: capa, Allocation: alloc, Available: avail}, err
}

// PoolXML implements Conn.
func (c *Libvirt) PoolXML(pool StoragePool) (string, error) {
	return c.l.StoragePoolGetXMLDesc(pool, 0)
}

// PoolAutostart implements Conn.
func (c *Libvirt) PoolAutostart(pool StoragePool) (bool, error) {
	a, err := c.l.StoragePoolGetAutostart(pool)
	return a == 1, err
}

// DefinePool implements Conn.
func (c *Libvirt) DefinePool(doc string) (StoragePool, error) {
	return c.l.StoragePoolDefineXML(doc, 0)
}

// BuildPool implements Conn.
func (c *Libvirt) BuildPool(pool StoragePool) error {
	return c.l.StoragePoolBuild(pool, libvirt.StoragePoolBuildNew)
}

// StartPool implements Conn.
func (c *Libvirt) StartPool(pool StoragePool) error { return c.l.StoragePoolCreate(pool, 0) }

// StopPool implements Conn.
func (c *Libvirt) StopPool(pool StoragePool) error { return c.l.StoragePoolDestroy(pool) }

// RefreshPool implements Conn.
func (c *Libvirt) RefreshPool(pool StoragePool) error { return c.l.StoragePoolRefresh(pool, 0) }

// UndefinePool implements Conn.
func (c *Libvirt) UndefinePool(pool StoragePool) error { return c.l.StoragePoolUndefine(pool) }

// ListVolumes implements Conn.
func (c *Libvirt) ListVolumes(pool StoragePool) ([]StorageVol, error) {
	vols, _, err := c.l.StoragePoolListAllVolumes(pool, 1, 0)
	return vols, err
}

// LookupVolume implements Conn.
func (c *Libvirt) LookupVolume(pool StoragePool, name string) (StorageVol, error) {
	return c.l.StorageVolLookupByName(pool, name)
}

// VolumeInfo implements Conn.
func (c *Libvirt) VolumeInfo(vol StorageVol) (uint64, uint64, error) {
	_, capa, alloc, err := c.l.StorageVolGetInfo(vol)
	return capa, alloc, err
}

// VolumeXML implements Conn.
func (c *Libvirt) VolumeXML(vol StorageVol) (string, error) { return c.l.StorageVolGetXMLDesc(vol, 0) }

// CreateVolume implements Conn.
func (c *Libvirt) CreateVolume(pool StoragePool, doc string) (StorageVol, error) {
	return c.l.StorageVolCreateXML(pool, doc, 0)
}

// ResizeVolume implements Conn.
func (c *Libvirt) ResizeVolume(vol StorageVol, capacity uint64) error {
	return c.l.StorageVolResize(vol, capacity, 0)
}

// CloneVolume implements Conn.
func (c *Libvirt) CloneVolume(pool StoragePool, doc string, src StorageVol) (StorageVol, error) {
	return c.l.StorageVolCreateXMLFrom(pool, doc, src, 0)
}

// BlockResize implements Conn.
func (c *Libvirt) BlockResize(dom Domain, disk string, size uint64) error {
	return c.l.DomainBlockResize(dom, disk, size, libvirt.DomainBlockResizeBytes)
}

// UpdateDevice implements Conn.
func (c *Libvirt) UpdateDevice(dom Domain, doc string, flags DeviceModifyFlags) error {
	return c.l.DomainUpdateDeviceFlags(dom, doc, flags)
}

// UploadVolume implements Link.
func (c *Libvirt) UploadVolume(vol StorageVol, r io.Reader, length uint64) error {
	return c.l.StorageVolUpload(vol, r, 0, length, 0)
}

// DownloadVolume implements Link.
func (c *Libvirt) DownloadVolume(vol StorageVol, w io.Writer) error {
	return c.l.StorageVolDownload(vol, w, 0, 0, 0)
}

// SetMemoryStatsPeriod implements Conn.
func (c *Libvirt) SetMemoryStatsPeriod(dom Domain, seconds int) error {
	return c.l.DomainSetMemoryStatsPeriod(dom, int32(seconds), libvirt.DomainMemLive)
}
