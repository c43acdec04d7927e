package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

func TestParseDefaultsAndFlags(t *testing.T) {
	cfg, err := Parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "defaults", fieldsOf(cfg), fields{Listen: "127.0.0.1:8080", Hosts: "local=qemu:///system", Stats: 2 * time.Second})
	cfg, err = Parse([]string{"--host", "a=qemu:///system", "--host", "b=qemu+ssh://h/system", "--stats-interval", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "flags", fieldsOf(cfg), fields{Listen: "127.0.0.1:8080", Hosts: "a=qemu:///system b=qemu+ssh://h/system", Stats: time.Second})
}

// fields is the part of a Config the parse tests check, flattened so that
// a mismatch prints which field differs.
type fields struct {
	Listen string
	Hosts  string // "name=uri" pairs, space-separated
	Stats  time.Duration
}

func fieldsOf(c Config) fields {
	hosts := make([]string, len(c.Hosts))
	for i, h := range c.Hosts {
		hosts[i] = h.Name + "=" + h.URI
	}
	return fields{Listen: c.Listen, Hosts: strings.Join(hosts, " "), Stats: c.StatsInterval.Duration}
}

func checkFields(t *testing.T, what string, got, want fields) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func TestConfigFileThenFlags(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(p, []byte(`{"listen":"127.0.0.1:9000","hosts":[{"name":"x","uri":"qemu:///system"}],"stats-interval":"5s"}`), 0o600)
	cfg, err := Parse([]string{"--config", p, "--listen", "127.0.0.1:9001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "file then flags", fieldsOf(cfg), fields{Listen: "127.0.0.1:9001", Hosts: "x=qemu:///system", Stats: 5 * time.Second})
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

func TestSerialScrollback(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    int
		wantErr bool
	}{
		{name: "default", args: nil, want: 256},
		{name: "flag", args: []string{"--serial-scrollback", "1024"}, want: 1024},
		{name: "smallest", args: []string{"--serial-scrollback", "4"}, want: 4},
		{name: "largest", args: []string{"--serial-scrollback", "65536"}, want: 65536},
		{name: "too small", args: []string{"--serial-scrollback", "3"}, wantErr: true},
		{name: "zero", args: []string{"--serial-scrollback", "0"}, wantErr: true},
		{name: "negative", args: []string{"--serial-scrollback", "-1"}, wantErr: true},
		{name: "too large", args: []string{"--serial-scrollback", "65537"}, wantErr: true},
		{name: "not a number", args: []string{"--serial-scrollback", "lots"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.args, io.Discard)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Parse(%v) accepted %d", tc.args, cfg.SerialScrollback)
				}
				return
			}
			if err != nil || cfg.SerialScrollback != tc.want {
				t.Fatalf("Parse(%v) = %d, %v; want %d", tc.args, cfg.SerialScrollback, err, tc.want)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(p, []byte(`{"serial-scrollback":512}`), 0o600)
	if cfg, err := Parse([]string{"--config", p}, io.Discard); err != nil || cfg.SerialScrollback != 512 {
		t.Fatalf("config file: %d, %v", cfg.SerialScrollback, err)
	}
}

func TestScreenshotsDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cwd, _ := os.Getwd()
	for _, tc := range []struct {
		name    string
		args    []string
		file    string // config file contents, if any
		want    string
		wantErr bool
	}{
		{name: "default in the home folder", want: filepath.Join(home, "Pictures", "KVM Manager")},
		{name: "flag", args: []string{"--screenshots-dir", "/srv/shots"}, want: "/srv/shots"},
		{name: "relative flag made absolute", args: []string{"--screenshots-dir", "shots"}, want: filepath.Join(cwd, "shots")},
		{name: "config file with ~", file: `{"screenshots-dir":"~/Bilder"}`, want: filepath.Join(home, "Bilder")},
		{name: "flag beats file", file: `{"screenshots-dir":"/a"}`, args: []string{"--screenshots-dir", "/b"}, want: "/b"},
		{name: "empty flag falls back to the data dir", args: []string{"--screenshots-dir", "", "--data-dir", "/var/lib/x"}, want: "/var/lib/x/screenshots"},
		{name: "empty everything refused", args: []string{"--screenshots-dir", "", "--data-dir", ""}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				p := filepath.Join(t.TempDir(), "c.json")
				if err := os.WriteFile(p, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", p}, args...)
			}
			cfg, err := Parse(args, io.Discard)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Parse(%v) accepted: %q", args, cfg.ScreenshotsDir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ScreenshotsDir != tc.want {
				t.Errorf("ScreenshotsDir = %q, want %q", cfg.ScreenshotsDir, tc.want)
			}
		})
	}
}

