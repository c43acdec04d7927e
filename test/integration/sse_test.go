//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type sseEvent struct {
	Type string
	Data json.RawMessage
	At   time.Time
}

// openEvents subscribes to /api/v1/events (optionally filtered) for the rest
// of the test.
func openEvents(t *testing.T, types string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url := baseURL + "/api/v1/events"
	if types != "" {
		url += "?types=" + types
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("open events: %v", err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch, _ := readSSE(res.Body)
	return ch
}

// readSSE parses an event stream until it ends. end receives how: nil for
// a clean end of the response, otherwise the read error.
func readSSE(body io.ReadCloser) (<-chan sseEvent, <-chan error) {
	ch := make(chan sseEvent, 10000)
	end := make(chan error, 1)
	go func() {
		defer body.Close()
		defer close(ch)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Type != "" {
					ev.At = time.Now()
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Type = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.Data = json.RawMessage(line[len("data: "):])
			}
		}
		end <- sc.Err()
	}()
	return ch, end
}

// waitEvent returns the first event for which match is true.
func waitEvent(t *testing.T, ch <-chan sseEvent, d time.Duration, what string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended while waiting for %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event for %s within %s", what, d)
		}
	}
}

// vmEvent matches a "vm" event of uuid in state.
func vmEvent(uuid, state string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		if ev.Type != "vm" {
			return false
		}
		var vm vmJSON
		return json.Unmarshal(ev.Data, &vm) == nil && vm.UUID == uuid && vm.State == state
	}
}
