package osinfo

import (
	"testing"
)

func load(t *testing.T) *DB {
	t.Helper()
	db, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestLoadInherits(t *testing.T) {
	db := load(t)
	if db.Len() != 4 {
		t.Fatalf("Len = %d", db.Len())
	}
	o, ok := db.Lookup("exos-two")
	if !ok || o.ID != "http://example.org/exos/2" || o.ShortID != "exos2" {
		t.Fatalf("Lookup(exos-two) = %+v, %v", o, ok)
	}
	// ExOS 2 says nothing of resources and devices: ExOS 1's hold.
	if o.Recommended.CPUs != 2 || o.Recommended.MemoryBytes != 1<<30 || o.Minimum.StorageBytes != 5<<30 {
		t.Errorf("inherited resources: %+v %+v", o.Minimum, o.Recommended)
	}
	if o.DiskBus != "virtio" || o.NICModel != "virtio" || o.Firmware != "bios" || o.TPM {
		t.Errorf("devices: %+v", o)
	}
	old, _ := db.Lookup("oldos")
	if old.DiskBus != "sata" || old.NICModel != "e1000e" || old.Recommended != (Resources{}) {
		t.Errorf("an OS without devices: %+v", old)
	}
	w, _ := db.Lookup("http://microsoft.com/win/11")
	if w.Firmware != "efi" || !w.TPM || w.Minimum.MemoryBytes != 4<<30 {
		t.Errorf("windows 11: %+v", w)
	}
	if _, ok := db.Lookup("nope"); ok {
		t.Error("unknown id found")
	}
}

func TestSearch(t *testing.T) {
	db := load(t)
	got := db.Search("exos", 0)
	if len(got) != 2 || got[0].ShortID != "exos2" {
		t.Fatalf("Search(exos) = %v (want newest first)", names(got))
	}
	if got := db.Search("EXAMPLE exos 1", 0); len(got) != 1 || got[0].ShortID != "exos1" {
		t.Fatalf("Search(EXAMPLE exos 1) = %v", names(got))
	}
	if got := db.Search("", 1); len(got) != 1 {
		t.Fatalf("limit: %v", names(got))
	}
}

func TestDetect(t *testing.T) {
	db := load(t)
	for vol, want := range map[string]string{"ExOS 1.3 amd64": "exos1", "ExOS 2 netinst": "exos2", "ExOS 1.3 arm64": "", "": "", "CIDATA": ""} {
		got := db.Detect(vol)
		switch {
		case want == "" && len(got) != 0:
			t.Errorf("Detect(%q) = %v, want none", vol, names(got))
		case want != "" && (len(got) == 0 || got[0].ShortID != want):
			t.Errorf("Detect(%q) = %v, want %s first", vol, names(got), want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Fatal("an empty directory loaded")
	}
}

func names(os []OS) []string {
	var n []string
	for _, o := range os {
		n = append(n, o.ShortID)
	}
	return n
}
