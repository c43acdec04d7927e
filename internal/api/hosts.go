package api

import (
	"context"
	"net/http"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/hostadmin"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// maxHostBody bounds the bodies of the host routes: a name and a URI of at
// most 2048 characters fit many times over.
const maxHostBody = 8 << 10

// testTimeout bounds a connection test: an SSH key exchange and a libvirt
// hello, each bounded by the host's call timeout (5 s), with room.
const testTimeout = 15 * time.Second

// hostAdminRoutes are the routes that add, edit, remove and test hosts.
func (s *Server) hostAdminRoutes() []Route {
	if s.opts.HostAdmin == nil {
		return nil
	}
	return []Route{
		{"POST", "/api/v1/hosts", admin, "host.add", s.addHost},
		{"POST", "/api/v1/hosts/test", admin, "host.test", s.testHost},
		{"PUT", "/api/v1/hosts/{host}", admin, "host.edit", s.editHost},
		{"DELETE", "/api/v1/hosts/{host}", admin, "host.remove", s.removeHost},
	}
}

// hostSpec is the body of POST /api/v1/hosts and POST /api/v1/hosts/test.
type hostSpec struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// hostEdit is the body of PUT /api/v1/hosts/{host}: a new URI, a new
// name, or both (an absent field stays as it is).
type hostEdit struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

func userOf(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.User
}

func (s *Server) addHost(w http.ResponseWriter, r *http.Request) error {
	var req hostSpec
	if err := decodeJSONMax(w, r, &req, false, maxHostBody); err != nil {
		return err
	}
	noteOf(r).detail = "host " + problem.Clip(req.Name) + " uri " + problem.Clip(req.URI)
	st, err := s.opts.HostAdmin.Add(hostadmin.Spec{Name: req.Name, URI: req.URI}, userOf(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/hosts/"+st.Name)
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (s *Server) testHost(w http.ResponseWriter, r *http.Request) error {
	var req hostSpec
	if err := decodeJSONMax(w, r, &req, false, maxHostBody); err != nil {
		return err
	}
	noteOf(r).detail = "uri " + problem.Clip(req.URI)
	ctx, cancel := context.WithTimeout(r.Context(), testTimeout)
	defer cancel()
	res, err := s.opts.HostAdmin.Test(ctx, hostadmin.Spec{Name: req.Name, URI: req.URI})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) editHost(w http.ResponseWriter, r *http.Request) error {
	var req hostEdit
	if err := decodeJSONMax(w, r, &req, false, maxHostBody); err != nil {
		return err
	}
	noteOf(r).detail = "uri " + problem.Clip(req.URI)
	if req.Name != "" && req.Name != r.PathValue("host") {
		noteOf(r).detail = "renamed to " + problem.Clip(req.Name) + " " + noteOf(r).detail
	}
	st, err := s.opts.HostAdmin.Update(r.Context(), r.PathValue("host"), hostadmin.Spec{Name: req.Name, URI: req.URI}, userOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) removeHost(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.HostAdmin.Remove(r.Context(), r.PathValue("host"), userOf(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
