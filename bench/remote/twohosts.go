package remote

// The two-host part of kvm-bench remote: the local system daemon and
// kvmtest's session daemon over SSH in one server, each with -n shut-off
// domains; the whole list, the list while a third host hangs (a TCP
// listener that accepts and says nothing), and a graphical console's setup
// and immediate round trip through the SSH tunnel against the local socket,
// hosts in turn: the system daemon's VNC-only VM through qemu:///system and
// through qemu+ssh://root@127.0.0.1/system (the same VM, so only the path
// differs), and the session daemon's own VNC VM over SSH.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// vncName is the VNC-only VM each host gets for the console figures.
const vncName = prefix + "vnc"

// virshAt runs virsh commands (separated by ';') against uri: the system
// daemon as root, or kvmtest's session as kvmtest.
func virshAt(ctx context.Context, session bool, commands string) error {
	if session {
		return sessionVirsh(ctx, commands)
	}
	out, err := exec.CommandContext(ctx, "virsh", "-q", "-c", "qemu:///system", commands).CombinedOutput()
	if err != nil {
		return fmt.Errorf("virsh: %w: %s", err, benchkit.Clip(out))
	}
	return nil
}

// defineAt defines n shut-off domains (and, with vnc, the VNC VM, started)
// on one host, and returns what undefines them all.
func defineAt(ctx context.Context, session bool, n int) (func(), error) {
	dir, err := os.MkdirTemp("", "kmbench-remote-")
	if err != nil {
		return nil, err
	}
	undefine := func() {
		cmds := []string{"destroy " + vncName, "undefine " + vncName}
		for i := range n {
			cmds = append(cmds, "undefine "+name(i))
		}
		_ = virshAt(context.Background(), session, strings.Join(cmds, " ; ")) // missing ones are expected
		_ = os.RemoveAll(dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return undefine, err
	}
	undefine() // leftovers of an interrupted run
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return undefine, err
	}
	var cmds []string
	write := func(nm, extra string) error {
		f := filepath.Join(dir, nm+".xml")
		xml := fmt.Sprintf("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>%s</domain>", nm, extra)
		cmds = append(cmds, "define "+f)
		return os.WriteFile(f, []byte(xml), 0o644)
	}
	for i := range n {
		if err := write(name(i), ""); err != nil {
			return undefine, err
		}
	}
	// No disk: SeaBIOS finds nothing to boot and waits, its VNC server up.
	if err := write(vncName, "<devices><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices>"); err != nil {
		return undefine, err
	}
	cmds = append(cmds, "start "+vncName)
	return undefine, virshAt(ctx, session, strings.Join(cmds, " ; "))
}

type listedVM struct {
	Host, UUID, Name, State string
}

func listAll(ctx context.Context, srv *testrig.Server, client *http.Client) ([]listedVM, time.Duration, error) {
	t := time.Now()
	st, b, err := srv.DoWith(ctx, client, "GET", "/api/v1/vms", nil)
	took := time.Since(t)
	if err != nil || st != http.StatusOK {
		return nil, took, fmt.Errorf("GET /api/v1/vms: %d %v %s", st, err, benchkit.Clip(b))
	}
	var res struct{ VMs []listedVM }
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, took, err
	}
	return res.VMs, took, nil
}

// benchVMs counts the bench's shut-off domains per host in a list.
func benchVMs(vms []listedVM) map[string]int {
	out := map[string]int{}
	for _, v := range vms {
		if strings.HasPrefix(v.Name, prefix) && v.Name != vncName {
			out[v.Host]++
		}
	}
	return out
}

// hang is a TCP listener on loopback that accepts and never says a word,
// holding its connections until closed.
type hang struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func newHang() (*hang, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hang{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	return h, nil
}

func (h *hang) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

func (h *hang) close() {
	_ = h.ln.Close()
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		_ = c.Close()
	}
}

