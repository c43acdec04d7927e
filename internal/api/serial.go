package api

import (
	"net/http"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// serialRoutes are the serial console's routes: a ticket, the WebSocket it
// opens, and adding a serial console to a VM that has none. They are
// served only when the serial service is given (Options).
func (s *Server) serialRoutes() []Route {
	if s.opts.Serial == nil {
		return nil
	}
	const vm = "/api/v1/hosts/{host}/vms/{uuid}"
	rs := []Route{
		{"POST", vm + "/serial", operator, "", s.serialTicket},
		{"GET", vm + "/serial/ws", operator, "serial.open", s.serialSocket},
	}
	if s.opts.DomainEdit != nil {
		rs = append(rs, Route{"POST", vm + "/serial/device", admin, "vm.serial.add", s.addSerialDevice})
	}
	return rs
}

type serialTicketRequest struct {
	// Force takes the console over from another client that holds it.
	Force bool `json:"force"`
}

// serialTicket answers POST .../serial with a ticket for the WebSocket,
// after checking that the VM runs and has a serial console.
func (s *Server) serialTicket(w http.ResponseWriter, r *http.Request) error {
	var req serialTicketRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	return s.mintTicket(w, r, console.KindSerial, "serial/ws", req.Force, s.opts.Serial.Check)
}

// serialSocket upgrades GET .../serial/ws?ticket=... to the console's
// WebSocket. Every refusal happens before the upgrade, as a JSON error.
func (s *Server) serialSocket(w http.ResponseWriter, r *http.Request) error {
	g, release, err := s.redeemTicket(r, console.KindSerial)
	if err != nil {
		return err
	}
	defer release()
	// Accept checks Origin against Host once more; redeemTicket already
	// required a same-origin browser. The hijacked connection must not
	// inherit a read deadline.
	clearReadDeadline(w)
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil // Accept has answered the request
	}
	s.opts.Serial.Serve(r.Context(), c, g)
	return nil
}

type serialDeviceResponse struct {
	Message string `json:"message"`
	// NextStart says the VM runs and gets the console at its next start.
	NextStart bool         `json:"nextStart"`
	VM        inventory.VM `json:"vm"`
}

// addSerialDevice answers POST .../serial/device: it adds a serial console
// to the VM's configuration.
func (s *Server) addSerialDevice(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.opts.DomainEdit.AddConsole(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, serialDeviceResponse{Message: res.Message, NextStart: res.NextStart, VM: res.VM})
	return nil
}
