//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// exGuestPool makes the folder of guest g a (transient) storage pool of
// its own, so that its disk is a pool volume libvirt can stream, and
// removes the pool (not the files: the guest's cleanup does) when the
// test ends.
func exGuestPool(t *testing.T, g guest) string {
	t.Helper()
	name := testguest.UniqueName("kmtest-gpool-")
	virsh(t, "pool-create-as", name, "dir", "--target", testguest.VMDir(guestDir, g.Name))
	t.Cleanup(func() { _, _ = execVirsh("pool-destroy", name) })
	return name
}

// exPool creates a directory pool through the API in a temporary folder
// that QEMU (another user) may enter, and removes it when the test ends.
func exPool(t *testing.T) stPoolJSON {
	t.Helper()
	name := testguest.UniqueName("kmtest-pool-")
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { stRemovePool(t, name) })
	var p stPoolJSON
	if st, b := apiJSON("POST", "/api/v1/hosts/local/pools", map[string]any{"name": name, "path": filepath.Join(base, "pool")}, &p); st != 201 {
		t.Fatalf("create pool: %d %s", st, b)
	}
	return p
}

// exDownload exports a VM through the API into a file and returns its
// path; the answer must be 200 with an exact Content-Length.
func exDownload(t *testing.T, uuid, query string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", baseURL+"/api/v1/hosts/local/vms/"+uuid+"/export"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("export: %d %s", res.StatusCode, b)
	}
	path := filepath.Join(t.TempDir(), "vm.kvmexport.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, res.Body)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err != nil || n != res.ContentLength || n == 0 {
		t.Fatalf("export: %d bytes of %d: %v", n, res.ContentLength, err)
	}
	if op := res.Header.Get("X-Operation"); op == "" || waitOp(t, op, 30*time.Second).State != "succeeded" {
		t.Fatalf("export operation %q did not succeed", op)
	}
	return path
}

// exImport posts an export file's bytes to a host's import route of
// server base (with its token) and returns status and body.
func exImport(t *testing.T, base, tok, hostName, query string, data []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/hosts/"+hostName+"/import?"+query, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-tar")
	res, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type exImportJSON struct {
	Name, UUID, Current string
	Renamed             bool
	Snapshots           int
	Disks               []struct{ Target, Volume, Path string }
}

// exDiskOffset returns the offset of the middle of the first disk part's
// bytes in an export file.
func exDiskOffset(t *testing.T, data []byte) int {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(data)}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no disk part in the export file: %v", err)
		}
		if strings.HasPrefix(h.Name, "disks/") && h.Size > 0 {
			return int(cr.n) + int(h.Size/2)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// exNothingLeft checks that a refused import left no VM of that name and
// no volume in the pool.
func exNothingLeft(t *testing.T, name, pool string) {
	t.Helper()
	if out, err := execVirsh("dominfo", name); err == nil {
		t.Fatalf("a refused import left VM %s defined: %s", name, out)
	}
	if vols := stVolNames(t, pool); len(vols) != 0 {
		t.Fatalf("a refused import left volumes in pool %s: %v", pool, vols)
	}
}

// TestExportImportDamaged: a truncated export file and one with a byte
// of its disk changed are refused, as is an import over an existing VM,
// with no VM and no volume left behind. A shut-off guest with one
// snapshot keeps the file small.
func TestExportImportDamaged(t *testing.T) {
	t.Parallel()
	l := lv(t)
	g := defineGuest(t, l, "kmtest-", testguest.Options{})
	exGuestPool(t, g)
	target := exPool(t)
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil)
		return st == 200
	})
	snapCreate(t, g.UUID, map[string]any{"name": "off1"})
	data, err := os.ReadFile(exDownload(t, g.UUID, ""))
	if err != nil {
		t.Fatal(err)
	}
	bad := g.Name + "-bad"
	for what, b := range map[string][]byte{
		"truncated":    data[:len(data)*2/3],
		"one byte off": func() []byte { b := bytes.Clone(data); b[exDiskOffset(t, b)] ^= 0x40; return b }(),
	} {
		st, body := exImport(t, baseURL, token, "local", "pool="+target.Name+"&name="+bad, b)
		if st != 400 || errCode(body) != "archive_invalid" {
			t.Fatalf("%s file: %d %s, want 400 archive_invalid", what, st, body)
		}
		exNothingLeft(t, bad, target.Name)
	}
	// The original still exists: its name (and UUID) are refused.
	if st, body := exImport(t, baseURL, token, "local", "pool="+target.Name, data); st != 409 || errCode(body) != "vm_exists" {
		t.Fatalf("import over the original: %d %s, want 409 vm_exists", st, body)
	}
	exNothingLeft(t, g.Name+"-x", target.Name)
	// The intact file imports.
	name := g.Name + "-ok"
	t.Cleanup(func() { _, _ = execVirsh("undefine", "--snapshots-metadata", name) })
	if st, body := exImport(t, baseURL, token, "local", "pool="+target.Name+"&name="+name, data); st != 201 {
		t.Fatalf("import of the intact file: %d %s", st, body)
	}
	if a, b := virshTree(t, g.Name), virshTree(t, name); !mapsEqual(a, b) || len(a) != 1 {
		t.Fatalf("trees differ: original %v, import %v", a, b)
	}
}

