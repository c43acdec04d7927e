package testrig

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// Lock keeps two runs of the named benchmark apart: each removes the other's
// leftover domains before it starts. It fails at once if another run holds
// the lock.
func Lock(name string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another %s is running (%s is locked)", name, f.Name())
	}
	return func() { f.Close() }, nil
}

// Main runs a benchmark program's body and exits: 0 on success, 1 on an
// error, 130 when interrupted. The first Ctrl-C (or SIGTERM) cancels ctx; the
// signal stays caught until run has returned, so a second Ctrl-C cannot cut
// the body's cleanup short.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintf(os.Stderr, "%s: interrupted; its domains were removed\n", name)
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}
