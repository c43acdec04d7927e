//go:build integration

package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/certs"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// secUser is one configured user with a logged-in browser-like client.
type secUser struct {
	name, role, password string
	client               *http.Client
	csrf                 string
}

// usersConfig writes a config file with users and returns its path.
func usersConfig(t *testing.T, users []auth.User) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"users": users})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secServer starts a server of its own with three users (vera viewer,
// otto operator, ada admin) from a config file, and logs each in.
func secServer(t *testing.T, extra ...string) (*testrig.Server, map[string]*secUser) {
	t.Helper()
	users := map[string]*secUser{
		"vera": {name: "vera", role: "viewer", password: "vera-secret-1"},
		"otto": {name: "otto", role: "operator", password: "otto-secret-1"},
		"ada":  {name: "ada", role: "admin", password: "ada-secret-1"},
	}
	var us []auth.User
	for _, u := range users {
		h, err := auth.HashPassword(u.password)
		if err != nil {
			t.Fatal(err)
		}
		role, err := auth.ParseRole(u.role)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, auth.User{Name: u.name, PasswordHash: h, Role: role})
	}
	path := usersConfig(t, us)
	s, err := testrig.Start(serverBin, append([]string{"--config", path, "--stats-interval", "1s"}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("security server log:\n%s", s.LogTail(40))
		}
		_, _ = s.Stop()
		s.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		u.client = secClient(t, s)
		st, body := secLogin(u.client, s.URL, map[string]string{"username": u.name, "password": u.password})
		if st != 200 {
			t.Fatalf("login %s: %d %s", u.name, st, body)
		}
		var sess struct {
			User, Role, CSRFToken string
			Permissions           []string
		}
		if err := json.Unmarshal(body, &sess); err != nil || sess.User != u.name || sess.Role != u.role || sess.CSRFToken == "" {
			t.Fatalf("login %s answered %s", u.name, body)
		}
		u.csrf = sess.CSRFToken
	}
	return s, users
}

