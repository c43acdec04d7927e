package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// maxDisplays bounds a display index in a path: QEMU allows a few video
// devices with up to 16 heads each.
const maxDisplays = 64

// displayRoutes are the multiple displays' routes: the list of a VM's
// display heads, and a VNC console of one head (served with VNC).
func (s *Server) displayRoutes() []Route {
	const vm = "/api/v1/hosts/{host}/vms/{uuid}"
	if s.opts.VNC == nil {
		return nil
	}
	return []Route{
		{"GET", vm + "/displays", operator, "", s.listDisplays},
		{"POST", vm + "/console/display/{index}", operator, "", s.displayTicket},
		{"GET", vm + "/console/display/{index}/ws", operator, "console.open", s.displaySocket},
	}
}

func (s *Server) listDisplays(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	ds, err := s.opts.VNC.Displays(h, uuid)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []vnc.Display{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"displays": ds})
	return nil
}

// displayIndex reads the {index} of the path.
func displayIndex(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || n < 0 || n >= maxDisplays {
		return 0, problem.New(problem.Invalid, problem.CodeInvalidField,
			"the display index must be a number from 0 to 63", "list the VM's displays with GET .../displays")
	}
	return n, nil
}

// displayKind is the ticket kind of display n's console: a ticket opens
// the head it was minted for only.
func displayKind(n int) string { return "vnc-display-" + strconv.Itoa(n) }

func (s *Server) displayTicket(w http.ResponseWriter, r *http.Request) error {
	n, err := displayIndex(r)
	if err != nil {
		return err
	}
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return err
	}
	return s.mintTicket(w, r, displayKind(n), "console/display/"+strconv.Itoa(n)+"/ws", false, func(h, uuid string) error {
		_, err := s.opts.VNC.HeadTarget(h, uuid, n)
		return err
	})
}

func (s *Server) displaySocket(w http.ResponseWriter, r *http.Request) error {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.opts.Tickets.Burn(r.URL.Query().Get("ticket"))
		return errNotWebSocket
	}
	n, err := displayIndex(r)
	if err != nil {
		s.opts.Tickets.Burn(r.URL.Query().Get("ticket"))
		return err
	}
	g, release, err := s.redeemTicket(r, displayKind(n))
	if err != nil {
		return err
	}
	defer release()
	clearReadDeadline(w)
	return s.opts.VNC.ServeHead(r.Context(), g.Host, g.UUID, n, func() (*wsframe.Conn, error) {
		return wsframe.Accept(w, r, vnc.ReadBufferSize)
	})
}
