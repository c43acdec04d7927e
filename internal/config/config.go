// Package config reads KVM Manager's settings from an optional JSON file and
// command-line flags (flags win), and checks them before anything starts.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

// Host is one libvirt host to manage.
type Host struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// Config is the complete configuration. JSON keys match the flag names.
type Config struct {
	Listen        string   `json:"listen"`
	Connect       string   `json:"connect"`
	Hosts         []Host   `json:"hosts"`
	DataDir       string   `json:"data-dir"`
	StatsInterval Duration `json:"stats-interval"`
	// LogLevel is the least severe level logged: debug, info, warn or
	// error.
	LogLevel     slog.Level `json:"log-level"`
	InsecureHTTP bool       `json:"insecure-http"`
	// ScreenshotsDir is the folder server-side screenshots are saved in; it
	// is created when the first one is saved.
	ScreenshotsDir string `json:"screenshots-dir"`
	// ScreenshotsPerVM and ScreenshotsMiBPerVM cap how many screenshots of
	// one VM, and how many MiB of them, the screenshots folder may hold;
	// saving more is refused. 0 means no limit.
	ScreenshotsPerVM    int `json:"screenshots-per-vm"`
	ScreenshotsMiBPerVM int `json:"screenshots-mib-per-vm"`
	// SerialScrollback is how many KiB of output each serial console keeps
	// for viewers who join later.
	SerialScrollback int `json:"serial-scrollback"`
	// Users may log in with a password (config file only: hashes do not
	// belong on a command line). Roles are checked as the file is read.
	Users []auth.User `json:"users"`
	// TLSCert and TLSKey are PEM files to serve HTTPS with.
	TLSCert string `json:"tls-cert"`
	TLSKey  string `json:"tls-key"`
	// TLSSelfSigned serves HTTPS with a certificate generated once into
	// <data-dir>/tls.
	TLSSelfSigned bool `json:"tls-self-signed"`
	// SessionTTL is the longest a browser session lives; SessionIdle ends
	// one unused for that long.
	SessionTTL  Duration `json:"session-ttl"`
	SessionIdle Duration `json:"session-idle"`
	// MaxSessionsPerUser caps each user's browser sessions; a login beyond
	// it ends that user's oldest session.
	MaxSessionsPerUser int `json:"max-sessions-per-user"`
	// TrustedProxies are reverse proxies (CIDRs) whose X-Forwarded-For
	// header names the client.
	TrustedProxies []string `json:"trusted-proxies"`
	// MaxConnections caps the client connections open at once; 0 derives
	// it from the file limit (at most 4096). MaxConnectionsPerAddress caps
	// those of one client address, the TCP peer (0: 256). See
	// docs/security.md, "Connection limits".
	MaxConnections           int `json:"max-connections"`
	MaxConnectionsPerAddress int `json:"max-connections-per-address"`
	// BodyTimeout is the longest a client may take to send a request body.
	BodyTimeout Duration `json:"body-timeout"`
	// Limits are the audit log's retention and the stream caps (limits.go).
	Limits
	// MetricsTokenFile names a file holding the token that may read GET
	// /metrics and nothing else (for a Prometheus server); empty: only
	// users with the metrics or admin role may.
	MetricsTokenFile string `json:"metrics-token-file"`
	// Schedules configures scheduled snapshots (schedules.go).
	Schedules
	// Recording configures console recordings (recording.go).
	Recording
}

// TLS reports whether the server serves HTTPS.
func (c Config) TLS() bool { return c.TLSCert != "" || c.TLSSelfSigned }

// Duration is a time.Duration that reads "2s" from JSON.
type Duration struct{ time.Duration }