func secClient(t *testing.T, s *testrig.Server) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: s.Client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func secLogin(c *http.Client, base string, body any) (int, []byte) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+"/api/v1/login", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// do sends a request as u, like the web UI does: same-origin Origin and
// the session's CSRF token.
func (u *secUser) do(t *testing.T, base, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", base)
	req.Header.Set(auth.CSRFHeader, u.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, u.name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func errCode(body []byte) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

// authRefusals are the codes with which the authentication and
// authorisation layer refuses; anything else means a request got past it.
var authRefusals = map[string]bool{
	"unauthenticated": true, "invalid_token": true, "forbidden_role": true, "csrf_failed": true, "origin_mismatch": true,
}

// roleRank orders the roles; "metrics" (GET /metrics) is open to admins
// and the metrics role only, which the walk checks with the metrics token.
var roleRank = map[string]int{"public": 0, "viewer": 1, "operator": 2, "admin": 3, "metrics": 3}

type walkRoute struct{ method, path, role string }

// openAPIRoutes reads every operation and its x-role from api/openapi.yaml.
func openAPIRoutes(t *testing.T) []walkRoute {
	data, err := os.ReadFile(filepath.Join(testrig.ModuleRoot(), "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []walkRoute
	for p, ops := range doc.Paths {
		for m, op := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch":
			default:
				continue // path-level parameters and the like
			}
			role, _ := op.(map[string]any)["x-role"].(string)
			if _, ok := roleRank[role]; !ok {
				t.Fatalf("%s %s has no valid x-role (%q)", m, p, role)
			}
			out = append(out, walkRoute{strings.ToUpper(m), p, role})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// TestSecurityRouteWalk sends every route of api/openapi.yaml without
// credentials, as each role, with a wrong CSRF token and from a foreign
// Origin, and checks each is refused exactly when it should be. The VM,
// snapshot, operation and session it names do not exist, so nothing a
// request that gets through could do changes anything; libvirt's VM list
// is compared before and after to prove it.
func TestSecurityRouteWalk(t *testing.T) {
	metricsToken := "metrics-" + randHex(16)
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken), 0o600); err != nil {
		t.Fatal(err)
	}
	s, users := secServer(t, "--metrics-token-file", tokenFile)
	routes := openAPIRoutes(t)
	if len(routes) < 30 {
		t.Fatalf("only %d routes in api/openapi.yaml", len(routes))
	}
	// A VM of the test's own shows that nothing the walk let through
	// changed libvirt; the host's other VMs belong to other programs, which
	// may add and remove theirs meanwhile.
	own := newGuest(t, lv(t), "")
	const ghost = "00000000-0000-4000-8000-00000000beef"
	fill := strings.NewReplacer("{host}", "local", "{uuid}", ghost, "{action}", "start", "{name}", "no-such-snapshot", "{id}", "0123456789abcdef",
		"{index}", "1", "{pool}", "kmtest-no-such-pool", "{vol}", "no-such-volume", "{net}", "kmtest-no-such-net", "{target}", "hdz", "{mac}", "52:54:00:00:be:ef")

	type caller struct {
		name    string
		rank    int
		prepare func(*http.Request)
		client  *http.Client
	}
	anon := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := func(u *secUser, csrf, origin string) caller {
		return caller{u.name, roleRank[u.role], func(r *http.Request) {
			r.Header.Set(auth.CSRFHeader, csrf)
			r.Header.Set("Origin", origin)
		}, u.client}
	}
	send := func(c caller, rt walkRoute) (int, string, http.Header) {
		path := fill.Replace(rt.path)
		var body io.Reader
		if rt.method != "GET" && rt.method != "DELETE" {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(rt.method, s.URL+path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if strings.HasSuffix(rt.path, "/ws") {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		}
		if c.prepare != nil {
			c.prepare(req)
		}
		t0 := time.Now()
		res, err := c.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s as %s: %v", rt.method, path, c.name, err)
		}
		if d := time.Since(t0); d > time.Second {
			t.Logf("slow: %s %s as %s took %v", rt.method, path, c.name, d)
		}
		defer res.Body.Close()
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			return res.StatusCode, "", res.Header // a stream that never ends: it got through
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, errCode(b), res.Header
	}
	checked := 0
	for _, rt := range routes {
		if rt.path == "/api/v1/logout" {
			continue // walked separately below: it would end the sessions the walk uses
		}
		write := rt.method != "GET"
		isWS := strings.HasSuffix(rt.path, "/ws")

		// No credentials.
		st, code, h := send(caller{name: "anonymous", client: anon}, rt)
		if rt.role == "public" {
			if authRefusals[code] {
				t.Errorf("%s %s (public) refused an anonymous caller: %d %s", rt.method, rt.path, st, code)
			}
		} else if st != 401 || code != "unauthenticated" {
			t.Errorf("%s %s without credentials: %d %s, want 401 unauthenticated", rt.method, rt.path, st, code)
		}
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s answers CORS: %s", rt.method, rt.path, h.Get("Access-Control-Allow-Origin"))
		}
		if rt.role == "public" {
			continue
		}
		// Each role, behaving like the web UI.
		for _, u := range []*secUser{users["vera"], users["otto"], users["ada"]} {
			st, code, _ := send(cookie(u, u.csrf, s.URL), rt)
			switch {
			case roleRank[u.role] < roleRank[rt.role]:
				if st != 403 || code != "forbidden_role" {
					t.Errorf("%s %s as %s (%s): %d %s, want 403 forbidden_role", rt.method, rt.path, u.name, u.role, st, code)
				}
			case authRefusals[code]:
				t.Errorf("%s %s as %s (%s) was refused: %d %s", rt.method, rt.path, u.name, u.role, st, code)
			}
			checked++
		}
		// The API token is an admin credential.
		st, code, _ = send(caller{name: "token", rank: 3, client: anon, prepare: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+s.Token)
		}}, rt)
		if authRefusals[code] {
			t.Errorf("%s %s with the API token was refused: %d %s", rt.method, rt.path, st, code)
		}
		// The metrics token reads the metrics and nothing else.
		st, code, _ = send(caller{name: "metrics token", client: anon, prepare: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+metricsToken)
		}}, rt)
		if rt.role == "metrics" && authRefusals[code] {
			t.Errorf("%s %s with the metrics token was refused: %d %s", rt.method, rt.path, st, code)
		}
		if rt.role != "metrics" && (st != 403 || code != "forbidden_role") {
			t.Errorf("%s %s with the metrics token: %d %s, want 403 forbidden_role", rt.method, rt.path, st, code)
		}
		ada := users["ada"]
		if write {
			// A forged request riding the admin's cookie: no or wrong CSRF token.
			for _, bad := range []string{"", "wrong-" + ada.csrf} {
				st, code, _ := send(cookie(ada, bad, s.URL), rt)
				if st != 403 || code != "csrf_failed" {
					t.Errorf("%s %s with CSRF token %q: %d %s, want 403 csrf_failed", rt.method, rt.path, bad, st, code)
				}
			}
		}
		if write || isWS {
			// From another site, even with the right CSRF token.
			st, code, _ := send(cookie(ada, ada.csrf, "http://evil.example"), rt)
			if st != 403 || code != "origin_mismatch" {
				t.Errorf("%s %s from a foreign Origin: %d %s, want 403 origin_mismatch", rt.method, rt.path, st, code)
			}
		}
	}
	if checked < 90 {
		t.Fatalf("only %d role checks ran", checked)
	}
	// Logout: refused without credentials or CSRF; works for a viewer.
	lo := walkRoute{"POST", "/api/v1/logout", "viewer"}
	if st, code, _ := send(caller{name: "anonymous", client: anon}, lo); st != 401 || code != "unauthenticated" {
		t.Errorf("logout without credentials: %d %s", st, code)
	}
	vera := users["vera"]
	if st, code, _ := send(cookie(vera, "wrong", s.URL), lo); st != 403 || code != "csrf_failed" {
		t.Errorf("logout without CSRF (a forced logout): %d %s", st, code)
	}
	if st, _, _ := send(cookie(vera, vera.csrf, s.URL), lo); st != 204 {
		t.Errorf("viewer logout: %d", st)
	}
	if st, _ := vera.do(t, s.URL, "GET", "/api/v1/vms", nil); st != 401 {
		t.Errorf("after logout the session still reads VMs: %d", st)
	}
	// The test's own VM is still there, and the ghost the walk named was
	// not created.
	if st, err := execVirsh("domstate", own.UUID); err != nil || st != "shut off" {
		t.Errorf("the test's own VM %s after the walk: %q, %v; want it defined and shut off", own.Name, st, err)
	}
	if after := virsh(t, "list", "--all", "--uuid"); strings.Contains(after, ghost) {
		t.Error("the walk created a VM")
	}
}

