package auth

import (
	"sync"
	"time"
)

// Login throttling: a client may fail freeAttempts times; each failure
// after that locks it out for twice as long as the last (from baseLockout
// up to maxLockout). A success forgives everything. Records are kept for
// forgetAfter after the last failure, and at most maxClients of them, so
// a flood of addresses cannot grow memory without bound.
const (
	freeAttempts = 5
	baseLockout  = 15 * time.Second
	maxLockout   = 15 * time.Minute
	forgetAfter  = time.Hour
	maxClients   = 10000
)

type failures struct {
	count   int
	last    time.Time
	blocked time.Time // until
}

// limiter counts failed logins per client address.
type limiter struct {
	mu      sync.Mutex
	clients map[string]*failures
}

func newLimiter() *limiter { return &limiter{clients: make(map[string]*failures)} }

// wait returns how long client must wait before it may try again (zero
// when it may try now).
func (l *limiter) wait(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.clients[client]
	if !ok || !now.Before(f.blocked) {
		return 0
	}
	return f.blocked.Sub(now)
}

// fail records a failed attempt.
func (l *limiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= maxClients {
			l.gcLocked(now)
		}
		f = &failures{}
		l.clients[client] = f
	}
	if now.Sub(f.last) > forgetAfter {
		f.count = 0
	}
	f.count++
	f.last = now
	if f.count > freeAttempts {
		d := baseLockout << min(f.count-freeAttempts-1, 16)
		f.blocked = now.Add(min(d, maxLockout))
	}
}

// succeed forgets client's failures.
func (l *limiter) succeed(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, client)
}

// gcLocked drops forgotten records, and when that is not enough the
// oldest half, so the map stays bounded.
func (l *limiter) gcLocked(now time.Time) {
	for c, f := range l.clients {
		if now.Sub(f.last) > forgetAfter && !now.Before(f.blocked) {
			delete(l.clients, c)
		}
	}
	if len(l.clients) < maxClients {
		return
	}
	cut := now.Add(-forgetAfter / 2)
	for c, f := range l.clients {
		if f.last.Before(cut) || len(l.clients) >= maxClients {
			delete(l.clients, c)
		}
	}
}
