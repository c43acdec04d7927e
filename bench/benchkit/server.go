package benchkit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// StartConnected starts the server through testrig and waits, for a minute
// at the most, until its hosts are connected.
func StartConnected(ctx context.Context, bin string, args ...string) (*testrig.Server, error) {
	srv, err := testrig.Start(bin, args)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := srv.WaitConnected(ctx); err != nil {
		srv.Close()
		return nil, err
	}
	return srv, nil
}

// VMPath is the API path of a VM of the local host, with rest appended.
func VMPath(uuid, rest string) string { return "/api/v1/hosts/local/vms/" + uuid + rest }

// WaitListed polls until the server lists the VM uuid (name, for the
// error), and in state unless that is "": connected is not synced.
func WaitListed(ctx context.Context, srv *testrig.Server, uuid, name, state string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var vm struct{ State string }
		st, body, err := srv.Do(ctx, "GET", VMPath(uuid, ""), nil)
		if err == nil && st == http.StatusOK && json.Unmarshal(body, &vm) == nil && (state == "" || vm.State == state) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server does not list %s (state %q wanted): %d %s %v", name, state, st, Clip(body), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Ticket asks for a console ticket (kind "console" or "serial") of the VM
// uuid and returns the WebSocket URL it opens.
func Ticket(ctx context.Context, srv *testrig.Server, uuid, kind string) (string, error) {
	st, body, err := srv.Do(ctx, "POST", VMPath(uuid, "/"+kind), nil)
	if err != nil {
		return "", fmt.Errorf("%s ticket: %w", kind, err)
	}
	var tk struct{ URL string }
	if st != http.StatusOK || json.Unmarshal(body, &tk) != nil {
		return "", fmt.Errorf("%s ticket: %d %s", kind, st, Clip(body))
	}
	return "ws" + strings.TrimPrefix(srv.URL, "http") + tk.URL, nil
}

// Events opens the server's event stream for the given types (e.g. "vm").
// The server subscribes before it sends the response headers, so no event
// is missed once this returns. The stream ends with ctx.
func Events(ctx context.Context, srv *testrig.Server, types string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events?types="+types, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("GET /api/v1/events: %s", res.Status)
	}
	return res.Body, nil
}

// ReadSSE reads Server-Sent Events from body until it ends and calls fn
// with each event's type and data, and its arrival: as soon as the blank
// line that ends the event has been read. It closes body.
func ReadSSE(body io.ReadCloser, fn func(typ, data string, at time.Time)) {
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var typ, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if typ != "" {
				fn(typ, data, time.Now())
			}
			typ, data = "", ""
		case strings.HasPrefix(line, "event: "):
			typ = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
}

// Clip shortens a response body for an error message.
func Clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
