package wsframe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// memConn is a net.Conn over fixed input, handed out chunk bytes per Read
// (to exercise frames split across reads), that records what is written.
type memConn struct {
	in    []byte
	chunk int
	mu    sync.Mutex
	out   bytes.Buffer
}

func (m *memConn) Read(p []byte) (int, error) {
	if len(m.in) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(m.in))
	if m.chunk > 0 {
		n = min(n, m.chunk)
	}
	copy(p, m.in[:n])
	m.in = m.in[n:]
	return n, nil
}

func (m *memConn) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out.Write(p)
}

func (m *memConn) written() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.out.Bytes())
}

func (m *memConn) Close() error                     { return nil }
func (m *memConn) LocalAddr() net.Addr              { return nil }
func (m *memConn) RemoteAddr() net.Addr             { return nil }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// frame builds one frame: b0 is its first byte (fin, reserved bits and
// opcode); the payload is masked with a fixed key when mask is set.
func frame(b0 byte, mask bool, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	var hdr [Headroom]byte
	start := wsPutHeader(hdr[:], 0, len(payload), mask, key)
	h := bytes.Clone(hdr[start:])
	h[0] = b0
	p := bytes.Clone(payload)
	if mask {
		wsMask(key, 0, p)
	}
	return append(h, p...)
}

const (
	fin    = 0x80
	bin    = fin | wsOpBinary
	txt    = fin | wsOpText
	closeF = fin | wsOpClose
	pingF  = fin | wsOpPing
	pongF  = fin | wsOpPong
)

