// Package remote is the kvm-bench subcommand "remote": listing the VMs of a
// host reached over SSH, through KVM Manager against libvirt's own client
// (`virsh -c qemu+ssh://…`, which runs the ssh binary), in the same run.
// It asserts nothing: docs/benchmarks.md says what the figures mean and
// records them.
//
// The host is kvmtest's qemu:///session daemon behind the loopback sshd of
// scripts/setup-remote.sh (run without --tls, so the system libvirtd is left
// alone). The bench defines N shut-off domains there (kmbench-remote-0000,
// ...), starts the server with that host only, and measures:
//
//   - the first listing: from starting the server until GET /api/v1/vms
//     lists all N (SSH handshake, virt-ssh-helper, the full read);
//   - GET /api/v1/vms?host=remote over one keep-alive connection (the
//     server answers from its cache; the SSH connection stays open);
//   - `virsh -c qemu+ssh://… list --all`, each a new ssh process and
//     connection, as a script or a one-off admin command pays it;
//   - one `virsh` session listing K times over the connection it opened
//     (libvirt's own client once connected), for the cost of the listing
//     itself.
//
// A second part (twohosts.go) puts the system daemon and the session
// daemon in one server with -n domains each: the whole list, the list while
// a third host hangs, and console setup and round trip through the local
// socket against SSH.
//
// Every kmbench-remote-* domain is removed at the end, also on error.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

const prefix = "kmbench-remote-"

type options struct {
	*benchkit.Common
	n, rounds          int
	setups, roundTrips int
}

// New returns the subcommand.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.n, "n", 250, "shut-off domains to define in kvmtest's session daemon (and, for the two-host part, in the system daemon)")
	fs.IntVar(&o.rounds, "rounds", 20, "listings of each kind")
	fs.IntVar(&o.setups, "setups", 30, "console setups per host (two-host part)")
	fs.IntVar(&o.roundTrips, "round-trips", 300, "console round trips per host (two-host part)")
}

func (o *options) Check() error {
	return errors.Join(benchkit.Require(o.n >= 1 && o.n <= 2000, "-n must be 1 to 2000"),
		benchkit.Require(o.rounds >= 3 && o.rounds <= 1000, "-rounds must be 3 to 1000"),
		benchkit.Require(o.setups >= 3 && o.roundTrips >= 3, "-setups and -round-trips must be at least 3"))
}

func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// env is what scripts/setup-remote.sh prints.
type env struct{ port, key, known, user string }

func setup(ctx context.Context) (env, error) {
	b, err := exec.CommandContext(ctx, filepath.Join(testrig.ModuleRoot(), "scripts", "setup-remote.sh")).Output()
	if err != nil {
		return env{}, fmt.Errorf("scripts/setup-remote.sh: %w", err)
	}
	kv := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = v
		}
	}
	return env{kv["KVM_TEST_SSH_PORT"], kv["KVM_TEST_SSH_KEY"], kv["KVM_TEST_SSH_KNOWN_HOSTS"], kv["KVM_TEST_SSH_USER"]}, nil
}

// sessionVirsh runs virsh against kvmtest's session daemon, as kvmtest,
// with commands separated by ';' (one process for many commands).
func sessionVirsh(ctx context.Context, commands string) error {
	out, err := exec.CommandContext(ctx, "runuser", "-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session", commands).CombinedOutput()
	if err != nil {
		return fmt.Errorf("virsh (kvmtest): %w: %s", err, benchkit.Clip(out))
	}
	return nil
}

func name(i int) string { return fmt.Sprintf("%s%04d", prefix, i) }

