package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console/spice"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// spiceRoutes are the SPICE console's routes: a ticket, and the WebSocket
// that each of the console's SPICE channels opens with it.
func (s *Server) spiceRoutes() []Route {
	const vm = "/api/v1/hosts/{host}/vms/{uuid}"
	if s.opts.Spice == nil {
		return nil
	}
	return []Route{
		{"POST", vm + "/console/spice", operator, "", s.spiceTicket},
		{"GET", vm + "/console/spice/ws", operator, "console.spice", s.spiceSocket},
	}
}

// spiceTicket answers a ticket for the VM's SPICE console, after checking
// in the VM's live XML that its SPICE server can be reached.
func (s *Server) spiceTicket(w http.ResponseWriter, r *http.Request) error {
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return err
	}
	return s.mintTicket(w, r, spice.Kind, "console/spice/ws", false, s.opts.Spice.Check)
}

// spiceSocket is a SPICE channel's WebSocket. The first one a ticket opens
// is the console's main channel: it redeems the ticket and takes one of
// the caller's console slots for the console's lifetime. The console's
// other channels come with the same ticket, from the same login session
// and origin, and join it (a bounded number, within a bounded time).
func (s *Server) spiceSocket(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("ticket")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.opts.Tickets.Burn(tok)
		return errNotWebSocket
	}
	accept := func() (*wsframe.Conn, error) { return wsframe.Accept(w, r, spice.ReadBufferSize) }
	h, uuid, err := s.vmRef(r)
	if err != nil {
		s.opts.Tickets.Burn(tok)
		return err
	}
	p, _ := auth.FromContext(r.Context())
	if p.Session != nil {
		if o := r.Header.Get("Origin"); o == "" || !auth.SameOrigin(r, o) {
			s.opts.Tickets.Burn(tok)
			return auth.ErrOrigin
		}
	}
	clearReadDeadline(w)
	if joined, err := s.opts.Spice.Join(r.Context(), h, uuid, tok, sessionKey(p), accept); joined {
		// One SPICE console is one audit entry, its main channel's, which
		// counts the channels; a refused channel has an entry of its own.
		noteOf(r).skip = err == nil
		return err
	}
	g, release, err := s.redeemTicket(r, spice.Kind)
	if err != nil {
		return err
	}
	defer release()
	ctx := spice.WithChannels(r.Context(), func(n int) {
		noteOf(r).detail = fmt.Sprintf("%d SPICE channels", n)
		if n == 1 {
			noteOf(r).detail = "1 SPICE channel"
		}
	})
	return s.opts.Spice.Serve(ctx, g.Host, g.UUID, tok, sessionKey(p), accept)
}
