package snapshot

import (
	"time"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// Snapshot is one snapshot of a VM as lists show it.
type Snapshot struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// CreationTime is when libvirt took the snapshot (whole seconds, UTC,
	// ISO 8601 in JSON).
	CreationTime time.Time `json:"creationTime"`
	// State is the VM's state when the snapshot was taken: running, paused,
	// shutoff, or disk-snapshot (a disk-only snapshot of a running VM).
	State string `json:"state"`
	// Parent is the parent snapshot's name; absent for a root.
	Parent string `json:"parent,omitempty"`
	// Children are the direct children, oldest first.
	Children []string `json:"children"`
	// Descendants counts children, grandchildren and so on.
	Descendants int `json:"descendants"`
	// Current reports whether this is libvirt's current snapshot: the one
	// the VM's present state descends from.
	Current bool `json:"current"`
	// Location is "internal" (inside the qcow2 images) or "external"
	// (overlay files and/or a memory file beside them).
	Location string `json:"location"`
	// Memory reports whether the snapshot holds the VM's memory state, so
	// that reverting to it resumes the VM where it was.
	Memory bool `json:"memory"`
	// Screenshot reports whether a console screenshot was stored with it.
	Screenshot bool `json:"screenshot"`
	// MemoryStateBytes is the size of the saved memory state, present only
	// when the list was asked for sizes and QEMU reported one.
	MemoryStateBytes *uint64 `json:"memoryStateBytes,omitempty"`
}

// TreeNode is one snapshot in the tree; the flat list has its details.
type TreeNode struct {
	Name     string      `json:"name"`
	Children []*TreeNode `json:"children"`
}

// List is every snapshot of one VM, flat and as a tree, with what can be
// done next.
type List struct {
	Host    string          `json:"host"`
	UUID    string          `json:"uuid"`
	VM      string          `json:"vm"`
	VMState inventory.State `json:"vmState"`
	Count   int             `json:"count"`
	// Current is the current snapshot's name; absent when there is none.
	Current string `json:"current,omitempty"`
	// Snapshots lists parents before children, siblings oldest first.
	Snapshots []Snapshot `json:"snapshots"`
	// Tree holds the roots, oldest first.
	Tree []*TreeNode `json:"tree"`
	// Capabilities is the pre-flight for a new snapshot.
	Capabilities Capabilities `json:"capabilities"`
	// Busy names the snapshot operation running on this VM, if any; a
	// second one is refused until it ends.
	Busy *Busy `json:"busy,omitempty"`
	// Screenshots reports whether this server stores a console screenshot
	// with each new snapshot of a running VM.
	Screenshots bool `json:"screenshots"`
	// SizesError says why memory state sizes are missing when they were
	// asked for (?sizes=true) and could not be read.
	SizesError string `json:"sizesError,omitempty"`
}

// Busy describes the snapshot operation in progress on a VM.
type Busy struct {
	Operation string    `json:"operation"` // operation id; empty for a quick change
	Kind      string    `json:"kind"`      // create, revert, delete, edit
	Snapshot  string    `json:"snapshot"`
	Since     time.Time `json:"since"`
}

// Capability says whether one kind of snapshot (or action) is possible now,
// and if not, exactly why and what would fix it.
type Capability struct {
	Possible bool `json:"possible"`
	// Location is where a new snapshot of this kind would put its data:
	// "internal" or "external".
	Location string   `json:"location,omitempty"`
	Reasons  []string `json:"reasons"`
	Fixes    []string `json:"fixes"`
	// Notes are caveats that hold even when the kind is possible.
	Notes []string `json:"notes"`
}

// Capabilities is the per-VM pre-flight shown before the user clicks.
type Capabilities struct {
	VMState        inventory.State `json:"vmState"`
	LibvirtVersion string          `json:"libvirtVersion"`
	// Default is the kind a create request without "memory" takes:
	// "memory" for an active VM, "disk-only" otherwise.
	Default string `json:"default"`
	// Memory is a snapshot with the VM's memory state (active VMs).
	Memory Capability `json:"memory"`
	// DiskOnly is a snapshot of the disks alone: internal for a stopped VM,
	// external overlays for a running one.
	DiskOnly Capability `json:"disk-only"`
	// Quiesce is freezing the guest's file systems through the QEMU guest
	// agent while a disk-only snapshot of a running VM is taken.
	Quiesce Capability `json:"quiesce"`
	// GuestAgent is "connected", "disconnected" (channel configured, agent
	// not answering), "none" (no channel) or "unknown" (VM not running).
	GuestAgent string `json:"guestAgent"`
	// RevertExternal says whether external snapshots can be reverted to on
	// this host.
	RevertExternal Capability `json:"revertExternal"`
}

// CreateRequest is the body of a create request.
type CreateRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Memory asks for the memory state (default: true when the VM is
	// active). false on an active VM makes an external disk-only snapshot.
	Memory *bool `json:"memory,omitempty"`
	// Quiesce asks for the guest agent to freeze file systems (disk-only
	// snapshots of a running VM). Absent: quiesce when an agent is
	// connected. true without a connected agent is refused.
	Quiesce *bool `json:"quiesce,omitempty"`
}

