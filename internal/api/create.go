package api

import (
	"net/http"
	"strconv"

	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/vmcreate"
)

// createRoutes are VM creation's routes, served only when it is given
// (Options.Create).
func (s *Server) createRoutes() []Route {
	if s.opts.Create == nil {
		return nil
	}
	return []Route{
		{"POST", "/api/v1/hosts/{host}/vms", operator, "vm.create", s.createVM},
		{"GET", "/api/v1/osinfo", viewer, "", s.searchOS},
		{"GET", poolsBase + "/{pool}/volumes/{vol}/osinfo", viewer, "", s.detectOS},
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/clone", operator, "vm.clone", s.cloneVM},
		{"PUT", "/api/v1/hosts/{host}/vms/{uuid}/template", admin, "vm.template", s.setTemplate},
	}
}

// cloneVM starts copying a shut-off VM (202 and the operation).
func (s *Server) cloneVM(w http.ResponseWriter, r *http.Request) error {
	var req vmcreate.CloneRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip("to " + req.Name)
	op, err := s.opts.Create.Clone(r.PathValue("host"), r.PathValue("uuid"), req, nil)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

// setTemplate marks a shut-off VM as a template (its power actions are
// refused), or not.
func (s *Server) setTemplate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Template bool `json:"template"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = strconv.FormatBool(req.Template)
	if err := s.opts.Create.SetTemplate(r.PathValue("host"), r.PathValue("uuid"), req.Template); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, req)
	return nil
}

// refuseTemplate refuses power actions on a template: it is only cloned.
func (s *Server) refuseTemplate(host, uuid string) error {
	if s.opts.Create == nil {
		return nil
	}
	tmpl, err := s.opts.Create.IsTemplate(host, uuid)
	if err != nil || !tmpl {
		return nil // the action itself reports a missing VM
	}
	return problem.New(problem.Conflict, problem.CodeVMIsTemplate, "the VM is a template: it is cloned, never run",
		"clone it and run the clone, or unmark it as a template first")
}

// createVM checks the request and starts the creation (202 and the
// operation), or answers a dry run's preview (200).
func (s *Server) createVM(w http.ResponseWriter, r *http.Request) error {
	var req vmcreate.Request
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Name + " from " + req.Source.Kind)
	op, preview, err := s.opts.Create.Create(r.PathValue("host"), req, nil)
	if err != nil {
		return err
	}
	if preview != nil {
		writeJSON(w, http.StatusOK, preview)
		return nil
	}
	s.writeAccepted(w, r, op)
	return nil
}

// searchOS lists osinfo-db's operating systems matching ?q= (all words),
// at most ?limit= (default 50, at most 1000).
func (s *Server) searchOS(w http.ResponseWriter, r *http.Request) error {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return problem.New(problem.Invalid, problem.CodeInvalidLimit, "limit must be a number from 1 to 1000", "give ?limit=50, for example")
		}
		limit = n
	}
	db, err := s.opts.Create.OSDB()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"os": db.Search(r.URL.Query().Get("q"), limit)})
	return nil
}

// detectOS tells which OS an ISO volume holds, where osinfo-db can.
func (s *Server) detectOS(w http.ResponseWriter, r *http.Request) error {
	d, err := s.opts.Create.Detect(r.PathValue("host"), r.PathValue("pool"), r.PathValue("vol"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
