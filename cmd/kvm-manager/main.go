// Command kvm-manager serves a web UI and a JSON API for the QEMU/KVM VMs of
// one or more libvirt hosts. The wiring lives in internal/app; this reads
// the configuration, sets up the log and runs the app until a signal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kvm-manager/kvm-manager/internal/app"
	"github.com/kvm-manager/kvm-manager/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var err error
	sub := ""
	if len(os.Args) > 1 {
		sub = os.Args[1]
	}
	switch sub {
	case "hash-password":
		err = hashPassword(os.Stdin, os.Stdout, os.Stderr)
	case "version":
		fmt.Println("kvm-manager", version)
	case "check":
		err = check(os.Args[2:], os.Stdout, os.Stderr)
	default:
		err = run(os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kvm-manager:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	a, err := app.New(cfg, app.Options{
		Version: version, Stdout: stdout, Logger: log, Token: os.Getenv("KVM_MANAGER_TOKEN"),
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.Run(ctx)
}

// check is `kvm-manager check [flags]`: the same flags and config file as
// the server; exit status 1 when a check fails.
func check(args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(args, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "kvm-manager", version)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !app.Check(ctx, cfg, stdout) {
		return errors.New("check failed")
	}
	return nil
}
