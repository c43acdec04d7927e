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
	// Flags registers the subcommand's own flags on fs (--server and, with
	// Guest, --guest-dir are already there, filled into c) and returns its
	// body, which runs once fs has been parsed.
	Flags func(fs *flag.FlagSet, c *Common) Body
}

// Common holds the flags every subcommand has.
type Common struct {
	// Server is the kvm-manager binary to measure.
	Server string
	// GuestDir is the test guest's build directory (Command.Guest only).
	GuestDir string
}

// Body is what a subcommand does once its flags are parsed.
type Body struct {
	// Check, if set, validates the flags; its error is a usage error (exit 2).
	Check func() error
	// Run measures and prints the figures to out.
	Run func(ctx context.Context, out io.Writer) error
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
	body := cmd.Flags(fs, &c)
	_ = fs.Parse(args[1:]) // ExitOnError: it exits itself
	err := body.check(c)
	if err != nil {
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
		return body.Run(ctx, os.Stdout)
	})
}

func (b Body) check(c Common) error {
	var err error
	if c.Server == "" {
		err = errors.New("--server is required")
	}
	if b.Check != nil {
		err = errors.Join(err, b.Check())
	}
	return err
}
