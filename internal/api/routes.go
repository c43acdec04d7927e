package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

var errNoRoute = problem.New(problem.NotFound, problem.CodeNoSuchRoute, "there is no such API route", "see api/openapi.yaml for the routes")

func (s *Server) routes() []Route {
	rs := []Route{
		{"GET", "/healthz", public, "", s.healthz},
		{"GET", "/login", public, "", s.loginPage},
		{"POST", "/api/v1/login", public, "login", s.login},
		{"POST", "/api/v1/logout", viewer, "logout", s.logout},
		{"GET", "/api/v1/session", viewer, "", s.sessionInfo},
		{"GET", "/api/v1/sessions", viewer, "", s.listSessions},
		{"DELETE", "/api/v1/sessions/{id}", viewer, "session.revoke", s.revokeSession},
		{"GET", "/api/v1/audit", admin, "", s.auditLog},
		{"GET", "/api/v1/server", admin, "", s.serverInfo},
		{"GET", "/api/v1/hosts", viewer, "", s.listHosts},
		{"POST", "/api/v1/hosts/{host}/trust", admin, "host.trust", s.trustHost},
		{"GET", "/api/v1/vms", viewer, "", s.listVMs},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}", viewer, "", s.getVM},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}/stats", viewer, "", s.vmStats},
		{"POST", "/api/v1/hosts/{host}/vms/{uuid}/{action}", operator, "vm.{action}", s.vmAction},
		{"PUT", "/api/v1/hosts/{host}/vms/{uuid}/autostart", admin, "vm.autostart", s.setAutostart},
		{"DELETE", "/api/v1/hosts/{host}/vms/{uuid}", admin, "vm.delete", s.deleteVM},
		{"GET", "/api/v1/operations", viewer, "", s.listOperations},
		{"GET", "/api/v1/operations/{id}", viewer, "", s.getOperation},
		{"DELETE", "/api/v1/operations/{id}", operator, "operation.cancel", s.cancelOperation},
		{"GET", "/api/v1/events", viewer, "", s.events},
	}
	// Each feature keeps its routes beside its handlers.
	rs = append(rs, s.consoleRoutes()...)
	rs = append(rs, s.spiceRoutes()...)
	rs = append(rs, s.displayRoutes()...)
	rs = append(rs, s.serialRoutes()...)
	rs = append(rs, s.snapshotRoutes()...)
	rs = append(rs, s.storageRoutes()...)
	rs = append(rs, s.networkRoutes()...)
	rs = append(rs, s.guestAgentRoutes()...)
	rs = append(rs, s.hostAdminRoutes()...)
	if s.opts.Metrics != nil {
		// Prometheus's scrape: the metrics role or token, or an admin.
		rs = append(rs, Route{"GET", "/metrics", metricsRole, "", s.metrics})
	}
	rs = append(rs, s.createRoutes()...)
	rs = append(rs, s.scheduleRoutes()...)
	rs = append(rs, s.diskUsageRoutes()...)
	rs = append(rs, s.exportRoutes()...)
	rs = append(rs, s.hardwareRoutes()...)
	rs = append(rs, s.recordingRoutes()...)
	return rs
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
	return nil
}

// metrics serves the Prometheus registry (see internal/metrics).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	s.opts.Metrics.Handler().ServeHTTP(w, r)
	return nil
}