func twoHosts(ctx context.Context, o options, e env, out io.Writer) error {
	t0 := time.Now()
	undoLocal, err := defineAt(ctx, false, o.n)
	if undoLocal != nil {
		defer func() { undoLocal(); fmt.Fprintf(out, "removed the %d+1 %s* domains of qemu:///system\n", o.n, prefix) }()
	}
	if err != nil {
		return err
	}
	undoRemote, err := defineAt(ctx, true, o.n)
	if undoRemote != nil {
		defer func() {
			undoRemote()
			fmt.Fprintf(out, "removed the %d+1 %s* domains of kvmtest's session\n", o.n, prefix)
		}()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n=== two hosts: %d shut-off domains and one VNC VM on each (defined in %s)\n", o.n, testrig.Ms(time.Since(t0)))

	uri := fmt.Sprintf("qemu+ssh://%s@127.0.0.1:%s/session?keyfile=%s&known_hosts=%s", e.user, e.port, e.key, e.known)
	srv, err := testrig.Start(o.Server, []string{"--host", "local=qemu:///system", "--host", "remote=" + uri})
	if err != nil {
		return err
	}
	defer func() { _, _ = srv.Stop(); srv.Close() }()
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		vms, _, err := listAll(ctx, srv, client)
		if err == nil && benchVMs(vms)["local"] == o.n && benchVMs(vms)["remote"] == o.n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not list %d bench domains on each host: %v %v", o.n, benchVMs(vms), err)
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	var all []time.Duration
	total := 0
	for range o.rounds {
		vms, took, err := listAll(ctx, srv, client)
		if err != nil {
			return err
		}
		all, total = append(all, took), len(vms)
	}
	fmt.Fprintf(out, "GET /api/v1/vms, 2 hosts × %d (+ other VMs: %d in all), %d rounds: p50 %s  p95 %s\n",
		o.n, total, o.rounds, testrig.Ms(testrig.Percentile(all, 50)), testrig.Ms(testrig.Percentile(all, 95)))

	// A third host that accepts TCP and then says nothing, added through
	// the API: the list must not wait for it.
	h, err := newHang()
	if err != nil {
		return err
	}
	defer h.close()
	hungURI := fmt.Sprintf("qemu+ssh://%s@127.0.0.1:%d/session?keyfile=%s&known_hosts=%s", e.user, h.port(), e.key, e.known)
	if st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts", map[string]string{"name": "hung", "uri": hungURI}); err != nil || st != http.StatusCreated {
		return fmt.Errorf("add the hanging host: %d %v %s", st, err, benchkit.Clip(b))
	}
	var hung []time.Duration
	var worst time.Duration
	for range o.rounds {
		vms, took, err := listAll(ctx, srv, client)
		if err != nil {
			return err
		}
		if c := benchVMs(vms); c["local"] != o.n || c["remote"] != o.n {
			return fmt.Errorf("with a hanging host the list lost VMs: %v", c)
		}
		hung, worst = append(hung, took), max(worst, took)
	}
	_, b, _ := srv.Do(ctx, "GET", "/api/v1/hosts", nil)
	state := "?"
	var hs struct {
		Hosts []struct{ Name, State string }
	}
	if json.Unmarshal(b, &hs) == nil {
		for _, x := range hs.Hosts {
			if x.Name == "hung" {
				state = x.State
			}
		}
	}
	fmt.Fprintf(out, "GET /api/v1/vms with a third host hanging (state %s), %d rounds: p50 %s  p95 %s  max %s\n",
		state, o.rounds, testrig.Ms(testrig.Percentile(hung, 50)), testrig.Ms(testrig.Percentile(hung, 95)), testrig.Ms(worst))
	if st, b, err := srv.Do(ctx, "DELETE", "/api/v1/hosts/hung", nil); err != nil || st != http.StatusNoContent {
		return fmt.Errorf("remove the hanging host: %d %v %s", st, err, benchkit.Clip(b))
	}

	// The system daemon over SSH too (as root, the same test key): the
	// same VNC VM through the tunnel and through the local socket.
	sysURI := fmt.Sprintf("qemu+ssh://root@127.0.0.1:%s/system?keyfile=%s&known_hosts=%s", e.port, e.key, e.known)
	if st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts", map[string]string{"name": "sysssh", "uri": sysURI}); err != nil || st != http.StatusCreated {
		return fmt.Errorf("add the system daemon over ssh: %d %v %s", st, err, benchkit.Clip(b))
	}
	deadline = time.Now().Add(time.Minute)
	for vms(ctx, srv, client)["sysssh"] == "" {
		if time.Now().After(deadline) {
			return fmt.Errorf("host sysssh did not list %s", vncName)
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return consoles(ctx, o, srv, vms(ctx, srv, client), out)
}

// vms finds the VNC VM of each host in the server's list.
func vms(ctx context.Context, srv *testrig.Server, client *http.Client) map[string]string {
	out := map[string]string{}
	list, _, _ := listAll(ctx, srv, client)
	for _, v := range list {
		if v.Name == vncName && v.State == "running" {
			out[v.Host] = v.UUID
		}
	}
	return out
}

// consoles measures, alternating between the hosts, the console's setup
// (ticket POST, WebSocket, RFB handshake to ServerInit) and then, on one
// open console per host, the immediate round trip (SetEncodings with
// ExtendedKeyEvent, which QEMU acknowledges at once).
func consoles(ctx context.Context, o options, srv *testrig.Server, uuids map[string]string, out io.Writer) error {
	// The two paths to the same VM are not used back to back: QEMU may not
	// have finished with the previous client when the next one knocks.
	hosts := []string{"local", "remote", "sysssh"}
	for _, h := range hosts {
		if uuids[h] == "" {
			return fmt.Errorf("the VNC VM %s is not running on host %s", vncName, h)
		}
	}
	header := http.Header{"Authorization": {"Bearer " + srv.Token}}
	tickets := map[string][]time.Duration{}
	open := func(h string) (*consoletest.RFBClient, func(), time.Duration, error) {
		start := time.Now()
		st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts/"+h+"/vms/"+uuids[h]+"/console", nil)
		tickets[h] = append(tickets[h], time.Since(start))
		var tk struct{ URL string }
		if err != nil || st != http.StatusOK || json.Unmarshal(b, &tk) != nil {
			return nil, nil, 0, fmt.Errorf("console ticket on %s: %d %v %s", h, st, err, benchkit.Clip(b))
		}
		ws, err := consoletest.DialWebSocket(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+tk.URL, header)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("console on %s: %w", h, err)
		}
		c, err := consoletest.RFBHandshake(ws, "")
		took := time.Since(start)
		if err != nil {
			ws.CloseNow()
			return nil, nil, 0, fmt.Errorf("RFB handshake on %s: %w", h, err)
		}
		return c, func() { _ = ws.Close() }, took, nil
	}
	setups := map[string][]time.Duration{}
	for i := range o.setups + o.setups/10 {
		for _, h := range hosts {
			_, closeFn, took, err := open(h)
			if err != nil {
				return err
			}
			closeFn()
			if i >= o.setups/10 { // the first tenth warms up
				setups[h] = append(setups[h], took)
			}
			// QEMU's VNC listen backlog is 1: let it take the close first.
			if err := benchkit.Sleep(ctx, 20*time.Millisecond); err != nil {
				return err
			}
		}
	}
	rtts := map[string][]time.Duration{}
	conns := map[string]*consoletest.RFBClient{}
	for _, h := range hosts {
		c, closeFn, _, err := open(h)
		if err != nil {
			return err
		}
		defer closeFn()
		conns[h] = c
	}
	for i := range o.roundTrips + o.roundTrips/10 {
		for _, h := range hosts {
			took, err := conns[h].RoundTrip()
			if err != nil {
				return fmt.Errorf("round trip on %s: %w", h, err)
			}
			if i >= o.roundTrips/10 {
				rtts[h] = append(rtts[h], took)
			}
		}
	}
	fmt.Fprintf(out, "\ngraphical console, hosts in turn: p50 / p95     local socket           same VM over ssh       ssh/local  session VM over ssh\n")
	row := func(label string, m map[string][]time.Duration) {
		p := func(h string, q float64) string { return testrig.Ms(testrig.Percentile(m[h], q)) }
		fmt.Fprintf(out, "  %-38s %9s / %-9s %9s / %-9s %5.2f×    %9s / %-9s\n", label,
			p("local", 50), p("local", 95), p("sysssh", 50), p("sysssh", 95),
			float64(testrig.Percentile(m["sysssh"], 50))/float64(testrig.Percentile(m["local"], 50)),
			p("remote", 50), p("remote", 95))
	}
	row(fmt.Sprintf("setup to ServerInit (%d)", o.setups), setups)
	row("  of which the ticket POST", tickets)
	row(fmt.Sprintf("immediate round trip (%d)", o.roundTrips), rtts)
	return nil
}
