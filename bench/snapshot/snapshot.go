// Package snapshot is the kvm-bench subcommand "snapshot": the snapshot
// manager of a kvm-manager binary against the real libvirtd of this machine.
// It asserts nothing: docs/benchmarks.md says what they mean and records them.
//
// It defines two test guests (internal/testguest):
//
//   - kmsnapbench-tree-<random>, shut off, given a tree of N internal
//     snapshots (default 200: chains of 20 branching off a trunk) over the
//     bench's own libvirt link;
//   - kmsnapbench-run-<random>, running.
//
// Then it starts the server and measures:
//
//   - GET .../snapshots of the tree guest (flat list + tree + pre-flight):
//     the first request, then p50/p95/max over sequential requests on one
//     keep-alive connection, timed to the last byte of the body;
//   - create, revert and delete through the API, each timed from sending
//     the request until the operation's "succeeded" event arrives on the
//     SSE stream, against the same with virsh (process start to exit) and,
//     for reference, the bare libvirt call over the bench's own link; on the
//     running guest (snapshots with memory) and on the shut-off guest with
//     N snapshots (disk-only). The three are interleaved round by round so
//     that they share the machine's conditions.
//
// Every kmsnapbench-* domain is removed at the end, also on error or Ctrl-C,
// and leftovers of an interrupted run are removed before it starts.
package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// benchPrefix starts every domain the bench makes (and is not the vms
// subcommand's "kmbench-", whose leftover cleanup would remove ours).
const benchPrefix = "kmsnapbench-"

// Targets the figures are compared with (see docs/benchmarks.md).
const (
	targetListP50 = 100 * time.Millisecond
	targetRatio   = 1.1
)

type options struct {
	*benchkit.Common
	snapshots int
	chain     int
	warmup    int
	requests  int
	rounds    int
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.snapshots, "snapshots", 200, "snapshots of the listed guest")
	fs.IntVar(&o.chain, "chain", 20, "length of each branch of the snapshot tree")
	fs.IntVar(&o.warmup, "warmup", 10, "list requests before measuring")
	fs.IntVar(&o.requests, "requests", 100, "measured list requests")
	fs.IntVar(&o.rounds, "rounds", 9, "create/revert/delete rounds per guest and per way (API, virsh, libvirt)")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.snapshots >= 1 && o.chain >= 1 && o.requests >= 1 && o.rounds >= 1, "--snapshots, --chain, --requests and --rounds must be >= 1")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

func run(ctx context.Context, o options, out io.Writer) (err error) {
	l, err := benchkit.Dial()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	domainType, reason, err := testguest.DetectDomainType(l, o.GuestDir)
	if err != nil {
		return err
	}
	v, _ := l.ConnectGetLibVersion()
	qv, _ := l.ConnectGetVersion()
	fmt.Fprintf(out, "kvm-bench snapshot: libvirt %s, QEMU %s, domain type %s (%s)\n", benchkit.Dotted(v), benchkit.Dotted(qv), domainType, reason)
	doms := benchkit.Domains{Prefix: benchPrefix, Dir: o.GuestDir}
	_, _ = doms.Remove(l)
	defer func() {
		if _, cerr := doms.Cleanup(l); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup: %w", cerr))
		}
	}()

	tree, err := newGuest(l, o.GuestDir, domainType, "tree")
	if err != nil {
		return err
	}
	start := time.Now()
	if err := buildTree(ctx, l, tree, o); err != nil {
		return err
	}
	fmt.Fprintf(out, "tree guest %s: %d snapshots made in %s\n", tree.name, o.snapshots, time.Since(start).Round(time.Millisecond))
	running, err := newGuest(l, o.GuestDir, domainType, "run")
	if err != nil {
		return err
	}
	if err := benchkit.Boot(ctx, l, running.dom, o.GuestDir); err != nil {
		return err
	}
	fmt.Fprintf(out, "running guest %s is up\n", running.name)

	srv, err := benchkit.StartConnected(ctx, o.Server, "--stats-interval", "2s")
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, g := range []*guest{tree, running} {
		if err := benchkit.WaitListed(ctx, srv, g.uuid, g.name, "", time.Minute); err != nil {
			return err
		}
	}
	ev, err := openOperations(ctx, srv)
	if err != nil {
		return err
	}
	defer ev.close()

	lr, err := measureList(ctx, srv, tree, o)
	if err != nil {
		return err
	}
	var ops []opResult
	for _, g := range []*guest{running, tree} {
		r, err := measureOps(ctx, l, srv, ev, g, o)
		if err != nil {
			return err
		}
		ops = append(ops, r...)
	}
	printResults(out, o, lr, ops)
	return nil
}

