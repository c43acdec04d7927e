package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// RecordingLimits cap the console recordings each caller may start: each
// running recording writes a file, and each start writes a file and two
// audit entries, so a client starting and stopping recordings in a loop
// could otherwise fill the disk or the audit log. Zero fields take the
// defaults (defaultRecordingLimits). Recordings that the configuration
// requires (recording-always-*) or that follow an open recording onto a
// newly opened console count against nobody: consoles are capped already.
type RecordingLimits struct {
	// PerSession and PerClient cap the recordings running at once that a
	// session (or API-token user) started, and that a client address
	// started. One start records every open console of the VM: each
	// console counts.
	PerSession, PerClient int
	// StartsPerSession and StartsPerClient cap the starts (requests that
	// started at least one recording) in any 60 seconds, the same ways.
	StartsPerSession, StartsPerClient int
}

// startWindow is the window of the start rates.
const startWindow = time.Minute

// defaultRecordingLimits: a person records the few consoles they watch and
// starts a recording now and then; four such people may share an address.
func defaultRecordingLimits() RecordingLimits {
	return RecordingLimits{PerSession: 4, PerClient: 16, StartsPerSession: 10, StartsPerClient: 40}
}

func (l RecordingLimits) withDefaults() RecordingLimits {
	d := defaultRecordingLimits()
	for _, f := range []struct{ v, d *int }{
		{&l.PerSession, &d.PerSession}, {&l.PerClient, &d.PerClient},
		{&l.StartsPerSession, &d.StartsPerSession}, {&l.StartsPerClient, &d.StartsPerClient},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	return l
}

// recordingLimits counts running recordings and recent starts per owner
// (session or API-token user) and per client address.
type recordingLimits struct {
	l   RecordingLimits
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex
	// running counts recordings running now; maps hold only non-zero
	// counts.
	runOwner, runClient map[string]int
	// starts are the times of recent starts, oldest first; a key whose
	// starts are all older than startWindow is dropped (sweep).
	startOwner, startClient map[string][]time.Time
	lastSweep               time.Time
	// refused counts refusals per owner for the audit log: the first in
	// a window is written, later ones only counted (auditRefusal).
	refused map[string]*refusals
	// lastLog rate-limits the server log's line about refusals.
	lastLog    time.Time
	suppressed int
}

type refusals struct {
	since   time.Time
	dropped int
}

func newRecordingLimits(l RecordingLimits, log *slog.Logger) *recordingLimits {
	return &recordingLimits{l: l.withDefaults(), log: log, now: time.Now,
		runOwner: map[string]int{}, runClient: map[string]int{},
		startOwner: map[string][]time.Time{}, startClient: map[string][]time.Time{},
		refused: map[string]*refusals{}}
}

const recordingLimitHint = "stop one of your recordings first (the Recording mark on a console), or ask an admin to raise the limit"

// take grants n running recordings to owner and client, or refuses all of
// them. release gives one back; the caller calls it once per recording.
func (rl *recordingLimits) take(owner, client string, n int) (release func(), err error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	switch {
	case rl.runOwner[owner]+n > rl.l.PerSession:
		return nil, rl.refuseLocked(owner, client, problem.New(problem.TooMany, problem.CodeTooManyRecordings,
			fmt.Sprintf("this would make %d console recordings started by your session run at once; one session may run %d",
				rl.runOwner[owner]+n, rl.l.PerSession), recordingLimitHint))
	case rl.runClient[client]+n > rl.l.PerClient:
		return nil, rl.refuseLocked(owner, client, problem.New(problem.TooMany, problem.CodeTooManyRecordings,
			fmt.Sprintf("this would make %d console recordings started from your address run at once; one address may run %d",
				rl.runClient[client]+n, rl.l.PerClient), recordingLimitHint+" (also recordings started in other browsers behind the same address)"))
	}
	rl.runOwner[owner] += n
	rl.runClient[client] += n
	return func() {
		rl.mu.Lock()
		defer rl.mu.Unlock()
		dec(rl.runOwner, owner)
		dec(rl.runClient, client)
	}, nil
}

// reserve counts a start for owner and client now, or refuses it when
// either started as many in the last startWindow as allowed. undo takes
// the start back (nothing started after all).
func (rl *recordingLimits) reserve(owner, client string) (undo func(), err error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	rl.sweepLocked(now)
	so := recent(rl.startOwner[owner], now)
	sc := recent(rl.startClient[client], now)
	var who string
	var limit int
	var wait time.Duration
	switch {
	case len(so) >= rl.l.StartsPerSession:
		who, limit, wait = "your session", rl.l.StartsPerSession, so[len(so)-rl.l.StartsPerSession].Add(startWindow).Sub(now)
	case len(sc) >= rl.l.StartsPerClient:
		who, limit, wait = "your address", rl.l.StartsPerClient, sc[len(sc)-rl.l.StartsPerClient].Add(startWindow).Sub(now)
	}
	if who != "" {
		rl.startOwner[owner], rl.startClient[client] = so, sc
		secs := max(int(wait.Seconds()+0.999), 1)
		p := problem.New(problem.TooMany, problem.CodeTooManyRecordingStarts,
			fmt.Sprintf("%s started %d console recordings within a minute, the most allowed; wait %d seconds", who, limit, secs),
			"wait, then start the recording again; keep a recording running rather than starting and stopping it often")
		return nil, rl.refuseLocked(owner, client, p.WithRetryAfter(wait))
	}
	rl.startOwner[owner] = append(so, now)
	rl.startClient[client] = append(sc, now)
	return func() {
		rl.mu.Lock()
		defer rl.mu.Unlock()
		rl.startOwner[owner] = dropTime(rl.startOwner[owner], now)
		rl.startClient[client] = dropTime(rl.startClient[client], now)
	}, nil
}

// recent returns ts without the times older than startWindow.
func recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= startWindow {
		i++
	}
	return ts[i:]
}

