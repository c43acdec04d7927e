//go:build integration

package integration

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// stPoolJSON and stVolJSON are the API's pool and volume.
type stPoolJSON struct {
	Name, UUID, Type, Path, State string
	Capacity                      uint64 `json:"capacityBytes"`
	Available                     uint64 `json:"availableBytes"`
	Managed                       bool
}

type stVolJSON struct {
	Name, Path, Format string
	Capacity           uint64 `json:"capacityBytes"`
	Allocation         uint64 `json:"allocationBytes"`
	UsedBy             []struct{ UUID, Name, Disk string }
}

type stErr struct {
	Error struct{ Code, Message, Hint string }
}

func stBase(pool string) string { return "/api/v1/hosts/local/pools/" + pool }

// stPool creates a directory pool of the test's own through the API, in a
// temporary directory, and removes it (volumes, definition) when the test
// ends, pass or fail.
func stPool(t *testing.T) stPoolJSON {
	t.Helper()
	name := testguest.UniqueName("kmtest-pool-")
	dir := filepath.Join(t.TempDir(), "pool")
	t.Cleanup(func() { stRemovePool(t, name) })
	var p stPoolJSON
	st, b := apiJSON("POST", "/api/v1/hosts/local/pools", map[string]any{"name": name, "path": dir}, &p)
	if st != 201 {
		t.Fatalf("create pool: %d %s", st, b)
	}
	if p.Name != name || p.Type != "dir" || p.State != "running" || p.Path != dir || !p.Managed || p.UUID == "" {
		t.Fatalf("new pool: %+v", p)
	}
	return p
}

// stRemovePool removes a pool of the test's own by name with go-libvirt.
func stRemovePool(t *testing.T, name string) {
	l := lv(t)
	p, err := l.StoragePoolLookupByName(name)
	if err != nil {
		return // the test deleted it
	}
	if vols, _, err := l.StoragePoolListAllVolumes(p, 1, 0); err == nil {
		for _, v := range vols {
			_ = l.StorageVolDelete(v, 0)
		}
	}
	_ = l.StoragePoolDestroy(p)
	if err := l.StoragePoolUndefine(p); err != nil {
		t.Errorf("cleanup of pool %s: %v", name, err)
	}
}

// stVolInfo reads a volume's capacity and allocation with virsh vol-info
// --bytes, by the lines' labels (their order and spacing may change).
func stVolInfo(t *testing.T, pool, vol string) (capacity, allocation uint64) {
	t.Helper()
	out := virsh(t, "vol-info", "--pool", pool, "--bytes", vol)
	found := 0
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		switch strings.TrimSpace(k) {
		case "Capacity":
			capacity, found = n, found+1
		case "Allocation":
			allocation, found = n, found+1
		default:
			continue
		}
		if err != nil {
			t.Fatalf("vol-info %s: %q is not a byte count", vol, line)
		}
	}
	if found != 2 {
		t.Fatalf("vol-info %s: no capacity and allocation in %q", vol, out)
	}
	return capacity, allocation
}

// stVolNames lists the pool's volumes as virsh sees them.
func stVolNames(t *testing.T, pool string) []string {
	t.Helper()
	virsh(t, "pool-refresh", pool)
	var names []string
	for _, line := range strings.Split(virsh(t, "vol-list", "--pool", pool), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "---") {
			names = append(names, f[0])
		}
	}
	return names
}

func stWantErr(t *testing.T, what string, st int, b []byte, status int, code string, says ...string) {
	t.Helper()
	var e stErr
	_ = json.Unmarshal(b, &e)
	if st != status || e.Error.Code != code {
		t.Errorf("%s: %d %s, want %d %s", what, st, b, status, code)
		return
	}
	for _, s := range says {
		if !strings.Contains(e.Error.Message, s) {
			t.Errorf("%s: message %q does not say %q", what, e.Error.Message, s)
		}
	}
}

