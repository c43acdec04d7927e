package console

import (
	"strings"
	"testing"
	"time"
)

func TestTicketsAreSingleUseBoundAndShortLived(t *testing.T) {
	now := time.Unix(1000, 0)
	ts := NewTickets(func() time.Time { return now })
	g := Grant{Kind: KindVNC, Host: "local", UUID: "u1", Session: "s1"}

	tok := ts.Mint(g)
	if len(tok) < 40 {
		t.Fatalf("ticket %q is too short to be unguessable", tok)
	}
	got, err := ts.Redeem(tok, KindVNC, "local", "u1", "s1")
	if err != nil || got != g {
		t.Fatalf("first use: %+v %v", got, err)
	}
	if _, err := ts.Redeem(tok, KindVNC, "local", "u1", "s1"); err != ErrTicket {
		t.Fatalf("second use: %v", err)
	}

	for name, redeem := range map[string]func(string) error{
		"other VM":      func(k string) error { _, e := ts.Redeem(k, KindVNC, "local", "u2", "s1"); return e },
		"other session": func(k string) error { _, e := ts.Redeem(k, KindVNC, "local", "u1", "s2"); return e },
		"other kind":    func(k string) error { _, e := ts.Redeem(k, KindSerial, "local", "u1", "s1"); return e },
		"other host":    func(k string) error { _, e := ts.Redeem(k, KindVNC, "remote", "u1", "s1"); return e },
	} {
		k := ts.Mint(g)
		if err := redeem(k); err != ErrTicket {
			t.Errorf("%s: %v", name, err)
		}
		// A failed attempt burns the ticket too.
		if _, err := ts.Redeem(k, KindVNC, "local", "u1", "s1"); err != ErrTicket {
			t.Errorf("%s: ticket still usable after a mismatched attempt", name)
		}
	}

	k := ts.Mint(g)
	now = now.Add(TicketTTL + time.Second)
	if _, err := ts.Redeem(k, KindVNC, "local", "u1", "s1"); err != ErrTicket {
		t.Fatalf("expired ticket: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("a", 500), "x"} {
		if _, err := ts.Redeem(bad, KindVNC, "local", "u1", "s1"); err != ErrTicket {
			t.Errorf("garbage %q: %v", bad, err)
		}
	}
}

func FuzzRedeem(f *testing.F) {
	f.Add("abc")
	f.Add(strings.Repeat("Z", 43))
	ts := NewTickets(nil)
	ts.Mint(Grant{Kind: KindSerial, Host: "h", UUID: "u", Session: "s"})
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := ts.Redeem(tok, KindSerial, "h", "u", "s"); err != ErrTicket {
			t.Fatalf("a guessed ticket %q was accepted", tok)
		}
	})
}

func TestTicketsBurnAndPending(t *testing.T) {
	now := time.Unix(1000, 0)
	ts := NewTickets(func() time.Time { return now })
	g := Grant{Kind: KindVNC, Host: "local", UUID: "u1", Session: "s1"}
	a, b := ts.Mint(g), ts.Mint(g)
	ts.Mint(Grant{Kind: KindSerial, Host: "local", UUID: "u1", Session: "s2"})
	if n := ts.Pending("s1"); n != 2 {
		t.Fatalf("pending for s1: %d", n)
	}
	ts.Burn(a)
	ts.Burn("")
	ts.Burn(strings.Repeat("x", 500))
	if _, err := ts.Redeem(a, KindVNC, "local", "u1", "s1"); err != ErrTicket {
		t.Fatalf("a burnt ticket was redeemed: %v", err)
	}
	if n := ts.Pending("s1"); n != 1 {
		t.Fatalf("pending after a burn: %d", n)
	}
	now = now.Add(TicketTTL + time.Second)
	if n := ts.Pending("s1"); n != 0 {
		t.Fatalf("expired tickets counted: %d", n)
	}
	if _, err := ts.Redeem(b, KindVNC, "local", "u1", "s1"); err != ErrTicket {
		t.Fatalf("expired ticket: %v", err)
	}
}
