//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// ---- the API as a client sees it ----

type snapJSON struct {
	Name, Description, State, Parent, Location string
	CreationTime                               time.Time `json:"creationTime"`
	Children                                   []string
	Descendants                                int
	Current, Memory, Screenshot                bool
	MemoryStateBytes                           *uint64 `json:"memoryStateBytes"`
}

type snapTreeJSON struct {
	Name     string
	Children []snapTreeJSON
}

type snapCapJSON struct {
	Possible              bool
	Location              string
	Reasons, Fixes, Notes []string
}

type snapListJSON struct {
	VM, VMState, Current string
	Count                int
	Snapshots            []snapJSON
	Tree                 []snapTreeJSON
	Capabilities         struct {
		Default    string
		Memory     snapCapJSON `json:"memory"`
		DiskOnly   snapCapJSON `json:"disk-only"`
		Quiesce    snapCapJSON `json:"quiesce"`
		GuestAgent string      `json:"guestAgent"`
	}
	Busy        *struct{ Operation, Kind, Snapshot string }
	Screenshots bool
}

type snapErrJSON struct {
	Error struct{ Code, Message, Hint string }
}

func snapPath(uuid string, rest ...string) string {
	p := "/api/v1/hosts/local/vms/" + uuid + "/snapshots"
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func snapList(t *testing.T, uuid string) snapListJSON {
	t.Helper()
	var l snapListJSON
	if st, b := apiJSON("GET", snapPath(uuid), nil, &l); st != 200 {
		t.Fatalf("list snapshots: %d %s", st, b)
	}
	return l
}

// snapDo sends a request that must start an operation, waits for it and
// requires it to succeed; it returns the operation's result.
func snapDo(t *testing.T, method, path string, body any) json.RawMessage {
	t.Helper()
	var op opJSON
	st, b := apiJSON(method, path, body, &op)
	if st != 202 || op.ID == "" {
		t.Fatalf("%s %s: %d %s", method, path, st, b)
	}
	done := waitOp(t, op.ID, 120*time.Second)
	if done.State != "succeeded" {
		t.Fatalf("%s %s: operation %s: %+v", method, path, done.State, done.Error)
	}
	return done.Result
}

func snapCreate(t *testing.T, uuid string, body map[string]any) snapJSON {
	t.Helper()
	var res struct {
		Snapshot          snapJSON
		Quiesced          bool
		ScreenshotPending bool
	}
	if err := json.Unmarshal(snapDo(t, "POST", snapPath(uuid), body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Snapshot.Name != body["name"] {
		t.Fatalf("created %+v, asked for %v", res.Snapshot, body)
	}
	return res.Snapshot
}

// snapRefused sends a request that must be refused with status and code,
// and returns the error.
func snapRefused(t *testing.T, method, path string, body any, status int, code string) snapErrJSON {
	t.Helper()
	var e snapErrJSON
	st, b := apiJSON(method, path, body, &e)
	if st != status || e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("%s %s: %d %s; want %d %s", method, path, st, b, status, code)
	}
	return e
}

// ---- the window into the guest ----

// snapShell is a console connection of our own to the guest's ttyS0 root
// shell, on its own libvirt link (a stream stalls every call on its link).
// Answers come back through ttyS1, which QEMU logs to a file.
type snapShell struct {
	l    *libvirt.Libvirt
	pw   *io.PipeWriter
	done chan error
}

func snapShellOpen(t *testing.T, g guest) *snapShell {
	t.Helper()
	l, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	s := &snapShell{l: l, pw: pw, done: make(chan error, 1)}
	go func() {
		// Force: take the console over from any other holder; it is our guest.
		err := l.DomainOpenConsoleBidirectional(g.Dom, libvirt.OptString{}, pr, io.Discard, uint32(libvirt.DomainConsoleForce))
		// Nothing reads the pipe any more: a write must fail, not block.
		pr.CloseWithError(fmt.Errorf("the console stream ended: %v", err))
		s.done <- err
	}()
	return s
}

func (s *snapShell) close() {
	_ = s.pw.Close()
	_ = s.l.Disconnect()
}

// send types shell command lines.
func (s *snapShell) send(t *testing.T, lines ...string) {
	t.Helper()
	if err := s.trySend(lines...); err != nil {
		t.Fatalf("typing on the console: %v", err)
	}
}

// trySend types shell command lines, or says why it could not.
func (s *snapShell) trySend(lines ...string) error {
	for _, line := range lines {
		if _, err := io.WriteString(s.pw, line+"\r"); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// snapType types shell command lines on the guest's console. The console
// stays open a moment after the last line: closing it at once can drop
// what libvirt has not yet passed to the guest.
func snapType(t *testing.T, g guest, lines ...string) {
	t.Helper()
	s := snapShellOpen(t, g)
	defer s.close()
	s.send(t, append([]string{""}, lines...)...)
	time.Sleep(time.Second)
}

var snapNonce int

// snapAsk evaluates a shell expression in the guest and returns its value,
// read back from ttyS1.
func snapAsk(t *testing.T, g guest, expr string) string {
	t.Helper()
	snapNonce++
	key := fmt.Sprintf("Q%d-%d", time.Now().UnixNano()%1e9, snapNonce)
	since := testguest.LogSize(g.Log)
	// Only a whole line: QEMU appends the guest's serial output as it
	// comes, so a read can end in the middle of the answer.
	re := regexp.MustCompile(regexp.QuoteMeta(key) + `=(.*)\n`)
	s := snapShellOpen(t, g)
	defer func() { s.close() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if err := s.trySend("", "echo "+key+"="+expr+" >/dev/ttyS1"); err != nil {
			// The console stream ended under us (taken over, or the open
			// failed): open it again and ask again.
			if time.Now().After(deadline) {
				t.Fatalf("the guest %s could not be asked %q: %v", g.Name, expr, err)
			}
			t.Logf("asking the guest again: %v", err)
			s.close()
			time.Sleep(200 * time.Millisecond)
			s = snapShellOpen(t, g)
			continue
		}
		for until := time.Now().Add(10 * time.Second); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
			data, _ := os.ReadFile(g.Log)
			if int64(len(data)) > since {
				if m := re.FindSubmatch(data[since:]); m != nil {
					return strings.TrimRight(string(m[1]), "\r")
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the guest %s did not answer %q", g.Name, expr)
		}
	}
}

// snapMarkers reads the RAM markers (a shell variable and a tmpfs file)
// and the disk marker (the first 10 bytes of the qcow2 data disk).
func snapMarkers(t *testing.T, g guest) string {
	t.Helper()
	return snapAsk(t, g, `"$M:$(cat /tmp/m):$(head -c 10 /dev/vda)"`)
}

// snapSetMarkers writes the markers; value must be 5 characters so that
// the disk marker is always 10 bytes.
func snapSetMarkers(t *testing.T, g guest, value string) {
	t.Helper()
	snapType(t, g, "M="+value, "echo "+value+" >/tmp/m", "printf DISK-"+value+" >/dev/vda", "sync")
	if got, want := snapMarkers(t, g), value+":"+value+":DISK-"+value; got != want {
		t.Fatalf("markers after writing = %q, want %q", got, want)
	}
}

// ---- libvirt's own view ----

// virshTree parses `virsh snapshot-list --tree` into name → parent.
func virshTree(t *testing.T, name string) map[string]string {
	t.Helper()
	out := virsh(t, "snapshot-list", name, "--tree")
	type entry struct {
		col  int
		name string
	}
	var stack []entry
	parents := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed == "|" {
			continue
		}
		col, n := 0, trimmed
		if i := strings.Index(line, "+- "); i >= 0 {
			col, n = i+3, strings.TrimSpace(line[i+3:])
		} else if strings.HasPrefix(trimmed, "|") {
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].col >= col {
			stack = stack[:len(stack)-1]
		}
		parents[n] = ""
		if len(stack) > 0 {
			parents[n] = stack[len(stack)-1].name
		}
		stack = append(stack, entry{col, n})
	}
	return parents
}

// snapTreeMatches checks that the API's tree (flat list, nested tree and
// current snapshot) is libvirt's, as virsh shows it.
func snapTreeMatches(t *testing.T, g guest) snapListJSON {
	t.Helper()
	want := virshTree(t, g.Name)
	l := snapList(t, g.UUID)
	got := map[string]string{}
	for _, s := range l.Snapshots {
		got[s.Name] = s.Parent
	}
	if !mapsEqual(want, got) {
		t.Fatalf("API and virsh disagree on the tree:\nvirsh: %v\napi:   %v", want, got)
	}
	nested := map[string]string{}
	var walk func(parent string, ns []snapTreeJSON)
	walk = func(parent string, ns []snapTreeJSON) {
		for _, n := range ns {
			nested[n.Name] = parent
			walk(n.Name, n.Children)
		}
	}
	walk("", l.Tree)
	if !mapsEqual(want, nested) {
		t.Fatalf("the nested tree differs from virsh:\nvirsh: %v\ntree:  %v", want, nested)
	}
	cur, _ := execVirsh("snapshot-current", g.Name, "--name")
	if strings.Contains(cur, "error") {
		cur = ""
	}
	if l.Current != cur || l.Count != len(want) {
		t.Fatalf("current %q count %d; virsh says %q and %d", l.Current, l.Count, cur, len(want))
	}
	return l
}

func virshSnapshotNames(t *testing.T, name string) []string {
	t.Helper()
	out := virsh(t, "snapshot-list", name, "--name")
	var names []string
	for _, n := range strings.Split(out, "\n") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// qemuIO runs qemu-io on a stopped guest's data disk.
func qemuIO(t *testing.T, g guest, readOnly bool, cmd string) string {
	t.Helper()
	args := []string{"-f", "qcow2", "-c", cmd, testguest.DataDiskPath(guestDir, g.Name)}
	if readOnly {
		args = append([]string{"-r"}, args...)
	}
	out, err := exec.Command("qemu-io", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-io %s: %v: %s", cmd, err, out)
	}
	return string(out)
}

func snapEvent(uuid, change string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		var e struct {
			UUID, Change string
			Names        []string
		}
		return ev.Type == "snapshot" && json.Unmarshal(ev.Data, &e) == nil && e.UUID == uuid && e.Change == change
	}
}

// ---- the tests ----

// TestSnapshotMemoryMarkers: a snapshot with memory of a running guest
// brings back its RAM (a shell variable, a tmpfs file) and its disk.
func TestSnapshotMemoryMarkers(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	events := openEvents(t, "snapshot")

	caps := snapList(t, g.UUID).Capabilities
	if !caps.Memory.Possible || caps.Default != "memory" || caps.Quiesce.Possible || caps.GuestAgent != "none" || len(caps.Quiesce.Reasons) == 0 {
		t.Fatalf("pre-flight of a running qcow2 guest without agent: %+v", caps)
	}

	snapSetMarkers(t, g, "alpha")
	sn := snapCreate(t, g.UUID, map[string]any{"name": "mem1", "description": "markers alpha"})
	if !sn.Memory || sn.State != "running" || sn.Location != "internal" || !sn.Current || sn.Description != "markers alpha" {
		t.Fatalf("created %+v", sn)
	}
	waitEvent(t, events, 10*time.Second, "snapshot created event", snapEvent(g.UUID, "created"))
	snapSetMarkers(t, g, "bravo")

	// A running VM is not reverted without confirmation, and the refusal
	// says what would be lost.
	e := snapRefused(t, "POST", snapPath(g.UUID, "mem1", "revert"), map[string]any{}, 409, "confirm_required")
	if !strings.Contains(e.Error.Message, "will be lost") || !strings.Contains(e.Error.Message, `"mem1"`) || !strings.Contains(e.Error.Hint, `"confirm": true`) {
		t.Fatalf("refusal does not state the impact: %+v", e.Error)
	}
	if got := snapMarkers(t, g); got != "bravo:bravo:DISK-bravo" {
		t.Fatalf("a refused revert changed the guest: %q", got)
	}

	res := snapDo(t, "POST", snapPath(g.UUID, "mem1", "revert"), map[string]any{"confirm": true})
	var rr struct {
		Snapshot, VMState string
		Lost              struct{ Message string }
	}
	_ = json.Unmarshal(res, &rr)
	if rr.VMState != "running" || rr.Lost.Message == "" {
		t.Fatalf("revert result %s", res)
	}
	if got := snapMarkers(t, g); got != "alpha:alpha:DISK-alpha" {
		t.Fatalf("after revert the markers are %q, want alpha", got)
	}
	waitEvent(t, events, 10*time.Second, "snapshot reverted event", snapEvent(g.UUID, "reverted"))

	// The user may choose to leave the VM paused after the revert.
	snapSetMarkers(t, g, "delta")
	snapDo(t, "POST", snapPath(g.UUID, "mem1", "revert"), map[string]any{"confirm": true, "after": "paused"})
	if s := virshState(t, g.Name); s != "paused" {
		t.Fatalf("after a revert with after=paused the VM is %s", s)
	}
	if st, b := api("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/resume", nil); st != 200 {
		t.Fatalf("resume: %d %s", st, b)
	}
	if got := snapMarkers(t, g); got != "alpha:alpha:DISK-alpha" {
		t.Fatalf("after a paused revert the markers are %q, want alpha", got)
	}
	snapTreeMatches(t, g)
}

// TestSnapshotDiskOnlyStoppedVM: a disk-only snapshot of a stopped guest
// brings its disk back, and "after": "running" starts it.
func TestSnapshotDiskOnlyStoppedVM(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	snapSetMarkers(t, g, "alpha")
	virsh(t, "destroy", g.Name)
	waitFor(t, 10*time.Second, "shutoff in the API", func() bool { return getVM(t, g.UUID).State == "shutoff" })

	caps := snapList(t, g.UUID).Capabilities
	if caps.Memory.Possible || !caps.DiskOnly.Possible || caps.DiskOnly.Location != "internal" || caps.Default != "disk-only" {
		t.Fatalf("pre-flight of a stopped guest: %+v", caps)
	}
	snapRefused(t, "POST", snapPath(g.UUID), map[string]any{"name": "mem", "memory": true}, 409, "vm_not_running")
	sn := snapCreate(t, g.UUID, map[string]any{"name": "disk1"})
	if sn.Memory || sn.State != "shutoff" || sn.Location != "internal" || sn.Screenshot {
		t.Fatalf("created %+v", sn)
	}

	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	snapSetMarkers(t, g, "bravo")
	virsh(t, "destroy", g.Name)
	waitFor(t, 10*time.Second, "shutoff in the API", func() bool { return getVM(t, g.UUID).State == "shutoff" })

	// A stopped VM needs no confirmation; "running" starts it afterwards.
	bootAndWait(t, g, func() {
		snapDo(t, "POST", snapPath(g.UUID, "disk1", "revert"), map[string]any{"after": "running"})
	})
	if got := snapAsk(t, g, `"$(head -c 10 /dev/vda)"`); got != "DISK-alpha" {
		t.Fatalf("after revert the disk marker is %q, want DISK-alpha", got)
	}
	snapTreeMatches(t, g)
}

// TestSnapshotTree builds a tree of 11 snapshots with branches on a stopped
// guest (each holding its own disk pattern), reverts to several points and
// deletes a leaf, a middle node, a subtree and children only, comparing with
// virsh every time.
func TestSnapshotTree(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	events := openEvents(t, "snapshot")
	patterns := map[string]int{}
	next := 0x41
	create := func(name string) {
		t.Helper()
		qemuIO(t, g, false, fmt.Sprintf("write -P 0x%x 0 64k", next))
		patterns[name] = next
		next++
		snapCreate(t, g.UUID, map[string]any{"name": name, "description": "pattern " + name})
		snapTreeMatches(t, g)
	}
	revert := func(name string) {
		t.Helper()
		snapDo(t, "POST", snapPath(g.UUID, name, "revert"), map[string]any{})
		if out := qemuIO(t, g, true, fmt.Sprintf("read -P 0x%x 0 64k", patterns[name])); strings.Contains(out, "verification failed") {
			t.Fatalf("after reverting to %s the disk does not hold its pattern: %s", name, out)
		}
		if l := snapTreeMatches(t, g); l.Current != name {
			t.Fatalf("current after reverting to %s is %q", name, l.Current)
		}
	}
	del := func(name, scope string, want []string) {
		t.Helper()
		var res struct{ Deleted []string }
		_ = json.Unmarshal(snapDo(t, "DELETE", snapPath(g.UUID, name)+"?scope="+scope, nil), &res)
		sort.Strings(res.Deleted)
		sort.Strings(want)
		if !slices.Equal(res.Deleted, want) {
			t.Fatalf("delete %s scope %s removed %v, want %v", name, scope, res.Deleted, want)
		}
		l := snapTreeMatches(t, g)
		for _, s := range l.Snapshots {
			if slices.Contains(want, s.Name) {
				t.Fatalf("%s is still listed", s.Name)
			}
		}
	}

	// r1 ─┬─ a1 ─┬─ a2 ── a3 ── e1
	//     │      └─ b1 ── b2
	//     └─ c1 ─┬─ c2
	//            └─ d1 ── d2
	for _, n := range []string{"r1", "a1", "a2", "a3", "e1"} {
		create(n)
	}
	revert("a1")
	create("b1")
	create("b2")
	revert("r1")
	create("c1")
	create("c2")
	revert("c1")
	create("d1")
	create("d2")
	lst := snapTreeMatches(t, g)
	if lst.Count != 11 {
		t.Fatalf("%d snapshots, want 11", lst.Count)
	}
	byName := map[string]snapJSON{}
	for _, s := range lst.Snapshots {
		byName[s.Name] = s
	}
	if r := byName["r1"]; r.Descendants != 10 || !slices.Equal(r.Children, []string{"a1", "c1"}) {
		t.Fatalf("r1 = %+v", r)
	}
	if a := byName["a1"]; !slices.Equal(a.Children, []string{"a2", "b1"}) || a.Description != "pattern a1" {
		t.Fatalf("a1 = %+v", a)
	}
	if lst.Snapshots[0].Name != "r1" {
		t.Fatalf("the flat list does not start with the root: %v", lst.Snapshots[0].Name)
	}

	// Revert to several points, each with its own disk content.
	for _, n := range []string{"a3", "b1", "d2", "e1", "r1"} {
		revert(n)
	}

	del("e1", "one", []string{"e1"}) // a leaf
	del("a2", "one", []string{"a2"}) // a middle node: a3 moves to a1
	if l := snapList(t, g.UUID); !slices.ContainsFunc(l.Snapshots, func(s snapJSON) bool { return s.Name == "a3" && s.Parent == "a1" }) {
		t.Fatalf("a3 was not re-parented to a1: %+v", l.Snapshots)
	}
	revert("a3") // its data survived the re-parenting
	del("c1", "subtree", []string{"c1", "c2", "d1", "d2"})
	del("b1", "children", []string{"b2"})
	if names := virshSnapshotNames(t, g.Name); !slices.Equal(names, []string{"a1", "a3", "b1", "r1"}) {
		t.Fatalf("left: %v", names)
	}
	snapRefused(t, "DELETE", snapPath(g.UUID, "b1")+"?scope=children", nil, 409, "no_children")

	// A change made with virsh behind our back: the next list notices it
	// and tells every client.
	virsh(t, "snapshot-create-as", g.Name, "outside")
	snapTreeMatches(t, g)
	waitEvent(t, events, 10*time.Second, "external change event", snapEvent(g.UUID, "external"))
}

// TestSnapshotBadInputChangesNothing sends invalid requests and checks each
// answer, and that libvirt's snapshots and the VM are unchanged.
func TestSnapshotBadInputChangesNothing(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	snapCreate(t, g.UUID, map[string]any{"name": "keep", "description": "kept"})
	beforeVM := virsh(t, "dumpxml", g.Name)
	beforeSnap := virsh(t, "snapshot-dumpxml", g.Name, "keep")
	missing := "00000000-0000-4000-8000-00000000beef"
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"empty name", "POST", snapPath(g.UUID), map[string]any{"name": ""}, 400, "invalid_snapshot_name"},
		{"dots", "POST", snapPath(g.UUID), map[string]any{"name": "a..b"}, 400, "invalid_snapshot_name"},
		{"leading dot", "POST", snapPath(g.UUID), map[string]any{"name": ".hidden"}, 400, "invalid_snapshot_name"},
		{"slash", "POST", snapPath(g.UUID), map[string]any{"name": "a/b"}, 400, "invalid_snapshot_name"},
		{"space", "POST", snapPath(g.UUID), map[string]any{"name": "my snap"}, 400, "invalid_snapshot_name"},
		{"digits only", "POST", snapPath(g.UUID), map[string]any{"name": "1"}, 400, "invalid_snapshot_name"},
		{"too long", "POST", snapPath(g.UUID), map[string]any{"name": strings.Repeat("x", 65)}, 400, "invalid_snapshot_name"},
		{"markup", "POST", snapPath(g.UUID), map[string]any{"name": "<x/>"}, 400, "invalid_snapshot_name"},
		{"control in description", "POST", snapPath(g.UUID), map[string]any{"name": "ok", "description": "a\x1bb"}, 400, "invalid_description"},
		{"unknown field", "POST", snapPath(g.UUID), `{"name":"ok","live":true}`, 400, "invalid_json"},
		{"no body", "POST", snapPath(g.UUID), nil, 400, "body_required"},
		{"duplicate", "POST", snapPath(g.UUID), map[string]any{"name": "keep"}, 409, "snapshot_exists"},
		{"memory of a stopped VM", "POST", snapPath(g.UUID), map[string]any{"name": "m", "memory": true}, 409, "vm_not_running"},
		{"quiesce of a stopped VM", "POST", snapPath(g.UUID), map[string]any{"name": "q", "quiesce": true}, 409, "quiesce_unavailable"},
		{"missing VM list", "GET", snapPath(missing), nil, 404, "vm_not_found"},
		{"missing VM create", "POST", snapPath(missing), map[string]any{"name": "x"}, 404, "vm_not_found"},
		{"bad uuid", "GET", snapPath("not-a-uuid"), nil, 400, "invalid_uuid"},
		{"unknown snapshot", "GET", snapPath(g.UUID, "nope"), nil, 404, "snapshot_not_found"},
		{"unknown snapshot diff", "GET", snapPath(g.UUID, "nope", "diff"), nil, 404, "snapshot_not_found"},
		{"unknown snapshot screenshot", "GET", snapPath(g.UUID, "nope", "screenshot"), nil, 404, "snapshot_not_found"},
		{"unknown snapshot revert", "POST", snapPath(g.UUID, "nope", "revert"), map[string]any{}, 404, "snapshot_not_found"},
		{"unknown snapshot delete", "DELETE", snapPath(g.UUID, "nope"), nil, 404, "snapshot_not_found"},
		{"unknown snapshot edit", "PATCH", snapPath(g.UUID, "nope"), map[string]any{"description": "x"}, 404, "snapshot_not_found"},
		{"bad scope", "DELETE", snapPath(g.UUID, "keep") + "?scope=everything", nil, 400, "invalid_scope"},
		{"children of a leaf", "DELETE", snapPath(g.UUID, "keep") + "?scope=children", nil, 409, "no_children"},
		{"bad after", "POST", snapPath(g.UUID, "keep", "revert"), map[string]any{"after": "later"}, 400, "invalid_after"},
		{"edit without description", "PATCH", snapPath(g.UUID, "keep"), map[string]any{}, 400, "missing_field"},
		{"edit with control chars", "PATCH", snapPath(g.UUID, "keep"), map[string]any{"description": "\x00"}, 400, "invalid_description"},
		{"no screenshot", "GET", snapPath(g.UUID, "keep", "screenshot"), nil, 404, "no_screenshot"},
		{"bad sizes flag", "GET", snapPath(g.UUID) + "?sizes=maybe", nil, 400, "invalid_query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := snapRefused(t, tt.method, tt.path, tt.body, tt.status, tt.code)
			if tt.code == "invalid_snapshot_name" && !strings.Contains(e.Error.Hint, "1 to 64 characters") {
				t.Errorf("the refusal does not state the rule: %+v", e.Error)
			}
		})
	}
	if names := virshSnapshotNames(t, g.Name); !slices.Equal(names, []string{"keep"}) {
		t.Fatalf("snapshots after bad requests: %v", names)
	}
	if after := virsh(t, "snapshot-dumpxml", g.Name, "keep"); after != beforeSnap {
		t.Fatalf("snapshot keep changed:\n%s\n---\n%s", beforeSnap, after)
	}
	if after := virsh(t, "dumpxml", g.Name); after != beforeVM {
		t.Fatal("the domain definition changed")
	}
}

// TestSnapshotConcurrentOperations: two snapshot operations on one VM at
// once; one is refused with 409, and nothing is corrupted.
func TestSnapshotConcurrentOperations(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })

	race := func(reqs ...func() (int, []byte)) (accepted []string, refused int) {
		t.Helper()
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, r := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, b := r()
				mu.Lock()
				defer mu.Unlock()
				var op opJSON
				var e snapErrJSON
				switch {
				case st == 202 && json.Unmarshal(b, &op) == nil:
					accepted = append(accepted, op.ID)
				case st == 409 && json.Unmarshal(b, &e) == nil && e.Error.Code == "snapshot_busy":
					refused++
				default:
					t.Errorf("unexpected answer %d %s", st, b)
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, id := range accepted {
			if op := waitOp(t, id, 120*time.Second); op.State != "succeeded" {
				t.Fatalf("operation %s: %+v", id, op.Error)
			}
		}
		return accepted, refused
	}
	post := func(path string, body any) func() (int, []byte) {
		return func() (int, []byte) { return api("POST", path, body) }
	}

	acc, ref := race(post(snapPath(g.UUID), map[string]any{"name": "one"}), post(snapPath(g.UUID), map[string]any{"name": "two"}))
	if len(acc) != 1 || ref != 1 {
		t.Fatalf("two creates: %d accepted, %d refused; want 1 and 1", len(acc), ref)
	}
	first := snapList(t, g.UUID).Snapshots[0].Name
	acc, ref = race(post(snapPath(g.UUID), map[string]any{"name": "three"}),
		post(snapPath(g.UUID, first, "revert"), map[string]any{"confirm": true}),
		func() (int, []byte) { return api("DELETE", snapPath(g.UUID, first), nil) })
	if len(acc) != 1 || ref != 2 {
		t.Fatalf("create, revert and delete at once: %d accepted, %d refused; want 1 and 2", len(acc), ref)
	}
	snapTreeMatches(t, g)
	// The busy VM shows in the list while an operation runs.
	var op opJSON
	if st, b := apiJSON("POST", snapPath(g.UUID), map[string]any{"name": "four"}, &op); st != 202 {
		t.Fatalf("create: %d %s", st, b)
	}
	if l := snapList(t, g.UUID); l.Busy != nil && l.Busy.Operation != op.ID {
		t.Errorf("busy = %+v, want operation %s", l.Busy, op.ID)
	}
	// Deleting the VM is refused while the snapshot runs (one per-VM hold
	// for all long work), and the VM and the snapshot come through whole.
	st, b := api("DELETE", "/api/v1/hosts/local/vms/"+g.UUID, map[string]any{"snapshots": "delete", "force": true})
	var e snapErrJSON
	if st != 409 || json.Unmarshal(b, &e) != nil || e.Error.Code != "snapshot_busy" || !strings.Contains(e.Error.Hint, op.ID) {
		t.Errorf("delete during a snapshot: %d %s, want 409 snapshot_busy naming %s", st, b, op.ID)
	}
	var during opJSON
	if st, b := apiJSON("GET", "/api/v1/operations/"+op.ID, nil, &during); st != 200 || during.State != "running" {
		t.Errorf("the snapshot had ended before the delete was tried (%d %s): the refusal proves nothing", st, b)
	}
	if done := waitOp(t, op.ID, 120*time.Second); done.State != "succeeded" {
		t.Fatalf("snapshot four: %+v", done.Error)
	}
	if st, _ := api("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil); st != 200 {
		t.Fatalf("VM gone after a refused delete: %d", st)
	}

	virsh(t, "destroy", g.Name)
	out, err := exec.Command("qemu-img", "check", testguest.DataDiskPath(guestDir, g.Name)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No errors were found") {
		t.Fatalf("qemu-img check after concurrent operations: %v\n%s", err, out)
	}
	snapTreeMatches(t, g)
}

