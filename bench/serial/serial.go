// Package serial is the kvm-bench subcommand "serial": KVM Manager's serial
// console against a direct libvirt console client, on a real test guest. It
// asserts nothing: docs/benchmarks.md says what the figures mean and records
// them.
//
// It starts one test guest (kmserbench-<random>) and measures, first with
// go-libvirt's DomainOpenConsoleBidirectional on a connection of its own
// (the direct client), then through a kvm-manager binary's WebSocket:
//
//   - the keystroke round trip: one character sent, until the guest's echo
//     of it arrives (p50, p95, max over -n keystrokes);
//   - output throughput: `cat` of a file of -lines lines made in the guest,
//     from sending the command until the last line arrives, in KiB/s.
//
// The direct client runs first, and once more after the server (whose
// console is closed by stopping the server), because libvirt lets one client
// hold a console at a time; the two direct runs show the machine's noise.
// The guest is removed at the end, also on error or Ctrl-C. Run it with
// `make bench`, which prepares libvirt, the test guest and the binary.
package serial

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// guestPrefix names the bench's guest; leftovers of an interrupted run are
// found by it.
const guestPrefix = "kmserbench-"

// Timeouts that only stop a run that hangs.
const (
	echoTimeout   = 10 * time.Second
	outputTimeout = 5 * time.Minute
)

type options struct {
	*benchkit.Common
	n       int
	lines   int
	keepLog bool
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.n, "n", 200, "keystrokes to time on each path")
	fs.IntVar(&o.lines, "lines", 100000, "lines of the file cat prints (seq 1 LINES)")
	fs.BoolVar(&o.keepLog, "server-log", false, "print the server's log at the end")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.n >= 1 && o.lines >= 1, "-n and -lines must be positive")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// result is what one path measured.
type result struct {
	rtt        []time.Duration
	bytes      int
	took       time.Duration
	firstBytes time.Duration // from the cat command until its first output
	cpu        time.Duration // CPU time of the console's client process during the cat
}

func (r result) kibps() float64 { return float64(r.bytes) / 1024 / r.took.Seconds() }

func run(ctx context.Context, o options, out io.Writer) error {
	l, err := benchkit.Dial()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	doms := benchkit.Domains{Prefix: guestPrefix, Dir: o.GuestDir}
	if _, err := doms.Remove(l); err != nil {
		fmt.Fprintln(os.Stderr, "kvm-bench serial: removing leftovers:", err)
	}
	defer func() {
		// The bench's link may be gone after a long run: Cleanup redials.
		if _, err := doms.Cleanup(l); err != nil {
			fmt.Fprintln(os.Stderr, "kvm-bench serial: cleanup:", err)
		}
	}()
	dt, _, err := testguest.DetectDomainType(l, o.GuestDir)
	if err != nil {
		return err
	}
	name := testguest.UniqueName(guestPrefix)
	dom, err := testguest.Create(l, testguest.Options{Name: name, Dir: o.GuestDir, DomainType: dt, NoVNC: true})
	if err != nil {
		return err
	}
	if err := benchkit.Boot(ctx, l, dom, o.GuestDir); err != nil {
		return err
	}
	fmt.Fprintf(out, "kvm-bench serial: guest %s (%s) is up; %d keystrokes, cat of seq 1 %d\n", name, dt, o.n, o.lines)

	// The direct client.
	direct, err := openDirect(dom)
	if err != nil {
		return err
	}
	if err := prepare(ctx, direct, o.lines); err != nil {
		direct.close()
		return fmt.Errorf("direct: %w", err)
	}
	dres, err := measure(ctx, direct, o, os.Getpid())
	direct.close()
	if err != nil {
		return fmt.Errorf("direct: %w", err)
	}

	// Through the server.
	srv, err := benchkit.StartConnected(ctx, o.Server, "--log-level", "warn")
	if err != nil {
		return err
	}
	defer srv.Close()
	uuid := testrig.FormatUUID(dom.UUID)
	if err := benchkit.WaitListed(ctx, srv, uuid, name, "running", 30*time.Second); err != nil {
		return err
	}
	viaServer, err := openServer(ctx, srv, uuid)
	if err != nil {
		return err
	}
	sres, err := measure(ctx, viaServer, o, srv.PID())
	viaServer.close()
	if err != nil {
		return fmt.Errorf("through the server: %w", err)
	}
	stopIn, err := srv.Stop()
	if err != nil {
		return err
	}
	if o.keepLog {
		fmt.Fprintln(out, srv.Log())
	}

	// The direct client once more: the spread between the two direct runs
	// is the noise of the shared machine, against which the server's share
	// is read.
	again, err := openDirect(dom)
	if err != nil {
		return fmt.Errorf("direct, again: %w", err)
	}
	ares, err := measure(ctx, again, o, os.Getpid())
	again.close()
	if err != nil {
		return fmt.Errorf("direct, again: %w", err)
	}
	report(out, dres, sres, ares, stopIn)
	return nil
}

