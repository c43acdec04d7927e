package inventory

import "time"

// VM is everything the inventory knows about one domain.
type VM struct {
	Host          string     `json:"host"`
	UUID          string     `json:"uuid"`
	Name          string     `json:"name"`
	Title         string     `json:"title,omitempty"`
	Description   string     `json:"description,omitempty"`
	State         State      `json:"state"`
	Reason        string     `json:"reason,omitempty"`
	ID            int32      `json:"id,omitempty"` // libvirt's runtime id; 0 when not running
	DomainType    string     `json:"domainType"`   // "kvm" or "qemu" (TCG)
	Arch          string     `json:"arch,omitempty"`
	Machine       string     `json:"machine,omitempty"`
	Firmware      string     `json:"firmware"` // "bios", "efi" or "direct-kernel"
	VCPUs         int        `json:"vcpus"`
	MemoryMaxKiB  uint64     `json:"memoryMaxKiB"`
	MemoryKiB     uint64     `json:"memoryKiB"`
	Disks         []Disk     `json:"disks"`
	NICs          []NIC      `json:"nics"`
	Graphics      []Graphics `json:"graphics"`
	SerialConsole bool       `json:"serialConsole"`
	Autostart     bool       `json:"autostart"`
	Persistent    bool       `json:"persistent"`
	SnapshotCount int        `json:"snapshotCount"`
	// Template marks a VM that is only cloned, never run: it allows no
	// power actions. ClonedFrom is the UUID of the VM it was cloned from,
	// and LinkedClone says its disks are overlays on that VM's disks.
	Template    bool     `json:"template,omitempty"`
	ClonedFrom  string   `json:"clonedFrom,omitempty"`
	LinkedClone bool     `json:"linkedClone,omitempty"`
	Actions     []string `json:"actions"` // power actions the state allows
	Stats       *Sample  `json:"stats,omitempty"`
	// Addresses are the running VM's IP addresses (guest agent first,
	// then DHCP leases, then ARP); empty when none is known or it is off.
	Addresses []Address `json:"addresses"`
	// Guest is the guest agent's state and what it tells; nil until read
	// (and when the VM is off).
	Guest   *Guest    `json:"guest,omitempty"`
	Updated time.Time `json:"updated"`
}

// Disk is one disk or CD-ROM of a VM.
type Disk struct {
	Target     string  `json:"target"`
	Device     string  `json:"device"` // disk, cdrom, floppy, lun
	Bus        string  `json:"bus,omitempty"`
	Type       string  `json:"type"` // file, block, network, volume, ...
	Source     string  `json:"source,omitempty"`
	Format     string  `json:"format,omitempty"`
	Capacity   *uint64 `json:"capacityBytes,omitempty"`   // virtual size
	Allocation *uint64 `json:"allocationBytes,omitempty"` // bytes used on the host
	ReadOnly   bool    `json:"readOnly,omitempty"`
	Shareable  bool    `json:"shareable,omitempty"`
}

// NIC is one network interface of a VM.
type NIC struct {
	Type   string `json:"type"` // network, bridge, user, direct, ...
	Source string `json:"source,omitempty"`
	MAC    string `json:"mac,omitempty"`
	Model  string `json:"model,omitempty"`
	Target string `json:"target,omitempty"` // host-side device while running
}

// Graphics is one graphical console of a VM.
type Graphics struct {
	Type     string `json:"type"` // vnc, spice, ...
	Listen   string `json:"listen,omitempty"`
	Port     int    `json:"port,omitempty"` // -1 or 0 when not running or not assigned
	AutoPort bool   `json:"autoport"`
	Socket   string `json:"socket,omitempty"`
	Password bool   `json:"password"` // whether a password is set; never the password itself
}

// Sample is one stats tick of a running VM. Rates are per second over the
// interval since the previous tick; they are absent on the first tick.
type Sample struct {
	Time       time.Time `json:"time"`
	CPUPercent *float64  `json:"cpuPercent,omitempty"` // 100 = all vCPUs busy
	// MemoryUsedKiB is what the guest uses of MemoryTotalKiB (its memory
	// less what it reports available: free memory and reclaimable caches).
	// Both come from the guest's balloon driver and are absent (0) when the
	// guest reports no memory statistics.
	MemoryUsedKiB  uint64 `json:"memoryUsedKiB,omitempty"`
	MemoryTotalKiB uint64 `json:"memoryTotalKiB,omitempty"`
	// MemoryRSSKiB is the host's view: the resident size of the VM's QEMU
	// process, which includes QEMU itself and can exceed the guest's memory.
	MemoryRSSKiB uint64   `json:"memoryRssKiB,omitempty"`
	DiskReadBps  *float64 `json:"diskReadBps,omitempty"`
	DiskWriteBps *float64 `json:"diskWriteBps,omitempty"`
	NetRxBps     *float64 `json:"netRxBps,omitempty"`
	NetTxBps     *float64 `json:"netTxBps,omitempty"`
}

// HostSamples is the payload of one "stats" event: the samples of every
// running VM of one host from one ConnectGetAllDomainStats call.
type HostSamples struct {
	Host    string         `json:"host"`
	Time    time.Time      `json:"time"`
	Samples []UUIDedSample `json:"samples"`
}

// UUIDedSample is a Sample tagged with its VM.
type UUIDedSample struct {
	UUID string `json:"uuid"`
	Sample
}

// Removed is the payload of a "vm-removed" event.
type Removed struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	Name string `json:"name"`
}
