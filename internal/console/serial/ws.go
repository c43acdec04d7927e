package serial

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console"
)

// The serial console's WebSocket protocol.
//
// Binary messages carry terminal bytes, both ways: from the server, the
// guest's output exactly as the guest wrote it (not necessarily UTF-8; the
// browser's terminal decodes it); from the browser, keystrokes and pastes,
// at most MaxSerialInput bytes a message (a larger one closes the connection
// with 1009), paced to a steady rate after a burst.
//
// Text messages carry JSON control messages. From the server:
//
//	{"type":"scrollback-start","bytes":N,"truncated":bool}  the kept output follows (binary)
//	{"type":"scrollback-end"}                               live output follows
//	{"type":"status","state":S,"message":M,"hint":H}         S is one of the State* constants
//	{"type":"error","code":C,"message":M}                   a control message was not understood
//
// From the browser:
//
//	{"type":"take-over"}  take the console over from another client (when the state is held-by-other)
//
// The server closes with 1001 when it shuts down, 4000 when the viewer fell
// too far behind the output (reconnect: the scrollback fills the gap), and
// 4004 when the VM was deleted.

// serialWriteTimeout bounds one WebSocket write: a viewer that takes longer is gone.
const serialWriteTimeout = 10 * time.Second

// serialMaxFrame bounds one binary message to a viewer; queued output is
// coalesced up to this size.
const serialMaxFrame = 64 << 10

// serialCoalesce is the least time between two messages to a viewer while
// output streams: at most 500 messages a second instead of one per piece of
// output that libvirt delivers (thousands a second from a busy console).
const serialCoalesce = 2 * time.Millisecond

// Serve runs one viewer's WebSocket, whose upgrade g authorised, until the
// viewer leaves, the console session ends or the service closes. c must be
// freshly accepted; Serve closes it.
func (s *Service) Serve(ctx context.Context, c *websocket.Conn, g console.Grant) {
	c.SetReadLimit(MaxSerialInput)
	ss, v, err := s.attach(g)
	if err != nil {
		_ = c.Close(websocket.StatusGoingAway, "KVM Manager is shutting down")
		return
	}
	defer s.wg.Done() // attach counted this viewer
	defer ss.detach(v)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readDone := make(chan error, 1)
	go func() { readDone <- s.readLoop(ctx, c, ss, v) }()
	var lastWrite time.Time

	for {
		select {
		case <-ctx.Done():
			_ = c.Close(websocket.StatusGoingAway, "KVM Manager is shutting down")
			return
		case err := <-readDone:
			// The viewer left, or broke the protocol (the library has
			// already sent the close frame for an oversized message).
			if websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) {
				s.log.Debug("serial console viewer read ended", "err", err)
			}
			_ = c.CloseNow()
			return
		case <-v.notify:
		}
		// Under a stream of output, wait a moment after the previous
		// message so that one message carries many of libvirt's small
		// pieces; a keystroke's echo after a pause goes at once.
		if wait := serialCoalesce - time.Since(lastWrite); wait > 0 && !serialSleep(ctx, wait) {
			continue
		}
		frames, closing := v.take()
		lastWrite = time.Now()
		if err := serialWriteFrames(ctx, c, frames); err != nil {
			_ = c.CloseNow()
			return
		}
		if closing != nil {
			_ = c.Close(closing.code, closing.reason)
			return
		}
	}
}

// serialWriteFrames sends queued frames, joining adjacent output into messages of
// up to maxFrame bytes.
func serialWriteFrames(ctx context.Context, c *websocket.Conn, frames []serialFrame) error {
	var buf []byte
	flush := func() error {
		for len(buf) > 0 {
			n := min(len(buf), serialMaxFrame)
			if err := serialWrite(ctx, c, websocket.MessageBinary, buf[:n]); err != nil {
				return err
			}
			buf = buf[n:]
		}
		buf = nil
		return nil
	}
	for _, f := range frames {
		if !f.text {
			if len(buf) == 0 && len(f.data) >= serialMaxFrame {
				buf = f.data // big enough to go alone; no copy
			} else {
				buf = append(buf, f.data...)
			}
			if len(buf) >= serialMaxFrame {
				if err := flush(); err != nil {
					return err
				}
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if err := serialWrite(ctx, c, websocket.MessageText, f.data); err != nil {
			return err
		}
	}
	return flush()
}

func serialWrite(ctx context.Context, c *websocket.Conn, typ websocket.MessageType, p []byte) error {
	ctx, cancel := context.WithTimeout(ctx, serialWriteTimeout)
	defer cancel()
	return c.Write(ctx, typ, p)
}

// serialControl is a control message from a viewer.
type serialControl struct {
	Type string `json:"type"`
}

// parseSerialControl reads a viewer's control message; unknown fields are
// allowed (a newer client may send more), an unknown type is not.
func parseSerialControl(p []byte) (serialControl, error) {
	var m serialControl
	if err := json.Unmarshal(p, &m); err != nil {
		return m, errBadControl
	}
	switch m.Type {
	case "take-over":
		return m, nil
	}
	return m, errUnknownControl
}

var (
	errBadControl     = errors.New("control messages must be JSON objects")
	errUnknownControl = errors.New(`unknown control message type (known: "take-over")`)
)

// readLoop passes a viewer's input to the session until the WebSocket ends.
func (s *Service) readLoop(ctx context.Context, c *websocket.Conn, ss *serialSession, v *serialViewer) error {
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if typ == websocket.MessageText {
			m, err := parseSerialControl(p)
			if err != nil {
				code := "unknown_message"
				if errors.Is(err, errBadControl) {
					code = "bad_message"
				}
				if !v.pushControl(map[string]string{"type": "error", "code": code, "message": err.Error()}) {
					return err
				}
				continue
			}
			if m.Type == "take-over" {
				s.log.Info("serial console take-over requested", "host", ss.key.host, "uuid", ss.key.uuid, "user", v.user)
				ss.takeOver()
			}
			continue
		}
		v.mu.Lock()
		wait := v.bucket.delay(len(p), s.now())
		v.mu.Unlock()
		if wait > 0 && !serialSleep(ctx, wait) {
			return ctx.Err()
		}
		ss.input(p)
	}
}
