//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// crMedia builds (or finds up to date) the test guest's bootable ISO and
// disk image (scripts/build-test-guest-media.sh).
func crMedia(t *testing.T) (iso, disk string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(testrig.ModuleRoot(), "scripts", "build-test-guest-media.sh"), guestDir).CombinedOutput()
	if err != nil {
		t.Fatalf("build-test-guest-media.sh: %v: %s", err, out)
	}
	m := filepath.Join(guestDir, "media")
	return filepath.Join(m, "testguest.iso"), filepath.Join(m, "testguest.qcow2")
}

// crPool makes a directory pool of the test's own that QEMU can read
// (under the guest directory, not a private temporary one), holding copies
// of files, and removes the pool, its volumes and directory at the end.
func crPool(t *testing.T, files ...string) string {
	t.Helper()
	name := testguest.UniqueName("kmtest-cpool-")
	dir := filepath.Join(guestDir, "vms", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stRemovePool(t, name)
		_ = os.RemoveAll(dir)
	})
	for _, f := range files {
		if out, err := exec.Command("cp", "--sparse=always", f, dir).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v: %s", f, err, out)
		}
	}
	if st, b := api("POST", "/api/v1/hosts/local/pools", map[string]any{"name": name, "path": dir}); st != 201 {
		t.Fatalf("create pool: %d %s", st, b)
	}
	return name
}

// crRemoveVM removes a VM the test created, by UUID, with its NVRAM.
func crRemoveVM(t *testing.T, uuid string) {
	l, err := dial()
	if err != nil {
		t.Errorf("cleanup of %s: %v", uuid, err)
		return
	}
	defer l.Disconnect()
	u, _ := parseUUIDForTest(uuid)
	d, err := l.DomainLookupByUUID(u)
	if err != nil {
		return
	}
	_ = l.DomainDestroy(d)
	if err := l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram|libvirt.DomainUndefineManagedSave); err != nil {
		t.Errorf("cleanup of %s: %v", uuid, err)
	}
}

func parseUUIDForTest(s string) (libvirt.UUID, error) {
	var u libvirt.UUID
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, fmt.Errorf("bad uuid %q", s)
	}
	for i := range 16 {
		if _, err := fmt.Sscanf(h[2*i:2*i+2], "%02x", &u[i]); err != nil {
			return u, err
		}
	}
	return u, nil
}

type crResult struct {
	UUID, Name string
	Started    bool
	Volumes    []string
}

// crCreate creates a VM through the API and waits for its operation; the
// VM is removed when the test ends.
func crCreate(t, owner *testing.T, req map[string]any) crResult {
	t.Helper()
	return crCreateOp(t, owner, "/api/v1/hosts/local/vms", req)
}

