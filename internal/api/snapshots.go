package api

import (
	"net/http"
	"strconv"

	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// snapshotRoutes are the snapshot manager's routes, served only when the
// manager is given (Options).
func (s *Server) snapshotRoutes() []Route {
	if s.opts.Snapshots == nil {
		return nil
	}
	const base = "/api/v1/hosts/{host}/vms/{uuid}/snapshots"
	return []Route{
		{"GET", base, viewer, "", s.listSnapshots},
		{"POST", base, operator, "snapshot.create", s.createSnapshot},
		{"GET", base + "/{name}", viewer, "", s.getSnapshot},
		{"PATCH", base + "/{name}", operator, "snapshot.edit", s.editSnapshot},
		{"DELETE", base + "/{name}", operator, "snapshot.delete", s.deleteSnapshot},
		{"POST", base + "/{name}/revert", operator, "snapshot.revert", s.revertSnapshot},
		{"GET", base + "/{name}/diff", viewer, "", s.snapshotDiff},
		{"GET", base + "/{name}/screenshot", operator, "", s.snapshotScreenshot},
	}
}

// snapshots returns the service and the VM the path names.
func (s *Server) snapshots(r *http.Request) (*snapshot.Service, string, string, error) {
	h, uuid, err := s.vmRef(r)
	return s.opts.Snapshots, h, uuid, err
}

func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	var o snapshot.ListOptions
	if v := r.URL.Query().Get("sizes"); v != "" {
		if o.Sizes, err = strconv.ParseBool(v); err != nil {
			return problem.New(problem.Invalid, problem.CodeInvalidQuery, "sizes must be true or false", "")
		}
	}
	list, err := svc.List(r.Context(), h, uuid, o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) createSnapshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	var req snapshot.CreateRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Name)
	op, err := svc.Create(h, uuid, req)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	d, err := svc.Get(r.Context(), h, uuid, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) editSnapshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	var req snapshot.EditRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	sn, err := svc.Edit(h, uuid, r.PathValue("name"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sn)
	return nil
}

func (s *Server) deleteSnapshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	op, err := svc.Delete(h, uuid, r.PathValue("name"), r.URL.Query().Get("scope"))
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

func (s *Server) revertSnapshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	var req snapshot.RevertRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	op, err := svc.Revert(h, uuid, r.PathValue("name"), req)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

func (s *Server) snapshotDiff(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	d, err := svc.Diff(h, uuid, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) snapshotScreenshot(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	png, err := svc.Screenshot(h, uuid, r.PathValue("name"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	// A stored screenshot never changes for a given snapshot (its file is
	// named after the snapshot's creation time), but a name can be reused.
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	_, _ = w.Write(png)
	return nil
}
