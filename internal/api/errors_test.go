package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestWriteErrorStatusAndBody(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"invalid", problem.New(problem.Invalid, "bad", "bad input", "fix it"), 400, "bad", "bad input"},
		{"not found", problem.New(problem.NotFound, "vm_not_found", "no VM", ""), 404, "vm_not_found", "no VM"},
		{"conflict", problem.New(problem.Conflict, "vm_already_running", "running", "stop"), 409, "vm_already_running", "running"},
		{"unauthorized", problem.New(problem.Unauthorized, "unauthenticated", "log in", ""), 401, "unauthenticated", "log in"},
		{"forbidden", problem.New(problem.Forbidden, "csrf_failed", "csrf", ""), 403, "csrf_failed", "csrf"},
		{"unsupported", problem.New(problem.Unsupported, "u", "cannot", ""), 422, "u", "cannot"},
		{"unavailable", problem.New(problem.Unavailable, "host_unavailable", "down", ""), 503, "host_unavailable", "down"},
		{"too large", problem.New(problem.TooLarge, "body_too_large", "big", ""), 413, "body_too_large", "big"},
		{"timeout", problem.New(problem.Timeout, "t", "slow", ""), 504, "t", "slow"},
		{"upstream", problem.Wrap(errors.New("libvirt said no"), problem.Upstream, "libvirt_error", "could not start: no", ""), 502, "libvirt_error", "could not start: no"},
		{"plain error hides details", errors.New("secret path /etc/x"), 500, "internal", "something went wrong inside KVM Manager"},
		{"internal problem hides message", problem.New(problem.Internal, "x", "secret", ""), 500, "internal", "something went wrong inside KVM Manager"},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/x", nil), log, tt.err)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %q", w.Body.String())
			}
			if body.Error.Code != tt.wantCode || body.Error.Message != tt.wantMsg {
				t.Errorf("body = %+v, want code %q message %q", body.Error, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("internal details leaked: %s", w.Body.String())
			}
		})
	}
}

func TestEveryKindHasAStatus(t *testing.T) {
	for _, k := range problem.Kinds() {
		if _, ok := statusOf[k]; !ok {
			t.Errorf("kind %s has no HTTP status", k)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "/",
		"/vms/x":           "/vms/x",
		"//evil.example":   "/",
		"/\\evil.example":  "/",
		"https://evil.com": "/",
		"relative":         "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMethodNotAllowedIsJSON(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/healthz", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405", w.Code)
	}
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "method_not_allowed" {
		t.Fatalf("body = %q, want a JSON method_not_allowed error", w.Body.String())
	}
}

// A 405 lists every method the path takes, PATCH included (the probe once
// tried only GET, POST, PUT and DELETE).
func TestMethodNotAllowedListsEveryMethod(t *testing.T) {
	const token = "0123456789abcdef-allow"
	am, err := auth.New(auth.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(withFeatures(t, Options{Auth: am}))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPut, "/api/v1/hosts/h/vms/5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11/snapshots/x", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	s.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405; body %s", w.Code, w.Body)
	}
	if got, want := w.Header().Get("Allow"), "DELETE, GET, PATCH"; got != want {
		t.Fatalf("Allow = %q, want %q", got, want)
	}
}

// TestRetryAfterFromTheProblem: a problem that carries RetryAfter gets a
// Retry-After header in whole seconds, rounded up, whatever its code (the
// login throttle's and the thumbnail limiter's alike); others get none.
func TestRetryAfterFromTheProblem(t *testing.T) {
	busy := problem.New(problem.Unavailable, problem.CodeThumbnailBusy, "busy", "")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"thumbnail busy", busy.WithRetryAfter(2 * time.Second), "2"},
		{"throttled login", &auth.Throttled{RetryAfter: 2500 * time.Millisecond}, "3"},
		{"throttled token, under a second", fmt.Errorf("login: %w", &auth.Throttled{RetryAfter: 10 * time.Millisecond, Token: true}), "1"},
		{"none", busy, ""},
	}
	log := slog.New(slog.DiscardHandler)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/x", nil), log, tt.err)
			if got := w.Header().Get("Retry-After"); got != tt.want {
				t.Errorf("Retry-After = %q, want %q", got, tt.want)
			}
		})
	}
	if busy.RetryAfter != 0 {
		t.Error("WithRetryAfter changed the problem it was called on")
	}
}

// A request whose context ended says "canceled", unless a problem says
// precisely what became of the work (an upload its operation stopped).
func TestWriteErrorCanceledRequest(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"plain", fmt.Errorf("reading: %w", context.Canceled), "canceled"},
		{"specific problem", problem.Wrap(context.Canceled, problem.Canceled, "upload_canceled", "the upload was canceled", ""), "upload_canceled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			r := httptest.NewRequestWithContext(ctx, "PUT", "/x", nil)
			w := httptest.NewRecorder()
			writeError(w, r, log, tt.err)
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tt.want {
				t.Fatalf("code = %q (%v), want %q; body %s", body.Error.Code, err, tt.want, w.Body)
			}
		})
	}
}