// crShell types cmd on the VM's serial console (through the API) until
// the console shows want, which only the command's output can contain.
func crShell(t *testing.T, uuid, cmd, want string, d time.Duration) {
	t.Helper()
	tk := ticketFor(t, uuid, map[string]any{})
	v := openViewer(t, tk.URL, bearer())
	deadline := time.Now().Add(d)
	for !strings.Contains(v.output(), want) {
		if time.Now().After(deadline) {
			out := v.output()
			t.Fatalf("VM %s: %q never appeared on the serial console; last output: %q", uuid, want, out[max(0, len(out)-600):])
		}
		v.send(cmd + "\r")
		for i := 0; i < 20 && !strings.Contains(v.output(), want); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestCreateVMs creates VMs through the API from the test guest's bootable
// ISO and, as a cloud image, its disk image with a cloud-init seed; the ISO
// VM is cloned in full, the copy made a template, and a linked clone made
// from it; the ISO VM, the linked clone and the cloud-init VM boot in
// parallel and are checked inside the guest. Bad input is refused with
// clear errors and leaves nothing behind.
func TestCreateVMs(t *testing.T) {
	iso, disk := crMedia(t)
	pool := crPool(t, iso, disk)
	if st, b := api("POST", stBase(pool)+"/refresh", nil); st != 200 {
		t.Fatalf("refresh: %d %s", st, b)
	}
	base := func(name string) map[string]any {
		return map[string]any{"name": name, "memoryMiB": 256, "cpu": map[string]any{"count": 1}, "network": map[string]any{"none": true},
			"disk": map[string]any{"pool": pool, "size": "64MiB"}}
	}
	isoName := testguest.UniqueName("kmtest-iso-")
	ciName := testguest.UniqueName("kmtest-ci-")
	hostname := "ci-" + strings.TrimPrefix(ciName, "kmtest-ci-")

	// The OS catalogue is real osinfo-db: Debian 11's netinst ISO is known.
	var found struct{ OS []struct{ ShortID string } }
	if st, b := apiJSON("GET", "/api/v1/osinfo?q=debian+11", nil, &found); st != 200 || len(found.OS) == 0 || found.OS[0].ShortID != "debian11" {
		t.Fatalf("osinfo search: %d %s", st, b)
	}
	var det struct {
		VolumeID string
		Matches  []any
		Note     string
	}
	if st, b := apiJSON("GET", stBase(pool)+"/volumes/testguest.iso/osinfo", nil, &det); st != 200 || det.VolumeID != "KVMTEST" || len(det.Matches) != 0 || !strings.Contains(det.Note, "does not recognise") {
		t.Fatalf("detect: %d %s", st, b)
	}

	// The ISO VM's NIC (its clone must get a new MAC) is on a bridge of
	// the test's own with no address and no uplink: a dead end, so no
	// traffic can go anywhere. Guests that need a working network run in
	// the network namespace (netns_test.go).
	deadEnd := "kmtbr" + randHex(4)
	if out, err := exec.Command("ip", "link", "add", deadEnd, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("ip link add %s: %v: %s", deadEnd, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", deadEnd).Run() })
	t0 := time.Now()
	top := t
	var isoVM, ciVM, clone crResult
	t.Run("create", func(t *testing.T) {
		t.Run("iso", func(t *testing.T) {
			t.Parallel()
			req := base(isoName)
			req["source"] = map[string]any{"kind": "iso", "pool": pool, "volume": "testguest.iso"}
			req["network"] = map[string]any{"bridge": deadEnd}
			isoVM = crCreate(t, top, req)
		})
		t.Run("cloud-image", func(t *testing.T) {
			t.Parallel()
			req := base(ciName)
			req["source"] = map[string]any{"kind": "cloud-image", "pool": pool, "volume": "testguest.qcow2"}
			req["disk"] = map[string]any{"pool": pool}
			req["start"] = true
			req["cloudInit"] = map[string]any{"hostname": hostname,
				"userData": "#cloud-config\nwrite_files:\n  - path: /root/written\n    content: from-write-files\nruncmd:\n  - echo from-runcmd > /root/ran\n"}
			ciVM = crCreate(t, top, req)
		})
	})
	if t.Failed() {
		return
	}
	if isoVM.Started || !ciVM.Started || len(ciVM.Volumes) != 2 || !slices.Contains(ciVM.Volumes, pool+"/"+ciName+"-cidata.iso") {
		t.Fatalf("results: %+v %+v", isoVM, ciVM)
	}
	// The ISO VM, still shut off, is cloned (a full copy), the copy made a
	// template, and a VM created from the template as a linked clone
	// (started); then the ISO VM is started itself: the two boot beside
	// the cloud-init VM. The template stays off: a linked clone's QEMU
	// holds its backing file, which the template's disk now is.
	vmDir := filepath.Join(guestDir, "vms", pool)
	fullName := testguest.UniqueName("kmtest-full-")
	full := crCreateOp(t, t, "/api/v1/hosts/local/vms/"+isoVM.UUID+"/clone", map[string]any{"name": fullName})
	if full.UUID == "" || full.UUID == isoVM.UUID || full.Started || full.Name != fullName {
		t.Fatalf("full clone: %+v", full)
	}
	fullDisk := filepath.Join(vmDir, fullName+".qcow2")
	if chain := crBackingChain(t, fullDisk); len(chain) != 1 {
		t.Errorf("the full clone's disk has a backing chain: %v", chain)
	}
	if out, err := exec.Command("qemu-img", "compare", "-U", filepath.Join(vmDir, isoName+".qcow2"), fullDisk).CombinedOutput(); err != nil {
		t.Errorf("qemu-img compare original and full clone: %v: %s", err, out)
	}
	crTemplate(t, full)
	tmplHash := crHash(t, fullDisk)
	cloneName := testguest.UniqueName("kmtest-clone-")
	clone = crCreateOp(t, t, "/api/v1/hosts/local/vms/"+full.UUID+"/clone", map[string]any{"name": cloneName, "linked": true, "start": true})
	if clone.UUID == "" || clone.UUID == full.UUID || !clone.Started || clone.Name != cloneName {
		t.Fatalf("linked clone: %+v", clone)
	}
	// The linked clone's disk is a qcow2 overlay whose backing file is the
	// template's disk, and the inventory says what it is.
	if chain := crBackingChain(t, filepath.Join(vmDir, cloneName+".qcow2")); len(chain) != 2 || chain[1] != fullDisk {
		t.Errorf("the linked clone's backing chain is %v, want its overlay on %s", chain, fullDisk)
	}
	crWaitVM(t, clone.UUID, "a linked clone of "+full.UUID, func(vm crVM) bool { return vm.ClonedFrom == full.UUID && vm.LinkedClone && !vm.Template })
	if st, b := api("POST", "/api/v1/hosts/local/vms/"+isoVM.UUID+"/start", nil); st != 200 {
		t.Fatalf("start: %d %s", st, b)
	}
	if a, b := crMAC(t, isoVM.UUID), crMAC(t, full.UUID); a == b {
		t.Errorf("the full clone kept the MAC %s", a)
	}
	if a, b := crMAC(t, full.UUID), crMAC(t, clone.UUID); a == b {
		t.Errorf("the linked clone kept the MAC %s", a)
	}
	t.Logf("created 3 VMs in %.1fs", time.Since(t0).Seconds())
	// Refusals, checked while the guests boot (nothing is booted for them).
	t.Run("refusals", func(t *testing.T) { crRefusals(t, pool, base, isoName, ciName) })

	t.Run("boot", func(t *testing.T) {
		t.Run("iso", func(t *testing.T) {
			t.Parallel()
			crShell(t, isoVM.UUID, "echo SUM-$((40+2))", "SUM-42", 4*time.Minute)
		})
		t.Run("linked-clone", func(t *testing.T) {
			t.Parallel()
			// The guest sees the VM's own disk (the overlay) as its only virtio disk, /dev/vda.
			crShell(t, clone.UUID, "dd if=/dev/urandom of=/dev/vda bs=64k count=16 conv=fsync 2>/dev/null; echo WROTE-$((1+1))", "WROTE-2", 4*time.Minute)
		})
		t.Run("cloud-init", func(t *testing.T) {
			t.Parallel()
			crShell(t, ciVM.UUID, "echo HN=$(hostname) W=$(cat /root/written) R=$(cat /root/ran)",
				"HN="+hostname+" W=from-write-files R=from-runcmd", 4*time.Minute)
		})
	})
	t.Logf("booted and checked in %.1fs", time.Since(t0).Seconds())
	if after := crHash(t, fullDisk); after != tmplHash {
		t.Errorf("the template's disk changed when its linked clone wrote to its own")
	}
}

// crRefusals sends bad requests and checks the errors and that libvirt
// holds no domain or volume for them afterwards.
func crRefusals(t *testing.T, pool string, base func(string) map[string]any, isoName, ciName string) {
	volsBefore := stVolNames(t, pool)
	bad := testguest.UniqueName("kmtest-bad-")
	with := func(name string, kv ...any) map[string]any {
		r := base(name)
		r["source"] = map[string]any{"kind": "iso", "pool": pool, "volume": "testguest.iso"}
		for i := 0; i+1 < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		return r
	}
	cases := []struct {
		what   string
		req    map[string]any
		status int
		code   string
		says   string
	}{
		{"empty name", with(""), 400, "invalid_vm_name", "needs a name"},
		{"long name", with(strings.Repeat("a", 65)), 400, "invalid_vm_name", "more than 64"},
		{"slash", with("a/b"), 400, "invalid_vm_name", "'/'"},
		{"existing", with(isoName), 409, "vm_exists", isoName},
		{"beyond the pool", with(bad, "disk", map[string]any{"pool": pool, "size": "900TiB"}), 507, "pool_full", pool},
		{"unknown os", with(bad, "os", "no-such-os-1"), 400, "unknown_os", "no-such-os-1"},
		{"bad user-data", with(bad, "source", map[string]any{"kind": "cloud-image", "pool": pool, "volume": "testguest.qcow2"},
			"cloudInit", map[string]any{"userData": "#cloud-config\nruncmd:\n  - ok\n  - [a\n"}), 400, "invalid_user_data", "line "},
		{"bad network-config", with(bad, "source", map[string]any{"kind": "cloud-image", "pool": pool, "volume": "testguest.qcow2"},
			"cloudInit", map[string]any{"networkConfig": "version: 2\nethernet: {}\n"}), 400, "invalid_network_config", "line 2"},
		{"disk in use", with(bad, "source", map[string]any{"kind": "disk", "pool": pool, "volume": ciName + ".qcow2"}), 409, "volume_in_use", ciName},
		{"no such volume", with(bad, "source", map[string]any{"kind": "iso", "pool": pool, "volume": "nope.iso"}), 404, "volume_not_found", "nope.iso"},
		{"no such network", with(bad, "network", map[string]any{"network": "kmtest-no-such-net"}), 404, "network_not_found", "kmtest-no-such-net"},
		{"secure boot with bios", with(bad, "firmware", "bios", "secureBoot", true), 400, "invalid_vm_spec", "Secure Boot"},
	}
	for _, c := range cases {
		st, b := api("POST", "/api/v1/hosts/local/vms", c.req)
		stWantErr(t, c.what, st, b, c.status, c.code, c.says)
	}
	// A failure midway (the bridge does not exist, so the start fails
	// after the disk was made and the VM defined) removes both.
	req := with(bad, "network", map[string]any{"bridge": "kmtestnobr0"}, "start", true)
	var op opJSON
	if st, b := apiJSON("POST", "/api/v1/hosts/local/vms", req, &op); st != 202 {
		t.Fatalf("midway: %d %s", st, b)
	}
	if done := waitOp(t, op.ID, 2*time.Minute); done.State != "failed" || done.Error == nil {
		t.Fatalf("midway: %+v", done)
	} else {
		t.Logf("midway failure: %s: %s", done.Error.Code, done.Error.Message)
	}
	l := lv(t)
	if _, err := l.DomainLookupByName(bad); err == nil {
		t.Errorf("domain %s left behind", bad)
	}
	for _, name := range []string{"", strings.Repeat("a", 65)} {
		if name != "" {
			if _, err := l.DomainLookupByName(name); err == nil {
				t.Errorf("domain %s defined", name)
			}
		}
	}
	if after := stVolNames(t, pool); !slices.Equal(after, volsBefore) {
		t.Errorf("volumes before %v, after %v", volsBefore, after)
	}
}

// crMAC reads the first MAC address of a domain's definition.
func crMAC(t *testing.T, uuid string) string {
	t.Helper()
	xml := virsh(t, "dumpxml", uuid)
	_, rest, ok := strings.Cut(xml, "<mac address='")
	if !ok {
		t.Fatalf("no MAC in %s's definition", uuid)
	}
	mac, _, _ := strings.Cut(rest, "'")
	return mac
}

// crTemplate makes the (shut-off) VM a template: power actions are then
// refused, and the inventory lists none for it.
func crTemplate(t *testing.T, vm crResult) {
	if st, b := api("PUT", "/api/v1/hosts/local/vms/"+vm.UUID+"/template", map[string]any{"template": true}); st != 200 {
		t.Fatalf("template: %d %s", st, b)
	}
	for _, action := range []string{"start", "reset"} {
		st, b := api("POST", "/api/v1/hosts/local/vms/"+vm.UUID+"/"+action, nil)
		stWantErr(t, "template "+action, st, b, 409, "vm_is_template", "template")
	}
	if s := virshState(t, vm.Name); s != "shutoff" {
		t.Errorf("the template is %s", s)
	}
	crWaitVM(t, vm.UUID, "a template with no power actions", func(vm crVM) bool { return vm.Template && len(vm.Actions) == 0 })
}

// crVM is what the clone checks read of a VM from the API.
type crVM struct {
	Template    bool
	ClonedFrom  string
	LinkedClone bool
	Actions     []string
}

// crWaitVM waits until the API shows the VM as ok says (the inventory
// re-reads a definition on libvirt's events, a moment after the change).
func crWaitVM(t *testing.T, uuid, what string, ok func(crVM) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var vm crVM
		st, b := apiJSON("GET", "/api/v1/hosts/local/vms/"+uuid, nil, &vm)
		if st == 200 && ok(vm) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("VM %s is not %s: %d %s", uuid, what, st, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// crBackingChain lists a disk image and its backing files, top first
// (qemu-img info --backing-chain, without locking: the VM may run).
func crBackingChain(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "-U", "--backing-chain", "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var chain []struct{ Filename string }
	if err := json.Unmarshal(out, &chain); err != nil {
		t.Fatalf("qemu-img info %s: %v: %s", path, err, out)
	}
	files := make([]string, len(chain))
	for i, c := range chain {
		files[i] = c.Filename
	}
	return files
}

func crHash(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return stSHA(t, f)
}

// crCreateOp posts a request that answers with an operation making a VM
// and waits for it; the VM is removed when owner (t or a parent) ends.
func crCreateOp(t, owner *testing.T, path string, req map[string]any) crResult {
	t.Helper()
	var op opJSON
	st, b := apiJSON("POST", path, req, &op)
	if st != 202 {
		t.Fatalf("POST %s: %d %s", path, st, b)
	}
	done := waitOp(t, op.ID, 5*time.Minute)
	var res crResult
	_ = json.Unmarshal(done.Result, &res)
	if res.UUID != "" {
		owner.Cleanup(func() { crRemoveVM(owner, res.UUID) })
	}
	if done.State != "succeeded" {
		t.Fatalf("POST %s: %s %+v", path, done.State, done.Error)
	}
	return res
}
