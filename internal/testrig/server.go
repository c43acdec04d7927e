// Package testrig runs the real kvm-manager binary and talks to it and to
// libvirt, for the integration tests and the benchmarks. It holds no test
// logic of its own: only the plumbing both need.
package testrig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/kvm-manager/kvm-manager/internal/auth"
)

// StopTimeout is how long Stop waits after SIGTERM before it kills.
const StopTimeout = 10 * time.Second

// Server is one running kvm-manager process.
type Server struct {
	// URL is the base URL it serves on, e.g. http://127.0.0.1:41234.
	URL string
	// Token is its API token.
	Token string
	// Started is when the process was started.
	Started time.Time
	// Client is a client for setup calls; measurements may bring their own.
	Client *http.Client

	cmd     *exec.Cmd
	dir     string
	logPath string
	waited  chan struct{}
	waitErr error
	stopMu  sync.Mutex
}

// Build compiles the binary with the web UI when it is built (web/dist),
// into dir, and returns its path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "kvm-manager")
	args := []string{"build", "-o", bin}
	if _, err := os.Stat(filepath.Join(ModuleRoot(), "web", "dist", "index.html")); err == nil {
		args = append(args, "-tags", "builtinassets")
	}
	cmd := exec.Command("go", append(args, "github.com/kvm-manager/kvm-manager/cmd/kvm-manager")...)
	cmd.Dir = ModuleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot is the repository root (where go.mod is), found from the
// working directory upwards.
func ModuleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}

// Start runs bin on a free loopback port with a random token, a temporary
// data dir and the extra arguments and environment given, and returns once
// it has printed its address. The server gets its own process group, so a
// Ctrl-C at the terminal reaches only the caller, which stops it.
func Start(bin string, args []string, env ...string) (*Server, error) {
	dir, err := os.MkdirTemp("", "kvm-manager-rig-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, logPath: filepath.Join(dir, "server.log"), Token: auth.RandomToken(),
		Client: &http.Client{Timeout: 30 * time.Second}, waited: make(chan struct{})}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logFile.Close() // the child has its own copy
	found := make(chan string, 1)
	all := append([]string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data")}, args...)
	s.cmd = exec.Command(bin, all...)
	s.cmd.Env = append(append(os.Environ(), "KVM_MANAGER_TOKEN="+s.Token), env...)
	s.cmd.Stdout = &urlWriter{re: regexp.MustCompile(`serving on (https?://\S+)\s`), found: found, log: logFile}
	s.cmd.Stderr = logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	s.Started = time.Now()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.waited) }()
	select {
	case s.URL = <-found:
		return s, nil
	case <-s.waited:
		err = fmt.Errorf("kvm-manager exited at once (%v); log:\n%s", s.waitErr, s.LogTail(20))
	case <-time.After(20 * time.Second):
		err = fmt.Errorf("kvm-manager did not print its address; log:\n%s", s.LogTail(20))
	}
	s.Close()
	return nil, err
}

// urlWriter is the server's stdout: it hands over the base URL as soon as
// the "serving on" line is complete, and copies everything to the log.
type urlWriter struct {
	re    *regexp.Regexp
	buf   []byte
	found chan<- string
	done  bool
	log   io.Writer
}

func (w *urlWriter) Write(p []byte) (int, error) {
	_, _ = w.log.Write(p)
	if !w.done {
		w.buf = append(w.buf, p...)
		if m := w.re.FindSubmatch(w.buf); m != nil {
			w.found <- string(m[1])
			w.done, w.buf = true, nil
		}
	}
	return len(p), nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// DataDir is the server's --data-dir.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// LogPath is the file holding the server's output.
func (s *Server) LogPath() string { return s.logPath }

// Exited is closed when the process has ended.
func (s *Server) Exited() <-chan struct{} { return s.waited }

// Stop sends SIGTERM and returns how long the server took to exit, and an
// error if it did not exit cleanly within StopTimeout.
func (s *Server) Stop() (time.Duration, error) {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	select {
	case <-s.waited:
		return 0, s.waitErr
	default:
	}
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("signal: %w", err)
	}
	select {
	case <-s.waited:
	case <-time.After(StopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.waited
		return time.Since(start), fmt.Errorf("kvm-manager did not exit within %s of SIGTERM; killed", StopTimeout)
	}
	if s.waitErr != nil {
		return time.Since(start), fmt.Errorf("kvm-manager exited with %v after SIGTERM", s.waitErr)
	}
	return time.Since(start), nil
}

// Close stops the server if it still runs and removes its files.
func (s *Server) Close() {
	_, _ = s.Stop()
	os.RemoveAll(s.dir)
}

// Log returns everything the server printed.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// LogTail returns the last n lines the server printed, without GC traces.
func (s *Server) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "gc ") })
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Do sends an authenticated request; body may be nil, a string, []byte or
// a value to encode as JSON. It returns the status and the whole body.
func (s *Server) Do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	return s.DoWith(ctx, s.Client, method, path, body)
}

// DoWith is Do through another HTTP client (its own connections), for
// tests that play several clients at once.
func (s *Server) DoWith(ctx context.Context, client *http.Client, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// WaitConnected waits until every host of the server is connected.
func (s *Server) WaitConnected(ctx context.Context) error {
	for {
		var hosts struct {
			Hosts []struct{ State string } `json:"hosts"`
		}
		if st, b, err := s.Do(ctx, "GET", "/api/v1/hosts", nil); err == nil && st == 200 && json.Unmarshal(b, &hosts) == nil {
			ok := len(hosts.Hosts) > 0
			for _, h := range hosts.Hosts {
				ok = ok && h.State == "connected"
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hosts not connected: %w; log:\n%s", ctx.Err(), s.LogTail(20))
		case <-s.waited:
			return fmt.Errorf("kvm-manager exited (%v); log:\n%s", s.waitErr, s.LogTail(20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Dial opens a go-libvirt link to the local system daemon.
func Dial() (*libvirt.Libvirt, error) {
	l := libvirt.NewWithDialer(dialers.NewLocal())
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		return nil, err
	}
	return l, nil
}

// FormatUUID renders a libvirt UUID in canonical form.
func FormatUUID(u libvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(float64(len(s))*p/100)) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Ms formats a duration in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
