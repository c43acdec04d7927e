package api

import (
	"net/http"
	"strconv"

	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapschedule"
)

// maxScheduleBody bounds a policy body: 500 targets of ~120 bytes fit.
const maxScheduleBody = 96 << 10

// scheduleRoutes are the snapshot schedules' routes, served only when the
// scheduler is given (Options).
func (s *Server) scheduleRoutes() []Route {
	if s.opts.Schedules == nil || s.opts.Snapshots == nil {
		return nil
	}
	return []Route{
		{"GET", "/api/v1/schedules", viewer, "", s.listSchedules},
		{"POST", "/api/v1/schedules", operator, "schedule.create", s.createSchedule},
		{"GET", "/api/v1/schedules/preview", viewer, "", s.previewSchedule},
		{"GET", "/api/v1/schedules/{id}", viewer, "", s.getSchedule},
		{"PUT", "/api/v1/schedules/{id}", operator, "schedule.update", s.updateSchedule},
		{"DELETE", "/api/v1/schedules/{id}", operator, "schedule.delete", s.deleteSchedule},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}/schedules", viewer, "", s.vmSchedules},
		{"PUT", "/api/v1/hosts/{host}/vms/{uuid}/snapshots/{name}/pin", operator, "snapshot.pin", s.pinSnapshot},
	}
}

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"policies": s.opts.Schedules.List(), "timeZone": s.opts.Schedules.ZoneName()})
	return nil
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request) error {
	var sp snapschedule.Spec
	if err := decodeJSONMax(w, r, &sp, false, maxScheduleBody); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(sp.Name)
	v, err := s.opts.Schedules.Create(sp)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/schedules/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) error {
	v, err := s.opts.Schedules.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) updateSchedule(w http.ResponseWriter, r *http.Request) error {
	var sp snapschedule.Spec
	if err := decodeJSONMax(w, r, &sp, false, maxScheduleBody); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(sp.Name)
	v, err := s.opts.Schedules.Update(r.PathValue("id"), sp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Schedules.Delete(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// previewSchedule says a schedule in words with its next run times, for
// the policy form: GET /api/v1/schedules/preview?schedule=...&count=3.
func (s *Server) previewSchedule(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n := 3
	if c := q.Get("count"); c != "" {
		v, err := strconv.Atoi(c)
		if err != nil || v < 1 || v > 10 {
			return problem.New(problem.Invalid, problem.CodeInvalidQuery, "count must be a number from 1 to 10", "")
		}
		n = v
	}
	text, next, zone, err := s.opts.Schedules.Preview(q.Get("schedule"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scheduleText": text, "next": next, "timeZone": zone})
	return nil
}

func (s *Server) vmSchedules(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	if _, err := s.opts.Inventory.Get(h, uuid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.opts.Schedules.ForVM(h, uuid))
	return nil
}

// pinRequest is the body of PUT .../snapshots/{name}/pin.
type pinRequest struct {
	Pinned *bool `json:"pinned"`
}

func (s *Server) pinSnapshot(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var req pinRequest
	if err := decodeJSONMax(w, r, &req, false, 1<<10); err != nil {
		return err
	}
	if req.Pinned == nil {
		return problem.New(problem.Invalid, problem.CodeMissingField, `the body needs "pinned": true or false`, "")
	}
	pin, err := s.opts.Schedules.SetPin(r.Context(), h, uuid, r.PathValue("name"), *req.Pinned)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"pinned": *req.Pinned, "name": pin.Name, "created": pin.Created})
	return nil
}
