//go:build integration

package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// TestConsoleRecording records a real console through the proxy: a client
// that asks for the encodings noVNC asks for (Tight first) types a command
// while the console records; the recording, downloaded, has a keyframe
// whose full update follows the recorded stream's message boundaries, and
// the keys typed; the console's audit entry names the recording, and the
// player's segment route serves the keyframe.
func TestConsoleRecording(t *testing.T) {
	t.Parallel()
	l := lv(t)
	g := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, g)
	c := gcOpen(t, g.UUID)
	if err := c.rfb.SetEncodings(recording.EncTight, recording.EncTightPNG, recording.EncZRLE, recording.EncHextile, recording.EncRaw, -223); err != nil {
		t.Fatal(err)
	}
	// The screen as it comes: followed (not decoded) in the background;
	// each whole update counted.
	var updates atomic.Int64
	go func() {
		si := make([]byte, 24)
		binary.BigEndian.PutUint16(si, uint16(c.rfb.Width))
		binary.BigEndian.PutUint16(si[2:], uint16(c.rfb.Height))
		copy(si[4:], []byte{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0})
		sf, _ := recording.NewServerFramer(si)
		buf := make([]byte, 64<<10)
		for {
			n, err := c.rec.Read(buf)
			sf.Feed(buf[:n], func(e recording.ServerEvent) {
				if !e.Start && e.Type == 0 {
					updates.Add(1)
				}
			})
			if err != nil {
				return
			}
		}
	}()
	if err := c.rfb.RequestUpdate(false); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Recording bool     `json:"recording"`
		IDs       []string `json:"ids"`
		Keyframes int      `json:"keyframes"`
	}
	if code, b := apiJSON("POST", gcPath(g.UUID, "/console/recording"), nil, &st); code != 200 || !st.Recording || len(st.IDs) != 1 {
		t.Fatalf("start recording: %d %s", code, b)
	}
	id := st.IDs[0]
	waitFor(t, 30*time.Second, "the first keyframe", func() bool {
		_, _ = apiJSON("GET", gcPath(g.UUID, "/console/recording"), nil, &st)
		return st.Keyframes >= 1
	})
	since := testguest.LogSize(g.Log)
	for _, r := range "echo REC=$((6*7)) >/dev/ttyS1\n" {
		gcType(t, c.rfb, string(r))
		if err := c.rfb.RequestUpdate(true); err != nil {
			t.Fatal(err)
		}
	}
	gcWaitLog(t, g, since, "REC=42")
	if code, b := apiJSON("DELETE", gcPath(g.UUID, "/console/recording"), nil, &st); code != 200 || st.Recording {
		t.Fatalf("stop recording: %d %s", code, b)
	}
	if updates.Load() == 0 {
		t.Fatal("the client got no whole framebuffer update")
	}

	// The file, as downloaded.
	code, file := api("GET", "/api/v1/recordings/"+id+"/file", nil)
	if code != 200 {
		t.Fatalf("download: %d %s", code, file)
	}
	rd, err := recording.Open(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if h := rd.Header(); h.UUID != g.UUID || h.VMName != g.Name {
		t.Fatalf("header %+v", h)
	}
	if len(rd.Index()) == 0 {
		t.Fatal("no keyframe in the recording")
	}
	cur := rd.Chunks(rd.Index()[0].Offset)
	ev, err := cur.Next()
	if err != nil || ev.Type != recording.Keyframe {
		t.Fatalf("first event of the keyframe chunk: %v %v", ev.Type, err)
	}
	kf, err := recording.ParseKeyframe(ev.Data)
	if err != nil || int(kf.Width) != c.rfb.Width || int(kf.Height) != c.rfb.Height {
		t.Fatalf("keyframe %+v, %v; screen %dx%d", kf, err, c.rfb.Width, c.rfb.Height)
	}
	// A player starts here: the server bytes from the keyframe on are
	// whole messages, the first a full update in stateless encodings.
	si := make([]byte, 24)
	binary.BigEndian.PutUint16(si, kf.Width)
	binary.BigEndian.PutUint16(si[2:], kf.Height)
	copy(si[4:], kf.PixelFormat[:])
	sf, err := recording.NewServerFramer(si)
	if err != nil {
		t.Fatal(err)
	}
	var ends []recording.ServerEvent
	var keys []uint32
	for {
		ev, err := cur.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case recording.Server:
			sf.Feed(ev.Data, func(e recording.ServerEvent) {
				if !e.Start {
					ends = append(ends, e)
				}
			})
		case recording.Input:
			if ev.Data[0] == recording.MsgKeyEvent && ev.Data[1] == 1 {
				keys = append(keys, binary.BigEndian.Uint32(ev.Data[4:]))
			}
		}
	}
	if sf.Err() != nil {
		t.Fatalf("the recorded stream does not follow: %v", sf.Err())
	}
	if len(ends) < 2 || !ends[0].Full {
		t.Fatalf("recorded messages %+v: want a full update first, then more", ends[:min(len(ends), 3)])
	}
	typed := string(func() []rune {
		var rs []rune
		for _, k := range keys {
			if k < 0x80 {
				rs = append(rs, rune(k))
			}
		}
		return rs
	}())
	if !strings.Contains(typed, "echo REC=") {
		t.Fatalf("keys recorded: %q", typed)
	}

	// The player's segment: the keyframe first.
	code, seg := api("GET", "/api/v1/recordings/"+id+"/segments/0", nil)
	if code != 200 || len(seg) < 9 || seg[0] != byte(recording.Keyframe) {
		t.Fatalf("segment 0: %d, %d bytes", code, len(seg))
	}
	// The console's audit entry, written when it closes, names the
	// recording.
	_ = c.ws.CloseNow()
	waitFor(t, 30*time.Second, "the console's audit entry with the recording", func() bool {
		_, b := api("GET", "/api/v1/audit?action=console.open", nil)
		return bytes.Contains(b, []byte("recording "+id))
	})
	if code, b := api("DELETE", "/api/v1/recordings/"+id, nil); code != 204 {
		t.Fatalf("delete: %d %s", code, b)
	}
}
