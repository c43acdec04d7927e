package screen

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// changes records what Options.Changed hears.
type changes struct {
	mu  sync.Mutex
	all []ThumbnailChange
}

func (c *changes) add(ch ThumbnailChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, ch)
}

func (c *changes) list() []ThumbnailChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ThumbnailChange(nil), c.all...)
}

func TestThumbnailChangedOnlyWhenThePictureChanges(t *testing.T) {
	var got changes
	rig := newShotRig(t, Options{Changed: got.add})
	ctx := context.Background()
	first, err := rig.s.Thumbnail(ctx, "local", "u1")
	if err != nil {
		t.Fatal(err)
	}
	// The first picture of a VM is news for every other client.
	if l := got.list(); len(l) != 1 || l[0].ETag != first.ETag || l[0].Host != "local" || l[0].UUID != "u1" {
		t.Fatalf("after the first capture: %+v", l)
	}
	// The same screen captured again: no change.
	rig.advance(6 * time.Second)
	if _, err := rig.s.Thumbnail(ctx, "local", "u1"); err != nil || rig.captures.Load() != 2 {
		t.Fatalf("second capture: %v, %d captures", err, rig.captures.Load())
	}
	if l := got.list(); len(l) != 1 {
		t.Fatalf("an unchanged screen was announced: %+v", l)
	}
	// A changed screen is.
	other := testPNG(t, 640, 480)
	rig.s.capture = func(context.Context, string, inventory.VM) ([]byte, error) { rig.captures.Add(1); return other, nil }
	rig.advance(6 * time.Second)
	now, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if l := got.list(); len(l) != 2 || l[1].ETag != now.ETag || now.ETag == first.ETag {
		t.Fatalf("a changed screen: %+v (new etag %s)", l, now.ETag)
	}
}

