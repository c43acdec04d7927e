package serial

import (
	"bytes"
	"time"
)

// serialRing keeps the last len(buf) bytes written to it: the scrollback of a
// serial console. It is not safe for concurrent use; the session's mutex
// guards it.
type serialRing struct {
	buf   []byte
	next  int   // where the next byte goes
	total int64 // bytes ever written
}

func newSerialRing(size int) *serialRing { return &serialRing{buf: make([]byte, size)} }

// Write appends p, overwriting the oldest bytes once the ring is full.
func (r *serialRing) Write(p []byte) {
	size := len(r.buf)
	if size == 0 {
		return
	}
	r.total += int64(len(p))
	if len(p) >= size {
		copy(r.buf, p[len(p)-size:])
		r.next = 0
		return
	}
	n := copy(r.buf[r.next:], p)
	if n < len(p) {
		copy(r.buf, p[n:])
	}
	r.next = (r.next + len(p)) % size
}

// Snapshot returns a copy of what the ring holds, oldest first. Once older
// output has been overwritten (truncated), the copy starts after the first
// line break it holds, so that a viewer does not start in the middle of a
// line, an escape sequence or a UTF-8 character.
func (r *serialRing) Snapshot() (data []byte, truncated bool) {
	size := len(r.buf)
	if r.total <= int64(size) {
		return bytes.Clone(r.buf[:r.total]), false
	}
	out := make([]byte, 0, size)
	out = append(out, r.buf[r.next:]...)
	out = append(out, r.buf[:r.next]...)
	// Look for a line break only near the start: in a ring holding one
	// enormous line, dropping everything would be worse than a ragged start.
	if i := bytes.IndexByte(out[:min(len(out), 4096)], '\n'); i >= 0 {
		out = out[i+1:]
	}
	return out, true
}

// cprQuery is the terminal's "report cursor position" request (DSR 6). Shells
// with line editing (busybox ash, for one) send it with every prompt, and
// every terminal that sees it answers with ESC [ row ; col R as if typed.
var cprQuery = []byte("\x1b[6n")

// cprWindow is how long after a query an answer is still expected.
const cprWindow = 2 * time.Second

// cprFilter lets one answer through per cursor-position query of the guest.
// With several viewers, each browser terminal answers the same query, and
// every extra answer would reach the guest as typed garbage; answers to
// queries replayed from the scrollback would too. So only as many answers as
// the guest asked for, within cprWindow of asking, are passed on.
type cprFilter struct {
	tail     []byte // the last bytes of output (fewer than a query), for queries split across writes
	pending  int
	deadline time.Time
}

// maxPendingCPR bounds how many unanswered queries are remembered.
const maxPendingCPR = 4

// sawOutput counts the queries in a piece of guest output.
func (f *cprFilter) sawOutput(p []byte, now time.Time) {
	// A query split across writes starts in the tail and ends within the
	// first len(cprQuery)-1 bytes of p; one wholly in p is counted there.
	var buf [2 * 3]byte // room for the tail and the start of p, on the stack
	edge := append(append(buf[:0], f.tail...), p[:min(len(p), len(cprQuery)-1)]...)
	if n := bytes.Count(edge, cprQuery) + bytes.Count(p, cprQuery); n > 0 {
		f.pending = min(f.pending+n, maxPendingCPR)
		f.deadline = now.Add(cprWindow)
	}
	keep := min(len(edge), len(cprQuery)-1)
	if len(p) >= len(cprQuery)-1 {
		f.tail = append(f.tail[:0], p[len(p)-keep:]...)
	} else {
		f.tail = append(f.tail[:0], edge[len(edge)-keep:]...)
	}
}

// allow reports whether a viewer's input frame may go to the guest: any
// input that is not a cursor-position report does; a report does only if
// the guest is waiting for one.
func (f *cprFilter) allow(in []byte, now time.Time) bool {
	if !isCPR(in) {
		return true
	}
	if f.pending == 0 || now.After(f.deadline) {
		f.pending = 0
		return false
	}
	f.pending--
	return true
}

// reset forgets pending queries (when no viewer is left to answer them).
func (f *cprFilter) reset() { f.pending = 0 }

// isCPR reports whether in is exactly one cursor-position report,
// ESC [ row ; col R, as a terminal sends it.
func isCPR(in []byte) bool {
	if len(in) < 6 || len(in) > 14 || in[0] != 0x1b || in[1] != '[' || in[len(in)-1] != 'R' {
		return false
	}
	body := in[2 : len(in)-1]
	semi := bytes.IndexByte(body, ';')
	if semi < 1 || semi == len(body)-1 {
		return false
	}
	for i, c := range body {
		if i != semi && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