// TestSnapshotDetailsEditAndDelete: details with real figures, editing a
// description keeps the current snapshot, outside changes arrive as
// events, the configuration diff, and deleting the VM with its snapshots.
func TestSnapshotDetailsEditAndDelete(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	events := openEvents(t, "snapshot")

	snapCreate(t, g.UUID, map[string]any{"name": "first", "description": "one"})
	// The screenshot is stored just after the operation ends, and said so.
	waitEvent(t, events, 15*time.Second, "screenshot stored event", snapEvent(g.UUID, "screenshot"))
	if l := snapList(t, g.UUID); !l.Screenshots || len(l.Snapshots) != 1 || !l.Snapshots[0].Screenshot {
		t.Fatalf("no screenshot stored with a snapshot of a running VM: %+v", l)
	}
	res, err := srv.Client.Do(mustRequest(t, "GET", snapPath(g.UUID, "first", "screenshot")))
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(png))
	}

	// Editing the description of the current snapshot keeps it current.
	var edited snapJSON
	if st, b := apiJSON("PATCH", snapPath(g.UUID, "first"), map[string]any{"description": "one, edited\r\nsecond line"}, &edited); st != 200 {
		t.Fatalf("edit: %d %s", st, b)
	}
	if edited.Description != "one, edited\nsecond line" || !edited.Current {
		t.Fatalf("edited = %+v", edited)
	}
	if cur := virsh(t, "snapshot-current", g.Name, "--name"); cur != "first" {
		t.Fatalf("current after editing it: %q", cur)
	}
	if x := virsh(t, "snapshot-dumpxml", g.Name, "first"); !strings.Contains(x, "<description>one, edited\nsecond line</description>") {
		t.Fatalf("libvirt holds:\n%s", x)
	}
	waitEvent(t, events, 10*time.Second, "edited event", snapEvent(g.UUID, "edited"))
	// ... and editing another snapshot does not make it current.
	snapCreate(t, g.UUID, map[string]any{"name": "second"})
	if st, b := api("PATCH", snapPath(g.UUID, "first"), map[string]any{"description": "again"}); st != 200 {
		t.Fatalf("edit: %d %s", st, b)
	}
	if cur := virsh(t, "snapshot-current", g.Name, "--name"); cur != "second" {
		t.Fatalf("editing first made %q current", cur)
	}

	// Details: the memory state size is QEMU's own figure.
	var d struct {
		snapJSON
		MemoryState *struct {
			Bytes   *uint64
			Unknown string
		} `json:"memoryState"`
		Disks []struct {
			Name, Location, Image string
			Usage                 struct{ Unknown string }
			ImageAllocation       struct{ Bytes *uint64 } `json:"imageAllocation"`
		}
		DomainXML string `json:"domainXML"`
		Revert    struct {
			Possible, NeedsConfirm bool
			Impact                 struct{ Message string }
		}
		Delete struct{ One, Subtree, Children snapCapJSON }
	}
	if st, b := apiJSON("GET", snapPath(g.UUID, "first"), nil, &d); st != 200 {
		t.Fatalf("details: %d %s", st, b)
	}
	out, err := exec.Command("qemu-img", "info", "-U", "--output=json", testguest.DataDiskPath(guestDir, g.Name)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		ActualSize uint64 `json:"actual-size"`
		Snapshots  []struct {
			Name        string
			VMStateSize uint64 `json:"vm-state-size"`
		}
	}
	_ = json.Unmarshal(out, &info)
	var want uint64
	for _, s := range info.Snapshots {
		if s.Name == "first" {
			want = s.VMStateSize
		}
	}
	if want == 0 || d.MemoryState == nil || d.MemoryState.Bytes == nil || *d.MemoryState.Bytes != want {
		t.Fatalf("memory state %+v, qemu-img says %d", d.MemoryState, want)
	}
	if len(d.Disks) != 1 || d.Disks[0].Name != "vdb" || d.Disks[0].Location != "internal" || d.Disks[0].Usage.Unknown == "" ||
		d.Disks[0].ImageAllocation.Bytes == nil || *d.Disks[0].ImageAllocation.Bytes == 0 {
		t.Fatalf("disks = %+v", d.Disks)
	}
	if !strings.Contains(d.DomainXML, "<uuid>"+g.UUID+"</uuid>") || !d.Revert.NeedsConfirm || !d.Revert.Possible ||
		!strings.Contains(d.Revert.Impact.Message, `"second"`) || !d.Delete.One.Possible || !d.Delete.Children.Possible || d.Descendants != 1 {
		t.Fatalf("details = %+v", d)
	}

	// A snapshot taken with virsh pauses and resumes the VM; that tells us.
	virsh(t, "snapshot-create-as", g.Name, "outside")
	waitEvent(t, events, 15*time.Second, "external change event", snapEvent(g.UUID, "external"))
	snapTreeMatches(t, g)

	// The configuration today against the snapshot's.
	if d := snapDiff(t, g.UUID, "first"); !d.Identical {
		t.Fatalf("nothing changed, yet: %+v", d)
	}
	virsh(t, "setmaxmem", g.Name, "256M", "--config")
	diff := snapDiff(t, g.UUID, "first")
	if diff.Identical || !slices.Contains(diff.Summary, "memory: 192 MiB → 256 MiB") || !strings.Contains(diff.Unified, "+++ current configuration") {
		t.Fatalf("diff = %+v", diff)
	}

	// Deleting the VM: refused without a word about its snapshots, then
	// done with them; their screenshots go too.
	shots := filepath.Join(filepath.Dir(srv.LogPath()), "data", "snapshots", "local", g.UUID)
	if _, err := os.Stat(shots); err != nil {
		t.Fatalf("no screenshot directory: %v", err)
	}
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	snapRefused(t, "DELETE", vmPath, map[string]any{"force": true}, 409, "vm_has_snapshots")
	var op opJSON
	if st, b := apiJSON("DELETE", vmPath, map[string]any{"force": true, "snapshots": "delete"}, &op); st != 202 {
		t.Fatalf("delete VM: %d %s", st, b)
	}
	if done := waitOp(t, op.ID, 60*time.Second); done.State != "succeeded" {
		t.Fatalf("delete VM: %+v", done)
	}
	waitFor(t, 10*time.Second, "the screenshots of the deleted VM to go", func() bool {
		_, err := os.Stat(shots)
		return os.IsNotExist(err)
	})
}

