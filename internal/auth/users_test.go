package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// cheapHash hashes pw as hash-password does.
func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func usersMgr(t *testing.T, now *time.Time, store string) (*Manager, map[string]string) {
	t.Helper()
	pw := map[string]string{"vera": "vera-password", "otto": "otto-password", "ada": "ada-password"}
	b, err := bcrypt.GenerateFromPassword([]byte(pw["otto"]), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{
		Token: tok, StorePath: store, Now: func() time.Time { return *now },
		Users: []User{
			{Name: "vera", PasswordHash: cheapHash(t, pw["vera"]), Role: Viewer},
			{Name: "otto", PasswordHash: string(b), Role: Operator},
			{Name: "ada", PasswordHash: cheapHash(t, pw["ada"]), Role: Admin},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, pw
}

func cookieReq(s *Session) *http.Request {
	r := httptest.NewRequest("GET", "/api/v1/session", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: s.ID})
	return r
}

func TestPasswordLoginGivesTheUsersRole(t *testing.T) {
	now := time.Now()
	m, pw := usersMgr(t, &now, "")
	for _, c := range []struct {
		user string
		role Role
	}{{"vera", Viewer}, {"otto", Operator}, {"ada", Admin}} {
		s, err := m.Login(Credentials{Username: c.user, Password: pw[c.user]}, "10.0.0."+c.user, "ua")
		if err != nil {
			t.Fatalf("%s: %v", c.user, err)
		}
		p, err := m.Authenticate(cookieReq(s), "c")
		if err != nil || p.User != c.user || p.Role != c.role {
			t.Fatalf("%s: principal %+v, %v", c.user, p, err)
		}
	}
	bad := []Credentials{
		{Username: "vera", Password: "wrong-password"},
		{Username: "nobody", Password: "vera-password"},
		{Username: "vera", Password: ""},
		{Username: "vera", Password: "vera-password", Token: tok}, // mixed: refused, not a token login
		{Username: TokenUser, Password: tok},
	}
	for _, c := range bad {
		if _, err := m.Login(c, "bad-"+c.Username+c.Password, ""); code(err) != "invalid_credentials" {
			t.Errorf("%+v: got %v, want invalid_credentials", c, err)
		}
	}
	s, err := m.Login(Credentials{Token: tok}, "t", "")
	if err != nil || s.User != TokenUser || s.Role != Admin {
		t.Fatalf("token login: %+v %v", s, err)
	}
}

func TestRolePermissions(t *testing.T) {
	if got := strings.Join(Viewer.Permissions(), ","); got != "vm.read" {
		t.Errorf("viewer: %s", got)
	}
	op := strings.Join(Operator.Permissions(), ",")
	if !strings.Contains(op, "vm.power") || strings.Contains(op, "vm.delete") {
		t.Errorf("operator: %s", op)
	}
	if len(Admin.Permissions()) != len(permissions) {
		t.Errorf("admin lacks permissions: %v", Admin.Permissions())
	}
	for _, n := range []string{"viewer", "operator", "admin"} {
		r, err := ParseRole(n)
		if err != nil || r.String() != n {
			t.Errorf("%s: %v %v", n, r, err)
		}
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("role root accepted")
	}
	if err := RoleError(Viewer, Operator); code(err) != "forbidden_role" || !strings.Contains(err.Error(), "operator") {
		t.Errorf("role error: %v", err)
	}
}

func TestLoginThrottledPerClient(t *testing.T) {
	now := time.Now()
	m, pw := usersMgr(t, &now, "")
	wrong := Credentials{Username: "vera", Password: "nope-nope"}
	for i := 0; i < freeAttempts; i++ {
		if _, err := m.Login(wrong, "1.2.3.4", ""); code(err) != "invalid_credentials" {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// The free attempts are used up: the client is locked out, and even
	// the right password waits.
	_, err := m.Login(Credentials{Username: "vera", Password: pw["vera"]}, "1.2.3.4", "")
	var th *Throttled
	if !errors.As(err, &th) || code(err) != "too_many_attempts" || th.RetryAfter <= 0 || th.RetryAfter > baseLockout {
		t.Fatalf("locked client: %v", err)
	}
	if !strings.Contains(err.Error(), "seconds") {
		t.Errorf("message does not say how long to wait: %v", err)
	}
	// Another client is not affected.
	if _, err := m.Login(Credentials{Username: "vera", Password: pw["vera"]}, "5.6.7.8", ""); err != nil {
		t.Fatalf("other client: %v", err)
	}
	// After the lockout the client may try once again; the next failure
	// doubles the lockout.
	now = now.Add(baseLockout + time.Second)
	if _, err := m.Login(wrong, "1.2.3.4", ""); code(err) != "invalid_credentials" {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, err := m.Login(wrong, "1.2.3.4", ""); !errors.As(err, &th) || th.RetryAfter <= baseLockout || th.RetryAfter > 2*baseLockout {
		t.Fatalf("second lockout not twice as long: %v", err)
	}
	// A success forgives this name at this address.
	now = now.Add(maxLockout)
	if _, err := m.Login(Credentials{Username: "vera", Password: pw["vera"]}, "1.2.3.4", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Login(wrong, "1.2.3.4", ""); code(err) != "invalid_credentials" {
		t.Fatalf("after success: %v", err)
	}
}

func TestLimiterStaysBounded(t *testing.T) {
	l := newLimiter()
	now := time.Now()
	// One locked-out client, then a flood of others failing once each.
	for i := 0; i < freeAttempts; i++ {
		a, _ := l.begin("ada", "10.9.9.9", now)
		a.done(false, now)
	}
	for i := 0; i < maxRecords+500; i++ {
		a, d := l.begin("x", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now.Add(time.Duration(i)))
		if d > 0 {
			t.Fatalf("client %d waits %v", i, d)
		}
		a.done(false, now.Add(time.Duration(i)))
	}
	if len(l.user.recs) > maxRecords || len(l.addr.recs) > maxRecords {
		t.Fatalf("%d+%d records kept", len(l.user.recs), len(l.addr.recs))
	}
	if _, d := l.begin("ada", "10.9.9.9", now.Add(time.Second)); d == 0 {
		t.Fatal("the flood evicted a lockout")
	}
}

func TestSessionsListAndRevoke(t *testing.T) {
	now := time.Now()
	m, pw := usersMgr(t, &now, "")
	login := func(u string) (*Session, Principal) {
		s, err := m.Login(Credentials{Username: u, Password: pw[u]}, "127.0.0.1", "test agent")
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Authenticate(cookieReq(s), "c")
		if err != nil {
			t.Fatal(err)
		}
		return s, p
	}
	vs, vera := login("vera")
	now = now.Add(time.Second)
	os, otto := login("otto")
	now = now.Add(time.Second)
	_, ada := login("ada")

	if l := m.Sessions(vera); len(l) != 1 || l[0].User != "vera" || !l[0].Current || l[0].Client != "127.0.0.1" {
		t.Fatalf("vera sees %+v", l)
	}
	all := m.Sessions(ada)
	if len(all) != 3 || all[0].User != "ada" {
		t.Fatalf("admin sees %+v", all)
	}
	if strings.Contains(all[1].ID, os.ID) || len(all[1].ID) != 16 {
		t.Fatalf("public id %q", all[1].ID)
	}
	// A viewer cannot end the operator's session; the admin can.
	if _, err := m.Revoke(vera, otto.Session.PublicID()); code(err) != "forbidden_role" {
		t.Fatalf("viewer revoked another user's session: %v", err)
	}
	ctx, cancel := otto.Bind(context.Background())
	defer cancel()
	if _, err := m.Revoke(ada, otto.Session.PublicID()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("a revoked session's request context did not end")
	}
	if _, err := m.Authenticate(cookieReq(os), "c"); code(err) != "unauthenticated" {
		t.Fatalf("revoked session still works: %v", err)
	}
	if _, err := m.Revoke(ada, otto.Session.PublicID()); code(err) != "no_such_session" {
		t.Fatalf("second revoke: %v", err)
	}
	// Anyone may end their own sessions.
	if _, err := m.Revoke(vera, vera.Session.PublicID()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Authenticate(cookieReq(vs), "c"); err == nil {
		t.Fatal("self-revoked session still works")
	}
}

func TestSessionContextEndsAtItsLifetime(t *testing.T) {
	m, err := New(Options{Token: tok, SessionTTL: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Login(Credentials{Token: tok}, "c", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Authenticate(cookieReq(s), "c")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := p.Bind(context.Background())
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a console outlived its session")
	}
}

func TestStoredSessionsEndWithTheirCredential(t *testing.T) {
	now := time.Now()
	store := t.TempDir() + "/sessions.json"
	m1, pw := usersMgr(t, &now, store)
	s, err := m1.Login(Credentials{Username: "vera", Password: pw["vera"]}, "c", "")
	if err != nil {
		t.Fatal(err)
	}
	same := m1.opts
	m2, err := New(same)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := m2.Authenticate(cookieReq(s), "c"); err != nil || p.Role != Viewer {
		t.Fatalf("after restart: %+v %v", p, err)
	}
	// vera gets a new password (and a new role): her old session ends.
	changed := same
	changed.Users = append([]User(nil), same.Users...)
	changed.Users[0] = User{Name: "vera", PasswordHash: cheapHash(t, "new-password"), Role: Admin}
	m3, err := New(changed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m3.Authenticate(cookieReq(s), "c"); code(err) != "unauthenticated" {
		t.Fatalf("session survived a password change: %v", err)
	}
	// vera removed from the config: same.
	removed := same
	removed.Users = same.Users[1:]
	m4, err := New(removed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m4.Authenticate(cookieReq(s), "c"); code(err) != "unauthenticated" {
		t.Fatalf("session survived the user's removal: %v", err)
	}
}

func TestConfiguredUsersAreChecked(t *testing.T) {
	good := cheapHash(t, "password1")
	cases := []struct {
		name  string
		users []User
		want  string
	}{
		{"bad name", []User{{Name: "Bob Smith", PasswordHash: good, Role: Viewer}}, "user name"},
		{"reserved", []User{{Name: "token", PasswordHash: good, Role: Viewer}}, "reserved"},
		{"twice", []User{{Name: "a", PasswordHash: good, Role: Viewer}, {Name: "a", PasswordHash: good, Role: Admin}}, "twice"},
		{"plain password", []User{{Name: "a", PasswordHash: "hunter2", Role: Viewer}}, "hash-password"},
		{"no role", []User{{Name: "a", PasswordHash: good}}, "role"},
		{"huge memory", []User{{Name: "a", PasswordHash: strings.Replace(good, "m=65536", "m=99999999", 1), Role: Viewer}}, "out of range"},
	}
	for _, c := range cases {
		_, err := New(Options{Token: tok, Users: c.users})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", c.name, err, c.want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q", h)
	}
	if !VerifyPassword(h, "correct horse") || VerifyPassword(h, "correct horsE") {
		t.Fatal("verification wrong")
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("a 5-character password was hashed")
	}
}

// FuzzCheckHash feeds arbitrary strings to the hash parser: it must never
// panic, and whatever it accepts must be verifiable without panicking.
func FuzzCheckHash(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=0,t=0,p=0$$", "$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "$2b$10$abc", "",
		"$argon2id$v=19$m=8,t=1,p=256$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$x=1$a$b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if CheckHash(h) != nil {
			if VerifyPassword(h, "x") {
				t.Fatal("an invalid hash verified a password")
			}
			return
		}
		if a, err := parseArgon(h); err == nil && a.memory > 1024 {
			return // valid but too slow to run per fuzz input
		}
		VerifyPassword(h, "password")
	})
}

// FuzzValidUserName checks that accepted names are only what the rule
// says, whatever the input.
func FuzzValidUserName(f *testing.F) {
	for _, s := range []string{"alice", "a.b-c_d", "token", "", "-x", "Ünïcode", strings.Repeat("a", 65), "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidUserName(name) != nil {
			return
		}
		if name == TokenUser || len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		}) {
			t.Fatalf("accepted %q", name)
		}
	})
}