// TestExportImport exports a running guest with a small snapshot tree
// (memory snapshots, each after its own markers) while it is paused for
// the purpose, imports the file under a new name into another pool of
// the same host, and runs the copy from its first snapshot, checking the
// markers inside the guest.
func TestExportImport(t *testing.T) {
	t.Parallel()
	l := lv(t)
	g := defineGuest(t, l, "kmtest-", testguest.Options{})
	exGuestPool(t, g)
	target := exPool(t)
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })

	snapSetMarkers(t, g, "alpha")
	snapCreate(t, g.UUID, map[string]any{"name": "s1"})
	snapSetMarkers(t, g, "bravo")
	snapCreate(t, g.UUID, map[string]any{"name": "s2"})
	snapSetMarkers(t, g, "charl")

	// A running VM is exported only if it may be paused.
	snapRefused(t, "GET", "/api/v1/hosts/local/vms/"+g.UUID+"/export", nil, 409, "vm_running")
	file := exDownload(t, g.UUID, "?pause=true")
	if s := virshState(t, g.Name); s != "running" {
		t.Fatalf("after an export that paused it the VM is %s", s)
	}
	virsh(t, "destroy", g.Name)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	name := g.Name + "-copy"
	t.Cleanup(func() {
		_, _ = execVirsh("destroy", name)
		_, _ = execVirsh("undefine", "--snapshots-metadata", name)
	})
	st, body := exImport(t, baseURL, token, "local", "pool="+target.Name+"&name="+name, data)
	var res exImportJSON
	_ = json.Unmarshal(body, &res)
	if st != 201 || res.Name != name || !res.Renamed || res.UUID == g.UUID || res.Snapshots != 2 || res.Current != "s2" || len(res.Disks) != 1 {
		t.Fatalf("import: %d %s", st, body)
	}
	if !strings.HasPrefix(res.Disks[0].Path, target.Path+"/") {
		t.Fatalf("the imported disk is at %s, not in pool %s", res.Disks[0].Path, target.Path)
	}
	if a, b := virshTree(t, g.Name), virshTree(t, name); !mapsEqual(a, b) {
		t.Fatalf("trees differ: original %v, import %v", a, b)
	}
	if cur := virsh(t, "snapshot-current", name, "--name"); cur != "s2" {
		t.Fatalf("the import's current snapshot is %q", cur)
	}
	if x := virsh(t, "dumpxml", name); strings.Contains(x, g.UUID) || strings.Contains(x, testguest.DataDiskPath(guestDir, g.Name)) {
		t.Fatalf("the import's definition still names the original's UUID or disk:\n%s", x)
	}
	// The copy's disk is the original's as exported (read offline).
	out, err := exec.Command("qemu-io", "-r", "-f", "qcow2", "-c", "read -v 0 10", res.Disks[0].Path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "44 49 53 4b 2d 63 68 61 72 6c") {
		t.Fatalf("the imported disk does not start with DISK-charl: %v: %s", err, out)
	}
	// Reverted to its first snapshot, the copy runs (its serial log is
	// the original's file, which no longer runs) with the RAM and disk
	// written before that snapshot, as the guest itself reports.
	dom, err := l.DomainLookupByName(name)
	if err != nil {
		t.Fatal(err)
	}
	cp := guest{Name: name, UUID: res.UUID, Log: g.Log, Dom: dom}
	waitFor(t, 10*time.Second, "the API to list "+name, func() bool {
		st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+cp.UUID, nil, nil)
		return st == 200
	})
	snapDo(t, "POST", snapPath(cp.UUID, "s1", "revert"), map[string]any{"after": "running"})
	if s := virshState(t, name); s != "running" {
		t.Fatalf("after the revert the copy is %s", s)
	}
	if got := snapMarkers(t, cp); got != "alpha:alpha:DISK-alpha" {
		t.Fatalf("after reverting the import to s1 the markers are %q, want alpha", got)
	}
	if cur := virsh(t, "snapshot-current", name, "--name"); cur != "s1" {
		t.Fatalf("after the revert the copy's current snapshot is %q", cur)
	}
}