// UnmarshalJSON parses a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"2s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"2s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Defaults returns the configuration used when nothing is given.
func Defaults() Config {
	return Config{
		Listen:        "127.0.0.1:8080",
		Connect:       "qemu:///system",
		DataDir:       defaultDataDir(),
		StatsInterval: Duration{2 * time.Second},
		LogLevel:      slog.LevelInfo,
		// Empty when there is no home folder: Parse then uses the data dir.
		ScreenshotsDir:      defaultScreenshotsDir(),
		ScreenshotsPerVM:    100,
		ScreenshotsMiBPerVM: 256,

		SerialScrollback: 256,
		SessionTTL:       Duration{12 * time.Hour},
		SessionIdle:      Duration{2 * time.Hour},
		BodyTimeout:      Duration{20 * time.Second},

		Limits:    DefaultLimits(),
		Schedules: DefaultSchedules(),
		Recording: DefaultRecording(),

		MaxSessionsPerUser: auth.DefaultMaxSessionsPerUser,
	}
}

// defaultScreenshotsDir is "Pictures/KVM Manager" in the home folder.
func defaultScreenshotsDir() string {
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, "Pictures", "KVM Manager")
	}
	return ""
}

func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/kvm-manager"
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "kvm-manager")
	}
	return ".kvm-manager"
}

// hostFlags is the repeated --host NAME=URI flag. The first --host given
// replaces the hosts of the config file; later ones add to it.
type hostFlags struct {
	dst   *[]Host
	given bool
}

func (h *hostFlags) String() string {
	if h.dst == nil {
		return "[]"
	}
	return fmt.Sprint(*h.dst)
}

// Set adds one NAME=URI.
func (h *hostFlags) Set(v string) error {
	name, uri, ok := strings.Cut(v, "=")
	if !ok || name == "" || uri == "" {
		return errors.New("want NAME=URI, e.g. local=qemu:///system")
	}
	if !h.given {
		*h.dst, h.given = nil, true
	}
	*h.dst = append(*h.dst, Host{Name: name, URI: uri})
	return nil
}

// parseLevel accepts the four names of --log-level, and no offsets such
// as slog's "warn+2".
func parseLevel(v string) (slog.Level, error) {
	switch v {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: use debug, info, warn or error", v)
}

// bind registers every flag on fs, each bound to its field of c with the
// field's value as the default. It is the one list of the flags: Parse
// binds them twice, first to the defaults (for --help, errors and
// --config), then to the config file's values, so that a flag overrides
// the file only when it is given.
//
// Two flags are not plain fields: --log-level is a name, read into a
// slog.Level, and --connect drops the config file's hosts (the one host is
// named "local") unless --host is given too, which wins wherever it stands
// on the command line. finish, called after fs.Parse, applies them.
func bind(fs *flag.FlagSet, c *Config) (configPath *string, finish func() error) {
	configPath = fs.String("config", "", "JSON configuration file (keys as the flags)")
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to serve on")
	hosts := &hostFlags{dst: &c.Hosts}
	fs.StringVar(&c.Connect, "connect", c.Connect, "libvirt URI of the one host to manage (named \"local\")")
	fs.Var(hosts, "host", "a host to manage as NAME=URI; repeat for several (replaces --connect)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for KVM Manager's own files")
	fs.DurationVar(&c.StatsInterval.Duration, "stats-interval", c.StatsInterval.Duration, "time between stats samples")
	level := fs.String("log-level", strings.ToLower(c.LogLevel.String()), "debug, info, warn or error")
	fs.BoolVar(&c.InsecureHTTP, "insecure-http", c.InsecureHTTP, "allow plain HTTP on a non-loopback address (dangerous)")
	fs.StringVar(&c.ScreenshotsDir, "screenshots-dir", c.ScreenshotsDir, "folder for screenshots saved on the server (created when needed)")
	fs.IntVar(&c.ScreenshotsPerVM, "screenshots-per-vm", c.ScreenshotsPerVM, "most screenshots of one VM kept in --screenshots-dir; saving more is refused (0: no limit)")
	fs.IntVar(&c.ScreenshotsMiBPerVM, "screenshots-mib-per-vm", c.ScreenshotsMiBPerVM, "most MiB of one VM's screenshots kept in --screenshots-dir (0: no limit)")
	fs.IntVar(&c.SerialScrollback, "serial-scrollback", c.SerialScrollback, "KiB of output each serial console keeps for late viewers (4 to 65536)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate (chain) to serve HTTPS with; needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key of --tls-cert")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "serve HTTPS with a self-signed certificate generated once into <data-dir>/tls")
	fs.DurationVar(&c.SessionTTL.Duration, "session-ttl", c.SessionTTL.Duration, "longest a browser session lives")
	fs.DurationVar(&c.SessionIdle.Duration, "session-idle", c.SessionIdle.Duration, "a browser session unused this long ends")
	fs.IntVar(&c.MaxSessionsPerUser, "max-sessions-per-user", c.MaxSessionsPerUser, "browser sessions each user may have; a login beyond it ends the user's oldest (1 to 1000)")
	fs.Var(&listFlag{dst: &c.TrustedProxies}, "trusted-proxy", "a reverse proxy address or CIDR whose X-Forwarded-For is believed; repeat for several")
	fs.IntVar(&c.MaxConnections, "max-connections", c.MaxConnections, "most client connections open at once (0: 4096, or less as the open-file limit requires)")
	fs.IntVar(&c.MaxConnectionsPerAddress, "max-connections-per-address", c.MaxConnectionsPerAddress, "most connections one client address (the TCP peer: behind a proxy, the proxy) holds open (0: 256)")
	fs.DurationVar(&c.BodyTimeout.Duration, "body-timeout", c.BodyTimeout.Duration, "longest a client may take to send a request body")
	bindLimits(fs, &c.Limits)
	fs.StringVar(&c.MetricsTokenFile, "metrics-token-file", c.MetricsTokenFile, "file holding the token that may only read GET /metrics (for Prometheus)")
	bindSchedules(fs, &c.Schedules)
	bindRecording(fs, &c.Recording)
	return configPath, func() error {
		l, err := parseLevel(*level)
		if err != nil {
			return fmt.Errorf("--log-level %w", err)
		}
		c.LogLevel = l
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "connect" && !hosts.given {
				c.Hosts = nil
			}
		})
		return nil
	}
}

