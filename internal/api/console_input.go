package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// consoleInputRoutes are the console's keyboard and pointer settings in
// the VM's definition: read them, set the VNC keymap, add a USB tablet.
// The changes are the definition's, so they are for admins; a running VM
// gets them at its next start.
func (s *Server) consoleInputRoutes(vm string) []Route {
	return []Route{
		{"GET", vm + "/console/input", operator, "", s.consoleInput},
		{"PUT", vm + "/graphics/vnc/keymap", admin, "vm.graphics.keymap", s.setVNCKeymap},
		{"POST", vm + "/input/tablet", admin, "vm.input.add", s.addTablet},
	}
}

func (s *Server) consoleInput(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	in, err := s.opts.DomainEdit.Input(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) setVNCKeymap(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var body struct {
		Keymap string `json:"keymap"`
	}
	if err := decodeJSON(w, r, &body, false); err != nil {
		return err
	}
	res, err := s.opts.DomainEdit.SetVNCKeymap(h, uuid, body.Keymap)
	if err != nil {
		return err
	}
	writeInputChanged(w, res)
	return nil
}

func (s *Server) addTablet(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.opts.DomainEdit.AddTablet(h, uuid)
	if err != nil {
		return err
	}
	writeInputChanged(w, res)
	return nil
}

func writeInputChanged(w http.ResponseWriter, res domainedit.InputChanged) {
	writeJSON(w, http.StatusOK, struct {
		domainedit.InputChanged
		VM inventory.VM `json:"vm"`
	}{res, res.VM})
}