// TestSecurityHeaders checks the headers every answer carries, and the
// CSP the web UI page is served with.
func TestSecurityHeaders(t *testing.T) {
	for _, p := range []string{"/", "/login", "/api/v1/vms", "/healthz", "/vms/local/x"} {
		res, err := http.Get(baseURL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, h)
		}
		if strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "object-src 'none'", "default-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %q", p, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
				t.Errorf("%s: CSP allows eval or inline scripts: %q", p, csp)
			}
		}
	}
}

type auditEntry struct {
	User, Role, Client, Action, Host, UUID, VM, Result, Operation, Detail string
	DurationMs                                                            int64
	Error                                                                 *struct{ Code, Message string }
}

func secAudit(t *testing.T, s *testrig.Server, u *secUser, query string) []auditEntry {
	t.Helper()
	st, body := u.do(t, s.URL, "GET", "/api/v1/audit?"+query, nil)
	if st != 200 {
		t.Fatalf("audit as %s: %d %s", u.name, st, body)
	}
	var r struct{ Entries []auditEntry }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r.Entries
}

func findAudit(es []auditEntry, match func(auditEntry) bool) *auditEntry {
	for i := range es {
		if match(es[i]) {
			return &es[i]
		}
	}
	return nil
}

// TestSecurityRolesAndAudit drives a real guest: the viewer is refused,
// the operator starts it and uses its serial console, and the admin finds
// each of these in the audit log with who, from where, and how it ended;
// the audit file holds the same as JSON lines.
func TestSecurityRolesAndAudit(t *testing.T) {
	s, users := secServer(t)
	l := lv(t)
	g := newGuest(t, l, "")
	vera, otto, ada := users["vera"], users["otto"], users["ada"]
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	waitFor(t, 15*time.Second, "the security server to list the guest", func() bool {
		st, _ := vera.do(t, s.URL, "GET", vmPath, nil)
		return st == 200
	})

	if st, body := vera.do(t, s.URL, "POST", vmPath+"/start", nil); st != 403 || errCode(body) != "forbidden_role" || !strings.Contains(string(body), "operator") {
		t.Fatalf("viewer start: %d %s", st, body)
	}
	if state := virsh(t, "domstate", g.Name); state != "shut off" {
		t.Fatalf("after the viewer's refused start libvirt says %q", state)
	}
	bootAndWait(t, g, func() {
		if st, body := otto.do(t, s.URL, "POST", vmPath+"/start", nil); st != 200 && st != 202 {
			t.Fatalf("operator start: %d %s", st, body)
		}
	})
	// The operator may not delete VMs.
	if st, body := otto.do(t, s.URL, "DELETE", vmPath, map[string]any{"force": true}); st != 403 || errCode(body) != "forbidden_role" {
		t.Fatalf("operator delete: %d %s", st, body)
	}

	// A serial console session as the operator, open for a moment.
	st, body := otto.do(t, s.URL, "POST", vmPath+"/serial", nil)
	if st != 200 {
		t.Fatalf("serial ticket: %d %s", st, body)
	}
	var tk struct{ URL string }
	_ = json.Unmarshal(body, &tk)
	h := http.Header{"Origin": {s.URL}}
	for _, c := range otto.client.Jar.Cookies(mustURL(s.URL)) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+tk.URL, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("serial console as operator: %v", err)
	}
	time.Sleep(700 * time.Millisecond)
	_ = ws.Close(websocket.StatusNormalClosure, "done")

	if st, _ := secLogin(secClient(t, s), s.URL, map[string]string{"username": "otto", "password": "not-his"}); st != 401 {
		t.Fatalf("wrong password: %d", st)
	}
	if st, body := otto.do(t, s.URL, "GET", "/api/v1/audit", nil); st != 403 || errCode(body) != "forbidden_role" {
		t.Fatalf("operator reads the audit log: %d %s", st, body)
	}

	var es []auditEntry
	waitFor(t, 20*time.Second, "the audit log to show the start, the console and the failed login", func() bool {
		es = secAudit(t, s, ada, "limit=200")
		return findAudit(es, func(e auditEntry) bool { return e.Action == "serial.open" && e.User == "otto" }) != nil &&
			findAudit(es, func(e auditEntry) bool { return e.Action == "vm.start" && e.User == "otto" }) != nil
	})
	start := findAudit(es, func(e auditEntry) bool { return e.Action == "vm.start" && e.User == "otto" })
	if start.Result != "ok" || start.Role != "operator" || start.UUID != g.UUID || start.VM != g.Name || start.Client != "127.0.0.1" {
		t.Errorf("vm.start entry: %+v", *start)
	}
	denied := findAudit(es, func(e auditEntry) bool { return e.Action == "vm.start" && e.User == "vera" })
	if denied == nil || denied.Result != "denied" || denied.Error == nil || denied.Error.Code != "forbidden_role" {
		t.Errorf("the viewer's refused start is not in the log as denied: %+v", denied)
	}
	del := findAudit(es, func(e auditEntry) bool { return e.Action == "vm.delete" && e.User == "otto" })
	if del == nil || del.Result != "denied" {
		t.Errorf("the operator's refused delete: %+v", del)
	}
	con := findAudit(es, func(e auditEntry) bool { return e.Action == "serial.open" && e.User == "otto" })
	if con.Result != "ok" || con.DurationMs < 500 || con.VM != g.Name {
		t.Errorf("serial console entry: %+v (want ok, ≥ 500 ms open)", *con)
	}
	bad := findAudit(es, func(e auditEntry) bool { return e.Action == "login" && e.User == "otto" && e.Result == "error" })
	if bad == nil || bad.Error.Code != "invalid_credentials" {
		t.Errorf("the failed login is not in the log: %+v", bad)
	}
	if ok := findAudit(es, func(e auditEntry) bool { return e.Action == "login" && e.User == "ada" && e.Result == "ok" }); ok == nil {
		t.Error("ada's login is not in the log")
	}
	// Filters.
	for _, e := range secAudit(t, s, ada, "user=vera") {
		if e.User != "vera" {
			t.Errorf("user filter returned %+v", e)
		}
	}
	if f := secAudit(t, s, ada, "action=vm&vm="+g.UUID); len(f) < 3 {
		t.Errorf("action+vm filter: %+v", f)
	}
	// The file itself: JSON lines, private, no secrets.
	raw, err := os.ReadFile(filepath.Join(s.DataDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"otto-secret-1", "not-his", s.Token, otto.csrf} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the audit log contains a secret (%q…)", secret[:4])
		}
	}
	if st, _ := os.Stat(filepath.Join(s.DataDir(), "audit.log")); st.Mode().Perm() != 0o600 {
		t.Errorf("audit.log mode %v", st.Mode())
	}
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	lines := 0
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Errorf("audit line %d is not JSON: %s", lines+1, sc.Text())
		}
		lines++
	}
	if lines < 6 {
		t.Errorf("only %d lines in the audit file", lines)
	}
	_, _, _ = srv.Do(context.Background(), "POST", vmPath+"/force-off", nil)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestSecuritySessionsAndThrottling: an admin sees and revokes another
