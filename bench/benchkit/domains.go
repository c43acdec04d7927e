package benchkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// BootTimeout bounds a test guest's boot; it only stops a run that hangs.
const BootTimeout = 3 * time.Minute

// Dial opens the bench's own libvirt link.
func Dial() (*libvirt.Libvirt, error) {
	l, err := testrig.Dial()
	if err != nil {
		return nil, fmt.Errorf("connect to libvirtd (run scripts/setup-libvirt.sh): %w", err)
	}
	return l, nil
}

// Domains are the domains one subcommand makes: every name starts with
// Prefix (no subcommand's prefix starts another's, so none removes the
// domains of another), and their files live in the guest directory Dir.
type Domains struct {
	Prefix, Dir string
	// Workers is how many domains are removed at once (at least 1).
	Workers int
}

// Owns reports whether a domain is one of these: named with the prefix,
// and a name the bench could have made. Other VMs on the host may have any
// legal name, also one with the same prefix and spaces or markup after it;
// those are not the bench's to count or remove.
func (d Domains) Owns(name string) bool {
	return strings.HasPrefix(name, d.Prefix) && testguest.IsName(name)
}

// Remove removes every one of these domains, running or not, with its
// per-VM directory, and returns how many there were. It takes no context: it
// is the cleanup and must run to the end even after Ctrl-C.
func (d Domains) Remove(l *libvirt.Libvirt) (int, error) {
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return 0, fmt.Errorf("list domains: %w", err)
	}
	doms = slices.DeleteFunc(doms, func(dom libvirt.Domain) bool { return !d.Owns(dom.Name) })
	err = Parallel(context.Background(), len(doms), max(d.Workers, 1), func(i int) error {
		return testguest.Remove(l, doms[i].Name, d.Dir)
	})
	return len(doms), err
}

// Cleanup is Remove at the end of a run, over a new link if libvirtd
// dropped l (something may restart libvirtd meanwhile, as the integration
// tests do): domains are never left behind because of that.
func (d Domains) Cleanup(l *libvirt.Libvirt) (int, error) {
	if Closed(l.Disconnected()) {
		var err error
		if l, err = redial(30 * time.Second); err != nil {
			return 0, fmt.Errorf("cannot remove the %s* domains (remove them with virsh): %w", d.Prefix, err)
		}
		defer l.Disconnect()
	}
	return d.Remove(l)
}

// redial dials until libvirtd answers or d has passed.
func redial(d time.Duration) (*libvirt.Libvirt, error) {
	deadline := time.Now().Add(d)
	for {
		l, err := testrig.Dial()
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Closed reports whether c is closed.
func Closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Parallel calls fn(0) ... fn(n-1) on up to workers goroutines and joins
// their errors. Once ctx ends it starts no more calls.
func Parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var (
		next atomic.Int64
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// Booting is a test guest that has been started and may not be up yet.
type Booting struct {
	log   string
	since int64
}

// Start starts the test guest dom (named name, of guest directory dir)
// without waiting for it to boot.
func Start(l *libvirt.Libvirt, dom libvirt.Domain, dir string) (Booting, error) {
	b := Booting{log: testguest.SerialLogPath(dir, dom.Name)}
	b.since = testguest.LogSize(b.log)
	if err := l.DomainCreate(dom); err != nil {
		return b, fmt.Errorf("start %s: %w", dom.Name, err)
	}
	return b, nil
}

// Wait waits until the guest has booted, for BootTimeout at the most.
func (b Booting) Wait(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, BootTimeout)
	defer cancel()
	_, err := testguest.WaitReady(ctx, b.log, b.since)
	return err
}

// Boot starts the test guest dom and waits until it has booted.
func Boot(ctx context.Context, l *libvirt.Libvirt, dom libvirt.Domain, dir string) error {
	b, err := Start(l, dom, dir)
	if err != nil {
		return err
	}
	if err := b.Wait(ctx); err != nil {
		return fmt.Errorf("guest %s did not boot: %w", dom.Name, err)
	}
	return nil
}
