package auth

import (
	"net/http/httptest"
	"testing"
)

// The metrics role reads the metrics and nothing else; only admins share
// it; no other role is widened by it.
func TestMetricsRoleAllows(t *testing.T) {
	for _, c := range []struct {
		have, need Role
		ok         bool
	}{
		{Metrics, Metrics, true}, {Admin, Metrics, true}, {Operator, Metrics, false}, {Viewer, Metrics, false},
		{Metrics, Viewer, false}, {Metrics, Operator, false}, {Metrics, Admin, false},
		{Viewer, Viewer, true}, {Operator, Viewer, true}, {Viewer, Operator, false}, {Admin, Admin, true},
		{0, Viewer, false}, {0, Metrics, false},
	} {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%s allows %s: %v, want %v", c.have, c.need, got, c.ok)
		}
	}
	if r, err := ParseRole("metrics"); err != nil || r != Metrics || r.String() != "metrics" {
		t.Errorf("ParseRole(metrics) = %v, %v", r, err)
	}
}

// The metrics token authenticates as role Metrics; the API token stays
// admin; a wrong one is refused; a short one or the API token itself is
// refused at start.
func TestMetricsToken(t *testing.T) {
	const tok, mtok = "api-token-0123456789", "metrics-token-0123456789"
	m, err := New(Options{Token: tok, MetricsToken: mtok})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bearer string
		role   Role
		user   string
	}{{tok, Admin, TokenUser}, {mtok, Metrics, MetricsTokenUser}, {"wrong-token-0123456789", 0, ""}} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.Header.Set("Authorization", "Bearer "+c.bearer)
		p, err := m.Authenticate(r, "127.0.0.1")
		if p.Role != c.role || p.User != c.user || (c.role == 0) != (err != nil) {
			t.Errorf("bearer %q: %+v, %v", c.bearer, p, err)
		}
	}
	if _, err := New(Options{Token: tok, MetricsToken: "short"}); err == nil {
		t.Error("a short metrics token was accepted")
	}
	if _, err := New(Options{Token: tok, MetricsToken: tok}); err == nil {
		t.Error("the API token was accepted as the metrics token")
	}
}
