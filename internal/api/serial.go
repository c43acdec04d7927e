package api

import (
	"net/http"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// serialRoutes are the serial console's routes: a ticket, the WebSocket it
// opens, and adding a serial console to a VM that has none.
func (s *Server) serialRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/serial", operator, "", s.serialTicket},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}/serial/ws", operator, "serial.open", s.serialSocket},
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/serial/device", admin, "vm.serial.add", s.addSerialDevice},
	}
}

var errNoSerialService = problem.New(problem.Unavailable, "serial_unavailable",
	"the serial console service is not running", "restart KVM Manager")

type serialTicketRequest struct {
	// Force takes the console over from another client that holds it.
	Force bool `json:"force"`
}

// serialTicket answers POST .../serial with a ticket for the WebSocket,
// after checking that the VM runs and has a serial console.
func (s *Server) serialTicket(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Serial == nil {
		return errNoSerialService
	}
	var req serialTicketRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	return s.mintTicket(w, r, console.KindSerial, "serial/ws", req.Force, s.opts.Serial.Check)
}

// serialSocket upgrades GET .../serial/ws?ticket=... to the console's
// WebSocket. Every refusal happens before the upgrade, as a JSON error.
func (s *Server) serialSocket(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Serial == nil {
		return errNoSerialService
	}
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
	if s.opts.Serial == nil || s.opts.DomainEdit == nil {
		return errNoSerialService
	}
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