func report(out io.Writer, d, s, a result, stopIn time.Duration) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Figure\tDirect go-libvirt\tThrough kvm-manager (WebSocket)\tDirect, again")
	row := func(name string, f func(result) string) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, f(d), f(s), f(a))
	}
	row("Keystroke echo p50", func(r result) string { return testrig.Ms(testrig.Percentile(r.rtt, 50)) })
	row("Keystroke echo p95", func(r result) string { return testrig.Ms(testrig.Percentile(r.rtt, 95)) })
	row("Keystroke echo max", func(r result) string { return testrig.Ms(testrig.Percentile(r.rtt, 100)) })
	row("cat output throughput", func(r result) string { return fmt.Sprintf("%.1f KiB/s", r.kibps()) })
	row("cat output bytes / time", func(r result) string { return fmt.Sprintf("%d B / %.2f s", r.bytes, r.took.Seconds()) })
	row("cat command to first output", func(r result) string { return testrig.Ms(r.firstBytes) })
	row("CPU time of the client process during the cat", func(r result) string {
		return fmt.Sprintf("%s (%.0f%% of a core)", testrig.Ms(r.cpu), 100*r.cpu.Seconds()/r.took.Seconds())
	})
	fmt.Fprintf(w, "Server exit after SIGTERM (console open)\t\t%s\t\n", testrig.Ms(stopIn))
	_ = w.Flush()
}

// terminal is one console client: bytes to the guest, and everything the
// guest printed, collected by a reader goroutine.
type terminal struct {
	send  func([]byte) error
	close func()

	mu     sync.Mutex
	buf    []byte
	notify chan struct{}
	err    error
}

func newTerminal() *terminal { return &terminal{notify: make(chan struct{}, 1)} }

// Write collects guest output (called by the reader).
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (t *terminal) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

func (t *terminal) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buf)
}

// wait returns when the output from byte from on contains marker, with the
// time it was seen and the offset just after it.
func (t *terminal) wait(ctx context.Context, from int, marker string, timeout time.Duration) (time.Time, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	scan := from // only new output is searched: the cat's output is large
	for {
		t.mu.Lock()
		now := time.Now()
		start := min(scan, len(t.buf))
		if i := bytes.Index(t.buf[start:], []byte(marker)); i >= 0 {
			end := start + i + len(marker)
			t.mu.Unlock()
			return now, end, nil
		}
		scan = max(from, len(t.buf)-len(marker)+1)
		err := t.err
		tail := string(t.buf[max(0, len(t.buf)-200):])
		t.mu.Unlock()
		if err != nil {
			return now, 0, fmt.Errorf("console closed while waiting for %q: %w", marker, err)
		}
		select {
		case <-t.notify:
		case <-ctx.Done():
			return now, 0, ctx.Err()
		case <-deadline.C:
			return now, 0, fmt.Errorf("no %q within %s; last output %q", marker, timeout, tail)
		}
	}
}

// openDirect opens the guest's console with go-libvirt on its own link.
func openDirect(dom libvirt.Domain) (*terminal, error) {
	l, err := testrig.Dial()
	if err != nil {
		return nil, err
	}
	t := newTerminal()
	pr, pw := io.Pipe()
	opened := make(chan struct{})
	var once sync.Once
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := l.DomainOpenConsoleBidirectional(dom, libvirt.OptString{},
			readerFunc(func(p []byte) (int, error) { once.Do(func() { close(opened) }); return pr.Read(p) }), t, 0)
		t.fail(errOr(err, io.EOF))
	}()
	select {
	case <-opened:
	case <-done:
		_ = l.Disconnect()
		return nil, fmt.Errorf("open the console: %w", t.err)
	case <-time.After(30 * time.Second):
		_ = l.Disconnect()
		return nil, errors.New("the console did not open")
	}
	t.send = func(p []byte) error { _, err := pw.Write(p); return err }
	t.close = func() {
		_ = pw.Close() // finishes the stream
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		_ = l.Disconnect()
	}
	return t, nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func errOr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}

