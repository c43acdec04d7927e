package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/connlimit"
)

// Login throttling. Failures are counted twice: per user name and client
// address, and per client address over all names (the API token counts as
// the name "token"). A key may fail its free attempts; the failure that
// uses up the last one locks it out for baseLockout, and each failure after
// a lockout doubles it, up to maxLockout. An attempt is reserved before the
// password is checked, so that concurrent guesses cannot all slip past the
// check: while reserved attempts are running they count as failures, and
// after a lockout only one attempt at a time is let through. A success
// forgives only its own user name at its own address; the address's count
// decays on its own (forgotten forgetAfter after its last failure), so a
// user with a password of their own cannot use it to reset guesses at
// others. Each table keeps at most maxRecords records, so a flood of
// addresses or names cannot grow memory without bound.
const (
	freeAttempts     = 5  // per user name and address
	freeAddrAttempts = 20 // per address, over all user names and the token
	baseLockout      = 15 * time.Second
	maxLockout       = 15 * time.Minute
	forgetAfter      = time.Hour
	maxRecords       = 10000
	// busyWait is what a client is told to wait when its attempts are all
	// reserved by checks still running: they end within about a second.
	busyWait = time.Second
)

// record is the state of one throttling key.
type record struct {
	failures int
	inflight int // attempts reserved and not yet settled
	last     time.Time
	blocked  time.Time // until
}

// admit returns how long the key must wait before another attempt (zero:
// it may try now). free is how many failures are allowed before lockouts.
func (f *record) admit(free int, now time.Time) time.Duration {
	if now.Before(f.blocked) {
		return f.blocked.Sub(now)
	}
	if f.inflight == 0 && now.Sub(f.last) > forgetAfter {
		f.failures = 0
	}
	// Before the free attempts are used up, running checks count as
	// failures; after a lockout, one probe at a time.
	if f.failures+f.inflight >= max(free, f.failures+1) {
		return busyWait
	}
	return 0
}

// fail counts a failure and starts or doubles the lockout.
func (f *record) fail(free int, now time.Time) {
	f.failures++
	f.last = now
	if f.failures >= free {
		d := baseLockout << min(f.failures-free, 16)
		f.blocked = now.Add(min(d, maxLockout))
	}
}

// table is one kind of throttling record, bounded in size.
type table struct {
	free int
	recs map[string]*record
}

func (t *table) get(key string, now time.Time) *record {
	f, ok := t.recs[key]
	if !ok {
		if len(t.recs) >= maxRecords {
			t.gc(now)
		}
		f = &record{}
		t.recs[key] = f
	}
	return f
}

// wait is how long key must wait, without creating a record for it.
func (t *table) wait(key string, now time.Time) time.Duration {
	if f, ok := t.recs[key]; ok {
		return f.admit(t.free, now)
	}
	return 0
}

// gc drops forgotten records and, when that is not enough, the ones that
// are not locked out and failed longest ago, down to three quarters of the
// bound, so that it runs rarely.
func (t *table) gc(now time.Time) {
	for k, f := range t.recs {
		if f.inflight == 0 && now.Sub(f.last) > forgetAfter && !now.Before(f.blocked) {
			delete(t.recs, k)
		}
	}
	if len(t.recs) < maxRecords*3/4 {
		return
	}
	type aged struct {
		key    string
		locked bool
		last   time.Time
	}
	all := make([]aged, 0, len(t.recs))
	for k, f := range t.recs {
		if f.inflight == 0 { // a running check settles its own record
			all = append(all, aged{k, now.Before(f.blocked), f.last})
		}
	}
	// Unlocked before locked, then the oldest failure first: evicting a
	// lockout takes filling the table with lockouts of one's own.
	sort.Slice(all, func(i, j int) bool {
		if all[i].locked != all[j].locked {
			return !all[i].locked
		}
		return all[i].last.Before(all[j].last)
	})
	for _, a := range all[:min(len(all), max(0, len(t.recs)-maxRecords*3/4))] {
		delete(t.recs, a.key)
	}
}

// limiter throttles failed logins and failed token checks.
type limiter struct {
	mu   sync.Mutex
	user table // by user name and address
	addr table // by address
}

func newLimiter() *limiter {
	return &limiter{
		user: table{free: freeAttempts, recs: make(map[string]*record)},
		addr: table{free: freeAddrAttempts, recs: make(map[string]*record)},
	}
}

// addrKey is the throttling key of a client address, as the connection
// caps count it (connlimit.Key: IPv6 by its /64). IPv4 addresses, and
// strings that are no address, stay as they are.
func addrKey(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil || !a.Unmap().Is6() {
		return client
	}
	return netip.PrefixFrom(connlimit.Key(a), 64).String()
}

// userKey combines a user name, as typed, with the address key. Long
// names are hashed so that keys stay small.
func userKey(name, addr string) string {
	if len(name) > 64 {
		h := sha256.Sum256([]byte(name))
		name = "#" + hex.EncodeToString(h[:16])
	}
	return name + "\x00" + addr
}

// attempt is a reserved password check; done settles it.
type attempt struct {
	l          *limiter
	user, addr *record
}

// begin reserves an attempt for name from client, or returns how long the
// client must wait first.
func (l *limiter) begin(name, client string, now time.Time) (*attempt, time.Duration) {
	ak := addrKey(client)
	uk := userKey(name, ak)
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := max(l.user.wait(uk, now), l.addr.wait(ak, now)); d > 0 {
		return nil, d
	}
	a := &attempt{l: l, user: l.user.get(uk, now), addr: l.addr.get(ak, now)}
	a.user.inflight++
	a.addr.inflight++
	return a, 0
}

// done records the outcome of the attempt: a success forgives the user
// name at this address, a failure counts for both.
func (a *attempt) done(ok bool, now time.Time) {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.user.inflight--
	a.addr.inflight--
	a.l.settleLocked(a.user, a.addr, ok, now)
}

func (l *limiter) settleLocked(user, addr *record, ok bool, now time.Time) {
	if ok {
		user.failures, user.blocked = 0, time.Time{}
		return
	}
	user.fail(l.user.free, now)
	addr.fail(l.addr.free, now)
}

// check settles a check that costs nothing to repeat (the API token: a
// hash compared in constant time) in one step: admitted and counted
// together, so no reservation is needed and concurrent valid requests are
// not limited. It returns how long the client must wait when the attempt
// is refused; then the outcome was not looked at.
func (l *limiter) check(name, client string, ok bool, now time.Time) time.Duration {
	ak := addrKey(client)
	uk := userKey(name, ak)
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := max(l.user.wait(uk, now), l.addr.wait(ak, now)); d > 0 {
		return d
	}
	if ok {
		// Valid tokens are the common case: no record is made for them.
		if f, found := l.user.recs[uk]; found {
			f.failures, f.blocked = 0, time.Time{}
		}
		return 0
	}
	l.settleLocked(l.user.get(uk, now), l.addr.get(ak, now), false, now)
	return 0
}