func TestSecuritySettings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	// The users are checked as auth checks them (auth.CheckUsers): the
	// hash must be a real one.
	hash, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(p, []byte(`{"users":[{"name":"ada","password-hash":"`+hash+`","role":"admin"}],
		"trusted-proxies":["10.0.0.0/24","::1"],"session-ttl":"8h","session-idle":"30m"}`), 0o600)
	cfg, err := Parse([]string{"--config", p, "--tls-self-signed", "--listen", "0.0.0.0:8443"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	type security struct {
		TLS       bool
		Users     int
		FirstRole auth.Role
		TTL, Idle time.Duration
	}
	got := security{TLS: cfg.TLS(), Users: len(cfg.Users), TTL: cfg.SessionTTL.Duration, Idle: cfg.SessionIdle.Duration}
	if len(cfg.Users) > 0 {
		got.FirstRole = cfg.Users[0].Role
	}
	if want := (security{TLS: true, Users: 1, FirstRole: auth.Admin, TTL: 8 * time.Hour, Idle: 30 * time.Minute}); got != want {
		t.Fatalf("security settings:\n got  %+v\n want %+v", got, want)
	}
	pr, err := cfg.ProxyPrefixes()
	if err != nil || len(pr) != 2 || pr[1].Bits() != 128 {
		t.Fatalf("proxies %v %v", pr, err)
	}
	refused := []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:8080"}, "TLS is not configured"},
		{[]string{"--listen", "192.0.2.1:8080", "--tls-cert", "c.pem"}, "go together"},
		{[]string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed"}, "exclude each other"},
		{[]string{"--session-ttl", "10s"}, "--session-ttl"},
		{[]string{"--session-idle", "24h"}, "--session-idle"},
		{[]string{"--trusted-proxy", "proxy.example"}, "--trusted-proxy"},
		{[]string{"--max-sessions-per-user", "0"}, "--max-sessions-per-user"},
	}
	for _, c := range refused {
		_, err := Parse(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error about %q", c.args, err, c.want)
		}
	}
	// Plain HTTP beyond loopback only when asked for explicitly.
	if _, err := Parse([]string{"--listen", "0.0.0.0:8080", "--insecure-http"}, io.Discard); err != nil {
		t.Errorf("--insecure-http: %v", err)
	}
	for _, body := range []string{
		`{"users":[{"name":"a","password-hash":"$argon2id$x","role":"root"}]}`,
		`{"users":[{"name":"a","password-hash":"$argon2id$x","role":"viewer"}]}`,
		`{"users":[{"name":"a","role":"viewer"}]}`,
		`{"users":[{"name":"a","password-hash":"h","role":"viewer"},{"name":"a","password-hash":"h","role":"admin"}]}`,
	} {
		_ = os.WriteFile(p, []byte(body), 0o600)
		if _, err := Parse([]string{"--config", p}, io.Discard); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestLimits(t *testing.T) {
	cfg, err := Parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits != DefaultLimits() || cfg.EventStreamsPerSession != 16 || cfg.AuditMaxSize != 16 {
		t.Fatalf("default limits %+v", cfg.Limits)
	}
	p := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(p, []byte(`{"audit-max-age":"24h","audit-keep":2,"max-consoles-per-session":3,"max-event-streams-per-client":9}`), 0o600)
	cfg, err = Parse([]string{"--config", p, "--max-consoles-per-session", "4", "--audit-max-size", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultLimits()
	want.AuditMaxAge.Duration, want.AuditKeep, want.ConsolesPerSession, want.EventStreamsPerClient, want.AuditMaxSize = 24*time.Hour, 2, 4, 9, 1
	if cfg.Limits != want {
		t.Fatalf("limits from file and flags: %+v, want %+v", cfg.Limits, want)
	}
	for _, args := range [][]string{
		{"--audit-max-size", "0"}, {"--audit-max-age", "1m"}, {"--audit-keep", "0"},
		{"--max-event-streams-per-session", "0"}, {"--max-consoles-per-client", "-1"},
	} {
		if _, err := Parse(args, io.Discard); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("Parse(%v): %v", args, err)
		}
	}
}

func TestScreenshotQuota(t *testing.T) {
	for _, tc := range []struct {
		name            string
		args            []string
		file            string
		perVM, mibPerVM int
		wantErr         bool
	}{
		{name: "defaults", perVM: 100, mibPerVM: 256},
		{name: "flags", args: []string{"--screenshots-per-vm", "5", "--screenshots-mib-per-vm", "10"}, perVM: 5, mibPerVM: 10},
		{name: "0 is no limit", args: []string{"--screenshots-per-vm", "0", "--screenshots-mib-per-vm", "0"}},
		{name: "config file", file: `{"screenshots-per-vm":7,"screenshots-mib-per-vm":3}`, perVM: 7, mibPerVM: 3},
		{name: "flag beats file", file: `{"screenshots-per-vm":7}`, args: []string{"--screenshots-per-vm", "8"}, perVM: 8, mibPerVM: 256},
		{name: "negative count refused", args: []string{"--screenshots-per-vm", "-1"}, wantErr: true},
		{name: "negative size refused", args: []string{"--screenshots-mib-per-vm", "-1"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--data-dir", t.TempDir()}, tc.args...)
			if tc.file != "" {
				p := filepath.Join(t.TempDir(), "c.json")
				if err := os.WriteFile(p, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", p}, args...)
			}
			cfg, err := Parse(args, io.Discard)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "screenshots-") {
					t.Fatalf("Parse(%v) = %v, want a refusal naming the flag", args, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ScreenshotsPerVM != tc.perVM || cfg.ScreenshotsMiBPerVM != tc.mibPerVM {
				t.Errorf("per VM: %d screenshots, %d MiB; want %d, %d", cfg.ScreenshotsPerVM, cfg.ScreenshotsMiBPerVM, tc.perVM, tc.mibPerVM)
			}
		})
	}
}

// TestFlagsOverrideTheFileOnlyWhenGiven checks the two passes of Parse: a
// flag that is not given leaves the file's value (even when the file's
// value differs from the flag's default), a given one replaces it, and the
// repeated and special flags (--host, --trusted-proxy, --connect,
// --log-level) keep their rules.
func TestFlagsOverrideTheFileOnlyWhenGiven(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	_ = os.WriteFile(p, []byte(`{"listen":"127.0.0.1:9000","hosts":[{"name":"x","uri":"qemu:///system"}],
		"log-level":"warn","trusted-proxies":["10.0.0.1"],"audit-keep":9,"body-timeout":"30s","insecure-http":true}`), 0o600)
	type want struct {
		listen  string
		hosts   string
		level   slog.Level
		proxies string
		keep    int
		body    time.Duration
	}
	for _, tc := range []struct {
		args []string
		want want
	}{
		{nil, want{"127.0.0.1:9000", "[{x qemu:///system}]", slog.LevelWarn, "[10.0.0.1]", 9, 30 * time.Second}},
		{[]string{"--listen", "127.0.0.1:9001", "--log-level", "debug", "--audit-keep", "2", "--body-timeout", "5s"},
			want{"127.0.0.1:9001", "[{x qemu:///system}]", slog.LevelDebug, "[10.0.0.1]", 2, 5 * time.Second}},
		{[]string{"--trusted-proxy", "10.0.0.2", "--trusted-proxy", "10.0.0.3"},
			want{"127.0.0.1:9000", "[{x qemu:///system}]", slog.LevelWarn, "[10.0.0.2 10.0.0.3]", 9, 30 * time.Second}},
		{[]string{"--connect", "qemu+unix:///system?socket=/s"},
			want{"127.0.0.1:9000", "[{local qemu+unix:///system?socket=/s}]", slog.LevelWarn, "[10.0.0.1]", 9, 30 * time.Second}},
		{[]string{"--host", "a=qemu:///system", "--connect", "qemu:///system", "--host", "b=qemu:///system"},
			want{"127.0.0.1:9000", "[{a qemu:///system} {b qemu:///system}]", slog.LevelWarn, "[10.0.0.1]", 9, 30 * time.Second}},
	} {
		cfg, err := Parse(append([]string{"--config", p}, tc.args...), io.Discard)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		got := want{cfg.Listen, fmt.Sprint(cfg.Hosts), cfg.LogLevel, fmt.Sprint(cfg.TrustedProxies), cfg.AuditKeep, cfg.BodyTimeout.Duration}
		if got != tc.want {
			t.Errorf("%v:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
		if !cfg.InsecureHTTP {
			t.Errorf("%v: the file's insecure-http was lost", tc.args)
		}
	}
	_ = os.WriteFile(p, []byte(`{"log-level":"warn+2"}`), 0o600)
	if _, err := Parse([]string{"--config", p}, io.Discard); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Errorf("log-level warn+2 in the file: %v, want refused", err)
	}
}
