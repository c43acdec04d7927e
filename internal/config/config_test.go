package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseDefaultsAndFlags(t *testing.T) {
	cfg, err := Parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || len(cfg.Hosts) != 1 || cfg.Hosts[0] != (Host{"local", "qemu:///system"}) || cfg.StatsInterval.Duration != 2*time.Second {
		t.Fatalf("defaults = %+v", cfg)
	}
	cfg, err = Parse([]string{"--host", "a=qemu:///system", "--host", "b=qemu+ssh://h/system", "--stats-interval", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Hosts) != 2 || cfg.Hosts[1].Name != "b" || cfg.StatsInterval.Duration != time.Second {
		t.Fatalf("flags = %+v", cfg)
	}
}

func TestConfigFileThenFlags(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(p, []byte(`{"listen":"127.0.0.1:9000","hosts":[{"name":"x","uri":"qemu:///system"}],"stats-interval":"5s"}`), 0o600)
	cfg, err := Parse([]string{"--config", p, "--listen", "127.0.0.1:9001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9001" || cfg.Hosts[0].Name != "x" || cfg.StatsInterval.Duration != 5*time.Second {
		t.Fatalf("cfg = %+v", cfg)
	}
	_ = os.WriteFile(p, []byte(`{"listne":"x"}`), 0o600)
	if _, err := Parse([]string{"--config", p}, io.Discard); err == nil {
		t.Fatal("unknown key in the config file accepted")
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--listen", "0.0.0.0:8080"},
		{"--listen", "nonsense"},
		{"--stats-interval", "1ms"},
		{"--log-level", "loud"},
		{"--host", "a=qemu:///system", "--host", "a=qemu:///system"},
		{"--host", "noequals"},
		{"extra"},
	} {
		if _, err := Parse(args, io.Discard); err == nil {
			t.Errorf("Parse(%v) accepted", args)
		}
	}
	if _, err := Parse([]string{"--listen", "0.0.0.0:8080", "--insecure-http"}, io.Discard); err != nil {
		t.Errorf("--insecure-http did not allow a public address: %v", err)
	}
}
