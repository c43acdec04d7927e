package snapshot

import (
	"context"
	"fmt"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// watchJob reports a long libvirt call's progress until stop is called:
// the elapsed time always, and a percentage when libvirt's job statistics
// give one (external memory snapshots do; internal ones, which QEMU writes
// in one synchronous step, do not). It polls on the host's current link,
// never the one the long call waits on.
func (s *Service) watchJob(t target, r operation.Reporter, stage string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	r.Progress(stage, -1)
	go func() {
		defer close(done)
		tick := time.NewTicker(s.opts.ProgressInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			percent := -1
			if c, err := s.opts.Hosts.Client(t.vm.Host); err == nil {
				if params, err := c.JobStats(t.dom); err == nil {
					percent = jobPercent(params)
				}
			}
			r.Progress(fmt.Sprintf("%s (%s elapsed)", stage, time.Since(start).Round(time.Second)), percent)
		}
	}()
	return func() { cancel(); <-done }
}

// jobPercent derives a percentage from libvirt job statistics, or -1.
func jobPercent(params []virt.TypedParam) int {
	var total, processed uint64
	for _, p := range params {
		v, ok := p.Value.I.(uint64)
		if !ok {
			continue
		}
		switch p.Field {
		case "memory_total", "disk_total":
			total += v
		case "memory_processed", "disk_processed":
			processed += v
		}
	}
	if total == 0 {
		return -1
	}
	return int(min(99, processed*100/total))
}
