package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// guestAgentRoutes are the guest agent's one-click fix (add its channel to
// a VM's definition), served when the definition editor is given.
func (s *Server) guestAgentRoutes() []Route {
	if s.opts.DomainEdit == nil {
		return nil
	}
	return []Route{
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/guest-agent/channel", admin, "vm.guest-agent.add", s.addGuestAgentChannel},
	}
}

// addGuestAgentChannel answers POST .../guest-agent/channel: it adds the
// QEMU guest agent's channel to the VM's definition.
func (s *Server) addGuestAgentChannel(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.opts.DomainEdit.AddGuestAgent(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		domainedit.GuestAgentAdded
		VM inventory.VM `json:"vm"`
	}{res, res.VM})
	return nil
}
