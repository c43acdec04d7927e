//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// fltServer starts a server of its own, from the binary under test, with extra arguments and environment; it is stopped (SIGTERM) and
// its files removed when the test ends.
func fltServer(t *testing.T, args []string, env ...string) *testrig.Server {
	t.Helper()
	s, err := testrig.Start(serverBin, append([]string{"--stats-interval", "1s"}, args...), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// The Go runtime's scheduler trace (GODEBUG=schedtrace=500,scheddetail=1)
// prints every goroutine with its status twice a second on stderr: a
// goroutine count of the unmodified binary, without a debug endpoint.
const fltSchedTrace = "GODEBUG=schedtrace=500,scheddetail=1"

var (
	schedLineRE = regexp.MustCompile(`(?m)^SCHED \d+ms:`)
	schedGRE    = regexp.MustCompile(`(?m)^  G\d+: status=(\d+)\(([^)]*)\)`)
	// panicRE finds a crash, or a panic net/http or an operation recovered.
	panicRE = regexp.MustCompile(`(?m)^panic: .*|http: panic serving.*|^goroutine \d+ \[.*|the operation crashed`)
)

// fltGoroutines returns the number of live goroutines (status other than
// dead) in the newest complete scheduler trace of s's log, and how many
// wait for each reason.
func fltGoroutines(t *testing.T, s *testrig.Server) (int, map[string]int) {
	t.Helper()
	log := s.Log()
	idx := schedLineRE.FindAllStringIndex(log, -1)
	if len(idx) < 2 {
		t.Fatalf("no scheduler trace in the server log (is %s set?)", fltSchedTrace)
	}
	// The newest block may still be being written: take the one before.
	block := log[idx[len(idx)-2][0]:idx[len(idx)-1][0]]
	n, why := 0, map[string]int{}
	for _, m := range schedGRE.FindAllStringSubmatch(block, -1) {
		if st, _ := strconv.Atoi(m[1]); st == 6 { // _Gdead: a cached, unused goroutine
			continue
		}
		n++
		why[m[2]]++
	}
	return n, why
}

// fltSettledGoroutines waits for the goroutine count to stop falling and
// returns the lowest count seen in three traces 0.6 s apart.
func fltSettledGoroutines(t *testing.T, s *testrig.Server) (int, map[string]int) {
	t.Helper()
	best, bestWhy := -1, map[string]int(nil)
	for range 3 {
		time.Sleep(600 * time.Millisecond)
		n, why := fltGoroutines(t, s)
		if best < 0 || n < best {
			best, bestWhy = n, why
		}
	}
	return best, bestWhy
}

// fltAnswer is one request of the load test and what came of it.
type fltAnswer struct {
	client int
	what   string
	status int
	body   []byte
	err    error
	took   time.Duration
	op     *opJSON // the operation's end, when it started one
}

// fltClient is one user with an HTTP client of its own.
type fltClient struct {
	id     int
	s      *testrig.Server
	http   *http.Client
	rnd    *rand.Rand
	answer []fltAnswer
}

func (c *fltClient) do(method, path string, body any) (int, []byte, error) {
	return c.s.DoWith(context.Background(), c.http, method, path, body)
}

// snapshots returns the names of a VM's snapshots as the server lists them.
func (c *fltClient) snapshots(uuid string) []string {
	var l snapListJSON
	if st, b, err := c.do("GET", snapPath(uuid), nil); err == nil && st == 200 {
		_ = json.Unmarshal(b, &l)
	}
	var names []string
	for _, s := range l.Snapshots {
		names = append(names, s.Name)
	}
	return names
}

// request sends one randomly chosen snapshot or power request for one of
// vms, as a user clicking would.
func (c *fltClient) request(n int, vms []guest) {
	g := vms[c.rnd.IntN(len(vms))]
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	kinds := []string{"snapshot", "snapshot", "revert", "delete-snapshot", "pause", "resume", "reboot", "reset", "shutdown", "force-off", "start"}
	kind := kinds[c.rnd.IntN(len(kinds))]
	var method, path string
	var body any
	switch kind {
	case "snapshot":
		method, path, body = "POST", snapPath(g.UUID), map[string]any{"name": fmt.Sprintf("c%d-%d", c.id, n)}
	case "revert", "delete-snapshot":
		names := c.snapshots(g.UUID)
		if len(names) == 0 {
			kind, method, path, body = "snapshot", "POST", snapPath(g.UUID), map[string]any{"name": fmt.Sprintf("c%d-%d", c.id, n)}
			break
		}
		name := names[c.rnd.IntN(len(names))]
		if kind == "revert" {
			method, path, body = "POST", snapPath(g.UUID, name, "revert"), map[string]any{"confirm": true}
		} else {
			method, path = "DELETE", snapPath(g.UUID, name)
		}
	case "shutdown":
		method, path, body = "POST", vmPath+"/shutdown", map[string]any{"timeoutSeconds": 20}
	default:
		method, path = "POST", vmPath+"/"+kind
	}
	start := time.Now()
	st, b, err := c.do(method, path, body)
	c.answer = append(c.answer, fltAnswer{client: c.id, what: fmt.Sprintf("%s %s (%s)", kind, g.Name, path), status: st, body: b, err: err, took: time.Since(start)})
}

// check says what is wrong with an answer, or "".
func (a fltAnswer) check() string {
	switch {
	case a.err != nil:
		return fmt.Sprintf("no answer within the client timeout: %v", a.err)
	case a.status == 200:
		return ""
	case a.status == 202:
		if a.op == nil {
			return "an operation that was not followed"
		}
		switch a.op.State {
		case "succeeded", "canceled":
			return ""
		case "failed":
			if a.op.Error == nil || a.op.Error.Code == "" || a.op.Error.Code == "internal" || a.op.Error.Message == "" {
				return fmt.Sprintf("operation failed without a clear error: %+v", a.op.Error)
			}
			return ""
		}
		return "operation ended in state " + a.op.State
	}
	var e apiError
	if json.Unmarshal(a.body, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
		return fmt.Sprintf("HTTP %d without a JSON error: %q", a.status, a.body)
	}
	// 502 (libvirt refused, with its reason) and 503 are clear errors;
	// 500 is a bug of ours.
	if a.status == 500 || e.Error.Code == "internal" {
		return fmt.Sprintf("HTTP %d %s: %s", a.status, e.Error.Code, e.Error.Message)
	}
	return ""
}

// fltTreeMatches compares the snapshot tree s lists for g (parents and the
// current snapshot) with virsh's.
func fltTreeMatches(t *testing.T, s *testrig.Server, g guest) {
	t.Helper()
	want := virshTree(t, g.Name)
	var l snapListJSON
	if st, b := fltDo(s, "GET", snapPath(g.UUID), nil, &l); st != 200 {
		t.Fatalf("list snapshots of %s: %d %s", g.Name, st, b)
	}
	got := map[string]string{}
	for _, sn := range l.Snapshots {
		got[sn.Name] = sn.Parent
	}
	cur, _ := execVirsh("snapshot-current", g.Name, "--name")
	if strings.Contains(cur, "error") {
		cur = ""
	}
	if !maps.Equal(want, got) || l.Current != cur || l.Count != len(want) {
		t.Errorf("%s: API tree %v (current %q, count %d), virsh %v (current %q)", g.Name, got, l.Current, l.Count, want, cur)
	}
}

// TestFaultConcurrentOperations sends 50 snapshot and power requests over
// 5 running VMs from 5 clients at once, each with its own HTTP client, to
// a server of its own: every request ends in success or a clear error
// (never a hang, never a 500 or an error without code and message),
// afterwards the API's VM states and snapshot trees are libvirt's, the
// server log holds no panic, and the server has no more goroutines than
// before.
func TestFaultConcurrentOperations(t *testing.T) {
	s := fltServer(t, nil, fltSchedTrace)
	l := lv(t)
	var vms []guest
	for range 5 {
		vms = append(vms, fltGuest(t, l, testguest.Options{NoVNC: false}, s))
	}
	// One at a time: five TCG guests booting at once on two cores can take
	// minutes, and the boots are not what this test is about.
	for _, g := range vms {
		since := testguest.LogSize(g.Log)
		if err := l.DomainCreate(g.Dom); err != nil {
			t.Fatalf("start %s: %v", g.Name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		_, err := testguest.WaitReady(ctx, g.Log, since)
		cancel()
		if err != nil {
			t.Fatalf("%s did not boot: %v", g.Name, err)
		}
	}
	// Warm up what is made once (the first snapshot, screenshot, pause),
	// then count the goroutines of the idle server.
	snapDoOn(t, s, "POST", snapPath(vms[0].UUID), map[string]any{"name": "warm"})
	snapDoOn(t, s, "DELETE", snapPath(vms[0].UUID, "warm"), nil)
	for _, a := range []string{"pause", "resume"} {
		if st, b := fltDo(s, "POST", "/api/v1/hosts/local/vms/"+vms[0].UUID+"/"+a, nil, nil); st != 200 {
			t.Fatalf("%s: %d %s", a, st, b)
		}
	}
	s.Client.CloseIdleConnections()
	before, beforeWhy := fltSettledGoroutines(t, s)
	t.Logf("figure: %d goroutines in the idle server before the load", before)

	const clients, perClient = 5, 10
	cls := make([]*fltClient, clients)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range cls {
		cls[i] = &fltClient{id: i, s: s, http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{}},
			rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
		wg.Go(func() {
			for n := range perClient {
				cls[i].request(n, vms)
			}
		})
	}
	wg.Wait()
	t.Logf("figure: %d requests from %d clients answered in %s", clients*perClient, clients, time.Since(start).Round(time.Millisecond))

	// Follow every operation to its end.
	var all []fltAnswer
	statuses := map[int]int{}
	for _, c := range cls {
		for i := range c.answer {
			a := &c.answer[i]
			statuses[a.status]++
			var op opJSON
			if a.status == 202 && json.Unmarshal(a.body, &op) == nil && op.ID != "" {
				done := fltWaitOp(t, s, op.ID, 180*time.Second)
				a.op = &done
			}
			all = append(all, *a)
		}
		c.http.CloseIdleConnections()
	}
	t.Logf("figure: all operations ended %s after the first request; answers by status: %v", time.Since(start).Round(time.Millisecond), statuses)
	outcomes := map[string]int{}
	for _, a := range all {
		key := strconv.Itoa(a.status)
		if a.op != nil {
			key += " " + a.op.State
			if a.op.Error != nil {
				key += " " + a.op.Error.Code
			}
		} else if a.status >= 400 {
			var e apiError
			_ = json.Unmarshal(a.body, &e)
			key += " " + e.Error.Code
		}
		outcomes[key]++
		if a.status >= 500 || (a.op != nil && a.op.State == "failed") {
			t.Logf("client %d, %s: %d %s %s", a.client, a.what, a.status, strings.TrimSpace(string(a.body)), fmtOpError(a.op))
		}
		if problem := a.check(); problem != "" {
			t.Errorf("client %d, %s: %s (after %s)", a.client, a.what, problem, a.took.Round(time.Millisecond))
		}
	}
	keys := slices.Sorted(maps.Keys(outcomes))
	for _, k := range keys {
		t.Logf("outcome %-50s ×%d", k, outcomes[k])
	}
	if len(all) != clients*perClient {
		t.Fatalf("%d answers for %d requests", len(all), clients*perClient)
	}
	var ops struct{ Operations []opJSON }
	fltDo(s, "GET", "/api/v1/operations", nil, &ops)
	for _, op := range ops.Operations {
		if op.State == "running" {
			t.Errorf("operation %s (%s) still running after every request ended", op.ID, op.Kind)
		}
	}

	// libvirt's view is the API's.
	waitFor(t, 60*time.Second, "the API's states to equal libvirt's", func() bool {
		for _, g := range vms {
			var vm vmJSON
			fltDo(s, "GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, &vm)
			if vm.State != virshState(t, g.Name) {
				return false
			}
		}
		return true
	})
	for _, g := range vms {
		fltTreeMatches(t, s, g)
	}

	// No panic, no leaked goroutine.
	if m := panicRE.FindString(s.Log()); m != "" {
		t.Errorf("the server log shows a panic:\n%s", fltGrep(s.Log(), m))
	}
	s.Client.CloseIdleConnections()
	var after int
	var afterWhy map[string]int
	deadline := time.Now().Add(60 * time.Second)
	for {
		after, afterWhy = fltSettledGoroutines(t, s)
		if after <= before+3 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("figure: %d goroutines before the load, %d after it settled", before, after)
	if after > before+3 {
		t.Errorf("goroutine leak: %d before, %d after\nbefore: %v\nafter:  %v", before, after, sortedCounts(beforeWhy), sortedCounts(afterWhy))
	}
}

// fmtOpError shows how an operation failed, or nothing.
func fmtOpError(op *opJSON) string {
	if op == nil || op.Error == nil {
		return ""
	}
	return fmt.Sprintf("→ %s: %s (%s)", op.Error.Code, op.Error.Message, op.Error.Hint)
}

// snapDoOn is snapDo against server s.
func snapDoOn(t *testing.T, s *testrig.Server, method, path string, body any) {
	t.Helper()
	var op opJSON
	if st, b := fltDo(s, method, path, body, &op); st != 202 || op.ID == "" {
		t.Fatalf("%s %s: %d %s", method, path, st, b)
	}
	if done := fltWaitOp(t, s, op.ID, 120*time.Second); done.State != "succeeded" {
		t.Fatalf("%s %s: %s %+v", method, path, done.State, done.Error)
	}
}

// fltGrep returns the lines of text that contain s, and the ten after each.
func fltGrep(text, s string) string {
	lines := strings.Split(text, "\n")
	var out []string
	for i, l := range lines {
		if strings.Contains(l, s) {
			out = append(out, lines[i:min(len(lines), i+10)]...)
		}
	}
	return strings.Join(out, "\n")
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%q:%d ", k, m[k])
	}
	return b.String()
}
