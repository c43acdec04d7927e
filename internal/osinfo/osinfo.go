// Package osinfo reads the operating system catalogue of osinfo-db (the
// XML files Debian's osinfo-db package installs under /usr/share/osinfo;
// no libosinfo binding): search, the resources an OS needs, the devices it
// prefers, its firmware, and which OS an installer ISO holds (by the
// ISO's volume id, where osinfo-db records a pattern for it).
package osinfo

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DefaultDir is where Debian's osinfo-db package puts the database.
const DefaultDir = "/usr/share/osinfo"

// Resources are what an OS needs (zero: osinfo-db does not say).
type Resources struct {
	CPUs         int    `json:"cpus,omitempty"`
	MemoryBytes  uint64 `json:"memoryBytes,omitempty"`
	StorageBytes uint64 `json:"storageBytes,omitempty"`
}

// OS is one operating system, with what osinfo-db says about it on
// x86_64, inherited from the OS it derives from where it says nothing.
type OS struct {
	// ID is osinfo-db's id, a URL such as http://debian.org/debian/11.
	ID string `json:"id"`
	// ShortID is its first short id, e.g. debian11.
	ShortID     string    `json:"shortId"`
	Name        string    `json:"name"`
	Vendor      string    `json:"vendor,omitempty"`
	Family      string    `json:"family,omitempty"`
	Distro      string    `json:"distro,omitempty"`
	Version     string    `json:"version,omitempty"`
	ReleaseDate string    `json:"releaseDate,omitempty"`
	EOLDate     string    `json:"eolDate,omitempty"`
	Minimum     Resources `json:"minimum"`
	Recommended Resources `json:"recommended"`
	// Firmware is "efi" when the OS needs UEFI (BIOS unsupported on
	// x86_64), else "bios".
	Firmware string `json:"firmware"`
	// DiskBus is virtio when the OS has virtio block drivers, else sata;
	// NICModel likewise virtio or e1000e.
	DiskBus  string `json:"diskBus"`
	NICModel string `json:"nicModel"`
	// TPM says the OS needs a TPM 2.0 (Windows 11).
	TPM bool `json:"tpm"`

	shortIDs  []string
	volumeIDs []*regexp.Regexp
}

// DB is a loaded osinfo-db.
type DB struct {
	list []*OS
	byID map[string]*OS
}

// xml shapes of one os element.
type xmlOS struct {
	ID          string   `xml:"id,attr"`
	ShortIDs    []string `xml:"short-id"`
	Name        []text   `xml:"name"`
	Vendor      []text   `xml:"vendor"`
	Family      string   `xml:"family"`
	Distro      string   `xml:"distro"`
	Version     string   `xml:"version"`
	ReleaseDate string   `xml:"release-date"`
	EOLDate     string   `xml:"eol-date"`
	DerivesFrom []idRef  `xml:"derives-from"`
	Clones      []idRef  `xml:"clones"`
	Resources   []struct {
		Arch        string  `xml:"arch,attr"`
		Minimum     *xmlRes `xml:"minimum"`
		Recommended *xmlRes `xml:"recommended"`
	} `xml:"resources"`
	Devices  []idRef `xml:"devices>device"`
	Firmware []struct {
		Arch      string `xml:"arch,attr"`
		Type      string `xml:"type,attr"`
		Supported string `xml:"supported,attr"`
	} `xml:"firmware"`
	Media []struct {
		Arch     string   `xml:"arch,attr"`
		VolumeID []string `xml:"iso>volume-id"`
	} `xml:"media"`
}

// text is an element that osinfo-db also gives translated (xml:lang).
type text struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Value string `xml:",chardata"`
}

// untranslated returns the element without xml:lang.
func untranslated(ts []text) string {
	for _, t := range ts {
		if t.Lang == "" {
			return t.Value
		}
	}
	return ""
}

type idRef struct {
	ID string `xml:"id,attr"`
}

type xmlRes struct {
	CPUs    int    `xml:"n-cpus"`
	RAM     uint64 `xml:"ram"`
	Storage uint64 `xml:"storage"`
}

type xmlFile struct {
	OS []xmlOS `xml:"os"`
}

// Device ids that tell what an OS has drivers for.
var (
	virtioBlock = []string{"http://pcisig.com/pci/1af4/1001", "http://pcisig.com/pci/1af4/1042"}
	virtioNet   = []string{"http://pcisig.com/pci/1af4/1000", "http://pcisig.com/pci/1af4/1041"}
)

// Load reads every os/*/*.xml file under dir.
func Load(dir string) (*DB, error) {
	root := filepath.Join(dir, "os")
	var raw []xmlOS
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".xml") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var f xmlFile
		if err := xml.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		raw = append(raw, f.OS...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read osinfo-db at %s: %w", dir, err)
	}
	if len(raw) == 0 {
		return nil, errors.New("osinfo-db at " + dir + " has no operating systems")
	}
	byRaw := make(map[string]*xmlOS, len(raw))
	for i := range raw {
		byRaw[raw[i].ID] = &raw[i]
	}
	db := &DB{byID: make(map[string]*OS, len(raw))}
	for i := range raw {
		o := resolve(&raw[i], byRaw)
		db.list = append(db.list, o)
		db.byID[o.ID] = o
		for _, s := range o.shortIDs {
			if _, taken := db.byID[s]; !taken {
				db.byID[s] = o
			}
		}
	}
	sort.Slice(db.list, func(i, j int) bool { return db.list[i].Name < db.list[j].Name })
	return db, nil
}

