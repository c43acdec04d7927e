package api

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/operation"
)

// TestRunWritesAuditEntriesOfOperations checks that the audit entries
// written when operations end are joined by Run: one whose operation ends
// while the server runs says how it ended, one still running when Run's
// context ends says that the server stopped first, and both are written
// by the time Run returns.
func TestRunWritesAuditEntriesOfOperations(t *testing.T) {
	log, err := audit.Open(audit.Options{Path: filepath.Join(t.TempDir(), "audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ops := operation.New(operation.Options{})
	s, err := New(Options{Audit: log, Operations: ops})
	if err != nil {
		t.Fatal(err)
	}
	start := func(kind string, release <-chan struct{}) string {
		op, err := ops.Start(kind, operation.Target{}, false, func(ctx context.Context, _ operation.Reporter) error {
			select {
			case <-release:
			case <-time.After(time.Minute):
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return op.ID
	}
	endNow, endLater := make(chan struct{}), make(chan struct{})
	defer close(endLater)
	ends, stays := start("ends", endNow), start("stays", endLater)
	for _, c := range []struct{ action, id string }{{"ends", ends}, {"stays", stays}} {
		e := audit.Entry{Time: time.Now(), Action: c.action, Result: audit.ResultOK, Operation: c.id}
		s.bg.Go(func() { s.auditOperation(s.bgCtx, e, c.id) })
	}
	// The first operation ends while the server runs; the second is still
	// running when Run's context ends.
	close(endNow)
	if _, err := ops.Wait(context.Background(), ends); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	stop()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _, err := log.Query(audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]audit.Entry{}
	for _, e := range entries {
		got[e.Action] = e
	}
	if e, ok := got["ends"]; !ok || e.Result != audit.ResultOK || e.Error != nil {
		t.Errorf("entry of the operation that ended = %+v (ok %v), want ok", e, ok)
	}
	if e, ok := got["stays"]; !ok || e.Result != audit.ResultError || e.Error == nil || e.Error.Code != "server_stopped" {
		t.Errorf("entry of the operation still running at shutdown = %+v (ok %v), want an error server_stopped", e, ok)
	}
}
