package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitsServer is an API server on loopback with a short body timeout and
// two extra public routes: one that reads the body, one that reads it and
// then works for longer than the body timeout.
func limitsServer(t *testing.T, timeout time.Duration) string {
	t.Helper()
	s, err := New(Options{BodyTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	s.mux.Handle("POST /test/read", s.wrap(Route{Role: public, handle: func(w http.ResponseWriter, r *http.Request) error {
		var v struct{ A string }
		if err := decodeJSON(w, r, &v, false); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}}))
	s.mux.Handle("POST /test/slow", s.wrap(Route{Role: public, handle: func(w http.ResponseWriter, r *http.Request) error {
		var v struct{ A string }
		if err := decodeJSON(w, r, &v, false); err != nil {
			return err
		}
		select {
		case <-time.After(3 * timeout):
			writeJSON(w, http.StatusOK, v)
		case <-r.Context().Done():
			w.WriteHeader(499)
		}
		return nil
	}}))
	hs := httptest.NewUnstartedServer(s)
	hs.Config.ReadHeaderTimeout = 10 * time.Second
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.Listener.Addr().String()
}

// send writes a raw request and returns the connection and a reader.
func send(t *testing.T, addr, req string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

func readAnswer(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// closed reports whether the server closed the connection (EOF or reset).
func closed(br *bufio.Reader) bool {
	_, err := br.ReadByte()
	return err != nil && !strings.Contains(err.Error(), "timeout")
}

func TestSlowBodyIsCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	addr := limitsServer(t, timeout)
	for _, path := range []string{"/test/read", "/healthz", "/api/v1/vms", "/no/such/page"} {
		t.Run(path, func(t *testing.T) {
			method := "POST"
			if path != "/test/read" {
				method = "GET" // a handler (or a refusal) that never reads the body
			}
			start := time.Now()
			_, br := send(t, addr, method+" "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
			res, body := readAnswer(t, br)
			if path == "/test/read" && (res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "body_timeout")) {
				t.Fatalf("answer %d %s, want 400 body_timeout", res.StatusCode, body)
			}
			if !closed(br) {
				t.Fatal("connection left open after the body timed out")
			}
			if d := time.Since(start); d < timeout || d > timeout+3*time.Second {
				t.Fatalf("connection ended after %s, want about %s", d, timeout)
			}
		})
	}
}

func TestBodyDeadlineEndsWithTheBody(t *testing.T) {
	const timeout = 300 * time.Millisecond
	addr := limitsServer(t, timeout)
	body := `{"A":"x"}`
	c, br := send(t, addr, "POST /test/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body)
	res, got := readAnswer(t, br)
	if res.StatusCode != http.StatusOK || !strings.Contains(got, `"x"`) {
		t.Fatalf("a handler working past the body timeout got %d %s: its request was cut off", res.StatusCode, got)
	}
	// The connection stays usable for the next request.
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if res, _ := readAnswer(t, br); res.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", res.StatusCode)
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	addr := limitsServer(t, 10*time.Second)
	start := time.Now()
	_, br := send(t, addr, "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	res, body := readAnswer(t, br)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "body_too_large") {
		t.Fatalf("answer %d %s, want 413 body_too_large", res.StatusCode, body)
	}
	if !closed(br) || time.Since(start) > 3*time.Second {
		t.Fatal("connection not closed at once after a declared oversized body")
	}

	// Without a declared length the body is cut where it gets too large.
	_, br = send(t, addr, "POST /test/read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"10000\r\n"+strings.Repeat(" ", 0x10000)+"\r\n10\r\n"+strings.Repeat(" ", 16)+"\r\n0\r\n\r\n")
	if res, body := readAnswer(t, br); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over the limit: %d %s, want 413", res.StatusCode, body)
	}
}