func TestWatchRefreshesOnlyWatchedVMs(t *testing.T) {
	var got changes
	rig := newShotRig(t, Options{Changed: got.add, ThumbnailRefresh: 10 * time.Second, ThumbnailWatch: time.Minute})
	ctx := context.Background()
	// Nobody watches anything: nothing is captured.
	if n := rig.s.refreshDue(ctx); n != 0 || rig.captures.Load() != 0 {
		t.Fatalf("unwatched: %d due, %d captures", n, rig.captures.Load())
	}
	st := rig.s.Watch([]VMRef{{Host: "local", UUID: "u1"}, {Host: "local", UUID: "u3"}})
	if len(st) != 2 || st[0].ETag != "" {
		t.Fatalf("Watch before any capture = %+v", st)
	}
	// Both are due; u3 does not run, so it is dropped without a capture.
	if n := rig.s.refreshDue(ctx); n != 2 || rig.captures.Load() != 1 {
		t.Fatalf("first refresh: %d due, %d captures", n, rig.captures.Load())
	}
	l := got.list()
	if len(l) != 1 || l[0].UUID != "u1" {
		t.Fatalf("changes after the first refresh: %+v", l)
	}
	if st := rig.s.Watch([]VMRef{{Host: "local", UUID: "u1"}}); st[0].ETag != l[0].ETag {
		t.Fatalf("Watch answers etag %q, want the cached %q", st[0].ETag, l[0].ETag)
	}
	rig.s.mu.Lock()
	_, kept := rig.s.thumbs["local/u3"]
	rig.s.mu.Unlock()
	if kept {
		t.Error("a VM that does not run stayed watched")
	}
	// Before ThumbnailRefresh nothing is due.
	rig.advance(9 * time.Second)
	if n := rig.s.refreshDue(ctx); n != 0 {
		t.Fatalf("%d due 9 s after the capture", n)
	}
	// After it, captured again; the same picture is no change.
	rig.advance(time.Second)
	if n := rig.s.refreshDue(ctx); n != 1 || rig.captures.Load() != 2 || len(got.list()) != 1 {
		t.Fatalf("10 s after: %d due, %d captures, %d changes", n, rig.captures.Load(), len(got.list()))
	}
	// Once the watch has lapsed (nobody asked or watched for a minute), no more captures.
	rig.advance(time.Minute)
	if n := rig.s.refreshDue(ctx); n != 0 {
		t.Fatalf("%d due after the watch lapsed", n)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	rig := newShotRig(t, Options{ThumbnailRefresh: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rig.s.Run(ctx) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// textScreen is a 720×400 text console (like the test guest's VGA): dark,
// with a light cursor cell at (cx, cy) when cursor is set and light text
// in the rectangles given.
func textScreen(t *testing.T, cursor bool, text ...image.Rectangle) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 720, 400))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{0, 0, 0, 255}), image.Point{}, draw.Src)
	light := image.NewUniform(color.RGBA{170, 170, 170, 255})
	// "root@guest:~# " on the first line.
	draw.Draw(img, image.Rect(0, 0, 14*9, 16), light, image.Point{}, draw.Src)
	if cursor {
		draw.Draw(img, image.Rect(14*9, 14, 15*9, 16), light, image.Point{}, draw.Src)
	}
	for _, r := range text {
		draw.Draw(img, r, light, image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBlinkingCursorIsNoChange(t *testing.T) {
	var got changes
	rig := newShotRig(t, Options{Changed: got.add})
	screens := [][]byte{textScreen(t, true), textScreen(t, false)}
	n := 0
	rig.s.capture = func(context.Context, string, inventory.VM) ([]byte, error) {
		rig.captures.Add(1)
		return screens[n%len(screens)], nil
	}
	ctx := context.Background()
	first, err := rig.s.Thumbnail(ctx, "local", "u1")
	if err != nil {
		t.Fatal(err)
	}
	// The cursor blinks off and on: the same picture for clients, and no
	// change announced, for a minute.
	for range 5 {
		n++
		rig.advance(10 * time.Second)
		th, err := rig.s.Thumbnail(ctx, "local", "u1")
		if err != nil || th.ETag != first.ETag {
			t.Fatalf("capture %d: %v, etag %s, want %s", n, err, th.ETag, first.ETag)
		}
	}
	if l := got.list(); len(l) != 1 || int(rig.captures.Load()) != 6 {
		t.Fatalf("%d captures, changes %+v; want 6 and only the first", rig.captures.Load(), l)
	}
	// Once the picture clients have is a minute old, even a small change is news.
	n = 1 // the cursor off
	rig.advance(20 * time.Second)
	th, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if th.ETag == first.ETag || len(got.list()) != 2 {
		t.Fatalf("a minute on: etag %s, %d changes", th.ETag, len(got.list()))
	}
	// A line of output is news at once.
	screens = [][]byte{textScreen(t, true, image.Rect(0, 16, 30*9, 32))}
	rig.advance(10 * time.Second)
	th2, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if th2.ETag == th.ETag || len(got.list()) != 3 {
		t.Fatalf("a new line: etag unchanged %v, %d changes", th2.ETag == th.ETag, len(got.list()))
	}
}

func TestMinorChange(t *testing.T) {
	sig := func(b []byte) signature {
		img, err := decodeScreen(b)
		if err != nil {
			t.Fatal(err)
		}
		return signatureOf(scaleToWidth(img, 320))
	}
	on, off := sig(textScreen(t, true)), sig(textScreen(t, false))
	if !minorChange(on, on) || !minorChange(on, off) {
		t.Error("the same screen, or a blinking cursor, is a major change")
	}
	if minorChange(on, sig(textScreen(t, true, image.Rect(0, 16, 20*9, 32)))) {
		t.Error("a line of text is a minor change")
	}
	if minorChange(on, sig(testPNG(t, 640, 480))) || minorChange(signature{}, on) {
		t.Error("another size, or no signature, is a minor change")
	}
}
