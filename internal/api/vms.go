package api

import (
	"net/http"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/lifecycle"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func (s *Server) listHosts(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"hosts": s.opts.Hosts.Statuses()})
	return nil
}

func (s *Server) listVMs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	hostFilter, stateFilter := q.Get("host"), q.Get("state")
	if hostFilter != "" {
		if _, err := s.opts.Hosts.Get(hostFilter); err != nil {
			return err
		}
	}
	all := s.opts.Inventory.ListWait(r.Context(), hostFilter)
	out := make([]inventory.VM, 0, len(all))
	for _, vm := range all {
		if stateFilter == "" || vm.State == inventory.State(stateFilter) {
			out = append(out, vm)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"vms": out})
	return nil
}

// vmPath checks the host and UUID path values and returns them normalised.
func (s *Server) vmPath(r *http.Request) (string, string, error) {
	hostName, uuid := r.PathValue("host"), strings.ToLower(r.PathValue("uuid"))
	if _, err := s.opts.Hosts.Get(hostName); err != nil {
		return "", "", err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return "", "", err
	}
	return hostName, host.FormatUUID(u), nil
}

// lookupVM returns the VM the path names, from the inventory, which waits
// for the host's first listing (Inventory.WaitVM).
func (s *Server) lookupVM(r *http.Request) (inventory.VM, error) {
	h, uuid, err := s.vmPath(r)
	if err != nil {
		return inventory.VM{}, err
	}
	return s.opts.Inventory.WaitVM(r.Context(), h, uuid)
}

// vmRef is vmPath for handlers that pass the VM on to a service: it returns
// once the inventory can answer for the VM (the same lookup that waits for
// the host's first listing), so that a console or action asked for right
// after a (re)connect does not answer "no such VM". A VM the inventory does
// not know is not refused here: the service looks it up itself and answers
// vm_not_found after checking the request's own parameters, as it always
// has, and a console WebSocket answers every unusable ticket alike
// (invalid_ticket), whatever VM its path names.
func (s *Server) vmRef(r *http.Request) (string, string, error) {
	h, uuid, err := s.vmPath(r)
	if err != nil {
		return "", "", err
	}
	_, _ = s.opts.Inventory.WaitVM(r.Context(), h, uuid)
	return h, uuid, nil
}

// vmRefNoBody is vmRef for actions that take no parameters: a body, when
// one is sent, must be an empty JSON object.
func (s *Server) vmRefNoBody(w http.ResponseWriter, r *http.Request) (string, string, error) {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return "", "", err
	}
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return "", "", err
	}
	return h, uuid, nil
}

func (s *Server) getVM(w http.ResponseWriter, r *http.Request) error {
	vm, err := s.lookupVM(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vm)
	return nil
}

func (s *Server) vmStats(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	hist, err := s.opts.Inventory.History(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"samples": hist})
	return nil
}

func (s *Server) vmAction(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var req lifecycle.Request
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	res, err := s.opts.Lifecycle.Do(r.Context(), h, uuid, r.PathValue("action"), req)
	if err != nil {
		return err
	}
	if res.Operation != nil {
		writeAccepted(w, *res.Operation)
		return nil
	}
	writeJSON(w, http.StatusOK, *res.VM)
	return nil
}

func writeAccepted(w http.ResponseWriter, op operation.Op) {
	w.Header().Set("Location", "/api/v1/operations/"+op.ID)
	writeJSON(w, http.StatusAccepted, op)
}

type autostartRequest struct {
	Enabled *bool `json:"enabled"`
}

func (s *Server) setAutostart(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var req autostartRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		return problem.New(problem.Invalid, problem.CodeMissingField, `the body needs "enabled": true or false`, "")
	}
	vm, err := s.opts.Lifecycle.SetAutostart(h, uuid, *req.Enabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vm)
	return nil
}

func (s *Server) deleteVM(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var req lifecycle.DeleteRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	op, err := s.opts.Lifecycle.Delete(h, uuid, req)
	if err != nil {
		return err
	}
	writeAccepted(w, op)
	return nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"operations": s.opts.Operations.List()})
	return nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) error {
	op, err := s.opts.Operations.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, op)
	return nil
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request) error {
	op, err := s.opts.Operations.Cancel(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, op)
	return nil
}
