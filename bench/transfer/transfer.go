// Package transfer is the kvm-bench subcommand "transfer": a VM's export
// (GET …/export, the disk read through libvirt's volume stream into a tar
// file) and import (POST …/import, the file uploaded, hashed and written
// into a pool through libvirt) against cp and qemu-img convert of the same
// disk, in one run. It asserts nothing: docs/benchmarks.md records the
// figures.
//
// It makes a qcow2 disk of -size bytes (filled with qemu-io, a pattern
// per MiB), defines a shut-off VM using it (never started), makes the
// disk's folder a transient pool and a second folder a pool for the
// imports, and then, -runs times, alternating the order: export to a
// file, import of that file under a new name, cp of the disk, qemu-img
// convert of the disk. Everything is removed at the end, also on error or
// Ctrl-C.
package transfer

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	fs.Int64Var(&o.size, "size", 1<<30, "bytes of data in the VM's disk")
	fs.IntVar(&o.runs, "runs", 2, "rounds (alternating the order)")
	fs.StringVar(&o.dir, "dir", "/var/lib/libvirt/images", "folder for the disk, the pools and the files (needs 5 × -size free; QEMU need not enter it)")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.size >= 1<<20 && o.runs >= 1, "-size must be at least 1 MiB and -runs positive")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

func sh(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, out)
	}
	return nil
}

func run(ctx context.Context, o options, out io.Writer) error {
	dir, err := os.MkdirTemp(o.dir, "kvm-bench-transfer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	name := testguest.UniqueName("kmbench-tr-")
	vmDir := testguest.VMDir(dir, name)
	if err := os.MkdirAll(vmDir, 0o755); err != nil {
		return err
	}
	disk := testguest.DataDiskPath(dir, name)
	fmt.Fprintf(out, "making a qcow2 disk with %d MiB of data at %s …\n", o.size>>20, disk)
	if err := sh(ctx, "qemu-img", "create", "-q", "-f", "qcow2", disk, fmt.Sprint(o.size)); err != nil {
		return err
	}
	var cmds []string
	for off := int64(0); off < o.size; off += 1 << 20 {
		cmds = append(cmds, "-c", fmt.Sprintf("write -q -P %d %d 1M", off>>20%251+1, off))
	}
	if err := sh(ctx, "qemu-io", append([]string{"-f", "qcow2"}, append(cmds, disk)...)...); err != nil {
		return err
	}
	doc, err := testguest.DomainXML(testguest.Options{Name: name, Dir: dir, DomainType: "qemu"})
	if err != nil {
		return err
	}
	xmlFile := filepath.Join(dir, "dom.xml")
	if err := os.WriteFile(xmlFile, []byte(doc), 0o600); err != nil {
		return err
	}
	virsh := func(args ...string) error {
		return sh(ctx, "virsh", append([]string{"-c", "qemu:///system"}, args...)...)
	}
	if err := virsh("define", xmlFile); err != nil {
		return err
	}
	defer func() { _ = sh(context.Background(), "virsh", "-c", "qemu:///system", "undefine", name) }()
	srcPool, dstPool := name+"-src", name+"-dst"
	if err := virsh("pool-create-as", srcPool, "dir", "--target", vmDir); err != nil {
		return err
	}
	defer func() { _ = sh(context.Background(), "virsh", "-c", "qemu:///system", "pool-destroy", srcPool) }()
	if err := os.MkdirAll(filepath.Join(dir, "dst"), 0o755); err != nil {
		return err
	}
	if err := virsh("pool-create-as", dstPool, "dir", "--target", filepath.Join(dir, "dst")); err != nil {
		return err
	}
	defer func() { _ = sh(context.Background(), "virsh", "-c", "qemu:///system", "pool-destroy", dstPool) }()

	s, err := benchkit.StartConnected(ctx, o.Server, "--stats-interval", "2s")
	if err != nil {
		return err
	}
	defer s.Close()
	var uuid string
	if b, err := exec.CommandContext(ctx, "virsh", "-c", "qemu:///system", "domuuid", name).Output(); err == nil {
		uuid = string(b[:36])
	} else {
		return err
	}
	if err := benchkit.WaitListed(ctx, s, uuid, name, "shutoff", 30*time.Second); err != nil {
		return err
	}
	fi, err := os.Stat(disk)
	if err != nil {
		return err
	}
	mib := float64(fi.Size()) / (1 << 20)
	file := filepath.Join(dir, "vm.tar")
	res := map[string][]float64{}
	for i := range o.runs {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"export (API → file)", func() error { return export(ctx, s, uuid, file) }},
			{"import (file → API → pool)", func() error {
				copyName := fmt.Sprintf("%s-i%d", name, i)
				defer func() {
					_ = sh(context.Background(), "virsh", "-c", "qemu:///system", "undefine", "--snapshots-metadata", copyName)
					_ = sh(context.Background(), "virsh", "-c", "qemu:///system", "vol-delete", "--pool", dstPool, copyName+"-vdb.qcow2")
				}()
				return importFile(ctx, s, dstPool, copyName, file)
			}},
			{"cp", func() error { return sh(ctx, "cp", disk, filepath.Join(dir, "cp.qcow2")) }},
			{"qemu-img convert", func() error {
				return sh(ctx, "qemu-img", "convert", "-f", "qcow2", "-O", "qcow2", disk, filepath.Join(dir, "convert.qcow2"))
			}},
		}
		if i%2 == 1 {
			slices.Reverse(steps)
		}
		for _, st := range steps {
			if st.name == "import (file → API → pool)" {
				if _, err := os.Stat(file); err != nil {
					if err := export(ctx, s, uuid, file); err != nil {
						return err
					}
				}
			}
			_ = sh(ctx, "sync")
			t0 := time.Now()
			if err := st.fn(); err != nil {
				return fmt.Errorf("%s: %w", st.name, err)
			}
			res[st.name] = append(res[st.name], mib/time.Since(t0).Seconds())
		}
		_ = os.Remove(filepath.Join(dir, "cp.qcow2"))
		_ = os.Remove(filepath.Join(dir, "convert.qcow2"))
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "disk file %.0f MiB\tMiB/s per run\tmedian\n", mib)
	for _, k := range []string{"export (API → file)", "import (file → API → pool)", "cp", "qemu-img convert"} {
		v := slices.Clone(res[k])
		slices.Sort(v)
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\n", k, res[k], v[len(v)/2])
	}
	return tw.Flush()
}

func export(ctx context.Context, s *testrig.Server, uuid, file string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+benchkit.VMPath(uuid, "/export"), nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("export: %d %s", res.StatusCode, benchkit.Clip(b))
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, res.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != res.ContentLength {
		err = fmt.Errorf("export: %d of %d bytes", n, res.ContentLength)
	}
	return err
}

func importFile(ctx context.Context, s *testrig.Server, pool, name, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/v1/hosts/local/import?pool="+pool+"&name="+name, f)
	req.ContentLength = fi.Size()
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		return fmt.Errorf("import: %d %s", res.StatusCode, benchkit.Clip(b))
	}
	return nil
}
