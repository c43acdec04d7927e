package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/lifecycle"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// hostJSON is a host in GET /api/v1/hosts: its status and its VMs
// counted by state, both from what the server already knows (the list
// never waits for a host).
type hostJSON struct {
	host.Status
	VMs map[inventory.State]int `json:"vms"`
}

func (s *Server) listHosts(w http.ResponseWriter, r *http.Request) error {
	counts := s.opts.Inventory.Counts()
	sts := s.opts.Hosts.Statuses()
	out := make([]hostJSON, 0, len(sts))
	for _, st := range sts {
		c := counts[st.Name]
		if c == nil {
			c = map[inventory.State]int{}
		}
		out = append(out, hostJSON{Status: st, VMs: c})
	}
	writeJSON(w, http.StatusOK, map[string]any{"hosts": out})
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
	span := 5 * time.Minute
	if v := r.URL.Query().Get("range"); v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil || d < time.Minute || d > 24*time.Hour {
			return problem.New(problem.Invalid, "invalid_range",
				"range must be a duration from 1m to 24h, such as 5m, 1h or 24h", "")
		}
		span = d
	}
	hist, info, err := s.opts.Inventory.History(h, uuid, time.Now().Add(-span))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"samples": hist, "history": info})
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
	if err := s.refuseTemplate(h, uuid); err != nil {
		return err
	}
	res, err := s.opts.Lifecycle.Do(r.Context(), h, uuid, r.PathValue("action"), req)
	if err != nil {
		return err
	}
	if res.Operation != nil {
		s.writeAccepted(w, r, *res.Operation)
		return nil
	}
	writeJSON(w, http.StatusOK, *res.VM)
	return nil
}

// writeAccepted answers 202 with the operation that carries on the work,
// naming the caller as the one who asked for it.
func (s *Server) writeAccepted(w http.ResponseWriter, r *http.Request, op operation.Op) {
	if p, ok := auth.FromContext(r.Context()); ok && p.User != "" {
		s.opts.Operations.SetUser(op.ID, p.User)
		op.User = p.User
	}
	w.Header().Set("Location", "/api/v1/operations/"+op.ID)
	writeJSON(w, http.StatusAccepted, op)
}

// opFor returns op as caller p may see it, and whether p may see it at
// all. The operations on a VM are visible to whoever may read that VM:
// every role reads every VM of the configured hosts today (there are no
// per-VM grants yet, and this is the one place they will apply), so work
// on no VM of a configured host is the admins' only. Another user's name
// is for admins only (operation.Op.SeenBy).
func (s *Server) opFor(p auth.Principal, op operation.Op) (operation.Op, bool) {
	admin := p.Role >= auth.Admin
	if !admin {
		if op.Target.Host == "" {
			return operation.Op{}, false
		}
		if _, err := s.opts.Hosts.Get(op.Target.Host); err != nil {
			return operation.Op{}, false
		}
	}
	return op.SeenBy(p.User, admin), true
}

// errNoOperation is what a caller who may not see an operation hears: the
// same as for one that does not exist, so that ids tell nothing.
func errNoOperation(id string) error {
	return problem.New(problem.NotFound, "operation_not_found",
		"no operation with id "+strconv.Quote(problem.Clip(id)), "finished operations are kept for a limited time")
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
	s.writeAccepted(w, r, op)
	return nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	all := s.opts.Operations.List()
	out := make([]operation.Op, 0, len(all))
	for _, op := range all {
		if o, ok := s.opFor(p, op); ok {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": out})
	return nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) error {
	op, err := s.opts.Operations.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	op, ok := s.opFor(p, op)
	if !ok {
		return errNoOperation(r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, op)
	return nil
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	if op, err := s.opts.Operations.Get(r.PathValue("id")); err == nil {
		if _, ok := s.opFor(p, op); !ok {
			return errNoOperation(r.PathValue("id"))
		}
	}
	op, err := s.opts.Operations.Cancel(r.PathValue("id"))
	if err != nil {
		return err
	}
	op, _ = s.opFor(p, op)
	writeJSON(w, http.StatusOK, op)
	return nil
}
