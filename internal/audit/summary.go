package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Bounds of the summaries of refused logins, so that a flood from many
// addresses with many names costs bounded memory and bounded lines.
const (
	// summaryClients is how many client addresses are summed up one by
	// one in an interval; further ones share one summary.
	summaryClients = 1000
	// summaryNames is how many distinct user names a summary lists.
	summaryNames = 5
	// summaryNameLen clips each listed name (bytes), as the API clips a
	// name it notes (problem.Clip), so that filtering by it finds it.
	summaryNameLen = 64
)

// otherClients is the client of the summary that sums up the addresses
// beyond summaryClients.
const otherClients = "other addresses"

// loginSummary counts the refused logins of one client in an interval.
type loginSummary struct {
	client      string
	first, last time.Time
	count       int
	names       []string
	moreNames   bool
	code, msg   string
	host        string
}

func (l *Log) countLocked(e Entry) {
	client := e.Client
	s, ok := l.pending[client]
	if !ok && len(l.pending) >= summaryClients {
		client = otherClients
		s, ok = l.pending[client]
	}
	if !ok {
		s = &loginSummary{client: client, first: e.Time, host: e.Host}
		if e.Error != nil {
			s.code, s.msg = e.Error.Code, e.Error.Message
		}
		l.pending[client] = s
	}
	s.count++
	if e.Time.After(s.last) {
		s.last = e.Time
	}
	if e.Time.Before(s.first) {
		s.first = e.Time
	}
	name := clipName(e.User)
	switch {
	case name == "" || containsName(s.names, name):
	case len(s.names) < summaryNames:
		s.names = append(s.names, name)
	default:
		s.moreNames = true
	}
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// clipName keeps a tried user name short, on a rune boundary.
func clipName(s string) string {
	if len(s) <= summaryNameLen {
		return s
	}
	cut := summaryNameLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// summariesLocked are the pending summaries as entries, oldest first.
func (l *Log) summariesLocked() []Entry {
	out := make([]Entry, 0, len(l.pending))
	for _, s := range l.pending {
		out = append(out, s.entry())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// entry is the summary's audit line: the time of the first refused
// attempt, how long the attempts went on, how many and for which names.
func (s *loginSummary) entry() Entry {
	e := Entry{
		Time: s.first, Client: s.client, Action: "login", Host: s.host, Result: ResultError,
		Status: 429, DurationMs: s.last.Sub(s.first).Milliseconds(), Count: s.count,
		Names: append([]string(nil), s.names...),
	}
	if len(s.names) == 1 && !s.moreNames {
		e.User = s.names[0]
	}
	code := s.code
	if code == "" {
		code = problem.CodeTooManyAttempts
	}
	e.Error = &problem.Info{Code: code, Message: s.msg}
	quoted := make([]string, len(s.names))
	for i, n := range s.names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	names := strings.Join(quoted, ", ")
	switch {
	case s.moreNames:
		names += " and other names"
	case names == "":
		names = "no name"
	}
	attempts := "failed logins"
	if s.count == 1 {
		attempts = "failed login"
	}
	e.Detail = fmt.Sprintf("%d %s for %s, refused without checking (too many failed attempts)", s.count, attempts, names)
	return e
}
