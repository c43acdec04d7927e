package screen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host/hosttest"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func ppm(w, h, maxval int, pix []byte) []byte {
	return append([]byte(fmt.Sprintf("P6\n# made by a test\n%d %d\n%d\n", w, h, maxval)), pix...)
}

func TestDecodePPM(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		want    []color.RGBA // pixels in order
		wantErr bool
	}{
		{name: "8 bit", in: ppm(2, 1, 255, []byte{1, 2, 3, 250, 251, 252}), want: []color.RGBA{{1, 2, 3, 255}, {250, 251, 252, 255}}},
		{name: "maxval 15 scaled", in: ppm(1, 1, 15, []byte{15, 0, 5}), want: []color.RGBA{{255, 0, 85, 255}}},
		{name: "16 bit", in: ppm(1, 1, 65535, []byte{0xff, 0xff, 0, 0, 0x80, 0x00}), want: []color.RGBA{{255, 0, 128, 255}}},
		{name: "QEMU's header", in: append([]byte("P6\n1 1\n255\n"), 9, 8, 7), want: []color.RGBA{{9, 8, 7, 255}}},
		{name: "short data", in: ppm(2, 2, 255, []byte{1, 2, 3}), wantErr: true},
		{name: "P3 text", in: []byte("P3\n1 1\n255\n1 2 3\n"), wantErr: true},
		{name: "zero size", in: ppm(0, 1, 255, nil), wantErr: true},
		{name: "huge", in: ppm(100000, 100000, 255, nil), wantErr: true},
		{name: "bad maxval", in: ppm(1, 1, 0, []byte{1, 2, 3}), wantErr: true},
		{name: "no separator", in: []byte("P6 1 1 255"), wantErr: true},
		{name: "truncated header", in: []byte("P6\n1"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := decodePPM(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.Rect.Dx()*img.Rect.Dy() != len(tc.want) {
				t.Fatalf("size %v", img.Rect)
			}
			for i, want := range tc.want {
				if got := img.RGBAAt(i%img.Rect.Dx(), i/img.Rect.Dx()); got != want {
					t.Errorf("pixel %d = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func FuzzDecodePPM(f *testing.F) {
	f.Add(ppm(2, 1, 255, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(ppm(1, 1, 65535, []byte{1, 2, 3, 4, 5, 6}))
	f.Add([]byte("P6\n#c\n1 1\n255\n\x00\x00\x00"))
	f.Add([]byte("P6"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodePPM(b)
		if err != nil {
			return
		}
		if img.Rect.Dx() < 1 || img.Rect.Dy() < 1 || img.Rect.Dx()*img.Rect.Dy() > maxScreenPixels {
			t.Fatalf("size %v", img.Rect)
		}
		// A decoded image always encodes.
		if _, err := encodePNG(img); err != nil {
			t.Fatal(err)
		}
	})
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScreenPNG(t *testing.T) {
	p := testPNG(t, 7, 5)
	got, w, h, err := screenPNG(p)
	if err != nil || w != 7 || h != 5 || !bytes.Equal(got, p) {
		t.Errorf("PNG: %dx%d %v, passed through %v", w, h, err, bytes.Equal(got, p))
	}
	got, w, h, err = screenPNG(ppm(2, 1, 255, []byte{1, 2, 3, 4, 5, 6}))
	if err != nil || w != 2 || h != 1 {
		t.Fatalf("PPM: %dx%d %v", w, h, err)
	}
	img, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := img.At(1, 0).RGBA(); r>>8 != 4 || g>>8 != 5 || b>>8 != 6 {
		t.Errorf("converted pixel = %d %d %d", r>>8, g>>8, b>>8)
	}
	for _, bad := range [][]byte{nil, []byte("GIF89a"), []byte("\x89PNG\r\n\x1a\ngarbage")} {
		if _, _, _, err := screenPNG(bad); err == nil {
			t.Errorf("screenPNG(%q) accepted", bad)
		}
	}
}

func TestScaleToWidth(t *testing.T) {
	// A 4x2 image: left half white, right half black; rows alike.
	src := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			v := uint8(255)
			if x >= 2 {
				v = 0
			}
			src.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	for _, tc := range []struct {
		name         string
		w            int
		wantW, wantH int
		want         []uint8 // grey value per target pixel, row-major
	}{
		{name: "halve", w: 2, wantW: 2, wantH: 1, want: []uint8{255, 0}},
		{name: "to one pixel averages", w: 1, wantW: 1, wantH: 1, want: []uint8{128}},
		{name: "wider is untouched", w: 10, wantW: 4, wantH: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scaleToWidth(src, tc.w)
			b := got.Bounds()
			if b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Fatalf("size %v, want %dx%d", b, tc.wantW, tc.wantH)
			}
			for i, want := range tc.want {
				r, _, _, a := got.At(i%b.Dx(), i/b.Dx()).RGBA()
				if uint8(r>>8) != want || a>>8 != 255 {
					t.Errorf("pixel %d = %d (alpha %d), want %d", i, r>>8, a>>8, want)
				}
			}
		})
	}
	// The usual case: a 720x400 text screen becomes 320x178.
	if b := scaleToWidth(image.NewNRGBA(image.Rect(0, 0, 720, 400)), 320).Bounds(); b.Dx() != 320 || b.Dy() != 178 {
		t.Errorf("720x400 scaled to %v", b)
	}
}

func TestScreenshotName(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	for _, tc := range []struct{ vm, want string }{
		{"web-1", "web-1-20260304-050607"},
		{"../../etc/passwd", "_.._etc_passwd-20260304-050607"},
		{".hidden", "hidden-20260304-050607"},
		{"", "vm-20260304-050607"},
		{"spaces and ümlauts", "spaces_and__mlauts-20260304-050607"},
		{strings.Repeat("x", 200), strings.Repeat("x", 64) + "-20260304-050607"},
	} {
		if got := screenshotName(tc.vm, at); got != tc.want {
			t.Errorf("screenshotName(%q) = %q, want %q", tc.vm, got, tc.want)
		}
	}
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}-\d{8}-\d{6}$`)

func FuzzScreenshotName(f *testing.F) {
	for _, s := range []string{"web-1", "../x", "/", ".", "a\x00b", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, vm string) {
		got := screenshotName(vm, time.Unix(0, 0))
		if !safeName.MatchString(got) || strings.Contains(got, "/") {
			t.Fatalf("screenshotName(%q) = %q", vm, got)
		}
	})
}

func TestSaveScreenshotNeverOverwrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "KVM Manager") // made on first save
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	var paths []string
	for i := range 3 {
		p, err := saveScreenshot(dir, "web-1", at, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	want := []string{"web-1-20260304-050607.png", "web-1-20260304-050607-2.png", "web-1-20260304-050607-3.png"}
	for i, p := range paths {
		if filepath.Base(p) != want[i] || filepath.Dir(p) != dir {
			t.Errorf("save %d went to %s, want %s", i, p, want[i])
		}
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, []byte{byte(i)}) {
			t.Errorf("%s holds %v, %v", p, b, err)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("folder mode %v, %v; want 0750", fi.Mode(), err)
	}
}

func TestSaveScreenshotProblems(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := saveScreenshot(filepath.Join(notDir, "sub"), "vm", time.Now(), []byte{1})
	if p, ok := problem.As(err); !ok || p.Kind != problem.Unavailable || !strings.Contains(p.Message, notDir) {
		t.Errorf("save under a file: %v", err)
	}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{syscall.ENOSPC, "disk_full"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EDQUOT}, "disk_full"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, "screenshots_dir_not_writable"},
		{syscall.EROFS, "screenshots_dir_not_writable"},
		{syscall.EIO, "screenshot_not_saved"},
	} {
		if p, ok := problem.As(saveProblem("/x", tc.err)); !ok || p.Code != tc.code || p.Hint == "" {
			t.Errorf("saveProblem(%v) = %+v, want %s", tc.err, p, tc.code)
		}
	}
}

// fakeVMs is an inventory of VMs by UUID.
type fakeVMs map[string]inventory.VM

func (f fakeVMs) Get(_, uuid string) (inventory.VM, error) {
	vm, ok := f[uuid]
	if !ok {
		return vm, problem.New(problem.NotFound, "vm_not_found", "no such VM", "")
	}
	return vm, nil
}

// shotRig is a screenshot service whose captures are counted fakes.
type shotRig struct {
	s        *Service
	captures atomic.Int32
	now      atomic.Pointer[time.Time]
	release  chan struct{} // when set, captures wait for it
}

func newShotRig(t *testing.T, opts Options) *shotRig {
	t.Helper()
	rig := &shotRig{}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rig.now.Store(&start)
	opts.Inventory = fakeVMs{
		"u1": {UUID: "u1", Name: "one", State: "running"},
		"u2": {UUID: "u2", Name: "two", State: "running"},
		"u3": {UUID: "u3", Name: "off", State: "shutoff"},
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Now = func() time.Time { return *rig.now.Load() }
	opts.Dir = t.TempDir()
	rig.s = New(opts)
	png := testPNG(t, 720, 400)
	rig.s.capture = func(ctx context.Context, _ string, _ inventory.VM) ([]byte, error) {
		rig.captures.Add(1)
		if rig.release != nil {
			<-rig.release
		}
		return png, nil
	}
	return rig
}

func (rig *shotRig) advance(d time.Duration) {
	n := rig.now.Load().Add(d)
	rig.now.Store(&n)
}

func TestThumbnailCached(t *testing.T) {
	rig := newShotRig(t, Options{})
	ctx := context.Background()
	a, err := rig.s.Thumbnail(ctx, "local", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Width != 320 || a.Height != 178 {
		t.Errorf("thumbnail %dx%d, want 320x178", a.Width, a.Height)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(a.PNG)); err != nil || cfg.Width != 320 {
		t.Errorf("thumbnail PNG %+v, %v", cfg, err)
	}
	rig.advance(4 * time.Second)
	b, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if rig.captures.Load() != 1 || b.ETag != a.ETag {
		t.Fatalf("second request within max age: %d captures, etags %s %s", rig.captures.Load(), a.ETag, b.ETag)
	}
	rig.advance(2 * time.Second)
	c, _ := rig.s.Thumbnail(ctx, "local", "u1")
	// A new capture of an unchanged screen keeps the ETag: the card's
	// If-None-Match gets 304, and nothing is sent or redrawn.
	if rig.captures.Load() != 2 || c.ETag != a.ETag {
		t.Fatalf("after max age, same screen: %d captures, etags %s %s", rig.captures.Load(), a.ETag, c.ETag)
	}
	// A changed screen gets a new one.
	other := testPNG(t, 640, 480)
	rig.s.capture = func(context.Context, string, inventory.VM) ([]byte, error) { rig.captures.Add(1); return other, nil }
	rig.advance(6 * time.Second)
	d, _ := rig.s.Thumbnail(ctx, "local", "u1")
	if rig.captures.Load() != 3 || d.ETag == a.ETag {
		t.Fatalf("after max age, changed screen: %d captures, etag unchanged %v", rig.captures.Load(), d.ETag == a.ETag)
	}
}

func TestThumbnailConcurrentRequestsShareACapture(t *testing.T) {
	rig := newShotRig(t, Options{})
	rig.release = make(chan struct{})
	var wg sync.WaitGroup
	etags := make([]string, 20)
	for i := range etags {
		wg.Go(func() {
			th, err := rig.s.Thumbnail(context.Background(), "local", "u1")
			if err != nil {
				t.Error(err)
			}
			etags[i] = th.ETag
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(rig.release)
	wg.Wait()
	if n := rig.captures.Load(); n != 1 {
		t.Errorf("%d captures for 20 concurrent requests, want 1", n)
	}
	for _, e := range etags {
		if e != etags[0] {
			t.Fatalf("different thumbnails: %v", etags)
		}
	}
}

func TestThumbnailRateLimit(t *testing.T) {
	// One capture per second for all VMs; no waiting allowed.
	rig := newShotRig(t, Options{ThumbnailRate: 1, ThumbnailMaxWait: time.Nanosecond})
	ctx := context.Background()
	if _, err := rig.s.Thumbnail(ctx, "local", "u1"); err != nil {
		t.Fatal(err)
	}
	// Another VM right away: no turn free, nothing cached: busy.
	_, err := rig.s.Thumbnail(ctx, "local", "u2")
	if p, ok := problem.As(err); !ok || p.Code != "thumbnail_busy" {
		t.Fatalf("second VM at once: %v, want thumbnail_busy", err)
	}
	rig.advance(time.Second)
	if _, err := rig.s.Thumbnail(ctx, "local", "u2"); err != nil {
		t.Fatalf("after a second: %v", err)
	}
	// u1 is stale now and no turn is free: its older thumbnail is served.
	rig.advance(6 * time.Second)
	_, _ = rig.s.Thumbnail(ctx, "local", "u2") // takes the turn
	before := rig.captures.Load()
	if _, err := rig.s.Thumbnail(ctx, "local", "u1"); err != nil || rig.captures.Load() != before {
		t.Fatalf("stale u1: err %v, captures %d -> %d; want the old one without a capture", err, before, rig.captures.Load())
	}
}

func TestThumbnailOfStoppedVM(t *testing.T) {
	rig := newShotRig(t, Options{})
	_, err := rig.s.Thumbnail(context.Background(), "local", "u3")
	if p, ok := problem.As(err); !ok || p.Code != "vm_not_running" {
		t.Fatalf("err = %v", err)
	}
	if rig.captures.Load() != 0 {
		t.Error("a stopped VM was captured")
	}
}

func TestThumbnailsForgotten(t *testing.T) {
	rig := newShotRig(t, Options{})
	if _, err := rig.s.Thumbnail(context.Background(), "local", "u1"); err != nil {
		t.Fatal(err)
	}
	rig.advance(thumbForget + time.Minute)
	if _, err := rig.s.Thumbnail(context.Background(), "local", "u2"); err != nil {
		t.Fatal(err)
	}
	rig.s.mu.Lock()
	_, kept := rig.s.thumbs["local/u1"]
	rig.s.mu.Unlock()
	if kept {
		t.Error("a thumbnail nobody asked for stayed cached")
	}
}

func TestSaveNamesFileAfterVM(t *testing.T) {
	rig := newShotRig(t, Options{})
	saved, err := rig.s.Save(context.Background(), "local", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Name != "one-20260101-120000.png" || saved.Width != 720 || saved.Height != 400 || filepath.Dir(saved.Path) != rig.s.Dir() {
		t.Errorf("saved %+v", saved)
	}
}

// Each capture asks the computer of the VM's host for the screen, tries
// again on an empty image, and turns the machine's errors into problems
// that say what to do.
func TestMachineCapture(t *testing.T) {
	vm := inventory.VM{UUID: "3ebff392-0803-4fe8-8612-5bed46ecf81f", Name: "web-1", State: "running"}
	png := testPNG(t, 3, 2)
	notRunning := &machine.ExitError{Program: "virsh", Code: 1, Stderr: "error: Requested operation is not valid: domain is not running"}
	for _, tc := range []struct {
		name   string
		m      *machinefake.Machine
		err    error    // after the images
		images [][]byte // answered in turn
		code   string
		calls  int
	}{
		{name: "works", m: machinefake.New(), images: [][]byte{png}, calls: 1},
		{name: "empty then works", m: machinefake.New(), images: [][]byte{{}, png}, calls: 2},
		{name: "always empty", m: machinefake.New(), code: "screenshot_empty", calls: 3},
		{name: "not running", m: machinefake.New(), err: notRunning, code: "vm_not_running", calls: 1},
		{name: "other failure", m: machinefake.New(), err: &machine.ExitError{Program: "virsh", Code: 1, Stderr: "error: internal error: no display"},
			code: "screenshot_failed", calls: 1},
		{name: "virsh missing", m: machinefake.New(), err: fmt.Errorf("virsh: %w", machine.ErrNotInstalled), code: "virsh_missing", calls: 1},
		{name: "too slow", m: machinefake.New(), err: fmt.Errorf("virsh did not finish: %w", context.DeadlineExceeded), code: "screenshot_timeout", calls: 1},
		{name: "computer out of reach", m: machinefake.NewUnsupported("the host is reached over TLS"), code: "screenshot_unsupported", calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.m.Screens(tc.err, tc.images...)
			s := New(Options{Hosts: hosttest.Local(t, tc.m), Logger: slog.New(slog.DiscardHandler)})
			data, err := s.machineCapture(context.Background(), "local", vm)
			calls := tc.m.Calls()
			if len(calls) != tc.calls || calls[0] != "Screenshot "+vm.UUID {
				t.Errorf("calls = %v, want %d screenshots of %s", calls, tc.calls, vm.UUID)
			}
			if tc.code != "" {
				if p, ok := problem.As(err); !ok || p.Code != tc.code || p.Hint == "" {
					t.Fatalf("err = %v, want %s with a hint", err, tc.code)
				}
				return
			}
			if err != nil || !bytes.Equal(data, png) {
				t.Fatalf("capture = %d bytes, %v", len(data), err)
			}
		})
	}
}

// captureOnRelease makes rig's captures behave as virsh does under
// exec.CommandContext: they end with the capture context's error when it is
// done before the screen is released. started receives one value per capture
// begun; ctxErr, when set, records the capture context's error at release.
func (rig *shotRig) captureOnRelease(t *testing.T, started chan<- struct{}, ctxErr *atomic.Value) {
	t.Helper()
	png := testPNG(t, 720, 400)
	rig.release = make(chan struct{})
	rig.s.capture = func(ctx context.Context, _ string, _ inventory.VM) ([]byte, error) {
		rig.captures.Add(1)
		started <- struct{}{}
		select {
		case <-rig.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ctxErr != nil {
			ctxErr.Store(fmt.Sprint(ctx.Err()))
		}
		return png, nil
	}
}

// TestThumbnailFirstCallerCancels: the request that started a capture goes
// away (a card scrolled off, a page closed); another request waiting for the
// same capture still gets the image, and so does the first caller's retry,
// from the cache, without a second capture.
func TestThumbnailFirstCallerCancels(t *testing.T) {
	rig := newShotRig(t, Options{})
	started := make(chan struct{}, 4)
	var ctxErr atomic.Value
	rig.captureOnRelease(t, started, &ctxErr)

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := rig.s.Thumbnail(firstCtx, "local", "u1")
		firstErr <- err
	}()
	<-started // the first caller's capture runs
	type result struct {
		th  Thumbnail
		err error
	}
	second := make(chan result, 1)
	go func() {
		th, err := rig.s.Thumbnail(context.Background(), "local", "u1")
		second <- result{th, err}
	}()
	// Give the second caller time to join the capture (it must not start
	// another: that would show as a second value on started).
	time.Sleep(100 * time.Millisecond)
	cancelFirst()
	select {
	case err := <-firstErr:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the first caller, canceled, got %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the canceled caller did not return")
	}
	close(rig.release)
	var r result
	select {
	case r = <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the second caller did not return")
	}
	if r.err != nil {
		t.Fatalf("the second caller got %v after the first one canceled; want the image", r.err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(r.th.PNG)); err != nil || cfg.Width != 320 {
		t.Fatalf("second caller's thumbnail: %+v, %v", cfg, err)
	}
	if got := ctxErr.Load(); got != "<nil>" {
		t.Errorf("the capture's context was %v when the screen arrived; want it untouched by the caller's cancel", got)
	}
	// The first caller asks again: the cached image, no new capture.
	again, err := rig.s.Thumbnail(context.Background(), "local", "u1")
	if err != nil || again.ETag != r.th.ETag {
		t.Fatalf("retry: %v, etag %q want %q", err, again.ETag, r.th.ETag)
	}
	if n := rig.captures.Load(); n != 1 {
		t.Errorf("%d captures, want 1", n)
	}
}

// TestThumbnailCaptureOutlivesItsOnlyCaller: nobody waits any more, yet the
// capture finishes and is cached for the next request.
func TestThumbnailCaptureOutlivesItsOnlyCaller(t *testing.T) {
	rig := newShotRig(t, Options{})
	started := make(chan struct{}, 4)
	rig.captureOnRelease(t, started, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := rig.s.Thumbnail(ctx, "local", "u1")
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller got %v", err)
	}
	close(rig.release)
	// The next request joins the capture if it still runs, or finds it
	// cached: either way no second capture, and an image.
	th, err := rig.s.Thumbnail(context.Background(), "local", "u1")
	if err != nil || len(th.PNG) == 0 {
		t.Fatalf("next request: %d bytes, %v", len(th.PNG), err)
	}
	if n := rig.captures.Load(); n != 1 {
		t.Errorf("%d captures, want 1", n)
	}
}

// TestThumbnailCaptureHasItsOwnTimeout: a capture nobody cancels still ends
// after ThumbnailTimeout.
func TestThumbnailCaptureHasItsOwnTimeout(t *testing.T) {
	rig := newShotRig(t, Options{ThumbnailTimeout: 200 * time.Millisecond})
	started := make(chan struct{}, 4)
	rig.captureOnRelease(t, started, nil)
	defer close(rig.release)
	done := make(chan error, 1)
	go func() {
		_, err := rig.s.Thumbnail(context.Background(), "local", "u1")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the capture's own deadline", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a capture that never ends was not stopped by ThumbnailTimeout")
	}
}

func TestSaveQuota(t *testing.T) {
	for _, tc := range []struct {
		name          string
		perVM         int
		bytesPerVM    int64
		others        []string // files already in the folder that are not web-1's
		saves, refuse int      // refuse: the save (1-based) first refused; 0: none
	}{
		{name: "count", perVM: 2, saves: 3, refuse: 3},
		{name: "no cap", saves: 4},
		{name: "other VMs' files do not count", perVM: 2, saves: 2,
			others: []string{"web-10-20260101-120000.png", "web-1x-20260101-120000.png", "web-20260101-120000.png", "web-1-notes.txt"}},
		// Each save is one 720x400 PNG; the cap lets exactly one fit.
		{name: "bytes", bytesPerVM: -1, saves: 2, refuse: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{MaxPerVM: tc.perVM, MaxBytesPerVM: tc.bytesPerVM}
			rig := newShotRig(t, opts)
			rig.s.opts.Inventory = fakeVMs{"u1": {UUID: "u1", Name: "web-1", State: "running"}}
			if tc.bytesPerVM < 0 {
				rig.s.opts.MaxBytesPerVM = int64(len(testPNG(t, 720, 400)))*3/2 + 1
			}
			for _, f := range tc.others {
				if err := os.WriteFile(filepath.Join(rig.s.Dir(), f), make([]byte, 1<<20), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= tc.saves; i++ {
				before := rig.captures.Load()
				_, err := rig.s.Save(context.Background(), "local", "u1")
				rig.advance(time.Second)
				if i != tc.refuse {
					if err != nil {
						t.Fatalf("save %d: %v", i, err)
					}
					continue
				}
				p, ok := problem.As(err)
				if !ok || p.Kind != problem.NoSpace || p.Code != "screenshot_quota" || !strings.Contains(p.Message, `"web-1"`) ||
					!strings.Contains(p.Message, rig.s.Dir()) || !strings.Contains(p.Hint, "--screenshots-per-vm") {
					t.Fatalf("save %d: %v, want a screenshot_quota refusal naming the VM, the folder and the flag", i, err)
				}
				if tc.perVM > 0 && rig.captures.Load() != before {
					t.Error("a save refused for the count still captured the screen")
				}
			}
			n, _, err := countScreenshots(rig.s.Dir(), "web-1")
			want := tc.saves
			if tc.refuse > 0 {
				want = tc.refuse - 1
			}
			if err != nil || n != want {
				t.Errorf("%d screenshots of web-1 in the folder (%v), want %d", n, err, want)
			}
		})
	}
}
