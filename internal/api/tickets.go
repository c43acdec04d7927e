package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// ticketResponse is the answer to a console ticket request: the WebSocket
// URL (path and query, relative to the server) that the ticket opens.
type ticketResponse struct {
	Ticket           string `json:"ticket"`
	URL              string `json:"url"`
	ExpiresInSeconds int    `json:"expiresInSeconds"`
}

// sessionKey is what a ticket is bound to: the browser session, or the
// token for bearer clients.
func sessionKey(p auth.Principal) string {
	if p.Session != nil {
		return p.Session.ID
	}
	return "token"
}

// mintTicket answers a console ticket request for the VM in the path.
// wsRoute is the WebSocket route below the VM ("console/ws") the ticket is
// for; check may refuse first (VM not running, no such console) with a
// problem that says what to do.
func (s *Server) mintTicket(w http.ResponseWriter, r *http.Request, kind, wsRoute string, force bool, check func(host, uuid string) error) error {
	vm, err := s.lookupVM(r)
	if err != nil {
		return err
	}
	h, uuid := vm.Host, vm.UUID
	if check != nil {
		if err := check(h, uuid); err != nil {
			return err
		}
	}
	p, _ := auth.FromContext(r.Context())
	// A ticket is a console about to open: refuse it while the caller has
	// no console slot left, and bound the unused ones a session may hold.
	if err := s.streams.consoles.full(owner(p), s.clientAddr(r)); err != nil {
		return err
	}
	if s.opts.Tickets.Pending(sessionKey(p)) >= pendingTicketsPerConsole*s.streams.limits.ConsolesPerSession {
		return errTooManyTickets
	}
	tok := s.opts.Tickets.Mint(console.Grant{Kind: kind, Host: h, UUID: uuid, Session: sessionKey(p), User: p.User, Force: force})
	writeJSON(w, http.StatusOK, ticketResponse{
		Ticket:           tok,
		URL:              "/api/v1/hosts/" + h + "/vms/" + uuid + "/" + wsRoute + "?ticket=" + tok,
		ExpiresInSeconds: int(console.TicketTTL.Seconds()),
	})
	return nil
}

// pendingTicketsPerConsole bounds the unused tickets of a session, as a
// multiple of its console cap: tickets are cheap and a page may ask for a
// few before it connects, but a session must not pile them up without end.
const pendingTicketsPerConsole = 4

var errTooManyTickets = problem.New(problem.TooMany, problem.CodeTooManyConsoles,
	"this session has asked for many consoles that it has not opened yet",
	"close other KVM Manager consoles or tabs, wait half a minute, then open this console again")

// redeemTicket authorises a console WebSocket upgrade: the caller must be
// the session the ticket was minted for, a browser must come from our own
// origin, and the ticket must be unused and for this console of this VM.
// Any attempt uses the ticket up, also one refused before the ticket is
// looked at. It then takes one of the caller's console slots: release
// gives it back when the console ends.
func (s *Server) redeemTicket(r *http.Request, kind string) (g console.Grant, release func(), err error) {
	tok := r.URL.Query().Get("ticket")
	h, uuid, err := s.vmRef(r)
	if err != nil {
		s.opts.Tickets.Burn(tok)
		return console.Grant{}, nil, err
	}
	p, _ := auth.FromContext(r.Context())
	g, err = s.opts.Tickets.Redeem(tok, kind, h, uuid, sessionKey(p))
	if p.Session != nil {
		// Browsers always send Origin on WebSocket upgrades; a missing or
		// foreign one is a cross-site attempt to ride the cookie.
		if o := r.Header.Get("Origin"); o == "" || !auth.SameOrigin(r, o) {
			return console.Grant{}, nil, auth.ErrOrigin
		}
	}
	if err != nil {
		return console.Grant{}, nil, err
	}
	release, err = s.acquireStream(s.streams.consoles, r)
	if err != nil {
		return console.Grant{}, nil, err
	}
	return g, release, nil
}
