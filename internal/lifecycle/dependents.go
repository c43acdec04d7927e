package lifecycle

import (
	"encoding/xml"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// maxChain bounds how far up a backing chain the dependents check reads
// (a loop in the images' metadata must not hang the delete).
const maxChain = 32

// dependents returns, for each image in paths, the names of the host's
// other VMs whose disks are qcow2 overlays on it, directly or further up
// their backing chains: linked clones of the VM (package vmcreate makes
// them as overlays on its disks, in the same pool) and overlays made by
// hand or by snapshots of such clones. Deleting such an image would
// break those VMs. The chains are what libvirt's storage volumes say
// (the volume's <backingStore>), so disks outside any storage pool are
// not followed; the VMs are the inventory's.
func (s *Service) dependents(c virt.Conn, vm inventory.VM, paths []string) map[string][]string {
	want := map[string]bool{}
	for _, p := range paths {
		want[filepath.Clean(p)] = true
	}
	out := map[string][]string{}
	// backing caches each volume path's backing file ("" for none or
	// unknown): clones of one template share their chain's upper part.
	backing := map[string]string{}
	backingOf := func(vol virt.StorageVol, key string) string {
		if b, ok := backing[key]; ok {
			return b
		}
		b := ""
		if doc, err := c.VolumeXML(vol); err == nil {
			var x struct {
				Backing struct {
					Path string `xml:"path"`
				} `xml:"backingStore"`
			}
			if xml.Unmarshal([]byte(doc), &x) == nil && x.Backing.Path != "" {
				b = filepath.Clean(x.Backing.Path)
			}
		}
		backing[key] = b
		return b
	}
	for _, o := range s.opts.Inventory.List() {
		if o.Host != vm.Host || o.UUID == vm.UUID {
			continue
		}
		for _, d := range o.Disks {
			if d.Device == "cdrom" || d.Source == "" {
				continue
			}
			vol, key, ok := diskVolume(c, d)
			for n := 0; ok && n < maxChain; n++ {
				b := backingOf(vol, key)
				if b == "" {
					break
				}
				if want[b] {
					if !slices.Contains(out[b], o.Name) {
						out[b] = append(out[b], o.Name)
					}
					break
				}
				key = b
				var err error
				vol, err = c.LookupVolumeByPath(b)
				ok = err == nil
			}
		}
	}
	return out
}

// diskVolume finds the storage volume of an inventory disk: a pool volume
// ("pool/name") or a file that a pool holds. The key names it in the
// backing cache.
func diskVolume(c virt.Conn, d inventory.Disk) (virt.StorageVol, string, bool) {
	switch d.Type {
	case "volume":
		pool, name, ok := strings.Cut(d.Source, "/")
		if !ok {
			return virt.StorageVol{}, "", false
		}
		pl, err := c.LookupPool(pool)
		if err != nil {
			return virt.StorageVol{}, "", false
		}
		v, err := c.LookupVolume(pl, name)
		if err != nil {
			return virt.StorageVol{}, "", false
		}
		return v, "volume:" + d.Source, true
	case "file":
		v, err := c.LookupVolumeByPath(d.Source)
		if err != nil {
			return virt.StorageVol{}, "", false
		}
		return v, filepath.Clean(d.Source), true
	}
	return virt.StorageVol{}, "", false
}
