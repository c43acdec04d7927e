package vmcreate

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/hardware"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/nocloud"
	"github.com/kvm-manager/kvm-manager/internal/osinfo"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// srcVol is a source volume as the plan reads it.
type srcVol struct {
	pool     virt.StoragePool
	vol      virt.StorageVol
	path     string
	format   string
	capacity uint64
	alloc    uint64
}

// plan checks req against the host without changing anything and returns
// what run is to do.
func (s *Service) plan(c virt.Conn, hostName string, req Request) (*plan, error) {
	if err := ValidName(req.Name); err != nil {
		return nil, err
	}
	if len(req.Title) > 256 || strings.ContainsAny(req.Title, "\r\n") {
		return nil, invalid("the title is longer than 256 characters or has a line break", "use one short line")
	}
	if len(req.Description) > 4096 {
		return nil, invalid("the description is longer than 4096 characters", "shorten it")
	}
	if err := oneOf("the source kind", req.Source.Kind, SourceISO, SourceDisk, SourceCloudImage, SourcePXE); err != nil {
		return nil, err
	}
	// The OS's defaults.
	var osi osinfo.OS
	if req.OS != "" {
		db, err := s.OSDB()
		if err != nil {
			return nil, err
		}
		o, ok := db.Lookup(req.OS)
		if !ok {
			return nil, problem.New(problem.Invalid, problem.CodeUnknownOS, fmt.Sprintf("osinfo-db knows no operating system %q", problem.Clip(req.OS)),
				"pick one from GET /api/v1/osinfo?q=..., or leave os empty for generic defaults")
		}
		osi = o
	} else {
		osi = osinfo.OS{Firmware: "bios", DiskBus: "virtio", NICModel: "virtio"}
	}
	pick := func(v, def int) int {
		if v != 0 {
			return v
		}
		return def
	}
	cpus := pick(req.CPU.Count, max(osi.Recommended.CPUs, 1))
	mem := pick(req.MemoryMiB, max(int(osi.Recommended.MemoryBytes>>20), 1024))
	if cpus < 1 || cpus > maxCPUs {
		return nil, invalid(fmt.Sprintf("%d vCPUs: want 1 to %d", cpus, maxCPUs), "give a smaller count")
	}
	if mem < minMemoryMiB || mem > maxMemoryMiB {
		return nil, invalid(fmt.Sprintf("%d MiB of memory: want %d to %d", mem, minMemoryMiB, maxMemoryMiB), "give memoryMiB in that range")
	}
	if osi.Minimum.MemoryBytes > 0 && uint64(mem)<<20 < osi.Minimum.MemoryBytes {
		return nil, invalid(fmt.Sprintf("%s needs at least %s of memory; %d MiB asked", osi.Name, storage.FormatSize(osi.Minimum.MemoryBytes), mem),
			"give more memory")
	}
	firmware := req.Firmware
	if firmware == "" {
		firmware = osi.Firmware
	}
	if err := oneOf("the firmware", firmware, "bios", "efi"); err != nil {
		return nil, err
	}
	if osi.Firmware == "efi" && firmware == "bios" {
		return nil, invalid(fmt.Sprintf("%s does not boot with BIOS firmware", osi.Name), "choose efi")
	}
	// An OS that needs a TPM (Windows 11) needs Secure Boot as well: both
	// are on by default, so that it installs without editing anything.
	secure := osi.TPM && firmware == "efi"
	if req.SecureBoot != nil {
		secure = *req.SecureBoot
	}
	tpm := osi.TPM
	if req.TPM != nil {
		tpm = *req.TPM
	}
	if secure && firmware != "efi" {
		return nil, invalid("Secure Boot needs UEFI firmware", "choose efi, or turn Secure Boot off")
	}
	bus := req.Disk.Bus
	if bus == "" {
		bus = osi.DiskBus
	}
	if err := oneOf("the disk bus", bus, "virtio", "sata", "scsi"); err != nil {
		return nil, err
	}
	if req.CloudInit != nil && req.Source.Kind != SourceCloudImage {
		return nil, invalid("cloud-init needs a cloud image as the source", "choose the cloud-image source, or leave cloudInit out")
	}

	// The host: name free, firmware, CPU.
	exists, err := hasName(c, req.Name)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, problem.New(problem.Conflict, problem.CodeVMExists, fmt.Sprintf("a VM named %q already exists on host %q", req.Name, hostName), "choose another name")
	}
	domType, dc, err := caps(c)
	if err != nil {
		return nil, err
	}
	if dc.VCPU.Max > 0 && cpus > dc.VCPU.Max {
		return nil, invalid(fmt.Sprintf("%d vCPUs: this host allows at most %d", cpus, dc.VCPU.Max), "give fewer vCPUs")
	}
	if firmware == "efi" && !enumHas(dc.OS.Enums, "firmware", "efi") && len(dc.OS.Loader.Values) == 0 {
		return nil, problem.New(problem.Unsupported, problem.CodeFirmwareMissing, fmt.Sprintf("host %q has no UEFI firmware for its VMs", hostName),
			"install OVMF on the host (Debian: apt install ovmf), or choose BIOS")
	}
	if tpm && (dc.Devices.TPM.Supported != "yes" || !enumHas(dc.Devices.TPM.Enums, "backendModel", "emulator")) {
		return nil, problem.New(problem.Unsupported, problem.CodeTPMUnavailable, fmt.Sprintf("host %q cannot emulate a TPM for its VMs", hostName),
			"install swtpm and swtpm-tools on the host (Debian: apt install swtpm swtpm-tools), or leave the TPM out")
	}
	if secure && !enumHas(dc.OS.Loader.Enums, "secure", "yes") {
		return nil, problem.New(problem.Unsupported, problem.CodeFirmwareMissing, fmt.Sprintf("host %q has no Secure Boot firmware", hostName),
			"install OVMF with Secure Boot on the host (Debian's ovmf package has it), or turn Secure Boot off")
	}
	cpu, err := cpuXML(req.CPU, domType, dc)
	if err != nil {
		return nil, err
	}
	uuid, err := newUUID()
	if err != nil {
		return nil, err
	}
	p := &plan{host: hostName, uuid: uuid, name: req.Name, osName: osi.Name, start: req.Start}

	// Storage.
	poolName := req.Disk.Pool
	if poolName == "" {
		poolName = req.Source.Pool
	}
	if poolName == "" {
		poolName = "default"
	}
	var src *srcVol
	if req.Source.Kind != SourcePXE {
		if req.Source.Pool == "" || req.Source.Volume == "" {
			return nil, invalid("the source needs a pool and a volume", "name the "+req.Source.Kind+"'s pool and volume")
		}
		if src, err = readVolume(c, req.Source.Pool, req.Source.Volume); err != nil {
			return nil, err
		}
	}
	var diskSize uint64
	if req.Disk.Size != "" {
		if diskSize, err = req.Disk.Size.Bytes(); err != nil {
			return nil, err
		}
	}
	if diskSize == 0 {
		diskSize = max(osi.Recommended.StorageBytes, 10<<30)
	}
	if diskSize < 1<<20 {
		return nil, invalid("the disk is smaller than 1 MiB", "give a larger size")
	}
	var disks []libvirtxml.DomainDisk
	var need = map[string]uint64{} // bytes per pool
	pools := map[string]virt.StoragePool{}
	lookupPool := func(name string) (virt.StoragePool, error) {
		if p, ok := pools[name]; ok {
			return p, nil
		}
		pl, err := c.LookupPool(name)
		if err != nil {
			if host.IsCode(err, virt.ErrNoStoragePool) {
				return pl, problem.New(problem.NotFound, "pool_not_found", fmt.Sprintf("there is no storage pool %q on host %q", problem.Clip(name), hostName), "create the pool, or choose another")
			}
			return pl, host.Problem(err, "find the pool")
		}
		pools[name] = pl
		return pl, nil
	}
	addVol := func(v newVol, charge uint64) error {
		if err := storage.ValidVolumeName(v.name); err != nil {
			return err
		}
		if _, err := c.LookupVolume(v.pool, v.name); err == nil {
			return problem.New(problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", v.name, v.pool.Name),
				"choose another VM name, or delete that volume")
		}
		p.vols = append(p.vols, v)
		need[v.pool.Name] += charge
		return nil
	}
	diskFor := func(pool, vol, format string) libvirtxml.DomainDisk {
		return libvirtxml.DomainDisk{
			Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: format},
			Source: &libvirtxml.DomainDiskSource{Volume: &libvirtxml.DomainDiskSourceVolume{Pool: pool, Volume: vol}},
			Target: &libvirtxml.DomainDiskTarget{Bus: bus},
		}
	}
	cdrom := func(pool, vol string) libvirtxml.DomainDisk {
		cdBus := "sata"
		if bus == "scsi" {
			cdBus = "scsi"
		}
		return libvirtxml.DomainDisk{
			Device:   "cdrom",
			Driver:   &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
			Source:   &libvirtxml.DomainDiskSource{Volume: &libvirtxml.DomainDiskSourceVolume{Pool: pool, Volume: vol}},
			Target:   &libvirtxml.DomainDiskTarget{Bus: cdBus},
			ReadOnly: &libvirtxml.DomainDiskReadOnly{},
		}
	}
	diskName := req.Name + ".qcow2"
	boot := []string{"hd"}
	switch req.Source.Kind {
	case SourceISO, SourcePXE:
		pl, err := lookupPool(poolName)
		if err != nil {
			return nil, err
		}
		// A qcow2 volume grows as the guest writes; its full size must
		// still fit, or the guest fails later, far from this decision.
		if err := addVol(newVol{pool: pl, name: diskName, format: "qcow2", size: diskSize}, diskSize); err != nil {
			return nil, err
		}
		disks = append(disks, diskFor(pl.Name, diskName, "qcow2"))
		if req.Source.Kind == SourceISO {
			disks = append(disks, cdrom(src.pool.Name, src.vol.Name))
			boot = []string{"cdrom", "hd"}
		} else {
			if req.Network.None {
				return nil, invalid("network boot needs a network interface", "choose a network")
			}
			boot = []string{"network", "hd"}
		}
	case SourceDisk:
		if src.format == "iso" {
			return nil, invalid(fmt.Sprintf("volume %q is an ISO image, not a disk", src.vol.Name), "choose the iso source for installer images")
		}
		if err := s.checkUnused(c, hostName, src, !req.Source.Copy); err != nil {
			return nil, err
		}
		if req.Source.Copy {
			pl, err := lookupPool(poolName)
			if err != nil {
				return nil, err
			}
			from := src.vol
			if err := addVol(newVol{pool: pl, name: diskName, format: diskFormat(src.format), size: src.capacity, from: &from}, src.alloc); err != nil {
				return nil, err
			}
			disks = append(disks, diskFor(pl.Name, diskName, diskFormat(src.format)))
		} else {
			disks = append(disks, diskFor(src.pool.Name, src.vol.Name, diskFormat(src.format)))
		}
	case SourceCloudImage:
		if src.format != "qcow2" && src.format != "raw" {
			return nil, invalid(fmt.Sprintf("volume %q is %q, not a qcow2 or raw cloud image", src.vol.Name, src.format), "upload the distribution's cloud image (qcow2)")
		}
		if err := s.checkUnused(c, hostName, src, false); err != nil {
			return nil, err
		}
		pl, err := lookupPool(poolName)
		if err != nil {
			return nil, err
		}
		from := src.vol
		size := max(src.capacity, diskSize)
		if req.Disk.Size == "" {
			size = src.capacity // the image's own size unless asked
		}
		if err := addVol(newVol{pool: pl, name: diskName, format: "qcow2", size: size, from: &from}, src.alloc); err != nil {
			return nil, err
		}
		disks = append(disks, diskFor(pl.Name, diskName, "qcow2"))
		ci := nocloud.Config{}
		if req.CloudInit != nil {
			ci = *req.CloudInit
		}
		seed, err := nocloud.Build(ci, uuid, req.Name)
		if err != nil {
			return nil, err
		}
		img, err := seed.Image(s.opts.Now())
		if err != nil {
			return nil, err
		}
		seedName := req.Name + "-cidata.iso"
		if err := addVol(newVol{pool: pl, name: seedName, format: "raw", size: uint64(len(img)), content: img}, uint64(len(img))); err != nil {
			return nil, err
		}
		disks = append(disks, cdrom(pl.Name, seedName))
	}
	for name, n := range need {
		if err := checkRoom(c, pools[name], n); err != nil {
			return nil, err
		}
	}
	assignTargets(disks)

	// Network.
	var nics []libvirtxml.DomainInterface
	if !req.Network.None {
		nic, err := nicXML(c, req.Network, osi.NICModel)
		if err != nil {
			return nil, err
		}
		nics = append(nics, nic)
	}

	dom := &libvirtxml.Domain{
		Type:        domType,
		Name:        req.Name,
		UUID:        uuid,
		Title:       req.Title,
		Description: req.Description,
		Memory:      &libvirtxml.DomainMemory{Value: uint(mem), Unit: "MiB"},
		VCPU:        &libvirtxml.DomainVCPU{Value: uint(cpus)},
		CPU:         cpu,
		OS: &libvirtxml.DomainOS{
			Type: &libvirtxml.DomainOSType{Arch: "x86_64", Machine: "q35", Type: "hvm"},
		},
		Features:   &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}},
		Clock:      &libvirtxml.DomainClock{Offset: "utc"},
		OnPoweroff: "destroy",
		OnReboot:   "restart",
		OnCrash:    "destroy",
		Devices: &libvirtxml.DomainDeviceList{
			Disks:      disks,
			Interfaces: nics,
			Serials: []libvirtxml.DomainSerial{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Target: &libvirtxml.DomainSerialTarget{Type: "isa-serial", Port: uintp(0), Model: &libvirtxml.DomainSerialTargetModel{Name: "isa-serial"}},
			}},
			Consoles: []libvirtxml.DomainConsole{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: uintp(0)},
			}},
			Channels: []libvirtxml.DomainChannel{{
				Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{}},
				Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.qemu.guest_agent.0"}},
			}},
			Inputs:      []libvirtxml.DomainInput{{Type: "tablet", Bus: "usb"}},
			Controllers: []libvirtxml.DomainController{{Type: "usb", Model: "qemu-xhci"}},
			MemBalloon:  &libvirtxml.DomainMemBalloon{Model: "virtio"},
		},
	}
	if bus == "scsi" {
		dom.Devices.Controllers = append(dom.Devices.Controllers, libvirtxml.DomainController{Type: "scsi", Model: "virtio-scsi"})
	}
	for _, b := range boot {
		dom.OS.BootDevices = append(dom.OS.BootDevices, libvirtxml.DomainBootDevice{Dev: b})
	}
	if firmware == "efi" {
		dom.OS.Firmware = "efi"
		if secure {
			dom.OS.FirmwareInfo = &libvirtxml.DomainOSFirmwareInfo{Features: []libvirtxml.DomainOSFirmwareFeature{
				{Enabled: "yes", Name: "secure-boot"}, {Enabled: "yes", Name: "enrolled-keys"},
			}}
			dom.Features.SMM = &libvirtxml.DomainFeatureSMM{State: "on"}
		}
	}
	if tpm {
		dom.Devices.TPMs = []libvirtxml.DomainTPM{hardware.TPMDevice(dom.OS.Type.Machine)}
	}
	video := "vga"
	if osi.DiskBus == "virtio" {
		video = "virtio"
	}
	dom.Devices.Videos = []libvirtxml.DomainVideo{{Model: libvirtxml.DomainVideoModel{Type: video, Heads: 1, Primary: "yes"}}}
	if !req.NoVNC {
		dom.Devices.Graphics = []libvirtxml.DomainGraphic{{VNC: &libvirtxml.DomainGraphicVNC{
			Port: -1, AutoPort: "yes",
			Listeners: []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"}}},
		}}}
	}
	if p.xml, err = dom.Marshal(); err != nil {
		return nil, err
	}
	return p, nil
}

