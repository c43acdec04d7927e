// Package console holds what every console shares: the single-use tickets
// that authorise one console WebSocket each. The consoles themselves are in
// its subpackages, one per protocol: vnc (the graphical console proxy,
// with rfb for the RFB handshakes), serial (the serial console bridge) and
// screen (screenshots and thumbnails); consoletest has the test clients.
package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Ticket kinds: which WebSocket a ticket opens.
const (
	KindVNC    = "vnc"
	KindSerial = "serial"
)

// TicketTTL is how long a ticket may wait before it is used.
const TicketTTL = 30 * time.Second

// Grant is what a ticket authorises: one console of one VM, for one caller.
type Grant struct {
	Kind    string
	Host    string
	UUID    string
	Session string // the caller's session id, or "token" for bearer clients
	User    string
	// Force is for the serial console: take it over from another client.
	Force bool
}

// Tickets mints and redeems single-use console tickets. Tickets are kept
// only as hashes, so a memory dump or log of the store reveals none.
type Tickets struct {
	mu      sync.Mutex
	pending map[[32]byte]ticket
	now     func() time.Time
}

type ticket struct {
	grant   Grant
	expires time.Time
}

// NewTickets returns an empty store. now may be nil (time.Now).
func NewTickets(now func() time.Time) *Tickets {
	if now == nil {
		now = time.Now
	}
	return &Tickets{pending: make(map[[32]byte]ticket), now: now}
}

// Mint returns a new ticket for g, valid for TicketTTL and for one use.
func (t *Tickets) Mint(g Grant) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, v := range t.pending { // expired tickets cost memory only until the next mint
		if now.After(v.expires) {
			delete(t.pending, k)
		}
	}
	t.pending[sha256.Sum256([]byte(tok))] = ticket{grant: g, expires: now.Add(TicketTTL)}
	return tok
}

// ErrTicket is the one answer to any unusable ticket: unknown, used, expired,
// or minted for another VM, console or session. Saying which would help an
// attacker more than a user.
var ErrTicket = problem.New(problem.Forbidden, problem.CodeInvalidTicket,
	"the console ticket is not valid (it is single-use and expires after 30 seconds)",
	"open the console again")

// Redeem consumes a ticket and returns its grant if it was minted for this
// kind of console, this VM and this session. A ticket is gone after one
// attempt, whether or not the attempt matched.
func (t *Tickets) Redeem(tok, kind, host, uuid, session string) (Grant, error) {
	if len(tok) == 0 || len(tok) > 128 {
		return Grant{}, ErrTicket
	}
	key := sha256.Sum256([]byte(tok))
	t.mu.Lock()
	v, ok := t.pending[key]
	delete(t.pending, key)
	t.mu.Unlock()
	if !ok || t.now().After(v.expires) {
		return Grant{}, ErrTicket
	}
	g := v.grant
	if g.Kind != kind || g.Host != host || g.UUID != uuid || g.Session != session {
		return Grant{}, ErrTicket
	}
	return g, nil
}

// Burn makes a ticket unusable without redeeming it: for an attempt
// refused before its ticket is checked (a foreign Origin, a malformed
// path), since any attempt must use the ticket up.
func (t *Tickets) Burn(tok string) {
	if len(tok) == 0 || len(tok) > 128 {
		return
	}
	key := sha256.Sum256([]byte(tok))
	t.mu.Lock()
	delete(t.pending, key)
	t.mu.Unlock()
}

// Pending returns how many unexpired tickets session holds, so that a
// session cannot pile up tickets without bound.
func (t *Tickets) Pending(session string) int {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, v := range t.pending {
		if v.grant.Session == session && !now.After(v.expires) {
			n++
		}
	}
	return n
}