// parents returns the OS x derives from or clones, in that order.
func parents(x *xmlOS, all map[string]*xmlOS) []*xmlOS {
	var out []*xmlOS
	for _, r := range append(append([]idRef{}, x.DerivesFrom...), x.Clones...) {
		if p := all[r.ID]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// inherit walks x and its ancestors (at most 32 deep, against loops) and
// returns the first answer of get.
func inherit[T any](x *xmlOS, all map[string]*xmlOS, get func(*xmlOS) (T, bool)) T {
	seen := map[string]bool{}
	queue := []*xmlOS{x}
	for n := 0; len(queue) > 0 && n < 32; n++ {
		c := queue[0]
		queue = queue[1:]
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		if v, ok := get(c); ok {
			return v
		}
		queue = append(queue, parents(c, all)...)
	}
	var zero T
	return zero
}

func archOK(a string) bool { return a == "" || a == "all" || a == "x86_64" }

func resolve(x *xmlOS, all map[string]*xmlOS) *OS {
	o := &OS{ID: x.ID, Name: untranslated(x.Name), Vendor: untranslated(x.Vendor), Family: x.Family, Distro: x.Distro, Version: x.Version,
		ReleaseDate: x.ReleaseDate, EOLDate: x.EOLDate, shortIDs: x.ShortIDs}
	if len(x.ShortIDs) > 0 {
		o.ShortID = x.ShortIDs[0]
	}
	res := func(pick func(r *xmlRes) Resources, min bool) Resources {
		return inherit(x, all, func(c *xmlOS) (Resources, bool) {
			for _, r := range c.Resources {
				src := r.Recommended
				if min {
					src = r.Minimum
				}
				if archOK(r.Arch) && src != nil {
					return pick(src), true
				}
			}
			return Resources{}, false
		})
	}
	conv := func(r *xmlRes) Resources { return Resources{CPUs: r.CPUs, MemoryBytes: r.RAM, StorageBytes: r.Storage} }
	o.Minimum, o.Recommended = res(conv, true), res(conv, false)
	// Recommended is never below the minimum (osinfo-db's recommended
	// values are sometimes inherited from an older release, or missing).
	o.Recommended.CPUs = max(o.Recommended.CPUs, o.Minimum.CPUs)
	o.Recommended.MemoryBytes = max(o.Recommended.MemoryBytes, o.Minimum.MemoryBytes)
	o.Recommended.StorageBytes = max(o.Recommended.StorageBytes, o.Minimum.StorageBytes)
	// Devices add up along the ancestors, as libosinfo's do.
	var devices []idRef
	inherit(x, all, func(c *xmlOS) (bool, bool) {
		devices = append(devices, c.Devices...)
		return false, false
	})
	has := func(ids []string) bool {
		for _, d := range devices {
			for _, id := range ids {
				if d.ID == id {
					return true
				}
			}
		}
		return false
	}
	o.DiskBus, o.NICModel = "sata", "e1000e"
	if has(virtioBlock) {
		o.DiskBus = "virtio"
	}
	if has(virtioNet) {
		o.NICModel = "virtio"
	}
	o.Firmware = "bios"
	for _, f := range x.Firmware {
		if f.Arch == "x86_64" && f.Type == "bios" && f.Supported == "false" {
			o.Firmware = "efi"
		}
	}
	// osinfo-db of Debian 12 (2022-12) does not record the TPM need yet:
	// Windows 11 and its server siblings refuse to install without one.
	o.TPM = o.Firmware == "efi" && x.Distro == "win" && (strings.HasPrefix(o.ShortID, "win11") || o.ShortID == "win2k22")
	for _, m := range x.Media {
		if m.Arch != "x86_64" {
			continue
		}
		for _, v := range m.VolumeID {
			if re, err := regexp.Compile(v); err == nil {
				o.volumeIDs = append(o.volumeIDs, re)
			}
		}
	}
	return o
}

// Lookup finds an OS by id or short id.
func (db *DB) Lookup(id string) (OS, bool) {
	o, ok := db.byID[id]
	if !ok {
		return OS{}, false
	}
	return *o, true
}

// Search returns up to limit OSes whose name, short id, vendor or id
// contain every word of q (case-insensitive), newest release first.
func (db *DB) Search(q string, limit int) []OS {
	words := strings.Fields(strings.ToLower(q))
	var out []OS
	for _, o := range db.list {
		hay := strings.ToLower(o.Name + " " + strings.Join(o.shortIDs, " ") + " " + o.Vendor + " " + o.ID)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, *o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReleaseDate > out[j].ReleaseDate })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Detect returns the OSes whose x86_64 installer media have a volume id
// pattern matching volID (several when osinfo-db's patterns overlap,
// newest release first); none when osinfo-db cannot tell.
func (db *DB) Detect(volID string) []OS {
	var out []OS
	if strings.TrimSpace(volID) == "" {
		return nil
	}
	for _, o := range db.list {
		for _, re := range o.volumeIDs {
			if re.MatchString(volID) {
				out = append(out, *o)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReleaseDate > out[j].ReleaseDate })
	return out
}

// Len is the number of OSes.
func (db *DB) Len() int { return len(db.list) }
