// Package benchkit is the plumbing every kvm-bench subcommand shares: the
// main/flags skeleton, the lock, the leftover-domain cleanup, booting test
// guests, starting the server through internal/testrig, reading /proc and
// printing figures. The subcommands (bench/vms, bench/serial, ...) hold only
// what they measure.
package benchkit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// Command is one subcommand of the benchmark command.
type Command struct {
	// Name is the word that selects it: kvm-bench <Name> [flags].
	Name string
	// Summary is one line for the command's usage.
	Summary string
	// Guest says the subcommand needs the test guest: it gets --guest-dir,
	// and the guest's build is checked before it runs.
	Guest bool
	// New returns the subcommand's flags and body; c holds the flags every
	// subcommand has, filled in once the command line is parsed.
	New func(c *Common) Subcommand
}

// Common holds the flags every subcommand has.
type Common struct {
	// Server is the kvm-manager binary to measure.
	Server string
	// GuestDir is the test guest's build directory (Command.Guest only).
	GuestDir string
}

// Subcommand is one area's benchmark: its own flags and what it does.
type Subcommand interface {
	// Flags registers its own flags on fs.
	Flags(fs *flag.FlagSet)
	// Check says what is wrong with the parsed flags, if anything: a usage
	// error (exit 2).
	Check() error
	// Run measures and prints the figures to out.
	Run(ctx context.Context, out io.Writer) error
}

// Require is Check's helper: an error saying usage when ok is false.
func Require(ok bool, usage string) error {
	if ok {
		return nil
	}
	return errors.New(usage)
}

// Main runs the subcommand that args (os.Args[1:]) name and exits: 2 on a
// usage error, else as testrig.Main does. Each subcommand holds a lock of
// its own while it runs, so that two runs of it cannot remove each other's
// domains.
func Main(prog string, args []string, cmds []Command) {
	usage := func() {
		fmt.Fprintf(os.Stderr, "usage: %s <subcommand> [flags]; %s <subcommand> -h lists its flags\n\nsubcommands:\n", prog, prog)
		for _, c := range cmds {
			fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.Name, c.Summary)
		}
	}
	if len(args) == 0 {
		usage()
		os.Exit(2)
	}
	var cmd *Command
	for i := range cmds {
		if cmds[i].Name == args[0] {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
			usage()
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "%s: no subcommand %q\n", prog, args[0])
		usage()
		os.Exit(2)
	}
	name := prog + " " + cmd.Name
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	var c Common
	fs.StringVar(&c.Server, "server", "bin/kvm-manager", "path of the kvm-manager binary to measure")
	if cmd.Guest {
		dir := os.Getenv("KVM_TEST_GUEST_DIR")
		if dir == "" {
			dir = testguest.DefaultDir
		}
		fs.StringVar(&c.GuestDir, "guest-dir", dir, "test guest build directory (scripts/build-test-guest.sh)")
	}
	sub := cmd.New(&c)
	sub.Flags(fs)
	_ = fs.Parse(args[1:]) // ExitOnError: it exits itself
	if err := errors.Join(Require(c.Server != "", "--server is required"), sub.Check()); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	testrig.Main(name, func(ctx context.Context) error {
		unlock, err := testrig.Lock(strings.ReplaceAll(name, " ", "-"))
		if err != nil {
			return err
		}
		defer unlock()
		if cmd.Guest {
			if err := testguest.CheckBuilt(c.GuestDir); err != nil {
				return err
			}
		}
		return sub.Run(ctx, os.Stdout)
	})
}
