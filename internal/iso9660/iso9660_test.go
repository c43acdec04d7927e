package iso9660

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// readRoot lists the root directory of one tree of img (the primary at
// descriptor sector 16, Joliet at 17), decoding names as that tree
// stores them, and returns name → content.
func readRoot(t *testing.T, img []byte, sector int) map[string]string {
	t.Helper()
	d := img[sector*SectorSize:]
	if string(d[1:6]) != "CD001" {
		t.Fatalf("sector %d is no volume descriptor", sector)
	}
	rec := d[156:]
	lba := binary.LittleEndian.Uint32(rec[2:])
	if binary.BigEndian.Uint32(rec[6:]) != lba {
		t.Fatal("root extent's two byte orders differ")
	}
	dir := img[int(lba)*SectorSize : int(lba+1)*SectorSize]
	out := map[string]string{}
	for off := 0; off < len(dir) && dir[off] != 0; off += int(dir[off]) {
		r := dir[off:]
		nameLen := int(r[32])
		name := r[33 : 33+nameLen]
		if nameLen == 1 && name[0] <= 1 {
			continue
		}
		ext := binary.LittleEndian.Uint32(r[2:])
		size := binary.LittleEndian.Uint32(r[10:])
		var s string
		if sector == 17 {
			u := make([]uint16, nameLen/2)
			for i := range u {
				u[i] = binary.BigEndian.Uint16(name[2*i:])
			}
			s = string(utf16.Decode(u))
		} else {
			s = string(name)
		}
		out[s] = string(img[int(ext)*SectorSize : int(ext)*SectorSize+int(size)])
	}
	return out
}

func TestWriteReadsBack(t *testing.T) {
	big := strings.Repeat("x", 5000)
	files := []File{{"user-data", []byte("#cloud-config\n")}, {"meta-data", []byte("instance-id: a\n")}, {"big.txt", []byte(big)}, {"empty", nil}}
	img, err := Image("cidata", files, time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(img)%SectorSize != 0 {
		t.Fatalf("image size %d is not whole sectors", len(img))
	}
	if id, ok := VolumeID(img); !ok || id != "cidata" {
		t.Fatalf("VolumeID = %q, %v", id, ok)
	}
	total := binary.LittleEndian.Uint32(img[16*SectorSize+80:])
	if int(total)*SectorSize != len(img) {
		t.Fatalf("volume space size %d sectors, image %d bytes", total, len(img))
	}
	j := readRoot(t, img, 17)
	want := map[string]string{"user-data": "#cloud-config\n", "meta-data": "instance-id: a\n", "big.txt": big, "empty": ""}
	for k, v := range want {
		if j[k] != v {
			t.Errorf("joliet %q = %q, want %q", k, j[k], v)
		}
	}
	if len(j) != len(want) {
		t.Errorf("joliet root has %d files, want %d", len(j), len(want))
	}
	p := readRoot(t, img, 16)
	if p["META_DATA.;1"] != "instance-id: a\n" || p["BIG.TXT;1"] != big {
		t.Errorf("primary names: %v", keys(p))
	}
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestWriteRefuses(t *testing.T) {
	now := time.Now()
	for name, c := range map[string]struct {
		vol   string
		files []File
	}{
		"empty volume id":   {"", nil},
		"long volume id":    {strings.Repeat("a", 17), nil},
		"slash":             {"cidata", []File{{"a/b", nil}}},
		"same primary name": {"cidata", []File{{"a-b", nil}, {"a_b", nil}}},
		"too many files":    {"cidata", manyFiles(60)},
	} {
		if _, err := Image(c.vol, c.files, now); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func manyFiles(n int) []File {
	var fs []File
	for i := range n {
		fs = append(fs, File{Name: strings.Repeat("f", 20) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Data: nil})
	}
	return fs
}

func TestVolumeIDNotISO(t *testing.T) {
	if _, ok := VolumeID(make([]byte, VolumeIDLength)); ok {
		t.Fatal("zeros read as an ISO")
	}
	if _, ok := VolumeID([]byte("short")); ok {
		t.Fatal("a short head read as an ISO")
	}
	img, err := Image("DEBIAN_12", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := VolumeID(bytes.Clone(img[:VolumeIDLength])); id != "DEBIAN_12" {
		t.Fatalf("VolumeID = %q", id)
	}
}