// user's session, which closes that user's open event stream at once;
// repeated failed logins are throttled per client.
func TestSecuritySessionsAndThrottling(t *testing.T) {
	s, users := secServer(t)
	otto, ada, vera := users["otto"], users["ada"], users["vera"]

	// otto has the web UI open: an event stream.
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/events", nil)
	res, err := otto.client.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events as otto: %v %v", err, res)
	}
	streamEnded := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, res.Body); close(streamEnded) }()

	var list struct {
		Sessions []struct {
			ID, User, Client string
			Current          bool
		}
	}
	st, body := vera.do(t, s.URL, "GET", "/api/v1/sessions", nil)
	_ = json.Unmarshal(body, &list)
	if st != 200 || len(list.Sessions) != 1 || list.Sessions[0].User != "vera" || !list.Sessions[0].Current {
		t.Fatalf("vera's sessions: %d %s", st, body)
	}
	_, body = ada.do(t, s.URL, "GET", "/api/v1/sessions", nil)
	list.Sessions = nil
	_ = json.Unmarshal(body, &list)
	var ottoID string
	for _, x := range list.Sessions {
		if x.User == "otto" {
			ottoID = x.ID
		}
	}
	if len(list.Sessions) != 3 || ottoID == "" {
		t.Fatalf("the admin's session list: %s", body)
	}
	if st, body := vera.do(t, s.URL, "DELETE", "/api/v1/sessions/"+ottoID, nil); st != 403 || errCode(body) != "forbidden_role" {
		t.Fatalf("a viewer revoked another user's session: %d %s", st, body)
	}
	revoked := time.Now()
	if st, body := ada.do(t, s.URL, "DELETE", "/api/v1/sessions/"+ottoID, nil); st != 204 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	select {
	case <-streamEnded:
		t.Logf("otto's event stream closed %v after the revocation", time.Since(revoked).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("a revoked session's event stream stayed open")
	}
	if st, body := otto.do(t, s.URL, "GET", "/api/v1/vms", nil); st != 401 || errCode(body) != "unauthenticated" {
		t.Fatalf("revoked session: %d %s", st, body)
	}
	es := secAudit(t, s, ada, "action=session.revoke")
	if len(es) != 2 || es[0].User != "ada" || es[0].Result != "ok" || !strings.Contains(es[0].Detail, "otto") ||
		es[1].User != "vera" || es[1].Result != "denied" {
		t.Fatalf("revocation audit (ada's, and vera's refused attempt): %+v", es)
	}

	// Throttling: five failures are free, the fifth locks the client out,
	// and then even the right password waits.
	c := secClient(t, s)
	for i := 0; i < 5; i++ {
		if st, _ := secLogin(c, s.URL, map[string]string{"username": "otto", "password": fmt.Sprint("guess-", i)}); st != 401 {
			t.Fatalf("failure %d: %d", i+1, st)
		}
	}
	b, _ := json.Marshal(map[string]string{"username": "otto", "password": otto.password})
	req, _ = http.NewRequest("POST", s.URL+"/api/v1/login", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 429 || errCode(body) != "too_many_attempts" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("throttled login: %d %s Retry-After=%q", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	if !regexp.MustCompile(`wait \d+ seconds`).Match(body) {
		t.Errorf("the message does not say how long to wait: %s", body)
	}
}

// TestSecurityTLS serves HTTPS with a generated self-signed certificate:
// a client trusting exactly that certificate gets in, the session cookie
// is Secure, plain HTTP is not served, and a restart keeps the certificate.
// Listening beyond loopback without TLS is refused.
func TestSecurityTLS(t *testing.T) {
	s, err := testrig.Start(serverBin, []string{"--tls-self-signed"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("serving on %s", s.URL)
	}
	certPEM := filepath.Join(s.DataDir(), "tls", "cert.pem")
	c, err := tls.LoadX509KeyPair(certPEM, filepath.Join(s.DataDir(), "tls", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Log(), certs.Fingerprint(c)) {
		t.Errorf("the log does not show the certificate's fingerprint %s", certs.Fingerprint(c))
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	s.Client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if st, body, err := s.Do(context.Background(), "GET", "/api/v1/hosts", nil); err != nil || st != 200 {
		t.Fatalf("HTTPS with the token: %d %s %v", st, body, err)
	}
	cl := secClient(t, s)
	b, _ := json.Marshal(map[string]string{"token": s.Token})
	res, err := cl.Post(s.URL+"/api/v1/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var secure bool
	for _, ck := range res.Cookies() {
		if ck.Name == auth.CookieName {
			secure = ck.Secure && ck.HttpOnly && ck.SameSite == http.SameSiteStrictMode
		}
	}
	if !secure {
		t.Errorf("the session cookie under TLS is not Secure+HttpOnly+Strict: %v", res.Header["Set-Cookie"])
	}
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS with a self-signed certificate would lock browsers out")
	}
	plain := "http://" + strings.TrimPrefix(s.URL, "https://")
	if res, err := http.Get(plain + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP is served on the TLS port")
		}
	}
	// An untrusting client is refused by TLS itself.
	if _, err := http.Get(s.URL + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the certificate: %v", err)
	}
	_, _ = s.Stop()

	// Beyond loopback without TLS: refused before listening.
	out, err := exec.Command(serverBin, "--listen", "0.0.0.0:0", "--data-dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "TLS is not configured") {
		t.Fatalf("non-loopback plain HTTP: err=%v out=%s", err, out)
	}
}

// TestSecurityHashPassword runs the helper as an admin would.
func TestSecurityHashPassword(t *testing.T) {
	cmd := exec.Command(serverBin, "hash-password")
	cmd.Stdin = strings.NewReader("a-good-password\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(string(out))
	if !auth.VerifyPassword(h, "a-good-password") || auth.VerifyPassword(h, "a-good-passwore") {
		t.Fatalf("hash %q does not verify", h)
	}
	cmd = exec.Command(serverBin, "hash-password")
	cmd.Stdin = strings.NewReader("short\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "too short") {
		t.Fatalf("short password: %v %s", err, out)
	}
}
