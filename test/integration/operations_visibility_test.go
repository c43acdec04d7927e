//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// opSeen is an operation as a caller's answer shows it.
type opSeen struct {
	ID, Kind, State, User string
	Target                struct{ Host, UUID, Name string }
}

// streamOps reads u's event stream of operations until an operation on
// the VM uuid has ended (or the time is up), and returns every operation
// event's data.
func streamOps(t *testing.T, u *secUser, base string, ready chan<- struct{}, uuid string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events?types=operation", nil)
	if err != nil {
		t.Error(err)
		close(ready)
		return nil
	}
	c := *u.client
	c.Timeout = 0 // the context bounds the stream
	res, err := c.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Errorf("event stream as %s: %v %v", u.name, err, res)
		close(ready)
		return nil
	}
	defer res.Body.Close()
	close(ready)
	var got []string
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		got = append(got, data)
		var op opSeen
		if json.Unmarshal([]byte(data), &op) == nil && op.Target.UUID == uuid && op.State != "running" {
			return got
		}
	}
	t.Errorf("the event stream of %s ended before the operation did (%v)", u.name, sc.Err())
	return got
}

// TestOperationsSeenByRole: an operator's snapshot is an operation that
// everyone who may see the VM sees, in the list, by id and on the event
// stream; only the admin and the operator himself see who asked for it.
func TestOperationsSeenByRole(t *testing.T) {
	s, users := secServer(t)
	l := lv(t)
	g := newGuest(t, l, "")
	vera, otto, ada := users["vera"], users["otto"], users["ada"]
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	waitFor(t, 15*time.Second, "the server to list the guest", func() bool {
		st, _ := vera.do(t, s.URL, "GET", vmPath, nil)
		return st == 200
	})

	// Streams of the viewer and the admin, open before the work starts.
	type result struct {
		who    string
		events []string
	}
	results := make(chan result, 2)
	for _, u := range []*secUser{vera, ada} {
		ready := make(chan struct{})
		go func() { results <- result{u.name, streamOps(t, u, s.URL, ready, g.UUID)} }()
		<-ready
	}

	st, body := otto.do(t, s.URL, "POST", vmPath+"/snapshots", map[string]any{"name": "seen-by-role"})
	if st != 202 {
		t.Fatalf("snapshot as operator: %d %s", st, body)
	}
	var started opSeen
	if err := json.Unmarshal(body, &started); err != nil || started.ID == "" {
		t.Fatalf("202 answer: %s", body)
	}
	if started.User != "otto" {
		t.Errorf("the operator's own answer names %q as the one who asked, want otto", started.User)
	}

	// Wait for it to end, as the admin.
	waitFor(t, 60*time.Second, "the snapshot operation", func() bool {
		_, b := ada.do(t, s.URL, "GET", "/api/v1/operations/"+started.ID, nil)
		var op opSeen
		_ = json.Unmarshal(b, &op)
		return op.State != "" && op.State != "running"
	})

	for _, tc := range []struct {
		u    *secUser
		want string
	}{{vera, ""}, {otto, "otto"}, {ada, "otto"}} {
		st, b := tc.u.do(t, s.URL, "GET", "/api/v1/operations", nil)
		var list struct{ Operations []opSeen }
		if st != 200 || json.Unmarshal(b, &list) != nil {
			t.Fatalf("operations as %s: %d %s", tc.u.name, st, b)
		}
		var found *opSeen
		for i := range list.Operations {
			if list.Operations[i].ID == started.ID {
				found = &list.Operations[i]
			}
		}
		if found == nil {
			t.Errorf("%s (%s) does not see the operation on a VM it may see", tc.u.name, tc.u.role)
			continue
		}
		if found.User != tc.want || found.Target.UUID != g.UUID {
			t.Errorf("%s sees the operation as by %q on %s, want by %q on %s", tc.u.name, found.User, found.Target.UUID, tc.want, g.UUID)
		}
		st, b = tc.u.do(t, s.URL, "GET", "/api/v1/operations/"+started.ID, nil)
		var one opSeen
		if st != 200 || json.Unmarshal(b, &one) != nil || one.User != tc.want {
			t.Errorf("operation by id as %s: %d %s (want user %q)", tc.u.name, st, b, tc.want)
		}
		if strings.Contains(string(b), "otto") && tc.want == "" {
			t.Errorf("the answer to %s names the operator: %s", tc.u.name, b)
		}
	}

	for range 2 {
		r := <-results
		var all string
		ended := false
		for _, d := range r.events {
			var op opSeen
			if json.Unmarshal([]byte(d), &op) != nil || op.ID != started.ID {
				continue
			}
			all += d + "\n"
			ended = ended || op.State != "running"
		}
		if !ended {
			t.Errorf("%s's stream did not show the operation end:\n%s", r.who, all)
		}
		named := strings.Contains(all, `"user":"otto"`)
		switch r.who {
		case "vera":
			if strings.Contains(all, "otto") {
				t.Errorf("the viewer's event stream names the operator:\n%s", all)
			}
		case "ada":
			if !named {
				t.Errorf("the admin's event stream never says who asked:\n%s", all)
			}
		}
	}
}
