// Package metrics is kvm-bench metrics: the cost of one GET /metrics
// scrape with 500 running VMs (two disks and two interfaces each), and
// the libvirt calls the scrapes made (none: the series come from the
// inventory's last stats tick). In-process over virtfake, since a scrape
// reads only the inventory.
package metrics

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	kmetrics "github.com/kvm-manager/kvm-manager/internal/metrics"
	"github.com/kvm-manager/kvm-manager/internal/metrics/metricstest"
)

type options struct {
	*benchkit.Common
	vms, scrapes int
}

// New returns the subcommand.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.vms, "vms", 500, "running VMs")
	fs.IntVar(&o.scrapes, "scrapes", 50, "scrapes to time")
}

func (o *options) Check() error {
	return benchkit.Require(o.vms > 0 && o.scrapes > 0 && o.scrapes <= 10000, "-vms > 0, -scrapes from 1 to 10000")
}

func (o *options) Run(ctx context.Context, out io.Writer) error {
	inv, conn, err := metricstest.Inventory(o.vms)
	if err != nil {
		return err
	}
	m := kmetrics.New(kmetrics.Options{Inventory: inv})
	calls := len(conn.Calls())
	var took []time.Duration
	size := 0
	for i := 0; i < o.scrapes && ctx.Err() == nil; i++ {
		rec := httptest.NewRecorder()
		t0 := time.Now()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		took = append(took, time.Since(t0))
		size = rec.Body.Len()
	}
	slices.Sort(took)
	fmt.Fprintf(out, "metrics scrape, %d running VMs: %d bytes; median %v, p95 %v, max %v over %d scrapes (target < 50 ms)\n",
		o.vms, size, took[len(took)/2].Round(10*time.Microsecond), took[len(took)*95/100].Round(10*time.Microsecond),
		took[len(took)-1].Round(10*time.Microsecond), len(took))
	fmt.Fprintf(out, "libvirt calls made by the scrapes: %d\n", len(conn.Calls())-calls)
	return nil
}
