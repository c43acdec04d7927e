package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// StreamLimits cap the long-lived requests each caller may hold open:
// each costs memory and a goroutine (an event stream) or a libvirt
// connection (a console) for as long as it lasts. Zero fields take the
// defaults (defaultStreamLimits).
type StreamLimits struct {
	// EventsPerSession and EventsPerClient cap open /api/v1/events streams
	// per session (or API-token user) and per client address.
	EventsPerSession, EventsPerClient int
	// ConsolesPerSession and ConsolesPerClient cap open consoles,
	// graphical and serial together, the same ways. A session may also
	// hold at most 4 × ConsolesPerSession unused tickets.
	ConsolesPerSession, ConsolesPerClient int
	// TransfersPerSession and TransfersPerClient cap volume uploads and
	// downloads running at once, the same ways.
	TransfersPerSession, TransfersPerClient int
}

// defaultStreamLimits: a browser tab holds one event stream and the
// consoles it shows; 16 tabs and 8 consoles per browser are more than a
// person uses, and four such browsers may share one address (NAT).
func defaultStreamLimits() StreamLimits {
	return StreamLimits{EventsPerSession: 16, EventsPerClient: 64, ConsolesPerSession: 8, ConsolesPerClient: 32,
		TransfersPerSession: 4, TransfersPerClient: 8}
}

func (l StreamLimits) withDefaults() StreamLimits {
	d := defaultStreamLimits()
	for _, f := range []struct{ v, d *int }{
		{&l.EventsPerSession, &d.EventsPerSession}, {&l.EventsPerClient, &d.EventsPerClient},
		{&l.ConsolesPerSession, &d.ConsolesPerSession}, {&l.ConsolesPerClient, &d.ConsolesPerClient},
		{&l.TransfersPerSession, &d.TransfersPerSession}, {&l.TransfersPerClient, &d.TransfersPerClient},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	return l
}

// slots counts one kind of long-lived request per owner (session or
// API-token user) and per client address.
type slots struct {
	kind                string // for messages: "live event stream" or "console"
	code, hint          string
	maxOwner, maxClient int
	log                 *slog.Logger
	mu                  sync.Mutex
	owners, clients     map[string]int
	lastLog             time.Time
	suppressed          int
}

func newSlots(kind, code, hint string, maxOwner, maxClient int, log *slog.Logger) *slots {
	return &slots{kind: kind, code: code, hint: hint, maxOwner: maxOwner, maxClient: maxClient, log: log,
		owners: make(map[string]int), clients: make(map[string]int)}
}

// owner names who a limit per session counts: the session, or for API
// token callers (no session) the user.
func owner(p auth.Principal) string {
	if p.Session != nil {
		return "session " + p.Session.PublicID()
	}
	return "user " + p.User
}

// full returns the refusal if owner or client has no slot left.
func (s *slots) full(owner, client string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fullLocked(owner, client)
}

func (s *slots) fullLocked(owner, client string) error {
	var err error
	switch {
	case s.owners[owner] >= s.maxOwner:
		err = problem.New(problem.TooMany, s.code,
			fmt.Sprintf("you already have %d %ss open, the most one session may hold", s.maxOwner, s.kind), s.hint)
	case s.clients[client] >= s.maxClient:
		err = problem.New(problem.TooMany, s.code,
			fmt.Sprintf("%d %ss are already open from your address, the most one address may hold", s.maxClient, s.kind),
			s.hint+" (also in other browsers on this computer or behind the same address)")
	default:
		return nil
	}
	// One line per 10 s at most: a client looping on the refusal must not
	// flood the server log.
	if now := time.Now(); now.Sub(s.lastLog) >= 10*time.Second {
		s.log.Warn("stream limit reached: refused with 429", "kind", s.kind, "owner", owner, "client", client,
			"perSession", s.maxOwner, "perClient", s.maxClient, "alsoRefusedSinceLastLine", s.suppressed)
		s.lastLog, s.suppressed = now, 0
	} else {
		s.suppressed++
	}
	return err
}

// acquire takes a slot, or returns the refusal; release gives it back.
func (s *slots) acquire(owner, client string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fullLocked(owner, client); err != nil {
		return nil, err
	}
	s.owners[owner]++
	s.clients[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			dec(s.owners, owner)
			dec(s.clients, client)
		})
	}, nil
}

// dec counts down and forgets zero counts, so the maps hold only owners
// and clients with something open.
func dec(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// streamSlots are the server's limits on event streams and consoles.
type streamSlots struct {
	events, consoles *slots
	// transfers are volume uploads and downloads.
	transfers *slots
	limits    StreamLimits
}

func newStreamSlots(l StreamLimits, log *slog.Logger) *streamSlots {
	l = l.withDefaults()
	return &streamSlots{
		limits: l,
		events: newSlots("live event stream", problem.CodeTooManyEventStreams,
			"close other KVM Manager tabs or windows, then reload this page", l.EventsPerSession, l.EventsPerClient, log),
		consoles: newSlots("console", problem.CodeTooManyConsoles,
			"close other KVM Manager consoles or tabs, then open this console again", l.ConsolesPerSession, l.ConsolesPerClient, log),
		transfers: newSlots("volume transfer", "too_many_transfers",
			"wait for your other uploads or downloads to finish", l.TransfersPerSession, l.TransfersPerClient, log),
	}
}

// acquireStream takes a slot of sl for the caller of r.
func (s *Server) acquireStream(sl *slots, r *http.Request) (func(), error) {
	p, _ := auth.FromContext(r.Context())
	return sl.acquire(owner(p), s.clientAddr(r))
}

// open counts the requests holding a slot now.
func (s *slots) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.owners {
		n += c
	}
	return n
}

// openStreams counts the open event streams and consoles, for the metrics.
func (s *Server) openStreams() (events, consoles int) {
	return s.streams.events.open(), s.streams.consoles.open()
}
