// Package upload is the kvm-bench subcommand "upload": a volume upload
// through the API against `virsh vol-upload` of the same file to the same
// pool, in one run. It asserts nothing: docs/benchmarks.md says what the
// figures mean and records them.
//
// It writes a file of -size random bytes into a temporary folder, starts
// the server, creates a directory pool there through the API, and then,
// -runs times, alternating which goes first:
//
//   - uploads the file through PUT …/volumes/{vol}/content (the server
//     creates the volume, streams the body to libvirt on a link of its own,
//     hashes it, refreshes the pool), sampling the server's resident memory
//     (VmRSS) every 20 ms;
//   - creates a raw volume of the same size with virsh vol-create-as and
//     fills it with virsh vol-upload (libvirt's own client, the baseline).
//
// Each volume is deleted after its upload. The pool, its folder and the
// file are removed at the end, also on error or Ctrl-C.
package upload

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

type options struct {
	*benchkit.Common
	size int64
	runs int
	dir  string
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.Int64Var(&o.size, "size", 2<<30, "bytes to upload")
	fs.IntVar(&o.runs, "runs", 2, "uploads each way (alternating which goes first)")
	fs.StringVar(&o.dir, "dir", os.TempDir(), "folder for the file and the pool (needs 2 × -size free)")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.size >= 1<<20 && o.runs >= 1, "-size must be at least 1 MiB and -runs positive")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// sample is one upload: its time, and for the API the server's RSS
// before and at its peak during the upload (KiB).
type sample struct {
	// seconds is the whole request; stream the server's own count of the
	// streaming (from the volume's creation to the last byte).
	seconds, stream float64
	rssBefore, peak int64
	// cpu is the CPU time of the sending side (the server, or virsh
	// vol-upload); daemon that of the system libvirtd meanwhile (0 when its
	// pid file cannot be read). CPU time per GiB varies far less with the
	// machine's load than throughput does: it shows where the cost is.
	cpu, daemon time.Duration
}

