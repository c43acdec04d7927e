package wsframe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// Both ends against coder/websocket and the test client of package
// consoletest, which builds on this package: hence an external test
// package.

// readAll reads a wsframe.Conn until it fails, with reads of size n.
func readAll(c *wsframe.Conn, n int) ([]byte, error) {
	var got []byte
	buf := make([]byte, n)
	for {
		k, err := c.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			return got, err
		}
		if k == 0 {
			return got, errors.New("Read returned 0, nil")
		}
	}
}

// wsServer serves wsframe.Accept over httptest, running fn with each
// connection.
func wsServer(t *testing.T, fn func(c *wsframe.Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsframe.Accept(w, r, 4096)
		if err != nil {
			return
		}
		defer c.CloseNow()
		fn(c)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// echo copies what it reads back, one message per read, until the
// WebSocket ends.
func echo(c *wsframe.Conn) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
	}
}

// The server end against coder/websocket as the client: messages of every
// size, fragmented messages, pings and the close handshake.
func TestWSServerWithCoderClient(t *testing.T) {
	ended := make(chan error, 1)
	srv := wsServer(t, func(c *wsframe.Conn) { ended <- echo(c) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"binary"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if res.Header.Get("Sec-WebSocket-Protocol") != "binary" || ws.Subprotocol() != "binary" {
		t.Errorf("subprotocol %q, want binary", ws.Subprotocol())
	}
	ws.SetReadLimit(-1)
	stream := consoletest.WebSocketStream(ws)
	for _, n := range []int{1, 125, 126, 65536, 200000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		if err := ws.Write(ctx, websocket.MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, n)
		if _, err := io.ReadFull(stream, back); err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("echo of %d bytes: %v", n, err)
		}
	}
	// A message written in pieces arrives as continuation frames.
	w, err := ws.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"frag", "men", "ted"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		if f, ok := w.(interface{ Flush() error }); ok {
			_ = f.Flush()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len("fragmented"))
	if _, err := io.ReadFull(stream, back); err != nil || string(back) != "fragmented" {
		t.Fatalf("fragmented message came back as %q, %v", back, err)
	}
	// The server answers pings while it reads.
	go func() { _, _ = io.Copy(io.Discard, stream) }()
	if err := ws.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	// The close handshake completes both ways.
	if err := ws.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatalf("close: %v", err)
	}
	var ce *wsframe.CloseError
	if err := <-ended; !errors.As(err, &ce) || ce.Code != 1000 || ce.Reason != "done" || ce.Local {
		t.Fatalf("the server's read ended with %v, want the client's close", err)
	}
}

// Bad frames from a real client end the connection with the close code
// that says why, and the server's read with a local *wsframe.CloseError.
func TestWSServerClosesOnBadFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(ctx context.Context, ws *websocket.Conn) error
		code websocket.StatusCode
	}{
		{"text", func(ctx context.Context, ws *websocket.Conn) error {
			return ws.Write(ctx, websocket.MessageText, []byte("hi"))
		}, websocket.StatusUnsupportedData},
		{"too big", func(ctx context.Context, ws *websocket.Conn) error {
			return ws.Write(ctx, websocket.MessageBinary, make([]byte, 5000))
		}, websocket.StatusMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ended := make(chan error, 1)
			srv := wsServer(t, func(c *wsframe.Conn) {
				c.SetReadLimit(4096)
				_, err := readAll(c, 512)
				ended <- err
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, wsURL(srv), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			if err := tc.send(ctx, ws); err != nil {
				t.Fatal(err)
			}
			_, _, err = ws.Read(ctx)
			if websocket.CloseStatus(err) != tc.code {
				t.Fatalf("client read %v, want close %d", err, tc.code)
			}
			var ce *wsframe.CloseError
			if err := <-ended; !errors.As(err, &ce) || !ce.Local || ce.Code != int(tc.code) {
				t.Fatalf("server read ended with %v", err)
			}
		})
	}
}

// The client end (DialWebSocket) against coder/websocket as the server.
func TestWSClientWithCoderServer(t *testing.T) {
	serverDone := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test") != "yes" {
			http.Error(w, "no header", http.StatusTeapot)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			serverDone <- err
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(-1)
		ctx := context.Background()
		// Echo two messages, ping, then close with a reason.
		for range 2 {
			typ, b, err := ws.Read(ctx)
			if err != nil || typ != websocket.MessageBinary {
				serverDone <- errors.Join(err, errors.New("not binary"))
				return
			}
			if err := ws.Write(ctx, websocket.MessageBinary, b); err != nil {
				serverDone <- err
				return
			}
		}
		go func() { _, _, _ = ws.Read(ctx) }() // pongs are read by a reader
		if err := ws.Ping(ctx); err != nil {
			serverDone <- err
			return
		}
		serverDone <- ws.Close(websocket.StatusGoingAway, "server leaving")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := consoletest.DialWebSocket(ctx, wsURL(srv), nil); err == nil {
		t.Fatal("dial without the header succeeded")
	} else if ue := (*consoletest.WSUpgradeError)(nil); !errors.As(err, &ue) || ue.Status != http.StatusTeapot {
		t.Fatalf("refused dial: %v, want the 418 and its body", err)
	}
	c, err := consoletest.DialWebSocket(ctx, wsURL(srv), http.Header{"X-Test": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, n := range []int{3, 70000} {
		msg := bytes.Repeat([]byte{7}, n)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, n)
		if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("echo of %d bytes: %v", n, err)
		}
	}
	// Reading answers the server's ping, then ends with its close.
	_, err = readAll(c, 64)
	var ce *wsframe.CloseError
	if !errors.As(err, &ce) || ce.Code != 1001 || ce.Reason != "server leaving" {
		t.Fatalf("read ended with %v, want the server's close", err)
	}
	if err := <-serverDone; err != nil {
		t.Fatalf("server: %v", err)
	}
}

// Both ends are this package's: Close runs the close handshake.
func TestWSOwnClientAndServer(t *testing.T) {
	ended := make(chan error, 1)
	srv := wsServer(t, func(c *wsframe.Conn) { ended <- echo(c) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := consoletest.DialWebSocket(ctx, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping?")); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 5)
	if _, err := io.ReadFull(c, back); err != nil || string(back) != "ping?" {
		t.Fatalf("echo %q %v", back, err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	var ce *wsframe.CloseError
	if err := <-ended; !errors.As(err, &ce) || ce.Code != 1000 || ce.Local {
		t.Fatalf("server read ended with %v, want a normal close", err)
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("write after Close succeeded")
	}
}
