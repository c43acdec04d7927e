package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// trustRequest is the body of POST /api/v1/hosts/{host}/trust.
type trustRequest struct {
	Fingerprint string `json:"fingerprint"`
}

// trustHost approves the SSH host key an untrusted host (or one whose key
// changed) presents. The exact fingerprint must be sent, so that an admin
// approves the key she checked, not whatever the host shows by then.
func (s *Server) trustHost(w http.ResponseWriter, r *http.Request) error {
	h, err := s.opts.Hosts.Get(r.PathValue("host"))
	if err != nil {
		return err
	}
	var req trustRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Fingerprint == "" {
		return problem.New(problem.Invalid, "missing_field", `the body needs "fingerprint": "SHA256:…"`,
			"GET /api/v1/hosts shows the host's key fingerprint")
	}
	noteOf(r).detail = "fingerprint " + problem.Clip(req.Fingerprint)
	key, err := h.Trust(req.Fingerprint)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"host": h.Name(), "hostKey": key})
	return nil
}
