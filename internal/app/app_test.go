package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/config"
)

// TestRunServesAndStopsEverything builds the whole server from a
// configuration whose one host has no libvirtd to reach (it keeps
// retrying), serves a request, and checks that Run returns, with every
// component joined, once its context ends.
func TestRunServesAndStopsEverything(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.ScreenshotsDir = filepath.Join(dir, "shots")
	cfg.Hosts = []config.Host{{Name: "local", URI: "qemu+unix:///system?socket=" + filepath.Join(dir, "no-libvirtd.sock")}}
	var banner bytes.Buffer
	a, err := New(cfg, Options{Version: "test", Stdout: &banner, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	base := "http://" + a.ln.Addr().String()
	if !strings.Contains(banner.String(), "is serving on "+base) || !strings.Contains(banner.String(), "/login?token=") {
		t.Fatalf("banner = %q", banner.String())
	}
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after its context ended: %v", err)
		}
	case <-time.After(30 * time.Second): // generous: the shutdown's own bounds add up to 8 s
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after Run returned")
	}
}

// TestNewRefusesWhatItCannotServe checks that a configuration error found
// while building (here the listen address is taken) is returned by New,
// before anything serves, and that what New opened is released.
func TestNewRefusesWhatItCannotServe(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.ScreenshotsDir = filepath.Join(dir, "shots")
	cfg.Hosts = []config.Host{{Name: "local", URI: "qemu+unix:///system?socket=" + filepath.Join(dir, "none.sock")}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := New(cfg, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	cfg.Listen = first.ln.Addr().String()
	cfg.DataDir = filepath.Join(dir, "data2")
	if _, err := New(cfg, Options{Logger: log}); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("New on a taken address: %v, want a listen error", err)
	}
}
