//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

// TestStorageResizeClone grows a volume (and refuses to shrink it), clones
// it as an operation, and downloads it with a Content-Length equal to the
// size of the volume's file, which is what libvirt's download sends (not
// the virtual size: a 64 MiB qcow2 image is a file of a few hundred KiB).
func TestStorageResizeClone(t *testing.T) {
	p := stPool(t)
	base := stBase(p.Name) + "/volumes"
	if st, b := api("POST", base, map[string]any{"name": "grow.qcow2", "size": "64MiB"}); st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	st, b := api("POST", base+"/grow.qcow2/resize", map[string]any{"size": "32MiB"})
	stWantErr(t, "shrink", st, b, 400, "volume_shrink_refused", "64.0 MiB")
	st, b = api("POST", base+"/grow.qcow2/resize", map[string]any{"size": "12 GB"})
	stWantErr(t, "ambiguous size", st, b, 400, "invalid_size")
	if c, _ := stVolInfo(t, p.Name, "grow.qcow2"); c != 64<<20 {
		t.Fatalf("refused resizes changed the capacity to %d", c)
	}
	var res struct {
		Volume stVolJSON
		Online *struct{ Name string }
	}
	if st, b := apiJSON("POST", base+"/grow.qcow2/resize", map[string]any{"size": "96MiB"}, &res); st != 200 {
		t.Fatalf("resize: %d %s", st, b)
	}
	if c, _ := stVolInfo(t, p.Name, "grow.qcow2"); c != 96<<20 || res.Volume.Capacity != 96<<20 || res.Online != nil {
		t.Errorf("after the resize: vol-info capacity %d, API %+v", c, res)
	}

	var op opJSON
	if st, b := apiJSON("POST", base+"/grow.qcow2/clone", map[string]any{"name": "copy.qcow2"}, &op); st != 202 || op.ID == "" {
		t.Fatalf("clone: %d %s", st, b)
	}
	if op = waitOp(t, op.ID, 60*time.Second); op.State != "succeeded" {
		t.Fatalf("clone operation: %+v", op)
	}
	var clone stVolJSON
	_ = json.Unmarshal(op.Result, &clone)
	if c, _ := stVolInfo(t, p.Name, "copy.qcow2"); c != 96<<20 || clone.Name != "copy.qcow2" || clone.Format != "qcow2" {
		t.Errorf("the clone: vol-info capacity %d, API %+v", c, clone)
	}
	st, b = api("POST", base+"/grow.qcow2/clone", map[string]any{"name": "copy.qcow2"})
	stWantErr(t, "clone onto an existing name", st, b, 409, "volume_exists")
	st, b = api("POST", base+"/grow.qcow2/clone", map[string]any{"name": "../escape"})
	stWantErr(t, "clone to a bad name", st, b, 400, "invalid_volume_name")
	if got := strings.Join(stVolNames(t, p.Name), " "); got != "copy.qcow2 grow.qcow2" {
		t.Errorf("volumes: %q", got)
	}

	// Download: Content-Length is the file's size, and the body has it all.
	fi, err := os.Stat(clone.Path)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", baseURL+base+"/copy.qcow2/content", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	if resp.ContentLength != fi.Size() || n != fi.Size() {
		t.Errorf("download: Content-Length %d, %d bytes read; the file has %d", resp.ContentLength, n, fi.Size())
	}
	if resp.Header.Get("Content-Length") != strconv.FormatInt(fi.Size(), 10) {
		t.Errorf("Content-Length header %q", resp.Header.Get("Content-Length"))
	}
}

