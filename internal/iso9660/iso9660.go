// Package iso9660 writes small ISO 9660 images (one root directory of
// files, with Joliet names) such as a cloud-init NoCloud seed, and reads an
// image's volume id, for telling which operating system an installer ISO
// holds. It is deliberately small: no subdirectories, no Rock Ridge, no
// El Torito boot records.
package iso9660

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// SectorSize is ISO 9660's logical block size.
const SectorSize = 2048

// File is one file of the image's root directory.
type File struct {
	// Name is the file's name as Joliet shows it (what Linux and Windows
	// see), e.g. "meta-data": at most 64 characters, no '/' or NUL.
	Name string
	Data []byte
}

// Sectors of the fixed layout: system area, the primary and the Joliet
// volume descriptors, the terminator, four path tables (little and big
// endian for each tree), the two root directories; file data follows.
const (
	lbaPrimary   = 16
	lbaJoliet    = 17
	lbaTerm      = 18
	lbaPathL     = 19
	lbaPathM     = 20
	lbaJPathL    = 21
	lbaJPathM    = 22
	lbaRoot      = 23
	lbaJRoot     = 24
	lbaFirstData = 25
)

// Write writes an image with volume id volID (at most 16 characters,
// so that the Joliet copy keeps it whole) holding files in its root
// directory, dated now.
func Write(w io.Writer, volID string, files []File, now time.Time) error {
	if volID == "" || len(volID) > 16 || !printableASCII(volID) {
		return fmt.Errorf("iso9660: volume id %q: want 1 to 16 printable ASCII characters", volID)
	}
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	seen := map[string]bool{}
	type placed struct {
		File
		primary string
		lba     uint32
	}
	ps := make([]placed, len(files))
	next := uint32(lbaFirstData)
	for i, f := range files {
		if f.Name == "" || len(f.Name) > 64 || strings.ContainsAny(f.Name, "/\x00;") || f.Name == "." || f.Name == ".." {
			return fmt.Errorf("iso9660: file name %q: want 1 to 64 characters without '/', ';' or NUL", f.Name)
		}
		if uint64(len(f.Data)) > 1<<31 {
			return fmt.Errorf("iso9660: file %q is too large", f.Name)
		}
		p := primaryName(f.Name)
		if seen[p] {
			return fmt.Errorf("iso9660: file names %q map to the same ISO 9660 name %q", f.Name, p)
		}
		seen[p] = true
		ps[i] = placed{File: f, primary: p, lba: next}
		next += sectors(len(f.Data))
	}
	total := next

	// Root directories: ".", "..", then the files.
	root := func(joliet bool) ([]byte, error) {
		self := uint32(lbaRoot)
		if joliet {
			self = lbaJRoot
		}
		var d []byte
		d = append(d, dirRecord([]byte{0}, self, SectorSize, true, now)...)
		d = append(d, dirRecord([]byte{1}, self, SectorSize, true, now)...)
		for _, p := range ps {
			name := []byte(p.primary)
			if joliet {
				name = ucs2(p.Name)
			}
			d = append(d, dirRecord(name, p.lba, uint32(len(p.Data)), false, now)...)
		}
		if len(d) > SectorSize {
			return nil, errors.New("iso9660: too many files for one directory sector")
		}
		return pad(d), nil
	}
	rootP, err := root(false)
	if err != nil {
		return err
	}
	rootJ, err := root(true)
	if err != nil {
		return err
	}

	var img bytes.Buffer
	img.Write(make([]byte, 16*SectorSize))
	img.Write(descriptor(false, volID, total, lbaRoot, lbaPathL, lbaPathM, now))
	img.Write(descriptor(true, volID, total, lbaJRoot, lbaJPathL, lbaJPathM, now))
	term := make([]byte, SectorSize)
	term[0] = 255
	copy(term[1:], "CD001")
	term[6] = 1
	img.Write(term)
	img.Write(pathTable(lbaRoot, binary.LittleEndian))
	img.Write(pathTable(lbaRoot, binary.BigEndian))
	img.Write(pathTable(lbaJRoot, binary.LittleEndian))
	img.Write(pathTable(lbaJRoot, binary.BigEndian))
	img.Write(rootP)
	img.Write(rootJ)
	if _, err := w.Write(img.Bytes()); err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := w.Write(pad(p.Data)); err != nil {
			return err
		}
	}
	return nil
}

// Image returns Write's output as bytes.
func Image(volID string, files []File, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, volID, files, now); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sectors(n int) uint32 { return uint32((n + SectorSize - 1) / SectorSize) }

