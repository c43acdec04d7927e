package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// diskUsageRoutes are a VM's disk usage by image and snapshot, the merge
// of its external snapshot chains and the compaction of its images, served
// with the snapshot manager.
func (s *Server) diskUsageRoutes() []Route {
	if s.opts.Snapshots == nil {
		return nil
	}
	const base = "/api/v1/hosts/{host}/vms/{uuid}/disk-usage"
	return []Route{
		{"GET", base, viewer, "", s.diskUsage},
		{"POST", base + "/merge", operator, "snapshot.merge", s.mergeSnapshots},
		{"POST", base + "/compact", operator, "snapshot.compact", s.compactImages},
	}
}

func (s *Server) diskUsage(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	u, err := svc.Usage(r.Context(), h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) mergeSnapshots(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	var req snapshot.MergeRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	op, err := svc.Merge(h, uuid, req)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}

func (s *Server) compactImages(w http.ResponseWriter, r *http.Request) error {
	svc, h, uuid, err := s.snapshots(r)
	if err != nil {
		return err
	}
	op, err := svc.Compact(r.Context(), h, uuid)
	if err != nil {
		return err
	}
	s.writeAccepted(w, r, op)
	return nil
}