// define makes n shut-off domains in kvmtest's session from XML files
// kvmtest can read, in one virsh process.
func define(ctx context.Context, n int) (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "kmbench-remote-")
	if err != nil {
		return nil, err
	}
	undefine := func() {
		var cmds []string
		for i := range n {
			cmds = append(cmds, "undefine "+name(i))
		}
		// Leftovers of earlier runs and this one; errors of missing ones are expected.
		_ = sessionVirsh(context.Background(), strings.Join(cmds, " ; "))
		_ = os.RemoveAll(dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	undefine() // leftovers of an interrupted run
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var cmds []string
	for i := range n {
		f := filepath.Join(dir, name(i)+".xml")
		xml := fmt.Sprintf("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>", name(i))
		if err := os.WriteFile(f, []byte(xml), 0o644); err != nil {
			return undefine, err
		}
		cmds = append(cmds, "define "+f)
	}
	if err := sessionVirsh(ctx, strings.Join(cmds, " ; ")); err != nil {
		return undefine, err
	}
	return undefine, nil
}

func run(ctx context.Context, o options, out io.Writer) error {
	e, err := setup(ctx)
	if err != nil {
		return err
	}
	if err := oneHost(ctx, o, e, out); err != nil {
		return err
	}
	return twoHosts(ctx, o, e, out)
}

// oneHost is the first part: the remote host alone, against virsh.
func oneHost(ctx context.Context, o options, e env, out io.Writer) error {
	start := time.Now()
	cleanup, err := define(ctx, o.n)
	if cleanup != nil {
		defer func() {
			cleanup()
			fmt.Fprintf(out, "removed the %d %s* domains\n", o.n, prefix)
		}()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "defined %d domains in kvmtest's session daemon in %s\n", o.n, testrig.Ms(time.Since(start)))

	uri := fmt.Sprintf("qemu+ssh://%s@127.0.0.1:%s/session?keyfile=%s&known_hosts=%s", e.user, e.port, e.key, e.known)
	t0 := time.Now()
	srv, err := testrig.Start(o.Server, []string{"--host", "remote=" + uri})
	if err != nil {
		return err
	}
	defer func() { _, _ = srv.Stop(); srv.Close() }()
	first, err := waitAll(ctx, srv, o.n, time.Minute)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "first listing of all %d over ssh: %s after the server was started\n", o.n, testrig.Ms(first.Sub(t0)))

	var api []time.Duration
	client := &http.Client{Timeout: 30 * time.Second}
	for range o.rounds {
		t := time.Now()
		st, b, err := srv.DoWith(ctx, client, "GET", "/api/v1/vms?host=remote", nil)
		if err != nil || st != http.StatusOK {
			return fmt.Errorf("GET /api/v1/vms: %d %v %s", st, err, benchkit.Clip(b))
		}
		api = append(api, time.Since(t))
	}

	// libvirt's client over the ssh binary: it reads ~/.ssh/known_hosts,
	// so a wrapper names the test's known_hosts file (StrictHostKeyChecking).
	wrapDir, err := os.MkdirTemp("", "kmbench-ssh-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(wrapDir)
	wrap := filepath.Join(wrapDir, "ssh")
	script := fmt.Sprintf("#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes \"$@\"\n", e.known)
	if err := os.WriteFile(wrap, []byte(script), 0o755); err != nil {
		return err
	}
	virshURI := fmt.Sprintf("qemu+ssh://%s@127.0.0.1:%s/session?keyfile=%s&command=%s&no_tty=1", e.user, e.port, e.key, wrap)
	var cold []time.Duration
	for range o.rounds {
		t := time.Now()
		b, err := exec.CommandContext(ctx, "virsh", "-q", "-c", virshURI, "list", "--all", "--name").CombinedOutput()
		if err != nil {
			return fmt.Errorf("virsh over ssh: %w: %s", err, benchkit.Clip(b))
		}
		if got := strings.Count(string(b), prefix); got != o.n {
			return fmt.Errorf("virsh over ssh listed %d of the %d bench domains", got, o.n)
		}
		cold = append(cold, time.Since(t))
	}
	// One virsh process, one connection, the listing repeated: the cost of
	// the listing itself once connected (total / rounds, connection included once).
	cmds := strings.TrimSuffix(strings.Repeat("list --all --name ; ", o.rounds), " ; ")
	t := time.Now()
	if b, err := exec.CommandContext(ctx, "virsh", "-q", "-c", virshURI, cmds).CombinedOutput(); err != nil {
		return fmt.Errorf("virsh session over ssh: %w: %s", err, benchkit.Clip(b))
	}
	warm := time.Since(t)

	fmt.Fprintf(out, "\nlisting %d VMs of a host over ssh (%d rounds each)      p50        p95\n", o.n, o.rounds)
	fmt.Fprintf(out, "  GET /api/v1/vms?host=remote (KVM Manager)     %10s %10s\n", testrig.Ms(testrig.Percentile(api, 50)), testrig.Ms(testrig.Percentile(api, 95)))
	fmt.Fprintf(out, "  virsh -c qemu+ssh://… list --all (each new)   %10s %10s\n", testrig.Ms(testrig.Percentile(cold, 50)), testrig.Ms(testrig.Percentile(cold, 95)))
	fmt.Fprintf(out, "  one virsh, %d listings on its connection: %s in all, %s per listing\n", o.rounds, testrig.Ms(warm), testrig.Ms(warm/time.Duration(o.rounds)))
	return nil
}

// waitAll polls until the server lists n bench domains on host remote and
// returns when it first did.
func waitAll(ctx context.Context, srv *testrig.Server, n int, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		st, b, err := srv.Do(ctx, "GET", "/api/v1/vms?host=remote", nil)
		if err == nil && st == http.StatusOK {
			var res struct{ VMs []struct{ Name string } }
			if json.Unmarshal(b, &res) == nil {
				got := 0
				for _, v := range res.VMs {
					if strings.HasPrefix(v.Name, prefix) {
						got++
					}
				}
				if got == n {
					return time.Now(), nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("the server did not list the %d bench domains over ssh: %d %v %s; log:\n%s", n, st, err, benchkit.Clip(b), srv.LogTail(20))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
