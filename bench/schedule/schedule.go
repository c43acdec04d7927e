// Package schedule is the kvm-bench subcommand "schedule": the snapshot
// scheduler's overhead while idle with -policies policies on -vms VMs
// (each policy on its own VM, round robin), in-process. Idle means no
// run is due: the scheduler only waits for its next slot. The VMs and the
// snapshot manager are stand-ins that count the calls made to them (an
// idle scheduler must make none); operations are the real manager. It
// prints the process's CPU time over -idle and its resident memory
// before and after the policies were made.
package schedule

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapschedule"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

type options struct {
	*benchkit.Common
	policies, vms int
	idle          time.Duration
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.policies, "policies", 100, "policies")
	fs.IntVar(&o.vms, "vms", 100, "VMs")
	fs.DurationVar(&o.idle, "idle", 60*time.Second, "how long to measure the idle scheduler")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.policies > 0 && o.vms > 0 && o.idle >= time.Second, "-policies and -vms positive, -idle at least 1s")
}

// calls counts what the scheduler asked of the stand-ins.
type calls struct{ n atomic.Int64 }

type snaps struct{ c *calls }

func (s snaps) Take(context.Context, string, string, snapshot.TakeRequest, operation.Reporter) (snapshot.TakeResult, error) {
	s.c.n.Add(1)
	return snapshot.TakeResult{}, problem.New(problem.Unavailable, "bench", "not in the benchmark", "")
}
func (s snaps) Remove(string, string, string, operation.Reporter) error { s.c.n.Add(1); return nil }
func (s snaps) Snapshots(context.Context, string, string) ([]snapshot.Snapshot, error) {
	s.c.n.Add(1)
	return nil, nil
}
func (s snaps) Pools(string, string) ([]snapshot.PoolUse, error) { s.c.n.Add(1); return nil, nil }

type vms struct {
	c   *calls
	all []inventory.VM
}

func (v vms) WaitVM(_ context.Context, h, u string) (inventory.VM, error) {
	v.c.n.Add(1)
	for _, vm := range v.all {
		if vm.UUID == u {
			return vm, nil
		}
	}
	return inventory.VM{}, problem.New(problem.NotFound, problem.CodeVMNotFound, "no such VM", "")
}
func (v vms) ListWait(context.Context, string) []inventory.VM { v.c.n.Add(1); return v.all }

type sink struct{}

func (sink) Publish(event.Type, any) {}
func (sink) Write(audit.Entry) error { return nil }

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "kvm-bench-schedule-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c := &calls{}
	v := vms{c: c}
	for i := range o.vms {
		v.all = append(v.all, inventory.VM{Host: "local", UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("vm-%d", i),
			State: inventory.State("running"), Persistent: true})
	}
	runtime.GC()
	pid := os.Getpid()
	rss0, _ := benchkit.StatusKiB(pid, "VmRSS")
	s, err := snapschedule.New(snapschedule.Options{DataDir: dir, Snapshots: snaps{c}, Operations: operation.New(operation.Options{}), VMs: v,
		Bus: sink{}, Audit: sink{}})
	if err != nil {
		return err
	}
	// Daily at a minute that is not now: nothing is due while measuring.
	at := time.Now().Add(12 * time.Hour)
	for i := range o.policies {
		vm := v.all[i%len(v.all)]
		if _, err := s.Create(snapschedule.Spec{Name: fmt.Sprintf("p%d", i), Schedule: fmt.Sprintf("%d %d * * *", at.Minute(), at.Hour()),
			Retention: snapschedule.Retention{Last: 3}, Targets: []snapschedule.Target{{Host: vm.Host, UUID: vm.UUID}}}); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	if err := benchkit.Sleep(ctx, 2*time.Second); err != nil { // start-up settles
		cancel()
		return err
	}
	runtime.GC()
	rss1, _ := benchkit.StatusKiB(pid, "VmRSS")
	before, n0 := benchkit.CPUTime(pid), c.n.Load()
	err = benchkit.Sleep(ctx, o.idle)
	cpu, n := benchkit.CPUTime(pid)-before, c.n.Load()-n0
	cancel()
	<-done
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "scheduler idle, %d policies on %d VMs, %s: CPU %v (%.4f %% of one core), calls to VMs and snapshots %d\n",
		o.policies, o.vms, o.idle, cpu.Round(time.Millisecond), 100*cpu.Seconds()/o.idle.Seconds(), n)
	fmt.Fprintf(out, "process RSS before the scheduler %.1f MiB, with it and its policies %.1f MiB (+%.1f MiB)\n",
		float64(rss0)/1024, float64(rss1)/1024, float64(rss1-rss0)/1024)
	return nil
}
