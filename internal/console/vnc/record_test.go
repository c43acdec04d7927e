package vnc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
)

// recQEMU is a VNC server (720×400) that answers a non-incremental update
// request with one full-screen TightPNG fill and an incremental one with
// a 2×1 Raw rectangle, and keeps the SetEncodings it got.
type recQEMU struct {
	ln   net.Listener
	mu   sync.Mutex
	encs [][]int32
	keys int
}

func newRecQEMU(t *testing.T) *recQEMU {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := &recQEMU{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go q.serve(c)
		}
	}()
	return q
}

func (q *recQEMU) serve(c net.Conn) {
	defer c.Close()
	hs := &consoletest.VNCServer{Version: rfb.Version38, Types: []byte{rfb.SecNone}}
	if err := hs.Serve(c); err != nil {
		return
	}
	cf := &recording.ClientFramer{Seen: func(m recording.ClientMessage) {
		switch m.Type {
		case recording.MsgSetEncodings:
			q.mu.Lock()
			q.encs = append(q.encs, recording.ParseSetEncodings(m.Data))
			q.mu.Unlock()
		case recording.MsgKeyEvent:
			q.mu.Lock()
			q.keys++
			q.mu.Unlock()
		case recording.MsgUpdateRequest:
			if m.Data[1] == 0 {
				b := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0xd0, 0x01, 0x90}
				enc := recording.EncTightPNG
				b = binary.BigEndian.AppendUint32(b, uint32(enc))
				_, _ = c.Write(append(b, 0x80, 10, 20, 30))
			} else {
				_, _ = c.Write([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
			}
		}
	}}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		cf.Feed(buf[:n])
		if err != nil {
			return
		}
	}
}

func (q *recQEMU) lastEncodings() []int32 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.encs) == 0 {
		return nil
	}
	return q.encs[len(q.encs)-1]
}