func closeBody(code uint16, reason string) []byte {
	b := binary.BigEndian.AppendUint16(nil, code)
	return append(b, reason...)
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// readAll reads a Conn until it fails, with reads of size n.
func readAll(c *Conn, n int) ([]byte, error) {
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

// sentFrames parses the server frames in b (unmasked) into opcodes and
// payloads.
func sentFrames(t *testing.T, b []byte, masked bool) (ops []byte, bodies [][]byte) {
	t.Helper()
	for len(b) > 0 {
		h, ok, err := parseWSHeader(b)
		if err != nil || !ok || !h.fin || h.masked != masked || int64(len(b)) < int64(h.size)+h.length {
			t.Fatalf("bad frame sent: % x (%+v, %v)", b, h, err)
		}
		body := bytes.Clone(b[h.size : h.size+int(h.length)])
		if masked {
			wsMask(h.mask, 0, body)
		}
		ops, bodies = append(ops, h.op), append(bodies, body)
		b = b[h.size+int(h.length):]
	}
	return ops, bodies
}

func TestWSReadFrames(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80,000 bytes: 64-bit length
	mid := big[:300]                                      // 16-bit length
	for _, tc := range []struct {
		name string
		in   []byte
		want string // payload bytes read
		// the end: a peer close (code, reason), a local failure (code), or EOF
		peerCode  int
		reason    string
		failCode  int
		sentOps   []byte // frames the reader answered with
		sentCodes []int  // close codes in those close frames (-1: empty)
		limit     int64
	}{
		{name: "one message", in: frame(bin, true, []byte("hello")), want: "hello"},
		{name: "two messages, empty one between",
			in:   cat(frame(bin, true, []byte("ab")), frame(bin, true, nil), frame(bin, true, []byte("cd"))),
			want: "abcd"},
		{name: "16- and 64-bit lengths", in: cat(frame(bin, true, mid), frame(bin, true, big)), want: string(mid) + string(big)},
		{name: "fragmented with a ping between",
			in: cat(frame(wsOpBinary, true, []byte("fra")), frame(pingF, true, []byte("p1")),
				frame(wsOpContinuation, true, []byte("gm")), frame(fin|wsOpContinuation, true, []byte("ent"))),
			want: "fragment", sentOps: []byte{wsOpPong}},
		{name: "pong is taken quietly", in: cat(frame(pongF, true, nil), frame(bin, true, []byte("x"))), want: "x"},
		{name: "close with code and reason",
			in:       cat(frame(bin, true, []byte("last")), frame(closeF, true, closeBody(1001, "bye"))),
			want:     "last",
			peerCode: 1001, reason: "bye", sentOps: []byte{wsOpClose}, sentCodes: []int{1001}},
		{name: "empty close gets an empty answer",
			in:       frame(closeF, true, nil),
			peerCode: StatusNoStatus, sentOps: []byte{wsOpClose}, sentCodes: []int{-1}},
		{name: "data after close is not read",
			in:       cat(frame(closeF, true, closeBody(1000, "")), frame(bin, true, []byte("late"))),
			peerCode: 1000, sentOps: []byte{wsOpClose}, sentCodes: []int{1000}},
		{name: "unmasked client frame", in: frame(bin, false, []byte("x")), failCode: StatusProtocolError},
		{name: "reserved bit", in: frame(bin|0x40, true, []byte("x")), failCode: StatusProtocolError},
		{name: "reserved opcode", in: frame(fin|0x3, true, nil), failCode: StatusProtocolError},
		{name: "reserved control opcode", in: frame(fin|0xb, true, nil), failCode: StatusProtocolError},
		{name: "text message", in: frame(txt, true, []byte("hi")), failCode: StatusUnsupported},
		{name: "fragmented ping", in: frame(wsOpPing, true, nil), failCode: StatusProtocolError},
		{name: "long ping", in: frame(pingF, true, make([]byte, 126)), failCode: StatusProtocolError},
		{name: "continuation without a message", in: frame(fin|wsOpContinuation, true, []byte("x")), failCode: StatusProtocolError},
		{name: "new message inside a fragmented one",
			in: cat(frame(wsOpBinary, true, []byte("a")), frame(bin, true, []byte("b"))), want: "a", failCode: StatusProtocolError},
		{name: "close with one byte", in: frame(closeF, true, []byte{3}), failCode: StatusProtocolError},
		{name: "close code 1005 may not be sent", in: frame(closeF, true, closeBody(1005, "")), failCode: StatusProtocolError},
		{name: "close code 999", in: frame(closeF, true, closeBody(999, "")), failCode: StatusProtocolError},
		{name: "close code 5000", in: frame(closeF, true, closeBody(5000, "")), failCode: StatusProtocolError},
		{name: "close code 4000 is the application's", in: frame(closeF, true, closeBody(4000, "app")),
			peerCode: 4000, reason: "app", sentOps: []byte{wsOpClose}, sentCodes: []int{4000}},
		{name: "close reason not UTF-8", in: frame(closeF, true, closeBody(1000, "\xff\xfe")), failCode: StatusInvalidPayload},
		{name: "message over the limit", limit: 10,
			in:   cat(frame(bin, true, []byte("0123456789")), frame(wsOpBinary, true, []byte("0123456")), frame(fin|wsOpContinuation, true, []byte("789x"))),
			want: "01234567890123456", failCode: StatusTooBig},
		{name: "length with the top bit set",
			in:       []byte{bin, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4},
			failCode: StatusProtocolError},
		{name: "cut short in the payload", in: frame(bin, true, []byte("hello"))[:9], want: "hel"},
		{name: "cut short in the header", in: frame(bin, true, mid)[:3]},
	} {
		for _, chunk := range []int{0, 1, 7} {
			for _, readSize := range []int{1, 3, 64 << 10} {
				m := &memConn{in: tc.in, chunk: chunk}
				c := newConn(m, false, 4096, nil)
				c.SetReadLimit(tc.limit)
				got, err := readAll(c, readSize)
				where := tc.name + " (chunk " + strconv.Itoa(chunk) + ", reads of " + strconv.Itoa(readSize) + ")"
				if string(got) != tc.want {
					t.Errorf("%s: read %q, want %q", where, clip(got), clip([]byte(tc.want)))
				}
				var ce *CloseError
				switch {
				case tc.failCode != 0:
					if !errors.As(err, &ce) || !ce.Local || ce.Code != tc.failCode {
						t.Errorf("%s: err %v, want a local close %d", where, err, tc.failCode)
					}
				case tc.peerCode != 0:
					if !errors.As(err, &ce) || ce.Local || ce.Code != tc.peerCode || ce.Reason != tc.reason {
						t.Errorf("%s: err %v, want the peer's close %d %q", where, err, tc.peerCode, tc.reason)
					}
				default:
					if !errors.Is(err, io.EOF) {
						t.Errorf("%s: err %v, want EOF", where, err)
					}
				}
				ops, bodies := sentFrames(t, m.written(), false)
				wantOps := tc.sentOps
				if tc.failCode != 0 {
					wantOps = append(bytes.Clone(wantOps), wsOpClose)
				}
				if !bytes.Equal(ops, wantOps) {
					t.Errorf("%s: sent opcodes %v, want %v", where, ops, wantOps)
					continue
				}
				ci := 0
				for i, op := range ops {
					switch {
					case op == wsOpPong && !bytes.Equal(bodies[i], []byte("p1")):
						t.Errorf("%s: pong %q, want the ping's payload", where, bodies[i])
					case op == wsOpClose && tc.failCode != 0:
						if len(bodies[i]) < 2 || int(binary.BigEndian.Uint16(bodies[i])) != tc.failCode || len(bodies[i]) == 2 {
							t.Errorf("%s: close frame % x, want code %d with a reason", where, bodies[i], tc.failCode)
						}
					case op == wsOpClose:
						want := tc.sentCodes[ci]
						ci++
						if (want == -1 && len(bodies[i]) != 0) || (want != -1 && (len(bodies[i]) < 2 || int(binary.BigEndian.Uint16(bodies[i])) != want)) {
							t.Errorf("%s: close answer % x, want code %d", where, bodies[i], want)
						}
					}
				}
			}
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}

func TestWSWriteFrames(t *testing.T) {
	for _, client := range []bool{false, true} {
		for _, n := range []int{0, 1, 125, 126, 65535, 65536, 300000} {
			m := &memConn{}
			c := newConn(m, client, 4096, nil)
			p := bytes.Repeat([]byte{0xa5, 0x5a, 0x01}, n/3+1)[:n]
			if k, err := c.Write(p); err != nil || k != n {
				t.Fatalf("Write(%d bytes) = %d, %v", n, k, err)
			}
			out := m.written()
			h, ok, err := parseWSHeader(out)
			if err != nil || !ok || !h.fin || h.op != wsOpBinary || h.rsv != 0 || h.masked != client || h.length != int64(n) {
				t.Fatalf("client %v, %d bytes: header %+v %v", client, n, h, err)
			}
			wantSize := 2
			switch {
			case n > 65535:
				wantSize = 10
			case n > 125:
				wantSize = 4
			}
			if client {
				wantSize += 4
			}
			if h.size != wantSize || len(out) != h.size+n {
				t.Fatalf("client %v, %d bytes: header of %d bytes, frame of %d; want the shortest header", client, n, h.size, len(out))
			}
			body := out[h.size:]
			if client {
				wsMask(h.mask, 0, body)
			}
			if !bytes.Equal(body, p) {
				t.Fatalf("client %v, %d bytes: payload differs", client, n)
			}
		}
	}
}

func TestWSMaskMatchesBytewise(t *testing.T) {
	key := [4]byte{1, 2, 0x80, 0xff}
	for pos := range 4 {
		for n := range 40 {
			b := bytes.Repeat([]byte{0x5c}, n)
			want := bytes.Clone(b)
			p := pos
			for i := range want {
				want[i] ^= key[p&3]
				p++
			}
			if end := wsMask(key, pos, b); end != p&3 || !bytes.Equal(b, want) {
				t.Fatalf("pos %d, %d bytes: % x (end %d), want % x (end %d)", pos, n, b, end, want, p&3)
			}
		}
	}
}

func TestWSClipReason(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	got := wsClipReason(long)
	if len(got) > 123 || !utf8.ValidString(got) || !strings.HasSuffix(got, "...") {
		t.Fatalf("clipped to %d bytes %q", len(got), got)
	}
	if wsClipReason("short") != "short" {
		t.Fatal("a short reason was changed")
	}
}

// wsReference decodes client frames from a whole input, without
// streaming, following the same rules as Conn.Read: the fuzz test's
// oracle. It returns the payload, and the local failure code (0 when the
// input ended, or the peer closed: peer true).
func wsReference(in []byte, limit int64) (payload []byte, fail int, peer bool) {
	inMessage := false
	var msgLen int64
	for {
		if len(in) < 2 {
			return payload, 0, false
		}
		b0, b1 := in[0], in[1]
		op, fin := b0&0x0f, b0&0x80 != 0
		n, size := int64(b1&0x7f), 2
		switch n {
		case 126:
			if len(in) < 4 {
				return payload, 0, false
			}
			n, size = int64(binary.BigEndian.Uint16(in[2:])), 4
		case 127:
			if len(in) < 10 {
				return payload, 0, false
			}
			u := binary.BigEndian.Uint64(in[2:])
			if u>>63 != 0 {
				return payload, StatusProtocolError, false
			}
			n, size = int64(u), 10
		}
		masked := b1&0x80 != 0
		if masked && len(in) < size+4 {
			return payload, 0, false
		}
		if b0&0x70 != 0 || !masked {
			return payload, StatusProtocolError, false
		}
		var key [4]byte
		copy(key[:], in[size:size+4])
		size += 4
		control := op >= 8
		switch {
		case op == 1:
			if inMessage {
				return payload, StatusProtocolError, false
			}
			return payload, StatusUnsupported, false
		case op == 2 && inMessage, op == 0 && !inMessage:
			return payload, StatusProtocolError, false
		case op > 2 && op < 8, op > 10:
			return payload, StatusProtocolError, false
		case control && (!fin || n > 125):
			return payload, StatusProtocolError, false
		}
		if control {
			if int64(len(in)) < int64(size)+n {
				return payload, 0, false
			}
			body := bytes.Clone(in[size : size+int(n)])
			wsMask(key, 0, body)
			in = in[size+int(n):]
			if op == wsOpClose {
				if code, _, err := parseWSClose(body); err != nil {
					return payload, code, false
				}
				return payload, 0, true
			}
			continue
		}
		if op != 0 {
			msgLen = 0
		}
		msgLen += n
		if limit > 0 && msgLen > limit {
			return payload, StatusTooBig, false
		}
		inMessage = !fin
		avail := min(n, int64(len(in)-size))
		body := bytes.Clone(in[size : size+int(avail)])
		wsMask(key, 0, body)
		payload = append(payload, body...)
		if avail < n {
			return payload, 0, false
		}
		in = in[size+int(n):]
	}
}

// FuzzWSRead feeds arbitrary bytes to the server's frame reader in small
// pieces and checks it against the whole-input reference decoder: the same
// payload, the same verdict, and never a panic.
func FuzzWSRead(f *testing.F) {
	for _, seed := range [][]byte{
		frame(bin, true, []byte("hello")),
		cat(frame(wsOpBinary, true, []byte("a")), frame(pingF, true, []byte("p")), frame(fin|wsOpContinuation, true, []byte("b"))),
		frame(bin, true, bytes.Repeat([]byte("x"), 300)),
		frame(closeF, true, closeBody(1000, "bye")),
		frame(closeF, true, closeBody(1000, "\xff")),
		frame(closeF, true, []byte{1}),
		frame(txt, true, []byte("t")),
		frame(bin, false, []byte("unmasked")),
		frame(fin|0x3, true, nil),
		{bin, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4},
		{bin, 0xff},
	} {
		f.Add(seed, uint8(1), uint16(0))
		f.Add(seed, uint8(5), uint16(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, limit uint16) {
		m := &memConn{in: bytes.Clone(in), chunk: int(chunk)}
		c := newConn(m, false, 512, nil)
		c.SetReadLimit(int64(limit))
		got, err := readAll(c, 100)
		want, fail, peer := wsReference(in, int64(limit))
		if !bytes.Equal(got, want) {
			t.Fatalf("read % x, reference % x", clip(got), clip(want))
		}
		var ce *CloseError
		switch {
		case fail != 0:
			if !errors.As(err, &ce) || !ce.Local || ce.Code != fail {
				t.Fatalf("err %v, reference fails with %d", err, fail)
			}
		case peer:
			if !errors.As(err, &ce) || ce.Local {
				t.Fatalf("err %v, reference saw the peer's close", err)
			}
		default:
			if !errors.Is(err, io.EOF) {
				t.Fatalf("err %v, reference ran out of input", err)
			}
		}
		// Whatever it answered is well-formed server frames.
		sentFrames(t, m.written(), false)
	})
}

func TestAcceptRefusesBadUpgrades(t *testing.T) {
	var hijacked int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Accept(w, r, 4096); err == nil {
			hijacked++
			c.CloseNow()
		}
	}))
	defer srv.Close()
	good := func() http.Header {
		return http.Header{
			"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"websocket"},
			"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="},
		}
	}
	for _, tc := range []struct {
		name   string
		method string
		edit   func(h http.Header)
		status int
	}{
		{"POST", "POST", nil, http.StatusMethodNotAllowed},
		{"no upgrade header", "GET", func(h http.Header) { h.Del("Upgrade") }, http.StatusUpgradeRequired},
		{"no connection upgrade", "GET", func(h http.Header) { h.Set("Connection", "keep-alive") }, http.StatusUpgradeRequired},
		{"version 8", "GET", func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }, http.StatusBadRequest},
		{"no key", "GET", func(h http.Header) { h.Del("Sec-Websocket-Key") }, http.StatusBadRequest},
		{"short key", "GET", func(h http.Header) { h.Set("Sec-Websocket-Key", "c2hvcnQ=") }, http.StatusBadRequest},
		{"two keys", "GET", func(h http.Header) { h.Add("Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==") }, http.StatusBadRequest},
		{"foreign origin", "GET", func(h http.Header) { h.Set("Origin", "http://evil.example") }, http.StatusForbidden},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL, nil)
		req.Header = good()
		if tc.edit != nil {
			tc.edit(req.Header)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.status)
		}
	}
	if hijacked != 0 {
		t.Fatalf("%d bad upgrades were accepted", hijacked)
	}
	// The RFC's own example key, from the same origin, is accepted.
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header = good()
	req.Header.Set("Origin", srv.URL)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ||
		res.Header.Get("Sec-Websocket-Extensions") != "" {
		t.Fatalf("good upgrade: %d %v", res.StatusCode, res.Header)
	}
}
