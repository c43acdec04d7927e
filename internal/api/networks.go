package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/network"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

const networksBase = "/api/v1/hosts/{host}/networks"

// networkRoutes are the network manager's routes, served only when it is
// given (Options.Networks).
func (s *Server) networkRoutes() []Route {
	if s.opts.Networks == nil {
		return nil
	}
	return []Route{
		{"GET", networksBase, viewer, "", s.listNetworks},
		{"POST", networksBase, admin, "network.create", s.createNetwork},
		{"GET", networksBase + "/{net}", viewer, "", s.getNetwork},
		{"POST", networksBase + "/{net}/{action}", operator, "network.{action}", s.networkAction},
		{"PUT", networksBase + "/{net}/autostart", admin, "network.autostart", s.networkAutostart},
		{"DELETE", networksBase + "/{net}", admin, "network.delete", s.deleteNetwork},
	}
}

func (s *Server) listNetworks(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	nets, err := s.opts.Networks.List(r.PathValue("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"networks": nets})
	return nil
}

func (s *Server) getNetwork(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	n, err := s.opts.Networks.Get(r.PathValue("host"), r.PathValue("net"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) createNetwork(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	var req network.CreateRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	noteOf(r).detail = problem.Clip(req.Name)
	n, err := s.opts.Networks.Create(r.PathValue("host"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, n)
	return nil
}

func (s *Server) networkAction(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	var none struct{}
	if err := decodeJSON(w, r, &none, true); err != nil {
		return err
	}
	action := r.PathValue("action")
	if action != "start" && action != "stop" {
		return problem.New(problem.Invalid, "invalid_action", "a network can be started or stopped", "use start or stop")
	}
	n, err := s.opts.Networks.Action(r.PathValue("host"), r.PathValue("net"), action)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) networkAutostart(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	var req autostartRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Enabled == nil {
		return problem.New(problem.Invalid, problem.CodeMissingField, `the body needs "enabled": true or false`, "")
	}
	action := "autostart-off"
	if *req.Enabled {
		action = "autostart-on"
	}
	n, err := s.opts.Networks.Action(r.PathValue("host"), r.PathValue("net"), action)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) deleteNetwork(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.opts.Hosts.Get(r.PathValue("host")); err != nil {
		return err
	}
	if err := s.opts.Networks.Delete(r.PathValue("host"), r.PathValue("net")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