func TestStorageLifecycle(t *testing.T) {
	p := stPool(t)
	var pools struct{ Pools []stPoolJSON }
	if st, b := apiJSON("GET", "/api/v1/hosts/local/pools", nil, &pools); st != 200 {
		t.Fatalf("list pools: %d %s", st, b)
	}
	seen := false
	for _, q := range pools.Pools {
		if q.UUID == p.UUID {
			seen = q.Name == p.Name && q.State == "running" && q.Capacity > 0
		}
	}
	if !seen {
		t.Fatalf("the new pool is not listed as running: %+v", pools)
	}
	if got := virsh(t, "pool-uuid", p.Name); got != p.UUID {
		t.Errorf("virsh pool-uuid = %s, API %s", got, p.UUID)
	}

	base := stBase(p.Name)
	for _, c := range []struct {
		name, format string
		size         any
		want         uint64
	}{
		{"a.qcow2", "qcow2", "1GiB", 1 << 30},
		{"b.raw", "raw", "512MiB", 512 << 20},
		{"c.qcow2", "", 1048576, 1 << 20},
	} {
		var v stVolJSON
		st, b := apiJSON("POST", base+"/volumes", map[string]any{"name": c.name, "format": c.format, "size": c.size}, &v)
		if st != 201 {
			t.Fatalf("create %s: %d %s", c.name, st, b)
		}
		capa, alloc := stVolInfo(t, p.Name, c.name)
		wantFormat := c.format
		if wantFormat == "" {
			wantFormat = "qcow2"
		}
		if v.Capacity != c.want || capa != c.want || v.Format != wantFormat || v.Allocation != alloc {
			t.Errorf("%s: API %+v; virsh capacity %d allocation %d; want capacity %d format %s", c.name, v, capa, alloc, c.want, wantFormat)
		}
	}

	// Bad input: clear errors, nothing created.
	free := p.Available
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
		says   string
	}{
		{map[string]any{"name": "x", "size": "12 GB"}, 400, "invalid_size", "powers of 1000"},
		{map[string]any{"name": "x", "size": "12 GiB"}, 400, "invalid_size", "space"},
		{map[string]any{"name": "x", "size": "12GB"}, 400, "invalid_size", "powers of 1000"},
		{map[string]any{"name": "x", "size": "-1"}, 400, "invalid_size", "negative"},
		{map[string]any{"name": "x", "size": 0}, 400, "invalid_size", "zero"},
		{map[string]any{"name": "x", "size": fmt.Sprint(free/(1<<30)+1024) + "GiB"}, 507, "pool_full", "free"},
		{map[string]any{"name": "a/b", "size": "1MiB"}, 400, "invalid_volume_name", "'/'"},
		{map[string]any{"name": "..", "size": "1MiB"}, 400, "invalid_volume_name", "'..'"},
		{map[string]any{"name": "x", "size": "1MiB", "format": "vmdk"}, 400, "invalid_format", "vmdk"},
		{map[string]any{"name": "a.qcow2", "size": "1MiB"}, 409, "volume_exists", ""},
	} {
		st, b := apiJSON("POST", base+"/volumes", c.body, nil)
		stWantErr(t, fmt.Sprint(c.body), st, b, c.status, c.code, c.says)
	}
	for _, c := range []struct {
		name, path, code string
	}{
		{"a/b", "/tmp/kmtest-x", "invalid_pool_name"},
		{"../x", "/tmp/kmtest-x", "invalid_pool_name"},
		{"kmtest-bad-path", "relative/dir", "invalid_pool_path"},
		{"kmtest-bad-path", "/tmp/../etc", "invalid_pool_path"},
		{p.Name, "/tmp/kmtest-x", "pool_exists"},
	} {
		st, b := apiJSON("POST", "/api/v1/hosts/local/pools", map[string]any{"name": c.name, "path": c.path}, nil)
		want := 400
		if c.code == "pool_exists" {
			want = 409
		}
		stWantErr(t, c.name+" "+c.path, st, b, want, c.code)
	}
	if out := virsh(t, "pool-list", "--all", "--name"); strings.Contains(out, "kmtest-bad-path") {
		t.Errorf("a refused pool was defined: %s", out)
	}
	if got := strings.Join(stVolNames(t, p.Name), " "); got != "a.qcow2 b.raw c.qcow2" {
		t.Errorf("volumes after the refusals: %s", got)
	}

	var vols struct{ Volumes []stVolJSON }
	if st, b := apiJSON("GET", base+"/volumes", nil, &vols); st != 200 || len(vols.Volumes) != 3 {
		t.Fatalf("list volumes: %d %s", st, b)
	}

	// Stop, start, refresh, as virsh sees them.
	for _, c := range []struct{ action, state, virsh string }{
		{"stop", "inactive", "inactive"}, {"start", "running", "running"}, {"refresh", "running", "running"},
	} {
		var q stPoolJSON
		if st, b := apiJSON("POST", base+"/"+c.action, nil, &q); st != 200 || q.State != c.state {
			t.Fatalf("%s: %d %s", c.action, st, b)
		}
		if info := virsh(t, "pool-info", p.Name); !strings.Contains(info, c.virsh) {
			t.Errorf("after %s virsh says %s", c.action, info)
		}
	}

	// Delete a volume, then the pool; the directory stays.
	if st, b := api("DELETE", base+"/volumes/b.raw", nil); st != 204 {
		t.Fatalf("delete volume: %d %s", st, b)
	}
	if got := strings.Join(stVolNames(t, p.Name), " "); got != "a.qcow2 c.qcow2" {
		t.Errorf("volumes after the delete: %s", got)
	}
	if st, b := api("DELETE", base, nil); st != 204 {
		t.Fatalf("delete pool: %d %s", st, b)
	}
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "pool-info", p.Name).CombinedOutput(); err == nil {
		t.Errorf("the pool is still defined: %s", out)
	}
	if _, err := os.Stat(filepath.Join(p.Path, "a.qcow2")); err != nil {
		t.Errorf("deleting the pool removed its files: %v", err)
	}
	st, b := apiJSON("GET", base, nil, nil)
	stWantErr(t, "GET deleted pool", st, b, 404, "pool_not_found")
}