type snapDiffJSON struct {
	Identical bool
	Summary   []string
	Unified   string
}

func snapDiff(t *testing.T, uuid, name string) snapDiffJSON {
	t.Helper()
	var d snapDiffJSON
	if st, b := apiJSON("GET", snapPath(uuid, name, "diff"), nil, &d); st != 200 {
		t.Fatalf("diff: %d %s", st, b)
	}
	return d
}

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// TestSnapshotExternalRules: a disk-only snapshot of a running guest is
// external, and what libvirt cannot do with it on this version is refused
// first, with the reason, and changes nothing.
func TestSnapshotExternalRules(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	v, err := l.ConnectGetLibVersion()
	if err != nil {
		t.Fatal(err)
	}
	caps := snapList(t, g.UUID).Capabilities
	if !caps.DiskOnly.Possible || caps.DiskOnly.Location != "external" || len(caps.DiskOnly.Notes) == 0 {
		t.Fatalf("disk-only pre-flight of a running guest: %+v", caps.DiskOnly)
	}
	// Merge and compaction share this guest (one boot less for the suite).
	extMergeCompact(t, g)
	snapCreate(t, g.UUID, map[string]any{"name": "int1"})
	ext := snapCreate(t, g.UUID, map[string]any{"name": "ext1", "memory": false})
	if ext.Location != "external" || ext.Memory || ext.State != "disk-snapshot" || ext.Parent != "int1" {
		t.Fatalf("disk-only snapshot of a running VM: %+v", ext)
	}
	if src := virsh(t, "domblklist", g.Name); !strings.Contains(src, "data.ext1") {
		t.Fatalf("the VM does not write to the new overlay:\n%s", src)
	}
	before := virshTree(t, g.Name)
	if v < 9009000 {
		e := snapRefused(t, "POST", snapPath(g.UUID, "ext1", "revert"), map[string]any{"confirm": true}, 422, "revert_unsupported")
		if !strings.Contains(e.Error.Message, "9.9.0 or newer") || e.Error.Hint == "" {
			t.Fatalf("revert refusal: %+v", e.Error)
		}
	}
	e := snapRefused(t, "DELETE", snapPath(g.UUID, "ext1"), nil, 422, "delete_unsupported")
	if !strings.Contains(e.Error.Message, "internal parent") {
		t.Fatalf("delete refusal: %+v", e.Error)
	}
	e = snapRefused(t, "DELETE", snapPath(g.UUID, "int1")+"?scope=subtree", nil, 422, "delete_unsupported")
	if !strings.Contains(e.Error.Message, "external descendants") {
		t.Fatalf("subtree refusal: %+v", e.Error)
	}
	// A chain mixing internal and external snapshots is not merged.
	e = snapRefused(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{}, 409, "merge_refused")
	if !strings.Contains(e.Error.Message, "internal snapshots (c1, int1)") {
		t.Fatalf("merge refusal: %+v", e.Error)
	}
	if after := virshTree(t, g.Name); !mapsEqual(before, after) {
		t.Fatalf("refused requests changed the tree: %v → %v", before, after)
	}
	snapTreeMatches(t, g)
}