// TestStorageCDROMAndOnlineResize gives a test guest an empty CD-ROM drive
// through the API (and a second one while it runs, for its next start),
// boots it, and through the API inserts a volume, sees it in QEMU's own
// block list (not only in libvirt's XML) and in the stored definition,
// is refused deleting it while inserted, and ejects it. It also grows a
// disk of the running guest, which goes through QEMU (blockresize).
func TestStorageCDROMAndOnlineResize(t *testing.T) {
	l := lv(t)
	p := stPool(t)
	base := stBase(p.Name) + "/volumes"
	var media, disk stVolJSON
	if st, b := apiJSON("POST", base, map[string]any{"name": "media.iso", "format": "raw", "size": "1MiB"}, &media); st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	if st, b := apiJSON("POST", base, map[string]any{"name": "disk.qcow2", "size": "64MiB"}, &disk); st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	// QEMU (user libvirt-qemu) must reach the pool's files: the test's
	// temporary folders are root's own (0700).
	for d := filepath.Dir(p.Path); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	g := newGuest(t, l, "")
	// The drive comes from the API's "add a CD-ROM drive" (shut off: at once).
	var drive struct {
		Target, Bus          string
		EffectiveAtNextStart bool
	}
	if st, b := apiJSON("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/cdrom", nil, &drive); st != 200 || drive.Target == "" || drive.EffectiveAtNextStart {
		t.Fatalf("add a CD-ROM drive: %d %s", st, b)
	}
	hdc := drive.Target
	virsh(t, "start", g.Name)
	waitFor(t, 30*time.Second, g.Name+" running in the API", func() bool { return getVM(t, g.UUID).State == "running" })
	cd := "/api/v1/hosts/local/vms/" + g.UUID + "/cdrom/"
	// A second drive while it runs: in the definition, for the next start.
	var second struct {
		Target               string
		EffectiveAtNextStart bool
		Message              string
	}
	if st, b := apiJSON("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/cdrom", nil, &second); st != 200 || second.Target == hdc ||
		!second.EffectiveAtNextStart || !strings.Contains(second.Message, "next time the VM starts") {
		t.Errorf("add a CD-ROM drive to the running VM: %d %s", st, b)
	}
	if live, def := virsh(t, "dumpxml", g.Name), virsh(t, "dumpxml", "--inactive", g.Name); strings.Contains(live, "dev='"+second.Target+"'") ||
		!strings.Contains(def, "dev='"+second.Target+"'") {
		t.Errorf("the drive added while running: live has it %v, definition has it %v", strings.Contains(live, second.Target), strings.Contains(def, second.Target))
	}

	var m struct {
		Target, Source string
		Live, Config   bool
	}
	if st, b := apiJSON("PUT", cd+hdc, map[string]any{"pool": p.Name, "volume": "media.iso"}, &m); st != 200 {
		t.Fatalf("insert: %d %s", st, b)
	}
	if m.Source != media.Path || !m.Live || !m.Config {
		t.Errorf("insert answered %+v", m)
	}
	if blk := virsh(t, "qemu-monitor-command", g.Name, "--hmp", "info block"); !strings.Contains(blk, media.Path) {
		t.Errorf("QEMU does not have the media in its drive:\n%s", blk)
	}
	if def := virsh(t, "dumpxml", "--inactive", g.Name); !strings.Contains(def, media.Path) {
		t.Errorf("the stored definition does not hold the media")
	}
	st, b := api("DELETE", base+"/media.iso", nil)
	stWantErr(t, "delete inserted media", st, b, 409, "volume_in_use", g.Name)
	st, b = api("PUT", cd+"hdz", map[string]any{"pool": p.Name, "volume": "media.iso"})
	stWantErr(t, "insert into a missing drive", st, b, 404, "cdrom_not_found", "hdz")
	st, b = api("PUT", cd+hdc, map[string]any{"pool": p.Name, "volume": "disk.qcow2"})
	stWantErr(t, "insert a qcow2 image", st, b, 400, "not_cdrom_media")

	if st, b := apiJSON("DELETE", cd+hdc, nil, &m); st != 200 || m.Source != "" || !m.Live || !m.Config {
		t.Fatalf("eject: %d %s", st, b)
	}
	if blk := virsh(t, "qemu-monitor-command", g.Name, "--hmp", "info block"); strings.Contains(blk, media.Path) {
		t.Errorf("QEMU still has the media after the eject:\n%s", blk)
	}
	if def := virsh(t, "dumpxml", "--inactive", g.Name); strings.Contains(def, media.Path) {
		t.Errorf("the stored definition still holds the media")
	}

	// Online resize of a disk of the running guest.
	virsh(t, "attach-disk", g.Name, disk.Path, "vdz", "--live", "--subdriver", "qcow2")
	var res struct {
		Volume stVolJSON
		Online *struct{ UUID, Disk string }
	}
	if st, b := apiJSON("POST", base+"/disk.qcow2/resize", map[string]any{"size": "80MiB"}, &res); st != 200 {
		t.Fatalf("online resize: %d %s", st, b)
	}
	if res.Online == nil || res.Online.UUID != g.UUID || res.Online.Disk != "vdz" {
		t.Errorf("the resize did not go through the guest: %+v", res)
	}
	if info := virsh(t, "domblkinfo", g.Name, "vdz", "--human"); !strings.Contains(info, "80.000 MiB") {
		t.Errorf("QEMU's disk after the resize:\n%s", info)
	}
	virsh(t, "destroy", g.Name)
}