// Parse reads args (without the program name): first the file named by
// --config, if any, then the flags given. out receives usage and errors.
func Parse(args []string, out io.Writer) (Config, error) {
	cfg := Defaults()
	fs := flag.NewFlagSet("kvm-manager", flag.ContinueOnError)
	fs.SetOutput(out)
	configPath, finish := bind(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := finish(); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configPath != "" {
		cfg = Defaults()
		if err := loadFile(*configPath, &cfg); err != nil {
			return cfg, err
		}
		// The same flags once more, over the file's values: they parsed
		// above, so they parse again.
		again := flag.NewFlagSet("kvm-manager", flag.ContinueOnError)
		again.SetOutput(io.Discard)
		_, finish := bind(again, &cfg)
		if err := again.Parse(args); err != nil {
			return cfg, err
		}
		if err := finish(); err != nil {
			return cfg, err
		}
	}
	cfg.ScreenshotsDir = screenshotsDirOrDefault(cfg.ScreenshotsDir, cfg.DataDir)
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []Host{{Name: "local", URI: cfg.Connect}}
	}
	return cfg, cfg.Validate()
}

func loadFile(path string, cfg *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Validate checks the configuration and says what is wrong.
func (c Config) Validate() error {
	hostPart, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8080", c.Listen)
	}
	if !IsLoopback(hostPart) && !c.TLS() && !c.InsecureHTTP {
		return fmt.Errorf("--listen %q is reachable from other machines, and TLS is not configured: "+
			"give --tls-cert and --tls-key (or --tls-self-signed), listen on 127.0.0.1 behind a TLS reverse proxy, "+
			"or pass --insecure-http if you accept that passwords and consoles cross the network in clear text", c.Listen)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both")
	}
	if c.TLSCert != "" && c.TLSSelfSigned {
		return errors.New("--tls-self-signed and --tls-cert exclude each other: choose one")
	}
	if c.SessionTTL.Duration < time.Minute || c.SessionTTL.Duration > 30*24*time.Hour {
		return fmt.Errorf("--session-ttl %s: use 1m to 720h", c.SessionTTL)
	}
	if c.SessionIdle.Duration < time.Minute || c.SessionIdle.Duration > c.SessionTTL.Duration {
		return fmt.Errorf("--session-idle %s: use 1m up to --session-ttl (%s)", c.SessionIdle, c.SessionTTL)
	}
	if c.MaxSessionsPerUser < 1 || c.MaxSessionsPerUser > 1000 {
		return fmt.Errorf("--max-sessions-per-user %d: use 1 to 1000", c.MaxSessionsPerUser)
	}
	if _, err := c.ProxyPrefixes(); err != nil {
		return err
	}
	if err := c.Limits.validate(); err != nil {
		return err
	}
	if err := c.Schedules.validate(); err != nil {
		return err
	}
	if err := c.Recording.validate(); err != nil {
		return err
	}
	if err := auth.CheckUsers(c.Users); err != nil {
		return err
	}
	if c.StatsInterval.Duration < 200*time.Millisecond || c.StatsInterval.Duration > time.Hour {
		return fmt.Errorf("--stats-interval %s: use 200ms to 1h", c.StatsInterval)
	}
	switch c.LogLevel {
	case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", strings.ToLower(c.LogLevel.String()))
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	if c.ScreenshotsDir == "" {
		return errors.New("--screenshots-dir must not be empty")
	}
	if c.ScreenshotsPerVM < 0 || c.ScreenshotsPerVM > 1_000_000 {
		return fmt.Errorf("--screenshots-per-vm %d: use 0 (no limit) to 1000000", c.ScreenshotsPerVM)
	}
	if c.ScreenshotsMiBPerVM < 0 || c.ScreenshotsMiBPerVM > 1<<30 {
		return fmt.Errorf("--screenshots-mib-per-vm %d: use 0 (no limit) to %d", c.ScreenshotsMiBPerVM, 1<<30)
	}
	if c.SerialScrollback < 4 || c.SerialScrollback > 65536 {
		return fmt.Errorf("--serial-scrollback %d: use 4 to 65536 (KiB of output kept per serial console)", c.SerialScrollback)
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerAddress < 0 {
		return fmt.Errorf("--max-connections %d, --max-connections-per-address %d: use 0 (the default) or a positive number",
			c.MaxConnections, c.MaxConnectionsPerAddress)
	}
	if c.BodyTimeout.Duration < time.Second || c.BodyTimeout.Duration > 10*time.Minute {
		return fmt.Errorf("--body-timeout %s: use 1s to 10m", c.BodyTimeout)
	}
	seen := map[string]bool{}
	for _, h := range c.Hosts {
		if seen[h.Name] {
			return fmt.Errorf("host %q is configured twice", h.Name)
		}
		seen[h.Name] = true
	}
	return nil
}

// ProxyPrefixes parses TrustedProxies (addresses or CIDRs).
func (c Config) ProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q: want an address or CIDR such as 10.0.0.5 or 10.0.0.0/24", p)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// listFlag is a repeated string flag. The first one given replaces the
// config file's list; later ones add to it.
type listFlag struct {
	dst   *[]string
	given bool
}

func (l *listFlag) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

// Set appends one value.
func (l *listFlag) Set(v string) error {
	if !l.given {
		*l.dst, l.given = nil, true
	}
	*l.dst = append(*l.dst, v)
	return nil
}

// IsLoopback reports whether a listen host only accepts local connections.
func IsLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// screenshotsDirOrDefault expands a leading "~/" (config files are not
// expanded by a shell), falls back to <data dir>/screenshots when there is
// no home folder to default to, and makes the path absolute, because the
// saved path is shown to users.
func screenshotsDirOrDefault(dir, dataDir string) string {
	if rest, ok := strings.CutPrefix(dir, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil && h != "" {
			dir = filepath.Join(h, rest)
		}
	}
	if dir == "" {
		if dataDir == "" {
			return ""
		}
		dir = filepath.Join(dataDir, "screenshots")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}