// ---- guests ----------------------------------------------------------------

type guest struct {
	name, uuid string
	dom        libvirt.Domain
}

func newGuest(l *libvirt.Libvirt, dir, domainType, role string) (*guest, error) {
	name := testguest.UniqueName(benchPrefix + role + "-")
	dom, err := testguest.Create(l, testguest.Options{Name: name, Dir: dir, DomainType: domainType})
	if err != nil {
		return nil, err
	}
	return &guest{name: name, uuid: testrig.FormatUUID(dom.UUID), dom: dom}, nil
}

// snapshotXML is a snapshot definition, built with libvirtxml.
func snapshotXML(name string, memory bool) string {
	mode := "no"
	if memory {
		mode = "internal"
	}
	doc, err := (&libvirtxml.DomainSnapshot{Name: name, Memory: &libvirtxml.DomainSnapshotMemory{Snapshot: mode}}).Marshal()
	if err != nil {
		panic(err)
	}
	return doc
}

// buildTree gives the shut-off guest N snapshots: a trunk with a branch of
// `chain` snapshots hanging off every trunk snapshot, so that the tree is
// both deep and wide.
func buildTree(ctx context.Context, l *libvirt.Libvirt, g *guest, o options) error {
	made := 0
	var trunk []libvirt.DomainSnapshot
	for made < o.snapshots && ctx.Err() == nil {
		if len(trunk) > 0 {
			if err := l.DomainRevertToSnapshot(trunk[len(trunk)-1], 0); err != nil {
				return fmt.Errorf("revert: %w", err)
			}
		}
		t, err := l.DomainSnapshotCreateXML(g.dom, snapshotXML(fmt.Sprintf("trunk-%03d", len(trunk)), false), 0)
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		trunk = append(trunk, t)
		made++
		for i := 0; i < o.chain-1 && made < o.snapshots; i++ {
			if _, err := l.DomainSnapshotCreateXML(g.dom, snapshotXML(fmt.Sprintf("branch-%03d-%02d", len(trunk)-1, i), false), 0); err != nil {
				return fmt.Errorf("create: %w", err)
			}
			made++
		}
	}
	return ctx.Err()
}

// ---- list ------------------------------------------------------------------

type listResult struct {
	first, p50, p95, max time.Duration
	bytes                int
	count                int
}

func measureList(ctx context.Context, srv *testrig.Server, g *guest, o options) (listResult, error) {
	var r listResult
	client := &http.Client{Timeout: 30 * time.Second}
	get := func() (time.Duration, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+benchkit.VMPath(g.uuid, "/snapshots"), nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		d := time.Since(start)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("list: %d %s", res.StatusCode, body)
		}
		return d, body, err
	}
	d, body, err := get()
	if err != nil {
		return r, err
	}
	r.first, r.bytes = d, len(body)
	var l struct{ Count int }
	_ = json.Unmarshal(body, &l)
	r.count = l.Count
	if r.count != o.snapshots {
		return r, fmt.Errorf("the list has %d snapshots, want %d", r.count, o.snapshots)
	}
	for range o.warmup {
		if _, _, err := get(); err != nil {
			return r, err
		}
	}
	ds := make([]time.Duration, 0, o.requests)
	for range o.requests {
		d, _, err := get()
		if err != nil {
			return r, err
		}
		ds = append(ds, d)
	}
	r.p50, r.p95, r.max = testrig.Percentile(ds, 50), testrig.Percentile(ds, 95), testrig.Percentile(ds, 100)
	return r, nil
}