// libvirtdPID is the system libvirtd's pid (0 when unknown).
func libvirtdPID() int {
	b, err := os.ReadFile("/run/libvirtd.pid")
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func run(ctx context.Context, o options, out io.Writer) error {
	dir, err := os.MkdirTemp(o.dir, "kvm-bench-upload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "upload.img")
	fmt.Fprintf(out, "writing %d MiB of random bytes to %s …\n", o.size>>20, file)
	if err := writeRandom(file, o.size); err != nil {
		return err
	}
	s, err := benchkit.StartConnected(ctx, o.Server, "--stats-interval", "2s")
	if err != nil {
		return err
	}
	defer s.Close()
	pool := testguest.UniqueName("kmbench-pool-")
	base := "/api/v1/hosts/local/pools/" + pool
	if st, b, err := s.Do(ctx, "POST", "/api/v1/hosts/local/pools", map[string]any{"name": pool, "path": filepath.Join(dir, "pool")}); err != nil || st != 201 {
		return fmt.Errorf("create pool: %d %s %v", st, benchkit.Clip(b), err)
	}
	defer func() {
		// Delete what is left (an interrupted run), then the pool.
		for i := range o.runs {
			_, _, _ = s.Do(context.Background(), "DELETE", fmt.Sprintf("%s/volumes/api-%d.img", base, i), nil)
			_ = exec.Command("virsh", "-c", "qemu:///system", "vol-delete", "--pool", pool, fmt.Sprintf("virsh-%d.img", i)).Run()
		}
		_, _, _ = s.Do(context.Background(), "DELETE", base, nil)
	}()
	pid := s.PID()
	time.Sleep(2 * time.Second) // start-up work settles before the first RSS reading

	var api, virsh []sample
	for i := range o.runs {
		steps := []func() error{
			func() error {
				r, err := viaAPI(ctx, s, base, fmt.Sprintf("api-%d.img", i), file, o.size, pid)
				api = append(api, r)
				return err
			},
			func() error {
				r, err := viaVirsh(ctx, pool, fmt.Sprintf("virsh-%d.img", i), file, o.size)
				virsh = append(virsh, r)
				return err
			},
		}
		if i%2 == 1 {
			slices.Reverse(steps)
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
	}
	report(out, o, api, virsh)
	return nil
}

// writeRandom writes size pseudo-random bytes (incompressible, cheap to make).
func writeRandom(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func viaAPI(ctx context.Context, s *testrig.Server, base, vol, file string, size int64, pid int) (sample, error) {
	f, err := os.Open(file)
	if err != nil {
		return sample{}, err
	}
	defer f.Close()
	before, _ := benchkit.StatusKiB(pid, "VmRSS")
	var peak atomic.Int64
	peak.Store(before)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if kib, err := benchkit.StatusKiB(pid, "VmRSS"); err == nil && kib > peak.Load() {
				peak.Store(kib)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, "PUT", s.URL+base+"/volumes/"+vol+"/content", f)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	lpid := libvirtdPID()
	cpu0, d0 := benchkit.CPUTime(pid), benchkit.CPUTime(lpid)
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	took := time.Since(t0)
	cpu, daemon := benchkit.CPUTime(pid)-cpu0, benchkit.CPUTime(lpid)-d0
	close(stop)
	<-done
	if err != nil {
		return sample{}, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		return sample{}, fmt.Errorf("API upload: %d %s", res.StatusCode, benchkit.Clip(b))
	}
	var got struct {
		Bytes   int64
		Seconds float64
	}
	if json.Unmarshal(b, &got) != nil || got.Bytes != size {
		return sample{}, fmt.Errorf("API upload answered %s", benchkit.Clip(b))
	}
	if st, b, err := s.Do(ctx, "DELETE", base+"/volumes/"+vol, nil); err != nil || st != 204 {
		return sample{}, fmt.Errorf("delete %s: %d %s %v", vol, st, benchkit.Clip(b), err)
	}
	return sample{seconds: took.Seconds(), stream: got.Seconds, rssBefore: before, peak: peak.Load(), cpu: cpu, daemon: daemon}, nil
}

func viaVirsh(ctx context.Context, pool, vol, file string, size int64) (sample, error) {
	var cpu time.Duration
	virsh := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "virsh", append([]string{"-c", "qemu:///system"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("virsh %v: %w: %s", args, err, out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return nil
	}
	lpid := libvirtdPID()
	d0 := benchkit.CPUTime(lpid)
	t0 := time.Now()
	// The API's upload also creates its volume first: so does this.
	if err := virsh("vol-create-as", pool, vol, fmt.Sprint(size), "--format", "raw"); err != nil {
		return sample{}, err
	}
	err := virsh("vol-upload", "--pool", pool, vol, file)
	took := time.Since(t0)
	daemon := benchkit.CPUTime(lpid) - d0
	if derr := virsh("vol-delete", "--pool", pool, vol); err == nil {
		err = derr
	}
	if err != nil {
		return sample{}, err
	}
	return sample{seconds: took.Seconds(), cpu: cpu, daemon: daemon}, nil
}

func report(out io.Writer, o options, api, virsh []sample) {
	mib := float64(o.size) / (1 << 20)
	median := func(ss []sample) float64 {
		v := make([]float64, len(ss))
		for i, s := range ss {
			v[i] = mib / s.seconds
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	gib := float64(o.size) / (1 << 30)
	perGiB := func(d time.Duration) float64 { return d.Seconds() / gib }
	fmt.Fprintf(tw, "run\tAPI MiB/s\t(streaming only)\tvirsh vol-upload MiB/s\tserver RSS before → peak (growth)\tCPU s/GiB: server | virsh\tlibvirtd: API | virsh\n")
	for i := range api {
		a, v := api[i], virsh[i]
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.1f → %.1f MiB (+%.1f MiB)\t%.2f | %.2f\t%.2f | %.2f\n", i+1, mib/a.seconds, mib/a.stream, mib/v.seconds,
			float64(a.rssBefore)/1024, float64(a.peak)/1024, float64(a.peak-a.rssBefore)/1024,
			perGiB(a.cpu), perGiB(v.cpu), perGiB(a.daemon), perGiB(v.daemon))
	}
	tw.Flush()
	am, vm := median(api), median(virsh)
	var growth int64
	for _, a := range api {
		growth = max(growth, a.peak-a.rssBefore)
	}
	fmt.Fprintf(out, "upload of %d MiB, median of %d: API %.0f MiB/s, virsh %.0f MiB/s: %.0f %% of virsh (target ≥ 80 %%: %s)\n",
		o.size>>20, len(api), am, vm, 100*am/vm, benchkit.Met(am >= 0.8*vm))
	fmt.Fprintf(out, "server RSS growth during an upload, largest: %.1f MiB (target < 32 MiB: %s)\n",
		float64(growth)/1024, benchkit.Met(growth < 32<<10))
}
