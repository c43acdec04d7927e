package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// statusOf is the one mapping from problem kinds to HTTP statuses.
var statusOf = map[problem.Kind]int{
	problem.Internal:         http.StatusInternalServerError,
	problem.Invalid:          http.StatusBadRequest,
	problem.NotFound:         http.StatusNotFound,
	problem.Conflict:         http.StatusConflict,
	problem.Unauthorized:     http.StatusUnauthorized,
	problem.Forbidden:        http.StatusForbidden,
	problem.Unsupported:      http.StatusUnprocessableEntity,
	problem.Unavailable:      http.StatusServiceUnavailable,
	problem.TooLarge:         http.StatusRequestEntityTooLarge,
	problem.Canceled:         499, // client closed request, as nginx names it
	problem.Timeout:          http.StatusGatewayTimeout,
	problem.Upstream:         http.StatusBadGateway,
	problem.MethodNotAllowed: http.StatusMethodNotAllowed,
	problem.TooMany:          http.StatusTooManyRequests,
	problem.NoSpace:          http.StatusInsufficientStorage,
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error problem.Info `json:"error"`
}

// writeError sends err as {"error":{...}}. Problems show their message and
// hint; anything else becomes a generic 500 whose details are only logged.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p, ok := problem.As(err)
	switch {
	// A request whose client went away fails with whatever the handler
	// was doing; say "canceled" instead, unless a problem already says
	// precisely what became of the work (an upload stopped by its
	// operation: aborting the body read also ends the request's context).
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil && (!ok || p.Kind == problem.Internal):
		p = problem.Wrap(err, problem.Canceled, problem.CodeCanceled, "the request was canceled", "")
	case !ok || p.Kind == problem.Internal:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p = problem.Wrap(err, problem.Internal, problem.CodeInternal, "something went wrong inside KVM Manager", "the server log has the details; try again")
	case p.Err != nil && p.Kind != problem.Invalid && p.Kind != problem.NotFound:
		log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "code", p.Code, "err", p.Err)
	}
	status, ok := statusOf[p.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	setRetryAfter(w, p)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kvm-manager"`)
	}
	writeJSON(w, status, errorBody{Error: p.Info()})
}

// setRetryAfter sends a problem's RetryAfter as a Retry-After header, in
// whole seconds rounded up (at least 1), so that no client retries early.
func setRetryAfter(w http.ResponseWriter, p *problem.Error) {
	if p != nil && p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(int(p.RetryAfter.Seconds()+0.999), 1)))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