// ---- operations ------------------------------------------------------------

// opEvents follows the operation events of the SSE stream.
type opEvents struct {
	cancel context.CancelFunc
	done   chan opDone
	shots  chan time.Time // "snapshot" events with change "screenshot"
}

type opDone struct {
	id, state string
	at        time.Time
}

func openOperations(ctx context.Context, srv *testrig.Server) (*opEvents, error) {
	ctx, cancel := context.WithCancel(ctx)
	body, err := benchkit.Events(ctx, srv, "operation,snapshot")
	if err != nil {
		cancel()
		return nil, err
	}
	e := &opEvents{cancel: cancel, done: make(chan opDone, 64), shots: make(chan time.Time, 64)}
	go benchkit.ReadSSE(body, func(typ, data string, at time.Time) {
		var ev struct{ ID, State, Change string }
		switch {
		case json.Unmarshal([]byte(data), &ev) != nil:
		case typ == "operation" && ev.State != "" && ev.State != "running":
			e.done <- opDone{ev.ID, ev.State, at}
		case typ == "snapshot" && ev.Change == "screenshot":
			e.shots <- at
		}
	})
	return e, nil
}

func (e *opEvents) close() { e.cancel() }

// api sends a request that starts an operation and returns the time until
// the operation's end arrived on the event stream.
func (e *opEvents) api(ctx context.Context, srv *testrig.Server, method, path string, body any) (time.Duration, error) {
	start := time.Now()
	st, b, err := srv.Do(ctx, method, path, body)
	if err != nil {
		return 0, err
	}
	var op struct{ ID string }
	if st != 202 || json.Unmarshal(b, &op) != nil {
		return 0, fmt.Errorf("%s %s: %d %s", method, path, st, b)
	}
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case d := <-e.done:
			if d.id != op.ID {
				continue
			}
			if d.state != "succeeded" {
				_, b, _ := srv.Do(ctx, "GET", "/api/v1/operations/"+op.ID, nil)
				return 0, fmt.Errorf("%s %s: operation %s: %s", method, path, d.state, b)
			}
			return d.at.Sub(start), nil
		case <-timeout:
			return 0, fmt.Errorf("%s %s: no end of operation %s", method, path, op.ID)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func virsh(args ...string) (time.Duration, error) {
	start := time.Now()
	out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("virsh %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return time.Since(start), nil
}

// opResult is one kind of operation on one guest, three ways.
type opResult struct {
	guest, what        string
	api, virsh, direct []time.Duration
	// shot is, for creates of a running VM, the time until the screenshot
	// stored with the snapshot was announced.
	shot []time.Duration
}

func measureOps(ctx context.Context, l *libvirt.Libvirt, srv *testrig.Server, ev *opEvents, g *guest, o options) ([]opResult, error) {
	state, _, err := l.DomainGetState(g.dom, 0)
	if err != nil {
		return nil, err
	}
	memory := libvirt.DomainState(state) == libvirt.DomainRunning
	label := "shut off, disk-only"
	if memory {
		label = "running, with memory"
	}
	results := []opResult{{guest: label, what: "create"}, {guest: label, what: "revert"}, {guest: label, what: "delete"}}
	base := benchkit.VMPath(g.uuid, "/snapshots")
	for i := range o.rounds {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a, v, d := fmt.Sprintf("api-%d", i), fmt.Sprintf("virsh-%d", i), fmt.Sprintf("direct-%d", i)
		var snap libvirt.DomainSnapshot
		// Per step, the three ways in an order that rotates from round to
		// round, so that none always runs right after a revert (when QEMU
		// is still busy) or right after the same other way.
		steps := [3][3]func() (time.Duration, error){
			{
				func() (time.Duration, error) {
					t, err := ev.api(ctx, srv, "POST", base, map[string]any{"name": a})
					if err == nil && memory {
						// The screenshot is stored after the operation ends;
						// let it finish before the next step, and record how
						// much later it was there.
						end := time.Now()
						select {
						case at := <-ev.shots:
							results[0].shot = append(results[0].shot, at.Sub(end)+t)
						case <-time.After(30 * time.Second):
							return 0, errors.New("no screenshot event after a create")
						}
					}
					return t, err
				},
				func() (time.Duration, error) { return virsh("snapshot-create-as", g.name, v) },
				func() (time.Duration, error) {
					start := time.Now()
					var err error
					snap, err = l.DomainSnapshotCreateXML(g.dom, snapshotXML(d, memory), 0)
					return time.Since(start), err
				},
			},
			{
				func() (time.Duration, error) {
					return ev.api(ctx, srv, "POST", base+"/"+a+"/revert", map[string]any{"confirm": true})
				},
				func() (time.Duration, error) { return virsh("snapshot-revert", g.name, v) },
				func() (time.Duration, error) {
					start := time.Now()
					err := l.DomainRevertToSnapshot(snap, 0)
					return time.Since(start), err
				},
			},
			{
				func() (time.Duration, error) { return ev.api(ctx, srv, "DELETE", base+"/"+a, nil) },
				func() (time.Duration, error) { return virsh("snapshot-delete", g.name, v) },
				func() (time.Duration, error) {
					start := time.Now()
					err := l.DomainSnapshotDelete(snap, 0)
					return time.Since(start), err
				},
			},
		}
		for step, ways := range steps {
			for k := range 3 {
				way := (i + k) % 3
				t, err := ways[way]()
				if err != nil {
					return nil, err
				}
				r := &results[step]
				switch way {
				case 0:
					r.api = append(r.api, t)
				case 1:
					r.virsh = append(r.virsh, t)
				case 2:
					r.direct = append(r.direct, t)
				}
			}
		}
	}
	return results, nil
}

// ---- output ----------------------------------------------------------------

func printResults(out io.Writer, o options, lr listResult, ops []opResult) {
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintf(w, "List of %d snapshots (tree + flat + pre-flight)\tfirst\tp50\tp95\tmax\tbytes\ttarget p50\n", lr.count)
	fmt.Fprintf(w, "GET .../snapshots\t%s\t%s\t%s\t%s\t%d\t≤ %s (%s)\n", testrig.Ms(lr.first), testrig.Ms(lr.p50), testrig.Ms(lr.p95),
		testrig.Ms(lr.max), lr.bytes, testrig.Ms(targetListP50), met(lr.p50 <= targetListP50))
	w.Flush()
	fmt.Fprintln(out)
	fmt.Fprintf(w, "Operation (p50 of %d)\tAPI\tvirsh\tlibvirt call\tAPI / virsh\ttarget ≤ %.1f×\n", o.rounds, targetRatio)
	for _, r := range ops {
		a, v, d := testrig.Percentile(r.api, 50), testrig.Percentile(r.virsh, 50), testrig.Percentile(r.direct, 50)
		ratio := float64(a) / float64(v)
		fmt.Fprintf(w, "%s (%s)\t%s\t%s\t%s\t%.3f\t%s\n", r.what, r.guest, testrig.Ms(a), testrig.Ms(v), testrig.Ms(d), ratio, met(ratio <= targetRatio))
	}
	w.Flush()
	for _, r := range ops {
		if len(r.shot) > 0 {
			fmt.Fprintf(out, "create (%s): its screenshot was stored %s (p50) after the request, after the operation had ended\n", r.guest, testrig.Ms(testrig.Percentile(r.shot, 50)))
		}
	}
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}