// exQemuIO runs qemu-io as user (root when ""), on a stopped VM's image.
func exQemuIO(t *testing.T, user, path, cmd string) string {
	t.Helper()
	args := []string{"qemu-io", "-f", "qcow2", "-c", cmd, path}
	if strings.HasPrefix(cmd, "read") {
		// Read-only and sharing: a revert may hold the image meanwhile.
		args = []string{"qemu-io", "-r", "-U", "-f", "qcow2", "-c", cmd, path}
	}
	if user != "" {
		args = append([]string{"runuser", "-u", user, "--"}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-io %s: %v: %s", cmd, err, out)
	}
	return string(out)
}

// TestExportImportRemote: a VM of the second host (kvmtest's session
// daemon, reached over SSH) is exported through libvirt's streams over
// that connection, and imported on the local host (where reverting the
// copy to its snapshot brings back the disk as it was then) and back on
// the remote host under a new name (the same tree).
func TestExportImportRemote(t *testing.T) {
	t.Parallel()
	env := setupRemote(t)
	g := sessionTestGuest(t)
	disk := testguest.DataDiskPath(sessionGuestsDir, g.Name)
	remotePool := testguest.UniqueName("kmremote-pool-")
	asKvmtest(t, "pool-create-as", remotePool, "dir", "--target", testguest.VMDir(sessionGuestsDir, g.Name))
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session", "pool-destroy", remotePool).Run()
	})
	const alpha = "44 49 53 4b 2d 61 6c 70 68 61" // DISK-alpha
	marker := func(word string) {
		f, err := os.CreateTemp("", "kmmark-*")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(word)
		if err := errors.Join(err, f.Chmod(0o644), f.Close()); err != nil {
			t.Fatal(err)
		}
		exQemuIO(t, "kvmtest", disk, fmt.Sprintf("write -s %s 0 %d", f.Name(), len(word)))
	}
	marker("DISK-alpha")
	asKvmtest(t, "snapshot-create-as", g.Name, "s1")
	marker("DISK-bravo")

	s := startWithHosts(t, "local=qemu:///system", "remote="+env.sshURI(env.User, "/session", env.KnownHosts))
	waitHost(t, s, "remote", "connected", 20*time.Second)
	waitFor(t, 15*time.Second, "the remote host to list "+g.Name, func() bool { return hasVM(listVMs(t, s, "remote"), g.UUID) })

	req, _ := http.NewRequest("GET", s.URL+"/api/v1/hosts/remote/vms/"+g.UUID+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || int64(len(data)) != res.ContentLength {
		t.Fatalf("remote export: %d, %d of %d bytes: %v", res.StatusCode, len(data), res.ContentLength, err)
	}

	// On the local host.
	local := exPool(t)
	name := g.Name + "-here"
	t.Cleanup(func() { _, _ = execVirsh("undefine", "--snapshots-metadata", name) })
	st, body := exImport(t, s.URL, s.Token, "local", "pool="+local.Name+"&name="+name, data)
	var imp exImportJSON
	_ = json.Unmarshal(body, &imp)
	if st != 201 || imp.Snapshots != 1 || imp.Current != "s1" || len(imp.Disks) != 1 {
		t.Fatalf("import on the local host: %d %s", st, body)
	}
	if got := virshSnapshotNames(t, name); len(got) != 1 || got[0] != "s1" {
		t.Fatalf("the local copy's snapshots: %v", got)
	}
	remoteDo(t, s, 202, "POST", "/api/v1/hosts/local/vms/"+imp.UUID+"/snapshots/s1/revert", map[string]any{}, nil)
	waitFor(t, 60*time.Second, "the revert of the local copy", func() bool {
		return strings.Contains(exQemuIO(t, "", imp.Disks[0].Path, "read -v 0 10"), alpha)
	})

	// Back on the remote host, under another name.
	back := g.Name + "-back"
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session", "undefine", "--snapshots-metadata", back).Run()
		_ = exec.Command("runuser", "-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session", "vol-delete", "--pool", remotePool, back+"-vdb.qcow2").Run()
	})
	st, body = exImport(t, s.URL, s.Token, "remote", "pool="+remotePool+"&name="+back, data)
	if st != 201 {
		t.Fatalf("import on the remote host: %d %s", st, body)
	}
	if got := asKvmtest(t, "snapshot-list", back, "--name"); got != "s1" {
		t.Fatalf("the remote copy's snapshots: %q", got)
	}
	if got := asKvmtest(t, "snapshot-current", back, "--name"); got != "s1" {
		t.Fatalf("the remote copy's current snapshot: %q", got)
	}
}
