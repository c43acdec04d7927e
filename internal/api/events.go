package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// events streams bus events as Server-Sent Events. ?types=vm,host limits
// the stream. A client that falls too far behind gets a "resync" event and
// the stream ends; it should reconnect and refetch.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	var types []event.Type
	if t := r.URL.Query().Get("types"); t != "" {
		for _, name := range strings.Split(t, ",") {
			typ, ok := event.ParseType(name)
			if !ok {
				return problem.New(problem.Invalid, problem.CodeUnknownEventType,
					fmt.Sprintf("%q is not an event type", problem.Clip(name)), "use "+event.TypeList())
			}
			types = append(types, typ)
		}
	}
	release, err := s.acquireStream(s.streams.events, r)
	if err != nil {
		return err
	}
	defer release()
	p, _ := auth.FromContext(r.Context())
	rc := http.NewResponseController(w)
	sub := s.opts.Bus.Subscribe(1024, types...)
	defer sub.Close()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.SetWriteDeadline(time.Time{})
	clearReadDeadline(w)

	// The current host states first, so a client knows at once whether what
	// it shows is live.
	fmt.Fprint(w, "retry: 2000\n\n")
	if len(types) == 0 || slices.Contains(types, event.TypeHost) {
		for _, st := range s.opts.Hosts.Statuses() {
			writeSSE(w, 0, event.TypeHost, mustJSON(st))
		}
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	ping := time.NewTicker(s.opts.Heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			// At shutdown the last events (operations canceled or finished
			// on the way down) are already queued: send them, so that
			// clients know how their work ended.
			for {
				select {
				case ev, ok := <-sub.C:
					if ok {
						s.writeEvent(w, p, ev)
						continue
					}
				default:
				}
				_ = rc.Flush()
				return nil
			}
		case ev, ok := <-sub.C:
			if !ok {
				if sub.Dropped() {
					writeSSE(w, 0, event.TypeResync, []byte(`{"reason":"client too slow"}`))
					_ = rc.Flush()
				}
				return nil
			}
			s.writeEvent(w, p, ev)
			// Drain what is already queued before flushing, so a burst
			// costs one write.
			for drained := false; !drained; {
				select {
				case ev, ok := <-sub.C:
					if !ok {
						drained = true
						break
					}
					s.writeEvent(w, p, ev)
				default:
					drained = true
				}
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}

// writeEvent sends ev as caller p may see it: operation events go through
// the same rule as the operation routes (opFor), so that the stream tells
// no more than GET /api/v1/operations does. Admins see every event as
// published; viewers get no thumbnail events (GET .../thumbnail is for
// operators); for others each operation event is encoded again from its
// typed payload, which costs little since they come a few per operation.
func (s *Server) writeEvent(w http.ResponseWriter, p auth.Principal, ev *event.Event) {
	if ev.Type == event.TypeThumbnail && p.Role < auth.Operator {
		return // thumbnails are for roles that may see the console
	}
	if ev.Type != event.TypeOperation || p.Role >= auth.Admin {
		writeSSE(w, ev.ID, ev.Type, ev.JSON())
		return
	}
	op, isOp := ev.Data.(operation.Op)
	if !isOp {
		s.log.Error("an operation event without an operation; not sent to a non-admin", "type", fmt.Sprintf("%T", ev.Data))
		return
	}
	op, ok := s.opFor(p, op)
	if !ok {
		return
	}
	writeSSE(w, ev.ID, ev.Type, mustJSON(op))
}

func writeSSE(w http.ResponseWriter, id uint64, typ event.Type, data []byte) {
	if id > 0 {
		fmt.Fprintf(w, "id: %d\n", id)
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
