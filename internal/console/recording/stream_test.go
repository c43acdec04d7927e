package recording

import (
	"bytes"
	"encoding/binary"
	"testing"
)

var pf32 = [16]byte{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16}

func serverInit(w, h int) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint16(b, uint16(w))
	binary.BigEndian.PutUint16(b[2:], uint16(h))
	copy(b[4:], pf32[:])
	return b
}

func rect(x, y, w, h int, enc int32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, uint16(x))
	binary.BigEndian.PutUint16(b[2:], uint16(y))
	binary.BigEndian.PutUint16(b[4:], uint16(w))
	binary.BigEndian.PutUint16(b[6:], uint16(h))
	binary.BigEndian.PutUint32(b[8:], uint32(enc))
	return b
}

func fbu(rects ...[]byte) []byte {
	n := 0
	var body []byte
	for _, r := range rects {
		if len(r) >= 2 && r[0] == 0xff && r[1] == 0xfe { // marker: not a rectangle start
			body = append(body, r[2:]...)
			continue
		}
		n++
		body = append(body, r...)
	}
	return append([]byte{0, 0, byte(n >> 8), byte(n)}, body...)
}

// data marks bytes that belong to the previous rectangle.
func data(b ...byte) []byte {
	return append([]byte{0xff, 0xfe}, append(b, make([]byte, max(0, 12-len(b)))...)...)[:max(len(b)+2, 2)]
}

func TestServerFramer(t *testing.T) {
	// A full 32x16 screen in TightPNG (a fill and a PNG), then an
	// update in Tight (basic, stateful), Hextile, Raw, a cursor, a
	// desktop size change, a bell and a cut text.
	var s []byte
	full := fbu(
		rect(0, 0, 16, 16, EncTightPNG), data(0x80, 1, 2, 3),
		rect(16, 0, 16, 16, EncTightPNG), data(0xa0, 3, 'p', 'n', 'g'),
	)
	s = append(s, full...)
	hextile := []byte{1}                                               // raw tile 16x16
	hextile = append(hextile, make([]byte, 16*16*4)...)                //
	hextile = append(hextile, 2|8|16, 1, 2, 3, 4, 1, 9, 9, 9, 9, 0, 0) // bg, 1 coloured subrect
	part := fbu(
		rect(0, 0, 4, 4, EncTight), data(0x00, 0x05, 'z', 'l', 'i', 'b', '!'), // 4*4*3=48 bytes → compact length 5
		rect(0, 0, 16, 32, EncHextile), data(hextile...),
		rect(0, 0, 2, 2, EncRaw), data(make([]byte, 16)...),
		rect(0, 0, 2, 2, encCursor), data(make([]byte, 16+2)...),
		rect(0, 0, 64, 48, encDesktopSize),
	)
	s = append(s, part...)
	s = append(s, 2)                                     // bell
	s = append(s, 3, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c') // cut text
	for _, step := range []int{1, 3, len(s)} {
		f, err := NewServerFramer(serverInit(32, 16))
		if err != nil {
			t.Fatal(err)
		}
		var evs []ServerEvent
		base := 0
		for i := 0; i < len(s); i += step {
			end := min(i+step, len(s))
			f.Feed(s[i:end], func(e ServerEvent) { e.Off += base; evs = append(evs, e) })
			base = end
		}
		if f.Err() != nil {
			t.Fatalf("step %d: %v", step, f.Err())
		}
		want := []ServerEvent{
			{Start: true, Off: 0}, {Off: len(full), Full: true},
			{Start: true, Off: len(full)}, {Off: len(full) + len(part)},
			{Start: true, Off: len(full) + len(part), Type: 2}, {Off: len(full) + len(part) + 1, Type: 2},
			{Start: true, Off: len(full) + len(part) + 1, Type: 3}, {Off: len(s), Type: 3},
		}
		if len(evs) != len(want) {
			t.Fatalf("step %d: events %+v, want %+v", step, evs, want)
		}
		for i := range want {
			if evs[i] != want[i] {
				t.Errorf("step %d: event %d %+v, want %+v", step, i, evs[i], want[i])
			}
		}
		if f.Width != 64 || f.Height != 48 {
			t.Errorf("size %dx%d after DesktopSize", f.Width, f.Height)
		}
	}
}

func TestServerFramerUnknown(t *testing.T) {
	f, _ := NewServerFramer(serverInit(8, 8))
	f.Feed(fbu(rect(0, 0, 1, 1, 12345)), nil)
	if f.Err() == nil {
		t.Fatal("an unknown encoding was accepted")
	}
}

func TestClientFramer(t *testing.T) {
	key := []byte{4, 1, 0, 0, 0, 0, 0, 0x61}
	ptr := []byte{5, 0, 0, 10, 0, 20}
	enc := SetEncodingsMessage([]int32{EncTight, EncTightPNG, EncZRLE, EncHextile, EncRaw, -258})
	cut := append([]byte{6, 0, 0, 0, 0, 0, 0, 100}, bytes.Repeat([]byte{'x'}, 100)...)
	qkey := []byte{255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 30}
	in := bytes.Join([][]byte{key, ptr, enc, cut, qkey}, nil)
	wantEnc := SetEncodingsMessage([]int32{EncTightPNG, EncHextile, EncRaw, -258})
	wantOut := bytes.Join([][]byte{key, ptr, wantEnc, cut, qkey}, nil)
	for _, step := range []int{1, 5, len(in)} {
		var seen [][]byte
		c := &ClientFramer{
			Rewrite: func(m []byte) []byte { return SetEncodingsMessage(StatelessEncodings(ParseSetEncodings(m))) },
			Seen: func(m ClientMessage) {
				if IsInput(m.Data) {
					seen = append(seen, bytes.Clone(m.Data))
				}
			},
		}
		var out []byte
		for i := 0; i < len(in); i += step {
			out = append(out, c.Feed(in[i:min(i+step, len(in))])...)
		}
		if c.Err() != nil {
			t.Fatal(c.Err())
		}
		if !bytes.Equal(out, wantOut) {
			t.Fatalf("step %d: out\n%v\nwant\n%v", step, out, wantOut)
		}
		if len(seen) != 3 || !bytes.Equal(seen[0], key) || !bytes.Equal(seen[1], ptr) || !bytes.Equal(seen[2], qkey) {
			t.Fatalf("step %d: input %v", step, seen)
		}
		if !c.AtBoundary() {
			t.Fatal("not at a boundary at the end")
		}
	}
	// Injection waits for a boundary.
	c := &ClientFramer{}
	out := c.Feed(ptr[:3])
	c.Queue([]byte{3, 0, 0, 0, 0, 0, 0, 8, 0, 8})
	out = append(out, c.Feed(ptr[3:])...)
	if want := append(bytes.Clone(ptr), 3, 0, 0, 0, 0, 0, 0, 8, 0, 8); !bytes.Equal(out, want) {
		t.Fatalf("injected: %v, want %v", out, want)
	}
}