func pad(b []byte) []byte {
	if r := len(b) % SectorSize; r != 0 {
		b = append(b, make([]byte, SectorSize-r)...)
	}
	return b
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// primaryName maps a name to ISO 9660 level 2 d-characters, with the
// ";1" version suffix: "meta-data" becomes "META_DATA.;1". Readers with
// Joliet support show the Joliet name instead.
func primaryName(name string) string {
	base, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		base, ext = name[:i], name[i+1:]
	}
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		return b.String()
	}
	base, ext = clean(base), clean(ext)
	if len(base)+len(ext) > 30 {
		base = base[:max(1, 30-len(ext))]
		if len(base)+len(ext) > 30 {
			ext = ext[:30-len(base)]
		}
	}
	return base + "." + ext + ";1"
}

func ucs2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func both32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func both16(b []byte, v uint16) {
	binary.LittleEndian.PutUint16(b, v)
	binary.BigEndian.PutUint16(b[2:], v)
}

// dirRecord is one directory record (ECMA-119 9.1).
func dirRecord(name []byte, lba, size uint32, dir bool, now time.Time) []byte {
	n := 33 + len(name)
	if n%2 == 1 {
		n++
	}
	r := make([]byte, n)
	r[0] = byte(n)
	both32(r[2:], lba)
	both32(r[10:], size)
	u := now.UTC()
	r[18], r[19], r[20] = byte(u.Year()-1900), byte(u.Month()), byte(u.Day())
	r[21], r[22], r[23] = byte(u.Hour()), byte(u.Minute()), byte(u.Second())
	if dir {
		r[25] = 2
	}
	both16(r[28:], 1)
	r[32] = byte(len(name))
	copy(r[33:], name)
	return r
}

// pathTable is a path table holding the root directory only.
func pathTable(rootLBA uint32, order binary.ByteOrder) []byte {
	t := make([]byte, SectorSize)
	t[0] = 1
	order.PutUint32(t[2:], rootLBA)
	order.PutUint16(t[6:], 1)
	return t
}

const pathTableSize = 10

// descriptor is the primary (joliet false) or the Joliet supplementary
// volume descriptor (ECMA-119 8.4 and 8.5).
func descriptor(joliet bool, volID string, total, rootLBA, pathL, pathM uint32, now time.Time) []byte {
	d := make([]byte, SectorSize)
	d[0] = 1
	if joliet {
		d[0] = 2
	}
	copy(d[1:], "CD001")
	d[6] = 1
	text := func(off, n int, s string) {
		if joliet {
			b := ucs2(s)
			for i := 0; i < n; i += 2 { // UCS-2 spaces
				d[off+i], d[off+i+1] = 0, ' '
			}
			copy(d[off:off+n], b)
			return
		}
		copy(d[off:off+n], fmt.Sprintf("%-*s", n, s))
	}
	text(8, 32, "LINUX")
	text(40, 32, volID)
	both32(d[80:], total)
	if joliet {
		copy(d[88:], "%/E") // UCS-2 level 3
	}
	both16(d[120:], 1)
	both16(d[124:], 1)
	both16(d[128:], SectorSize)
	both32(d[132:], pathTableSize)
	binary.LittleEndian.PutUint32(d[140:], pathL)
	binary.BigEndian.PutUint32(d[148:], pathM)
	copy(d[156:], dirRecord([]byte{0}, rootLBA, SectorSize, true, now))
	text(190, 128, "")
	text(318, 128, "")
	text(446, 128, "")
	text(574, 128, "KVM MANAGER")
	text(702, 36, "")
	text(739, 36, "")
	text(776, 36, "")
	stamp := now.UTC().Format("20060102150405") + "00"
	copy(d[813:], stamp)
	copy(d[830:], stamp)
	copy(d[847:], "0000000000000000")
	copy(d[864:], "0000000000000000")
	d[881] = 1
	return d
}

// VolumeIDLength is how many bytes of an image VolumeID needs.
const VolumeIDLength = 17 * SectorSize

// VolumeID returns the primary volume descriptor's volume id of an image
// whose first VolumeIDLength bytes are head, with trailing spaces removed.
// ok is false when head holds no ISO 9660 primary volume descriptor.
func VolumeID(head []byte) (id string, ok bool) {
	if len(head) < VolumeIDLength {
		return "", false
	}
	d := head[lbaPrimary*SectorSize:]
	if d[0] != 1 || string(d[1:6]) != "CD001" {
		return "", false
	}
	return strings.TrimRight(string(d[40:72]), " \x00"), true
}