// TestRecordConsole records a console through the proxy: while it records
// the VNC server is asked for stateless encodings and a full update (the
// first keyframe); the key typed is in the recording; after the stop the
// browser's own encodings are back.
func TestRecordConsole(t *testing.T) {
	q := newRecQEMU(t)
	store, err := recording.NewStore(recording.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var changes sync.Map
	rig := newProxyRig(t, Options{Recordings: store, RecordingChanged: func(h, uuid string, st RecordingStatus) {
		changes.Store(st.Recording, true)
	}}, func(string, string) (Target, error) {
		return Target{VMName: "fake", Network: "tcp", Address: q.ln.Addr().String()}, nil
	})
	ws := rig.dial(t)
	rw := consoletest.WebSocketStream(ws)
	cl, err := consoletest.RFBHandshake(rw, "")
	if err != nil {
		t.Fatal(err)
	}
	browserEncs := []int32{recording.EncTight, recording.EncTightPNG, recording.EncZRLE, recording.EncRaw, -223}
	if err := cl.SetEncodings(browserEncs...); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the browser's encodings", func() bool { return slices.Equal(q.lastEncodings(), browserEncs) })
	// Server bytes the browser reads, in the background.
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(rw); got <- b }()

	st, err := rig.v.StartRecording("local", testVMUUID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Recording || len(st.IDs) != 1 || st.Consoles != 1 {
		t.Fatalf("status %+v", st)
	}
	stateless := []int32{recording.EncTightPNG, recording.EncRaw, -223}
	waitUntil(t, "stateless encodings", func() bool { return slices.Equal(q.lastEncodings(), stateless) })
	if _, err := rw.Write([]byte{4, 1, 0, 0, 0, 0, 0, 0x61}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the key", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return q.keys == 1 })
	// The browser's next SetEncodings is rewritten while recording. (Wait
	// for it: a stop before it passed the relay would let it through as
	// it is, rightly.)
	if err := cl.SetEncodings(browserEncs...); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the browser's second SetEncodings", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.encs) >= 3 })
	waitUntil(t, "the keyframe", func() bool { return rig.v.RecordingStatus("local", testVMUUID).Keyframes == 1 })
	if info, err := store.Stat(st.IDs[0]); err != nil || !info.Active {
		t.Fatalf("a running recording reads as %+v, %v", info, err)
	}
	if _, err := rig.v.StopRecording("local", testVMUUID, false); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the browser's encodings again", func() bool { return slices.Equal(q.lastEncodings(), browserEncs) })
	q.mu.Lock()
	for _, e := range q.encs[1 : len(q.encs)-1] {
		if !slices.Equal(e, stateless) {
			t.Errorf("while recording the server got encodings %v", e)
		}
	}
	q.mu.Unlock()
	if rs := rig.v.RecordingStatus("local", testVMUUID); rs.Recording {
		t.Fatalf("still recording: %+v", rs)
	}
	if _, ok := changes.Load(true); !ok {
		t.Error("RecordingChanged was not told of the start")
	}

	f, rd, err := store.Open(st.IDs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if h := rd.Header(); h.User != "alice" || h.VMName != "fake" || len(h.ServerInit) < 24 {
		t.Fatalf("header %+v", h)
	}
	if len(rd.Index()) != 1 {
		t.Fatalf("keyframes %+v, want 1", rd.Index())
	}
	c := rd.Chunks(rd.Index()[0].Offset)
	var server []byte
	var inputs [][]byte
	var kf *recording.KeyframeInfo
	for {
		ev, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case recording.Keyframe:
			k, err := recording.ParseKeyframe(ev.Data)
			if err != nil {
				t.Fatal(err)
			}
			kf = &k
		case recording.Server:
			server = append(server, ev.Data...)
		case recording.Input:
			inputs = append(inputs, bytes.Clone(ev.Data))
		}
	}
	if kf == nil || kf.Width != 720 || kf.Height != 400 {
		t.Fatalf("keyframe %+v", kf)
	}
	if !bytes.HasPrefix(server, []byte{0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0xd0, 0x01, 0x90}) {
		t.Fatalf("the recorded stream does not start with the full update: % x", server[:min(len(server), 16)])
	}
	// The key may have been recorded before the keyframe (in the chunk
	// before): look in the whole file.
	c = rd.Chunks(rd.FirstChunk())
	for {
		ev, err := c.Next()
		if err != nil {
			break
		}
		if ev.Type == recording.Input {
			inputs = append(inputs, bytes.Clone(ev.Data))
		}
	}
	found := false
	for _, in := range inputs {
		found = found || bytes.Equal(in, []byte{4, 1, 0, 0, 0, 0, 0, 0x61})
	}
	if !found {
		t.Fatalf("the key is not in the recording: %v", inputs)
	}
	_ = ws.CloseNow()
	<-got
	if _, err := os.Stat(f.Name()); err != nil {
		t.Fatal(err)
	}
}

// TestRecordingJoinsNewConsoles: a console of a VM that records starts
// recording when it opens, and stops with the others.
func TestRecordingJoinsNewConsoles(t *testing.T) {
	q := newRecQEMU(t)
	store, err := recording.NewStore(recording.StoreOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rig := newProxyRig(t, Options{Recordings: store}, func(string, string) (Target, error) {
		return Target{VMName: "fake", Network: "tcp", Address: q.ln.Addr().String()}, nil
	})
	open := func() {
		rw := consoletest.WebSocketStream(rig.dial(t))
		if _, err := consoletest.RFBHandshake(rw, ""); err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = io.Copy(io.Discard, rw) }()
	}
	open()
	waitUntil(t, "the first console", func() bool { return rig.v.RecordingStatus("local", testVMUUID).Consoles == 1 })
	if _, err := rig.v.StartRecording("local", testVMUUID, "alice"); err != nil {
		t.Fatal(err)
	}
	open()
	waitUntil(t, "the second console recording", func() bool {
		st := rig.v.RecordingStatus("local", testVMUUID)
		return st.Consoles == 2 && len(st.IDs) == 2
	})
	if st, _ := rig.v.StopRecording("local", testVMUUID, false); st.Recording {
		t.Fatalf("still recording: %+v", st)
	}
	list, err := store.List()
	if err != nil || len(list) != 2 || list[0].User != "alice" || list[1].User != "alice" {
		t.Fatalf("recordings %+v, %v", list, err)
	}
}
