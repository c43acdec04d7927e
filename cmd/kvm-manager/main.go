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
	if len(os.Args) > 1 && os.Args[1] == "hash-password" {
		err = hashPassword(os.Stdin, os.Stdout, os.Stderr)
	} else {
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
