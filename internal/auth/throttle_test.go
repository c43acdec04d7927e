package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argonTest hashes pw with argon2id and the given parameters (cheap ones
// keep these tests fast under -race).
func argonTest(pw string, m, t uint32, p uint8) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, t, m, p, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, enc.EncodeToString(salt), enc.EncodeToString(key))
}

func bcryptTest(t testing.TB, pw string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// cheapMgr has two users with cheap hashes: vera (viewer) and ada (admin),
// whose passwords are their names with "-password".
func cheapMgr(t *testing.T, now *time.Time, opts Options) *Manager {
	t.Helper()
	opts.Token = tok
	opts.Now = func() time.Time { return *now }
	opts.Users = []User{
		{Name: "vera", PasswordHash: argonTest("vera-password", 8, 1, 1), Role: Viewer},
		{Name: "ada", PasswordHash: bcryptTest(t, "ada-password", bcrypt.MinCost), Role: Admin},
	}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func throttled(err error) bool {
	var th *Throttled
	return errors.As(err, &th) && th.RetryAfter > 0 && code(err) == "too_many_attempts"
}

// Forty wrong passwords at once: only the free attempts are checked.
func TestConcurrentGuessesReserveTheirAttempt(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{})
	var mu sync.Mutex
	checked, refused := 0, 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Login(Credentials{Username: "ada", Password: fmt.Sprint("guess-", i)}, "10.0.0.1", "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case code(err) == "invalid_credentials":
				checked++
			case throttled(err):
				refused++
			default:
				t.Errorf("guess %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if checked > freeAttempts || checked+refused != 40 {
		t.Fatalf("%d guesses checked, %d refused: want at most %d checked", checked, refused, freeAttempts)
	}
}

// A viewer's own logins do not reset the count of guesses at the admin's
// password from the same address.
func TestSuccessForgivesOnlyItsOwnName(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{})
	for i := range freeAttempts + 3 {
		_, err := m.Login(Credentials{Username: "ada", Password: fmt.Sprint("guess-", i)}, "10.0.0.1", "")
		if i < freeAttempts && code(err) != "invalid_credentials" || i >= freeAttempts && !throttled(err) {
			t.Fatalf("admin guess %d: %v", i+1, err)
		}
		if _, err := m.Login(Credentials{Username: "vera", Password: "vera-password"}, "10.0.0.1", ""); err != nil {
			t.Fatalf("viewer login %d: %v", i+1, err)
		}
	}
	// The admin from elsewhere is not locked out.
	if _, err := m.Login(Credentials{Username: "ada", Password: "ada-password"}, "10.0.0.2", ""); err != nil {
		t.Fatal(err)
	}
}

// Many user names from one address share the address's budget.
func TestAddressBudgetBoundsGuessesAcrossNames(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{})
	for i := range freeAddrAttempts {
		if _, err := m.Login(Credentials{Username: fmt.Sprint("name", i), Password: "x"}, "10.0.0.1", ""); code(err) != "invalid_credentials" {
			t.Fatalf("name %d: %v", i, err)
		}
	}
	if _, err := m.Login(Credentials{Username: "vera", Password: "vera-password"}, "10.0.0.1", ""); !throttled(err) {
		t.Fatalf("after %d failures over many names: %v", freeAddrAttempts, err)
	}
	// IPv6 clients count by their /64.
	for i := range freeAddrAttempts {
		_, _ = m.Login(Credentials{Username: fmt.Sprint("name", i), Password: "x"}, fmt.Sprintf("2001:db8::%x", i+1), "")
	}
	if _, err := m.Login(Credentials{Username: "vera", Password: "x"}, "2001:db8::ffff", ""); !throttled(err) {
		t.Fatalf("a /64 rotating its addresses: %v", err)
	}
	if _, err := m.Login(Credentials{Username: "vera", Password: "vera-password"}, "2001:db8:1::1", ""); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest("GET", "/api/v1/vms", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// Wrong bearer tokens are throttled per address like failed logins, and so
// are token logins; while locked out, even the right token is refused.
func TestWrongTokensThrottled(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{})
	for i := range freeAttempts {
		if _, err := m.Authenticate(bearer(fmt.Sprint("wrong-token-", i)), "10.0.0.1"); code(err) != "invalid_token" {
			t.Fatalf("wrong token %d: %v", i, err)
		}
	}
	_, err := m.Authenticate(bearer("wrong-token-x"), "10.0.0.1")
	var th *Throttled
	if !throttled(err) || !errors.As(err, &th) || !th.Token || !strings.Contains(err.Error(), "token") {
		t.Fatalf("wrong token after the free attempts: %v", err)
	}
	if _, err := m.Authenticate(bearer(tok), "10.0.0.1"); !throttled(err) {
		t.Fatalf("the right token from a locked-out address: %v", err)
	}
	if _, err := m.Login(Credentials{Token: tok}, "10.0.0.1", ""); !throttled(err) {
		t.Fatalf("token login from a locked-out address: %v", err)
	}
	if _, err := m.Authenticate(bearer(tok), "10.0.0.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// After the lockout the right token works and forgives.
	now = now.Add(baseLockout + time.Second)
	if _, err := m.Authenticate(bearer(tok), "10.0.0.1"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, err := m.Authenticate(bearer("wrong-again"), "10.0.0.1"); code(err) != "invalid_token" {
		t.Fatalf("after a success: %v", err)
	}
}

// Valid tokens need no reservation: many at once all pass.
func TestValidTokensAreNotLimited(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{})
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Authenticate(bearer(tok), "10.0.0.1"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(m.limit.user.recs) + len(m.limit.addr.recs); n != 0 {
		t.Errorf("valid tokens made %d throttling records", n)
	}
}

// Unknown user names are checked against a hash as costly as the slowest
// configured one, made with the same algorithm and parameters.
func TestDummyHashIsTheSlowestKind(t *testing.T) {
	cases := []struct {
		name  string
		users []User
		want  string
	}{
		{"bcrypt slower", []User{
			{Name: "a", PasswordHash: argonTest("pw", 8, 1, 1), Role: Viewer},
			{Name: "b", PasswordHash: bcryptTest(t, "pw", 8), Role: Viewer},
		}, "bcrypt:8"},
		{"argon2id slower", []User{
			{Name: "a", PasswordHash: argonTest("pw", 16*1024, 1, 1), Role: Viewer},
			{Name: "b", PasswordHash: bcryptTest(t, "pw", bcrypt.MinCost), Role: Viewer},
		}, "argon2id:16384,1,1,32"},
		{"one kind", []User{{Name: "a", PasswordHash: bcryptTest(t, "pw", 6), Role: Viewer}}, "bcrypt:6"},
	}
	for _, c := range cases {
		m, err := New(Options{Token: tok, Users: c.users})
		if err != nil {
			t.Fatal(err)
		}
		if got := hashCost(m.dummyHash); got != c.want {
			t.Errorf("%s: dummy hash costs %q, want %q", c.name, got, c.want)
		}
		if VerifyPassword(m.dummyHash, "pw") {
			t.Errorf("%s: the dummy hash matches a configured password", c.name)
		}
	}
}

func sessionOf(t *testing.T, m *Manager, s *Session) error {
	t.Helper()
	_, err := m.Authenticate(cookieReq(s), "10.0.0.1")
	return err
}

// A login beyond the cap ends the user's oldest session, which then says
// why; other users keep theirs.
func TestSessionCapEndsTheOldest(t *testing.T) {
	now := time.Now()
	m := cheapMgr(t, &now, Options{MaxSessionsPerUser: 3, StorePath: t.TempDir() + "/sessions.json"})
	ada, err := m.Login(Credentials{Username: "ada", Password: "ada-password"}, "10.0.0.9", "")
	if err != nil {
		t.Fatal(err)
	}
	var vs []*Session
	for i := range 5 {
		now = now.Add(time.Second)
		s, err := m.Login(Credentials{Username: "vera", Password: "vera-password"}, "10.0.0.1", "")
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		vs = append(vs, s)
	}
	for i, s := range vs {
		err := sessionOf(t, m, s)
		if i < 2 {
			if code(err) != "session_limit" || !strings.Contains(err.Error(), "more than 3 sessions") {
				t.Errorf("session %d (ended by the cap): %v", i, err)
			}
		} else if err != nil {
			t.Errorf("session %d: %v", i, err)
		}
	}
	if err := sessionOf(t, m, ada); err != nil {
		t.Errorf("another user's session: %v", err)
	}
	p, _ := m.Authenticate(cookieReq(vs[4]), "10.0.0.1")
	if l := m.Sessions(p); len(l) != 3 {
		t.Errorf("vera has %d sessions", len(l))
	}
	// A lower cap at the next start keeps the newest.
	opts := m.opts
	opts.MaxSessionsPerUser = 1
	m2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if sessionOf(t, m2, vs[3]) == nil || sessionOf(t, m2, vs[4]) != nil {
		t.Error("a lower cap did not keep just the newest session")
	}
	if _, err := New(Options{Token: tok, MaxSessionsPerUser: -1}); err == nil {
		t.Error("a negative cap was accepted")
	}
}

// Concurrent logins all end up in the store.
func TestConcurrentLoginsAllStored(t *testing.T) {
	now := time.Now()
	store := t.TempDir() + "/sessions.json"
	m, err := New(Options{Token: tok, StorePath: store, MaxSessionsPerUser: 100, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	sessions := make([]*Session, 60)
	var wg sync.WaitGroup
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.Login(Credentials{Token: tok}, fmt.Sprint("10.0.1.", i), "")
			if err != nil {
				t.Error(err)
				return
			}
			sessions[i] = s
		}()
	}
	wg.Wait()
	m2, err := New(m.opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range sessions {
		if s != nil && sessionOf(t, m2, s) != nil {
			t.Errorf("session %d is missing from the store", i)
		}
	}
}

// The store is written outside the sessions' lock: a slow disk delays the
// login that writes, not the requests of others.
func TestSlowStoreWriteDoesNotBlockRequests(t *testing.T) {
	now := time.Now()
	m, err := New(Options{Token: tok, StorePath: t.TempDir() + "/sessions.json", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	old, err := m.Login(Credentials{Token: tok}, "10.0.0.1", "")
	if err != nil {
		t.Fatal(err)
	}
	writing, release := make(chan struct{}), make(chan struct{})
	m.saveMu.Lock() // no write runs while the hook is swapped
	var once sync.Once
	m.write = func(path string, data []byte) error {
		once.Do(func() { close(writing); <-release })
		return writeFileAtomic(path, data)
	}
	m.saveMu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := m.Login(Credentials{Token: tok}, "10.0.0.2", "")
		done <- err
	}()
	<-writing
	answered := make(chan error, 1)
	go func() { answered <- sessionOf(t, m, old) }()
	select {
	case err := <-answered:
		if err != nil {
			t.Errorf("request during the write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("a request waited for the store write")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestThrottledSaysHowLongInWords(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "wait 1 second before"},
		{time.Second, "wait 1 second before"},
		{15 * time.Second, "wait 15 seconds before"},
	} {
		if got := (&Throttled{RetryAfter: tc.d}).Error(); !strings.Contains(got, tc.want) {
			t.Errorf("Throttled{%s} = %q, want it to say %q", tc.d, got, tc.want)
		}
	}
}