// openServer opens the guest's console through the server's WebSocket and
// waits until the console is connected.
func openServer(ctx context.Context, srv *testrig.Server, uuid string) (*terminal, error) {
	url, err := benchkit.Ticket(ctx, srv, uuid, "serial")
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, url,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + srv.Token}}})
	if err != nil {
		return nil, fmt.Errorf("open the WebSocket: %w", err)
	}
	c.SetReadLimit(1 << 20)
	t := newTerminal()
	connected := make(chan struct{})
	var once sync.Once
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			typ, p, err := c.Read(context.Background())
			if err != nil {
				t.fail(err)
				return
			}
			if typ == websocket.MessageBinary {
				_, _ = t.Write(p)
				continue
			}
			var m struct{ Type, State string }
			if json.Unmarshal(p, &m) == nil && m.Type == "status" && (m.State == "connected" || m.State == "reopened") {
				once.Do(func() { close(connected) })
			}
		}
	}()
	select {
	case <-connected:
	case <-done:
		return nil, fmt.Errorf("the WebSocket closed: %w", t.err)
	case <-time.After(30 * time.Second):
		_ = c.CloseNow()
		return nil, errors.New("the console did not connect")
	}
	t.send = func(p []byte) error {
		wctx, cancel := context.WithTimeout(context.Background(), echoTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageBinary, p)
	}
	t.close = func() {
		_ = c.Close(websocket.StatusNormalClosure, "")
		<-done
	}
	return t, nil
}

// command types a command line and waits for marker in its output.
func command(ctx context.Context, t *terminal, line, marker string, timeout time.Duration) error {
	from := t.size()
	if err := t.send([]byte(line + "\r")); err != nil {
		return err
	}
	// The echo of the command line shows the marker's expression, not its
	// value, so only the command's own output matches.
	_, _, err := t.wait(ctx, from, marker, timeout)
	return err
}

// prepare makes the file that cat prints, in the guest's tmpfs.
func prepare(ctx context.Context, t *terminal, lines int) error {
	return command(ctx, t, fmt.Sprintf("seq 1 %d > /tmp/kmserbench; echo PREP=$((1+1))", lines), "PREP=2", outputTimeout)
}

// measure times keystroke echoes and a cat, and reads the CPU time that
// process pid (the server, or the bench itself for the direct client) used
// during the cat.
func measure(ctx context.Context, t *terminal, o options, pid int) (result, error) {
	var r result
	// A fresh prompt first.
	if err := command(ctx, t, "echo READY=$((2+2))", "READY=4", echoTimeout); err != nil {
		return r, err
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	for i := 0; i < o.n; i++ {
		if i > 0 && i%40 == 0 {
			// Ctrl-C throws the typed line away and gives a new prompt.
			from := t.size()
			if err := t.send([]byte{3}); err != nil {
				return r, err
			}
			if _, _, err := t.wait(ctx, from, "kvmtest# ", echoTimeout); err != nil {
				return r, err
			}
			time.Sleep(50 * time.Millisecond) // let the prompt's terminal query pass
		}
		c := letters[i%len(letters) : i%len(letters)+1]
		from := t.size()
		start := time.Now()
		if err := t.send([]byte(c)); err != nil {
			return r, err
		}
		at, _, err := t.wait(ctx, from, c, echoTimeout)
		if err != nil {
			return r, err
		}
		r.rtt = append(r.rtt, at.Sub(start))
	}
	if err := t.send([]byte{3}); err != nil {
		return r, err
	}
	if err := command(ctx, t, "echo CLEAR=$((3+3))", "CLEAR=6", echoTimeout); err != nil {
		return r, err
	}

	// The last line of seq 1 N is N; DONE=<n> follows once cat is done.
	from := t.size()
	cpu0 := benchkit.CPUTime(pid)
	start := time.Now()
	if err := t.send([]byte("cat /tmp/kmserbench; echo DONE=$((40+2))\r")); err != nil {
		return r, err
	}
	// The command's echo ends with \r\n; output starts after it.
	_, outStart, err := t.wait(ctx, from, "DONE=$((40+2))\r\n", echoTimeout)
	if err != nil {
		return r, err
	}
	first, _, err := t.wait(ctx, outStart, "1\r\n", outputTimeout)
	if err != nil {
		return r, err
	}
	end, endAt, err := t.wait(ctx, outStart, fmt.Sprintf("\r\n%d\r\nDONE=42", o.lines), outputTimeout)
	if err != nil {
		return r, err
	}
	r.cpu = benchkit.CPUTime(pid) - cpu0
	r.bytes = endAt - outStart
	r.took = end.Sub(start)
	r.firstBytes = first.Sub(start)
	return r, nil
}