// TestStorageTransferLimits runs a server with one transfer per session,
// two per address and an idle time of 2 s: a session's second upload and
// an address's third are refused with 429 while the others stall, and the
// stalled uploads end by the idle time, their volumes removed, after which
// the session may upload again.
func TestStorageTransferLimits(t *testing.T) {
	s, users := secServer(t, "--max-transfers-per-session", "1", "--max-transfers-per-client", "2", "--transfer-idle", "2s")
	otto, ada := users["otto"], users["ada"]
	// The pool belongs to this test; it is made through the main server
	// (same libvirtd).
	p := stPool(t)
	put := func(u *secUser, name string, body io.Reader, length int64) (*http.Response, error) {
		req, _ := http.NewRequest("PUT", s.URL+stBase(p.Name)+"/volumes/"+name+"/content", body)
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/octet-stream")
		client := http.DefaultClient
		if u != nil {
			req.Header.Set(auth.CSRFHeader, u.csrf)
			req.Header.Set("Origin", s.URL)
			client = u.client
		} else {
			req.Header.Set("Authorization", "Bearer "+s.Token)
		}
		return client.Do(req)
	}
	type result struct {
		st   int
		code string
		err  error
	}
	// stall starts an upload that sends 1 MiB of 64 and then nothing.
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	stall := func(u *secUser, name string) <-chan result {
		pr, pw := io.Pipe()
		out := make(chan result, 1)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _ = pw.Write(make([]byte, 1<<20))
		}()
		go func() {
			defer wg.Done()
			defer pw.Close()
			res, err := put(u, name, pr, 64<<20)
			if err != nil {
				out <- result{err: err}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			out <- result{st: res.StatusCode, code: errCode(b)}
		}()
		// Running once its operation exists: the slot is taken before.
		waitFor(t, 20*time.Second, "the upload of "+name, func() bool {
			st, b, _ := s.Do(t.Context(), "GET", "/api/v1/operations", nil)
			return st == 200 && bytes.Contains(b, []byte(p.Name+"/"+name)) && bytes.Contains(b, []byte(`"running"`))
		})
		return out
	}
	small := func(u *secUser, name string) (int, string) {
		res, err := put(u, name, strings.NewReader("hello"), 5)
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, errCode(b)
	}

	a := stall(otto, "a.img")
	if st, code := small(otto, "b.img"); st != 429 || code != "too_many_transfers" {
		t.Errorf("a session's second upload: %d %s, want 429 too_many_transfers", st, code)
	}
	c := stall(ada, "c.img")
	if st, code := small(nil, "d.img"); st != 429 || code != "too_many_transfers" {
		t.Errorf("an address's third upload: %d %s, want 429 too_many_transfers", st, code)
	}
	for name, ch := range map[string]<-chan result{"a.img": a, "c.img": c} {
		var r result
		select {
		case r = <-ch:
		case <-time.After(60 * time.Second):
			t.Fatalf("the stalled upload %s did not end", name)
		}
		if r.err == nil && (r.st != 504 || r.code != "upload_stalled") {
			t.Errorf("stalled upload %s ended with %d %s, want 504 upload_stalled", name, r.st, r.code)
		}
	}
	if got := stVolNames(t, p.Name); len(got) != 0 {
		t.Errorf("volumes after the refused and stalled uploads: %v", got)
	}
	// The slots are free again.
	if st, code := small(otto, "e.img"); st != 201 {
		t.Errorf("upload after the stalls: %d %s", st, code)
	}
}