// CreateResult is what a finished create made.
type CreateResult struct {
	Snapshot Snapshot `json:"snapshot"`
	Quiesced bool     `json:"quiesced"`
	// ScreenshotPending reports that a console screenshot is being stored
	// with the snapshot; a "snapshot" event with change "screenshot" says
	// when it is there.
	ScreenshotPending bool `json:"screenshotPending"`
}

// Revert "after" choices.
const (
	AfterSnapshot = "snapshot" // the state the snapshot recorded
	AfterRunning  = "running"  // start (or resume) the VM
	AfterPaused   = "paused"   // leave it paused
)

// RevertRequest is the body of a revert request.
type RevertRequest struct {
	// After is what the VM does after the revert: "snapshot" (default),
	// "running" or "paused".
	After string `json:"after,omitempty"`
	// Confirm must be true to revert an active VM: its current state is lost.
	Confirm bool `json:"confirm,omitempty"`
	// Force passes libvirt's force flag. Send it only after a revert failed
	// with code "revert_risky" and the user accepted the risk libvirt named.
	Force bool `json:"force,omitempty"`
}

// Impact describes what a revert throws away.
type Impact struct {
	// Since is when the state that would be lost began: the creation time
	// of the current snapshot. Absent when the VM has no current snapshot.
	Since   *time.Time `json:"since,omitempty"`
	Message string     `json:"message"`
}

// RevertInfo tells a client, before it asks, what a revert would need.
type RevertInfo struct {
	Capability
	// NeedsConfirm reports whether the request must carry "confirm": true.
	NeedsConfirm bool   `json:"needsConfirm"`
	Impact       Impact `json:"impact"`
}

// RevertResult is the outcome of a finished revert.
type RevertResult struct {
	Snapshot string `json:"snapshot"`
	// VMState is the VM's state after the revert.
	VMState inventory.State `json:"vmState"`
	Lost    Impact          `json:"lost"`
	Forced  bool            `json:"forced"`
}

// Delete scopes.
const (
	ScopeOne      = "one"      // the snapshot; its children move to its parent
	ScopeSubtree  = "subtree"  // the snapshot and all its descendants
	ScopeChildren = "children" // only its descendants
)

// DeleteInfo says per scope whether a delete is possible.
type DeleteInfo struct {
	One      Capability `json:"one"`
	Subtree  Capability `json:"subtree"`
	Children Capability `json:"children"`
}

// DeleteResult is what a finished delete removed.
type DeleteResult struct {
	Deleted []string `json:"deleted"`
	// Current is the current snapshot afterwards; absent when none.
	Current string `json:"current,omitempty"`
}

// Size is a figure read from QEMU or the file system, or the reason it
// cannot be known.
type Size struct {
	// Bytes is nil when the figure cannot be known.
	Bytes *uint64 `json:"bytes"`
	// Source says where the figure was read.
	Source string `json:"source,omitempty"`
	// Unknown says why the figure cannot be known.
	Unknown string `json:"unknown,omitempty"`
}

// DiskDetail is one disk of a snapshot.
type DiskDetail struct {
	Name string `json:"name"` // the disk's target, e.g. "vda"
	// Location is internal, external or no (not part of the snapshot).
	Location string `json:"location"`
	// Image is the file holding the disk's snapshot data: the qcow2 image
	// for internal snapshots; for external ones the image the snapshot
	// froze.
	Image string `json:"image,omitempty"`
	// Overlay is, for an external snapshot, the file the snapshot started:
	// the VM wrote there from the snapshot on.
	Overlay string `json:"overlay,omitempty"`
	// Usage is the snapshot's own share of the disk.
	Usage Size `json:"usage"`
	// ImageAllocation is what the image occupies on the host as a whole.
	ImageAllocation Size `json:"imageAllocation"`
}

// Details is everything about one snapshot.
type Details struct {
	Snapshot
	VMState inventory.State `json:"vmState"`
	Disks   []DiskDetail    `json:"disks"`
	// MemoryState is the saved memory's size; absent when the snapshot has
	// no memory.
	MemoryState *Size `json:"memoryState,omitempty"`
	// DomainXML is the domain configuration captured with the snapshot.
	DomainXML string     `json:"domainXML"`
	Revert    RevertInfo `json:"revert"`
	Delete    DeleteInfo `json:"delete"`
}

// Diff compares a snapshot's configuration with today's.
type Diff struct {
	Snapshot  string `json:"snapshot"`
	Identical bool   `json:"identical"`
	// Summary lists the notable changes in words ("memory: 192 MiB → 256 MiB").
	Summary []string `json:"summary"`
	// Unified is a unified diff: "---" the snapshot, "+++" today.
	Unified string `json:"unified"`
}

// EditRequest is the body of a PATCH.
type EditRequest struct {
	Description *string `json:"description"`
}

// Event is the payload of a "snapshot" event: a hint to refetch the VM's
// snapshot list.
type Event struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	VM   string `json:"vm"`
	// Change is created, reverted, deleted, edited, screenshot (a
	// screenshot was stored with a new snapshot) or external (made outside
	// KVM Manager and noticed later).
	Change string `json:"change"`
	// Names are the snapshots the change touched; empty for external.
	Names   []string `json:"names"`
	Count   int      `json:"count"`
	Current string   `json:"current,omitempty"`
}
