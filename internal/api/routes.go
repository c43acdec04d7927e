package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

var errNoRoute = problem.New(problem.NotFound, "no_such_route", "there is no such API route", "see api/openapi.yaml for the routes")

func (s *Server) routes() []Route {
	rs := []Route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/login", public, s.loginPage},
		{"POST", "/api/v1/login", public, s.login},
		{"POST", "/api/v1/logout", session, s.logout},
		{"GET", "/api/v1/session", session, s.sessionInfo},
		{"GET", "/api/v1/hosts", session, s.listHosts},
		{"GET", "/api/v1/vms", session, s.listVMs},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}", session, s.getVM},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}/stats", session, s.vmStats},
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/{action}", session, s.vmAction},
		{"PUT", "/api/v1/hosts/{host}/vms/{uuid}/autostart", session, s.setAutostart},
		{"DELETE", "/api/v1/hosts/{host}/vms/{uuid}", session, s.deleteVM},
		{"GET", "/api/v1/operations", session, s.listOperations},
		{"GET", "/api/v1/operations/{id}", session, s.getOperation},
		{"DELETE", "/api/v1/operations/{id}", session, s.cancelOperation},
		{"GET", "/api/v1/events", session, s.events},
	}
	// Each feature keeps its routes beside its handlers.
	rs = append(rs, s.consoleRoutes()...)
	rs = append(rs, s.serialRoutes()...)
	rs = append(rs, s.snapshotRoutes()...)
	return rs
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
	return nil
}
