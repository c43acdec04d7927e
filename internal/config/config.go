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
	LogLevel      string   `json:"log-level"`
	InsecureHTTP  bool     `json:"insecure-http"`
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
		LogLevel:      "info",
		// Empty when there is no home folder: Parse then uses the data dir.
		ScreenshotsDir:      defaultScreenshotsDir(),
		ScreenshotsPerVM:    100,
		ScreenshotsMiBPerVM: 256,

		SerialScrollback: 256,
		SessionTTL:       Duration{12 * time.Hour},
		SessionIdle:      Duration{2 * time.Hour},
		BodyTimeout:      Duration{20 * time.Second},

		Limits: DefaultLimits(),

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

// hostFlags collects repeated --host NAME=URI flags.
type hostFlags []Host

func (h *hostFlags) String() string { return fmt.Sprint(*h) }
func (h *hostFlags) Set(v string) error {
	name, uri, ok := strings.Cut(v, "=")
	if !ok || name == "" || uri == "" {
		return errors.New("want NAME=URI, e.g. local=qemu:///system")
	}
	*h = append(*h, Host{Name: name, URI: uri})
	return nil
}

// Parse reads args (without the program name): first the file named by
// --config, if any, then the flags given. out receives usage and errors.
func Parse(args []string, out io.Writer) (Config, error) {
	cfg := Defaults()
	fs := flag.NewFlagSet("kvm-manager", flag.ContinueOnError)
	fs.SetOutput(out)
	configPath := fs.String("config", "", "JSON configuration file (keys as the flags)")
	listen := fs.String("listen", cfg.Listen, "address to serve on")
	connect := fs.String("connect", cfg.Connect, "libvirt URI of the one host to manage (named \"local\")")
	var hosts hostFlags
	fs.Var(&hosts, "host", "a host to manage as NAME=URI; repeat for several (replaces --connect)")
	dataDir := fs.String("data-dir", cfg.DataDir, "directory for KVM Manager's own files")
	interval := fs.Duration("stats-interval", cfg.StatsInterval.Duration, "time between stats samples")
	logLevel := fs.String("log-level", cfg.LogLevel, "debug, info, warn or error")
	insecure := fs.Bool("insecure-http", false, "allow plain HTTP on a non-loopback address (dangerous)")
	screenshotsDir := fs.String("screenshots-dir", cfg.ScreenshotsDir, "folder for screenshots saved on the server (created when needed)")
	shotsPerVM := fs.Int("screenshots-per-vm", cfg.ScreenshotsPerVM, "most screenshots of one VM kept in --screenshots-dir; saving more is refused (0: no limit)")
	shotsMiBPerVM := fs.Int("screenshots-mib-per-vm", cfg.ScreenshotsMiBPerVM, "most MiB of one VM's screenshots kept in --screenshots-dir (0: no limit)")
	serialScrollback := fs.Int("serial-scrollback", cfg.SerialScrollback, "KiB of output each serial console keeps for late viewers (4 to 65536)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate (chain) to serve HTTPS with; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	tlsSelf := fs.Bool("tls-self-signed", false, "serve HTTPS with a self-signed certificate generated once into <data-dir>/tls")
	sessionTTL := fs.Duration("session-ttl", cfg.SessionTTL.Duration, "longest a browser session lives")
	sessionIdle := fs.Duration("session-idle", cfg.SessionIdle.Duration, "a browser session unused this long ends")
	maxSessions := fs.Int("max-sessions-per-user", cfg.MaxSessionsPerUser, "browser sessions each user may have; a login beyond it ends the user's oldest (1 to 1000)")
	var proxies listFlag
	fs.Var(&proxies, "trusted-proxy", "a reverse proxy address or CIDR whose X-Forwarded-For is believed; repeat for several")
	maxConns := fs.Int("max-connections", 0, "most client connections open at once (0: 4096, or less as the open-file limit requires)")
	maxConnsPerAddr := fs.Int("max-connections-per-address", 0, "most connections one client address (the TCP peer: behind a proxy, the proxy) holds open (0: 256)")
	bodyTimeout := fs.Duration("body-timeout", cfg.BodyTimeout.Duration, "longest a client may take to send a request body")
	applyLimits := limitFlags(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configPath != "" {
		if err := loadFile(*configPath, &cfg); err != nil {
			return cfg, err
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["listen"] {
		cfg.Listen = *listen
	}
	if set["connect"] {
		cfg.Connect = *connect
		cfg.Hosts = nil
	}
	if set["host"] {
		cfg.Hosts = hosts
	}
	if set["data-dir"] {
		cfg.DataDir = *dataDir
	}
	if set["stats-interval"] {
		cfg.StatsInterval.Duration = *interval
	}
	if set["log-level"] {
		cfg.LogLevel = *logLevel
	}
	if set["insecure-http"] {
		cfg.InsecureHTTP = *insecure
	}
	if set["screenshots-dir"] {
		cfg.ScreenshotsDir = *screenshotsDir
	}
	cfg.ScreenshotsDir = screenshotsDirOrDefault(cfg.ScreenshotsDir, cfg.DataDir)
	if set["screenshots-per-vm"] {
		cfg.ScreenshotsPerVM = *shotsPerVM
	}
	if set["screenshots-mib-per-vm"] {
		cfg.ScreenshotsMiBPerVM = *shotsMiBPerVM
	}
	if set["serial-scrollback"] {
		cfg.SerialScrollback = *serialScrollback
	}
	if set["tls-cert"] {
		cfg.TLSCert = *tlsCert
	}
	if set["tls-key"] {
		cfg.TLSKey = *tlsKey
	}
	if set["tls-self-signed"] {
		cfg.TLSSelfSigned = *tlsSelf
	}
	if set["session-ttl"] {
		cfg.SessionTTL.Duration = *sessionTTL
	}
	if set["session-idle"] {
		cfg.SessionIdle.Duration = *sessionIdle
	}
	if set["max-sessions-per-user"] {
		cfg.MaxSessionsPerUser = *maxSessions
	}
	if set["trusted-proxy"] {
		cfg.TrustedProxies = proxies
	}
	if set["max-connections"] {
		cfg.MaxConnections = *maxConns
	}
	if set["max-connections-per-address"] {
		cfg.MaxConnectionsPerAddress = *maxConnsPerAddr
	}
	if set["body-timeout"] {
		cfg.BodyTimeout.Duration = *bodyTimeout
	}
	applyLimits(&cfg, set)
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
	users := map[string]bool{}
	for _, u := range c.Users {
		if users[u.Name] {
			return fmt.Errorf("user %q is configured twice", u.Name)
		}
		users[u.Name] = true
		if u.Role == 0 {
			return fmt.Errorf("user %q has no role: use viewer, operator or admin", u.Name)
		}
		if u.PasswordHash == "" {
			return fmt.Errorf("user %q has no password-hash: make one with kvm-manager hash-password", u.Name)
		}
	}
	if c.StatsInterval.Duration < 200*time.Millisecond || c.StatsInterval.Duration > time.Hour {
		return fmt.Errorf("--stats-interval %s: use 200ms to 1h", c.StatsInterval)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
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

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends one value.
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
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
