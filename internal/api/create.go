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
	}
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