// stRandomFile writes n random bytes to a file and returns its path and
// SHA-256.
func stRandomFile(t *testing.T, n int64) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upload.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.Reader, n)); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

// stRSS samples the server's resident memory until stop is closed and
// returns the largest sample in KiB.
func stRSS(pid int, stop <-chan struct{}) <-chan int {
	out := make(chan int, 1)
	go func() {
		peak := 0
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
						if n, _ := strconv.Atoi(f[1]); n > peak {
							peak = n
						}
					}
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return out
}

func stUpload(path, url string, body io.Reader, length int64) (*http.Response, error) {
	req, err := http.NewRequest("PUT", baseURL+url, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	return http.DefaultClient.Do(req)
}

func stSHA(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestStorageUpload uploads 200 MiB of random data through the API and
// reads it back through the download route and with virsh vol-download;
// it also measures the server's RSS during the upload, and virsh
// vol-upload of the same file for comparison.
func TestStorageUpload(t *testing.T) {
	p := stPool(t)
	const size = 200 << 20
	file, sum := stRandomFile(t, size)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rssBefore := <-stRSS(srv.PID(), closedChan())
	stop := make(chan struct{})
	peak := stRSS(srv.PID(), stop)
	t0 := time.Now()
	res, err := stUpload(file, stBase(p.Name)+"/volumes/up.img/content", f, size)
	took := time.Since(t0)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var up struct {
		SHA256  string
		Bytes   uint64
		Seconds float64
		Volume  stVolJSON
	}
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatal(err)
	}
	if up.SHA256 != sum || up.Bytes != size || up.Volume.Capacity != size || res.Header.Get("X-Operation") == "" {
		t.Errorf("upload answered %+v (op %q); want sha256 %s and %d bytes", up, res.Header.Get("X-Operation"), sum, size)
	}
	rssPeak := <-peak
	t.Logf("API upload of %d MiB: %.2fs (of which the stream to libvirt %.2fs), %.0f MiB/s; server RSS %d MiB before, peak %d MiB (+%d MiB)",
		size>>20, took.Seconds(), up.Seconds, float64(size>>20)/took.Seconds(), rssBefore>>10, rssPeak>>10, (rssPeak-rssBefore)>>10)
	if grow := rssPeak - rssBefore; grow > 32<<10 {
		t.Errorf("server RSS grew by %d MiB during the upload; want < 32 MiB", grow>>10)
	}

	// Read back through the API.
	req, _ := http.NewRequest("GET", baseURL+stBase(p.Name)+"/volumes/up.img/content", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	dl, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := stSHA(t, dl.Body); dl.StatusCode != 200 || got != sum {
		t.Errorf("download: %d, sha256 %s, want %s", dl.StatusCode, got, sum)
	}
	dl.Body.Close()
	// And with virsh.
	out := filepath.Join(t.TempDir(), "back.img")
	virsh(t, "vol-download", "--pool", p.Name, "up.img", out)
	g, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := stSHA(t, g); got != sum {
		t.Errorf("virsh vol-download: sha256 %s, want %s", got, sum)
	}
	g.Close()

	// virsh vol-upload of the same file, for comparison.
	virsh(t, "vol-create-as", p.Name, "virsh.img", strconv.Itoa(size), "--format", "raw")
	t0 = time.Now()
	virsh(t, "vol-upload", "--pool", p.Name, "virsh.img", file)
	vt := time.Since(t0)
	t.Logf("virsh vol-upload of %d MiB: %.2fs, %.0f MiB/s; the API reached %.0f %% of it",
		size>>20, vt.Seconds(), float64(size>>20)/vt.Seconds(), 100*vt.Seconds()/took.Seconds())
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// TestStorageUploadCancel cancels an upload midway through its operation,
// and drops another by closing the connection: neither leaves a volume.
func TestStorageUploadCancel(t *testing.T) {
	p := stPool(t)
	const size = 64 << 20
	for _, how := range []string{"operation", "disconnect"} {
		t.Run(how, func(t *testing.T) {
			name := "cancel-" + how + ".img"
			pr, pw := io.Pipe()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // 8 MiB, then the client stalls
				defer wg.Done()
				_, _ = pw.Write(make([]byte, 8<<20))
			}()
			type result struct {
				st   int
				body []byte
				err  error
			}
			done := make(chan result, 1)
			go func() {
				res, err := stUpload("", stBase(p.Name)+"/volumes/"+name+"/content", pr, size)
				if err != nil {
					done <- result{err: err}
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				done <- result{st: res.StatusCode, body: b}
			}()
			wg.Wait() // the server has read 8 MiB: the upload runs
			var opID string
			waitFor(t, 10*time.Second, "the upload's operation", func() bool {
				var ops []struct {
					ID, Kind, State string
					Target          struct{ Name string }
				}
				_, b := api("GET", "/api/v1/operations", nil)
				var wrap struct {
					Operations json.RawMessage
				}
				if json.Unmarshal(b, &wrap) == nil && wrap.Operations != nil {
					b = wrap.Operations
				}
				_ = json.Unmarshal(b, &ops)
				for _, o := range ops {
					if o.Kind == "volume-upload" && o.Target.Name == p.Name+"/"+name && o.State == "running" {
						opID = o.ID
						return true
					}
				}
				return false
			})
			if how == "operation" {
				if st, b := api("DELETE", "/api/v1/operations/"+opID, nil); st != 200 {
					t.Fatalf("cancel: %d %s", st, b)
				}
				r := <-done
				if r.err == nil {
					stWantErr(t, "canceled upload", r.st, r.body, 499, "upload_canceled")
				}
			} else {
				pw.CloseWithError(fmt.Errorf("client gone"))
				<-done
			}
			pw.Close()
			waitFor(t, 10*time.Second, "the operation to end", func() bool {
				var o struct{ State string }
				apiJSON("GET", "/api/v1/operations/"+opID, nil, &o)
				return o.State != "running"
			})
			for _, v := range stVolNames(t, p.Name) {
				if v == name {
					t.Errorf("the %s upload left its volume", how)
				}
			}
			if _, err := os.Stat(filepath.Join(p.Path, name)); err == nil {
				t.Errorf("the %s upload left its file", how)
			}
		})
	}
	// A small upload works; one beyond the limits is refused before
	// anything is made.
	st, b := apiJSON("PUT", stBase(p.Name)+"/volumes/small.img/content", strings.Repeat("x", 10), nil)
	if st != 201 {
		t.Errorf("small upload: %d %s", st, b)
	}
	res, err := stUpload("", stBase(p.Name)+"/volumes/huge.img/content", io.LimitReader(zeros{}, 1<<50), 1<<50)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 && res.StatusCode != 507 {
			t.Errorf("a 1 PiB upload: %d %s", res.StatusCode, b)
		}
	}
	if got := strings.Join(stVolNames(t, p.Name), " "); got != "small.img" {
		t.Errorf("volumes left: %q", got)
	}
}

// TestStorageInUse: a volume attached to a test guest cannot be deleted,
// nor its pool, and the refusals name the guest.
func TestStorageInUse(t *testing.T) {
	l := lv(t)
	p := stPool(t)
	var v stVolJSON
	if st, b := apiJSON("POST", stBase(p.Name)+"/volumes", map[string]any{"name": "data.qcow2", "size": "64MiB"}, &v); st != 201 {
		t.Fatalf("create volume: %d %s", st, b)
	}
	g := newGuest(t, l, "")
	virsh(t, "attach-disk", g.Name, v.Path, "vdz", "--config", "--subdriver", "qcow2")
	st, b := api("DELETE", stBase(p.Name)+"/volumes/data.qcow2", nil)
	stWantErr(t, "delete used volume", st, b, 409, "volume_in_use", g.Name)
	st, b = api("DELETE", stBase(p.Name), nil)
	stWantErr(t, "delete pool with a used volume", st, b, 409, "pool_in_use", g.Name)
	// The refusals re-read the VMs: the listing shows the user now.
	var got stVolJSON
	for i := 0; ; i++ {
		apiJSON("GET", stBase(p.Name)+"/volumes/data.qcow2", nil, &got)
		if len(got.UsedBy) == 1 && got.UsedBy[0].UUID == g.UUID && got.UsedBy[0].Disk == "vdz" {
			break
		}
		if i == 20 {
			_, vm := api("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil)
			t.Fatalf("the API does not see the volume used: volume %+v; VM %s", got, vm)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := strings.Join(stVolNames(t, p.Name), " "); got != "data.qcow2" {
		t.Errorf("volumes after the refusals: %q", got)
	}
	virsh(t, "detach-disk", g.Name, "vdz", "--config")
	if st, b := api("DELETE", stBase(p.Name)+"/volumes/data.qcow2", nil); st != 204 {
		t.Errorf("delete the freed volume: %d %s", st, b)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