// dropTime removes one t from ts.
func dropTime(ts []time.Time, t time.Time) []time.Time {
	for i, x := range ts {
		if x.Equal(t) {
			return append(ts[:i:i], ts[i+1:]...)
		}
	}
	return ts
}

// sweepLocked forgets owners and clients with no recent start, once a
// window, so that the maps hold only callers of the last minute.
func (rl *recordingLimits) sweepLocked(now time.Time) {
	if now.Sub(rl.lastSweep) < startWindow {
		return
	}
	rl.lastSweep = now
	for _, m := range []map[string][]time.Time{rl.startOwner, rl.startClient} {
		for k, ts := range m {
			if len(recent(ts, now)) == 0 {
				delete(m, k)
			}
		}
	}
	for k, r := range rl.refused {
		if now.Sub(r.since) >= startWindow {
			delete(rl.refused, k)
		}
	}
}

// refuseLocked logs a refusal (one line per 10 s at most, so that a client
// looping on it cannot flood the server log) and returns p.
func (rl *recordingLimits) refuseLocked(owner, client string, p *problem.Error) error {
	if now := rl.now(); now.Sub(rl.lastLog) >= 10*time.Second {
		rl.log.Warn("recording limit reached: refused with 429", "code", p.Code, "owner", owner, "client", client,
			"perSession", rl.l.PerSession, "perClient", rl.l.PerClient, "startsPerSession", rl.l.StartsPerSession,
			"startsPerClient", rl.l.StartsPerClient, "alsoRefusedSinceLastLine", rl.suppressed)
		rl.lastLog, rl.suppressed = now, 0
	} else {
		rl.suppressed++
	}
	return p
}

// auditRefusal decides whether a refused start of owner goes to the audit
// log: the first refusal in a window does, with the count of those left
// out since the previous one written; the others are only counted, so a
// client looping on the refusal writes about one entry a minute.
func (rl *recordingLimits) auditRefusal(owner string) (write bool, dropped int) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	now := rl.now()
	r := rl.refused[owner]
	if r == nil {
		rl.refused[owner] = &refusals{since: now}
		return true, 0
	}
	if now.Sub(r.since) < startWindow {
		r.dropped++
		return false, 0
	}
	dropped = r.dropped
	r.since, r.dropped = now, 0
	return true, dropped
}

// startRecordingLimited starts the recordings of VM h/uuid for the caller
// of r within its limits.
func (s *Server) startRecordingLimited(r *http.Request, h, uuid string) (started []string, err error) {
	p, _ := auth.FromContext(r.Context())
	own, client := owner(p), s.clientAddr(r)
	rl := s.recLimits
	before := s.opts.VNC.RecordingStatus(h, uuid)
	undo, err := rl.reserve(own, client)
	if err == nil {
		var st vnc.RecordingStatus
		st, err = s.opts.VNC.StartRecordingBy(h, uuid, vnc.Starter{User: p.User, Take: func(n int) (func(), error) {
			return rl.take(own, client, n)
		}})
		started = newIDs(before.IDs, st.IDs)
		if len(started) == 0 {
			undo() // nothing started: the start does not count
		}
	}
	if pe, ok := problem.As(err); ok && pe.Kind == problem.TooMany {
		write, dropped := rl.auditRefusal(own)
		note := noteOf(r)
		note.skip = !write
		if dropped > 0 {
			note.detail = fmt.Sprintf("%d more refused recording starts of this session in the minute before were left out of the audit log", dropped)
		}
	}
	return started, err
}

// newIDs returns the ids in after that are not in before.
func newIDs(before, after []string) []string {
	var out []string
	for _, id := range after {
		seen := false
		for _, b := range before {
			seen = seen || b == id
		}
		if !seen {
			out = append(out, id)
		}
	}
	return out
}
