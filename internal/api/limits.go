package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// DefaultBodyTimeout is how long a client may take to send a request body
// when Options.BodyTimeout is not set.
const DefaultBodyTimeout = 20 * time.Second

// oversizeGrace is how long a client whose declared body is too large may
// go on sending it while its answer (413) is on the way; see limitBody.
const oversizeGrace = time.Second

// MaxHeaderBytes bounds a request's header block (net/http's default is
// 1 MiB); with maxBody it caps what one request can make the server read.
const MaxHeaderBytes = 32 << 10

var errBodyTooLarge = problem.New(problem.TooLarge, problem.CodeBodyTooLarge,
	fmt.Sprintf("the request body is larger than %d KiB", maxBody>>10), "send a smaller body")

// limitBody bounds the body of every request, on every route, before any
// handler or authentication runs (a refused request's unread body is still
// read by net/http afterwards, so the bounds must already hold then):
//
//   - a body declared larger than maxBody is refused at once, unprocessed,
//     and the connection is closed (after at most oversizeGrace);
//   - any other body must arrive within BodyTimeout, however slowly it
//     trickles in: the connection's read deadline is set for it, and
//     cleared as soon as the body has been read to its end, so that a
//     handler that runs longer is not cut off;
//   - a body without a declared length (chunked) is cut at maxBody.
//
// Requests without a body, which is every SSE and WebSocket request, get
// no deadline here; the streaming handlers clear any deadline themselves
// (clearReadDeadline). It reports false when it has answered the request.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	rc := http.NewResponseController(w)
	if r.ContentLength > maxBody {
		// net/http reads up to 256 KiB of an unread body after the answer
		// before it closes the connection; a short deadline bounds that.
		// Not zero: a client still sending its body would then be reset
		// before it reads the answer (seen as "broken pipe" instead of 413
		// by a client sending 100 KiB on a loaded host). A client declaring
		// more than 256 KiB, or trickling, is cut off after oversizeGrace.
		_ = rc.SetReadDeadline(time.Now().Add(oversizeGrace))
		w.Header().Set("Connection", "close")
		writeError(w, r, s.log, errBodyTooLarge)
		return false
	}
	if err := rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout)); err != nil {
		s.log.Warn("cannot bound the time to read a request body", "err", err)
	}
	var body io.ReadCloser = &deadlineBody{ReadCloser: r.Body, rc: rc, timeout: s.opts.BodyTimeout}
	if r.ContentLength < 0 {
		body = http.MaxBytesReader(w, body, maxBody)
	}
	r.Body = body
	return true
}

// deadlineBody is a request body read under a deadline: it clears the
// deadline at the end of the body, and says what a timeout means.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	done    bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF && !b.done:
		b.done = true
		// From here on net/http reads the connection only to notice a
		// client that goes away, which must not end the request.
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = problem.Wrap(err, problem.Invalid, problem.CodeBodyTimeout,
			fmt.Sprintf("the request body did not arrive within %s", b.timeout),
			"send the whole body at once; the connection is closed")
	}
	return n, err
}

// clearReadDeadline lifts any read deadline from a streaming request's
// connection (event streams and WebSockets stay open as long as they are
// used), also for the hijacked connection a WebSocket keeps.
func clearReadDeadline(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
}