func uintp(v uint) *uint { return &v }

func diskFormat(f string) string {
	if f == "qcow2" {
		return "qcow2"
	}
	return "raw"
}

// assignTargets names the disks' targets per bus: vda, vdb... on virtio,
// sda, sdb... on sata and scsi (which share the sd names).
func assignTargets(disks []libvirtxml.DomainDisk) {
	next := map[string]int{}
	for i := range disks {
		t := disks[i].Target
		prefix := "sd"
		if t.Bus == "virtio" {
			prefix = "vd"
		}
		t.Dev = fmt.Sprintf("%s%c", prefix, 'a'+next[prefix])
		next[prefix]++
	}
}

// readVolume finds a source volume and reads its format and sizes.
func readVolume(c virt.Conn, pool, name string) (*srcVol, error) {
	pl, err := c.LookupPool(pool)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStoragePool) {
			return nil, problem.New(problem.NotFound, "pool_not_found", fmt.Sprintf("there is no storage pool %q", problem.Clip(pool)), "reload the pool list")
		}
		return nil, host.Problem(err, "find the source's pool")
	}
	v, err := c.LookupVolume(pl, name)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStorageVol) {
			return nil, problem.New(problem.NotFound, "volume_not_found", fmt.Sprintf("there is no volume %q in pool %q", problem.Clip(name), pool), "reload the volume list, or upload it first")
		}
		return nil, host.Problem(err, "find the source volume")
	}
	doc, err := c.VolumeXML(v)
	if err != nil {
		return nil, host.Problem(err, "read the source volume")
	}
	var x struct {
		Path   string `xml:"target>path"`
		Format struct {
			Type string `xml:"type,attr"`
		} `xml:"target>format"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return nil, fmt.Errorf("parse volume %q: %w", name, err)
	}
	capacity, alloc, err := c.VolumeInfo(v)
	if err != nil {
		return nil, host.Problem(err, "read the source volume's size")
	}
	return &srcVol{pool: pl, vol: v, path: x.Path, format: x.Format.Type, capacity: capacity, alloc: alloc}, nil
}

// checkUnused refuses a source volume another VM uses: any use when the
// new VM is to write it in place, a running VM writing it when it is to be
// copied (the copy would be inconsistent).
func (s *Service) checkUnused(c virt.Conn, hostName string, src *srcVol, inPlace bool) error {
	doms, err := c.ListDomains()
	if err != nil {
		return host.Problem(err, "list the VMs (to see which use the volume)")
	}
	var users []string
	for _, d := range doms {
		vm, err := s.opts.Inventory.Refresh(c, hostName, host.FormatUUID(d.UUID))
		if p, ok := problem.As(err); ok && p.Kind == problem.NotFound {
			continue
		}
		if err != nil {
			return fmt.Errorf("read VM %s to see which volumes it uses: %w", d.Name, err)
		}
		for _, disk := range vm.Disks {
			same := disk.Source == src.pool.Name+"/"+src.vol.Name || src.path != "" && disk.Source == src.path
			if !same {
				continue
			}
			writer := !disk.ReadOnly && disk.Device != "cdrom"
			if inPlace || writer && vm.State != "shutoff" {
				users = append(users, fmt.Sprintf("%q", vm.Name))
			}
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		users = slices.Compact(users)
		what := "use it in place"
		if !inPlace {
			what = "copy it"
		}
		return problem.New(problem.Conflict, "volume_in_use",
			fmt.Sprintf("cannot %s: volume %q is used by VM %s", what, src.vol.Name, strings.Join(users, ", ")),
			"shut that VM down or remove the disk from it, or copy the volume instead")
	}
	return nil
}

// checkRoom refuses when need bytes do not fit the pool's free space.
func checkRoom(c virt.Conn, pl virt.StoragePool, need uint64) error {
	_ = c.RefreshPool(pl) // files change behind libvirt's back
	info, err := c.PoolInfo(pl)
	if err != nil {
		return host.Problem(err, "read the pool's free space")
	}
	if info.State != virt.PoolRunning {
		return problem.New(problem.Conflict, "pool_not_running", fmt.Sprintf("pool %q is not running", pl.Name), "start the pool first")
	}
	if need > info.Available {
		return problem.New(problem.NoSpace, "pool_full",
			fmt.Sprintf("the new VM's disks need %s; pool %q has %s free", storage.FormatSize(need), pl.Name, storage.FormatSize(info.Available)),
			"choose a smaller disk or another pool, or free space in the pool")
	}
	return nil
}

// cpuXML is the CPU element for the request on this host.
func cpuXML(req CPU, domType string, dc domCaps) (*libvirtxml.DomainCPU, error) {
	mode := req.Mode
	if mode == "" {
		mode = "default"
		if domType == "kvm" {
			mode = "host-model"
		}
	}
	switch mode {
	case "default":
		return nil, nil
	case "host-model", "host-passthrough":
		if ok, _ := dc.cpuMode(mode); !ok {
			return nil, problem.New(problem.Unsupported, problem.CodeInvalidVMSpec, fmt.Sprintf("this host cannot give VMs the %s CPU (no KVM?)", mode),
				"choose the default CPU or a named model")
		}
		return &libvirtxml.DomainCPU{Mode: mode}, nil
	case "custom":
		if !modelRE.MatchString(req.Model) {
			return nil, invalid(fmt.Sprintf("CPU model %q is not a model name", problem.Clip(req.Model)), "give a model such as Skylake-Client or qemu64")
		}
		if _, models := dc.cpuMode("custom"); len(models) > 0 && !slices.Contains(models, req.Model) {
			return nil, invalid(fmt.Sprintf("this host knows no CPU model %q", problem.Clip(req.Model)), "choose one of the host's CPU models")
		}
		return &libvirtxml.DomainCPU{Mode: "custom", Match: "exact", Model: &libvirtxml.DomainCPUModel{Value: req.Model, Fallback: "forbid"}}, nil
	}
	return nil, oneOf("the CPU mode", mode, "default", "host-model", "host-passthrough", "custom")
}

// nicXML is the network interface: on a libvirt network of the host, or
// a host bridge.
func nicXML(c virt.Conn, n NIC, osModel string) (libvirtxml.DomainInterface, error) {
	var nic libvirtxml.DomainInterface
	model := n.Model
	if model == "" {
		model = osModel
	}
	if err := oneOf("the NIC model", model, "virtio", "e1000e", "e1000", "rtl8139"); err != nil {
		return nic, err
	}
	nic.Model = &libvirtxml.DomainInterfaceModel{Type: model}
	if n.MAC != "" {
		if !macRE.MatchString(n.MAC) {
			return nic, invalid(fmt.Sprintf("%q is not a MAC address", problem.Clip(n.MAC)), "write it as 52:54:00:12:34:56")
		}
		if b := n.MAC[1]; strings.IndexByte("13579bBdDfF", b) >= 0 {
			return nic, invalid(fmt.Sprintf("%s is a multicast address", n.MAC), "use a unicast address, e.g. starting 52:54:00")
		}
		nic.MAC = &libvirtxml.DomainInterfaceMAC{Address: strings.ToLower(n.MAC)}
	}
	switch {
	case n.Bridge != "" && n.Network != "":
		return nic, invalid("the NIC names both a network and a bridge", "give one of them")
	case n.Bridge != "":
		if !bridgeRE.MatchString(n.Bridge) {
			return nic, invalid(fmt.Sprintf("%q is not a bridge name", problem.Clip(n.Bridge)), "give the host bridge's interface name, e.g. br0")
		}
		nic.Source = &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: n.Bridge}}
	default:
		name := n.Network
		if name == "" {
			name = "default"
		}
		if _, err := c.LookupNetwork(name); err != nil {
			if host.IsCode(err, virt.ErrNoNetwork) {
				return nic, problem.New(problem.NotFound, "network_not_found", fmt.Sprintf("the host has no network %q", problem.Clip(name)),
					"choose one of the host's networks, or create it first")
			}
			return nic, host.Problem(err, "find the network")
		}
		nic.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: name}}
	}
	return nic, nil
}
