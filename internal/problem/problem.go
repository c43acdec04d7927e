// Package problem defines the one error type that services return when a
// failure has something to tell the user: a kind that decides the HTTP status,
// a stable code for programs, and a message and hint that are safe to show.
// The wrapped cause is only ever logged.
package problem

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Kind classifies an error; internal/api maps each kind to one HTTP status.
type Kind int

// The kinds of problem a service can report.
const (
	// Internal is an unexpected failure; its details are logged, not shown.
	Internal Kind = iota
	// Invalid means the request itself is wrong (bad JSON, bad name, bad value).
	Invalid
	// NotFound means the host, VM, operation or route does not exist.
	NotFound
	// Conflict means the request is valid but not in the VM's current state.
	Conflict
	// Unauthorized means no valid credentials were presented.
	Unauthorized
	// Forbidden means the credentials do not allow this request.
	Forbidden
	// Unsupported means the host or VM cannot do this at all.
	Unsupported
	// Unavailable means a dependency (libvirtd) cannot be reached right now.
	Unavailable
	// TooLarge means the request body exceeds the limit.
	TooLarge
	// Canceled means the client or the operation was canceled.
	Canceled
	// Timeout means the work did not finish in the time allowed.
	Timeout
	// Upstream means libvirt refused; its message is shown to the user.
	Upstream
	// MethodNotAllowed means the path exists but not for this HTTP method.
	MethodNotAllowed
	// TooMany means the caller must wait before trying again.
	TooMany
	// NoSpace means a disk the server writes to is full.
	NoSpace
)

var kindNames = [...]string{
	Internal:         "internal",
	Invalid:          "invalid",
	NotFound:         "not_found",
	Conflict:         "conflict",
	Unauthorized:     "unauthorized",
	Forbidden:        "forbidden",
	Unsupported:      "unsupported",
	Unavailable:      "unavailable",
	TooLarge:         "too_large",
	Canceled:         "canceled",
	Timeout:          "timeout",
	Upstream:         "upstream",
	MethodNotAllowed: "method_not_allowed",
	TooMany:          "too_many",
	NoSpace:          "no_space",
}

// Kinds lists every kind, for tables that must cover them all (the HTTP
// status map and its test).
func Kinds() []Kind {
	ks := make([]Kind, len(kindNames))
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// String returns the kind's name as used in logs.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a failure with a user-facing message. Message and Hint must be
// safe to show to any authenticated user; Err is for logs only.
type Error struct {
	Kind    Kind
	Code    string // stable machine-readable code (a Code... constant), e.g. CodeVMNotRunning
	Message string // what happened
	Hint    string // what to do next; may be empty
	Err     error  // underlying cause; never sent to clients
	// RetryAfter, when set, is how long the caller should wait before
	// trying again; the API sends it as a Retry-After header.
	RetryAfter time.Duration
}

// Info is the public projection of an Error: what API error bodies, failed
// operations and the audit log show of it.
type Info struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Info returns the part of e that may be shown.
func (e *Error) Info() Info {
	return Info{Code: e.Code, Message: e.Message, Hint: e.Hint}
}

// Public returns the part of err that may be shown, and false when there is
// none: err holds no problem, or an Internal one, whose message may name
// internals. The caller then shows its own generic failure.
func Public(err error) (Info, bool) {
	if p, ok := As(err); ok && p.Kind != Internal {
		return p.Info(), true
	}
	return Info{}, false
}

// WithRetryAfter returns a copy of e with RetryAfter set to d, for a
// problem that ends by itself (a busy resource, a throttle). e itself is
// left as it is, so that shared problem values stay unchanged.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// Error returns the message followed by the cause, for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns a problem without an underlying cause.
func New(kind Kind, code, message, hint string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Hint: hint}
}

// Wrap returns a problem that keeps err as its (logged, not shown) cause.
func Wrap(err error, kind Kind, code, message, hint string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Hint: hint, Err: err}
}

// As reports whether err holds a *Error and returns it.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	if p, ok := As(err); ok {
		return p.Kind
	}
	return Internal
}

// Clip shortens user input that is echoed in a message, so that a huge or
// hostile value cannot flood a response or a log line.
func Clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	// Cut on a rune boundary so the result stays valid UTF-8.
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
