package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestConnectionLimits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(file, []byte(`{"max-connections":1000,"max-connections-per-address":10,"body-timeout":"5s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		args           []string
		total, perAddr int
		bodyTimeout    time.Duration
		wantErr        bool
	}{
		{name: "defaults", total: 0, perAddr: 0, bodyTimeout: 20 * time.Second},
		{name: "flags", args: []string{"--max-connections", "500", "--max-connections-per-address", "20", "--body-timeout", "1m"},
			total: 500, perAddr: 20, bodyTimeout: time.Minute},
		{name: "file", args: []string{"--config", file}, total: 1000, perAddr: 10, bodyTimeout: 5 * time.Second},
		{name: "flags win over the file", args: []string{"--config", file, "--max-connections", "7"}, total: 7, perAddr: 10, bodyTimeout: 5 * time.Second},
		{name: "negative total", args: []string{"--max-connections", "-1"}, wantErr: true},
		{name: "negative per address", args: []string{"--max-connections-per-address", "-5"}, wantErr: true},
		{name: "body timeout too short", args: []string{"--body-timeout", "100ms"}, wantErr: true},
		{name: "body timeout too long", args: []string{"--body-timeout", "1h"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.args, io.Discard)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Parse(%v) accepted", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MaxConnections != tc.total || cfg.MaxConnectionsPerAddress != tc.perAddr || cfg.BodyTimeout.Duration != tc.bodyTimeout {
				t.Fatalf("got %d, %d, %s; want %d, %d, %s", cfg.MaxConnections, cfg.MaxConnectionsPerAddress, cfg.BodyTimeout,
					tc.total, tc.perAddr, tc.bodyTimeout)
			}
		})
	}
}
