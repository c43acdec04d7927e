package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// ScreenshotHosts gives the hosts, whose libvirt URIs captures connect to.
type ScreenshotHosts interface {
	Get(name string) (*host.Host, error)
}

// ScreenshotVMs is the part of the inventory screenshots need.
type ScreenshotVMs interface {
	Get(host, uuid string) (inventory.VM, error)
}

// ScreenshotOptions configures screenshots.
type ScreenshotOptions struct {
	Hosts     ScreenshotHosts
	Inventory ScreenshotVMs
	// Dir is the folder saved screenshots go to; it is created (0750) when
	// the first one is saved.
	Dir    string
	Logger *slog.Logger
	// ThumbnailWidth is the width thumbnails are scaled down to (default 320).
	ThumbnailWidth int
	// ThumbnailMaxAge is how long a thumbnail is served from the cache
	// before it is captured again (default 5 s).
	ThumbnailMaxAge time.Duration
	// ThumbnailRate is how many thumbnail captures per second all VMs
	// together may cause (default 10); requests beyond it get the cached,
	// older thumbnail, or wait for a turn up to ThumbnailMaxWait.
	ThumbnailRate float64
	// ThumbnailMaxWait bounds that wait (default 5 s); past it the request
	// is refused as busy.
	ThumbnailMaxWait time.Duration
	// MaxConcurrent bounds the captures running at once (default 2): each
	// makes QEMU encode the screen in its main loop.
	MaxConcurrent int
	// Virsh is the virsh program that captures screens (default "virsh").
	Virsh string
	// CaptureTimeout bounds one capture (default 30 s).
	CaptureTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Screenshots captures VM screens through libvirt (no console needed),
// saves them as PNG files, and serves small cached thumbnails.
type Screenshots struct {
	opts    ScreenshotOptions
	log     *slog.Logger
	slots   chan struct{}
	capture func(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error)

	mu        sync.Mutex
	thumbs    map[string]*thumbEntry
	nextSlot  time.Time // rate limiter: when the next thumbnail capture may start
	lastSweep time.Time
	seq       uint64
}

// Screenshot is one captured screen.
type Screenshot struct {
	PNG    []byte
	Width  int
	Height int
	VMName string
	Taken  time.Time
	// FileName is a file name for it: the VM's name and the time.
	FileName string
}

// Thumbnail is a small, cached screenshot.
type Thumbnail struct {
	PNG []byte
	// ETag names the capture it comes from: two answers with the same ETag
	// come from one capture.
	ETag  string
	Taken time.Time
	// Width and Height are the thumbnail's size.
	Width, Height int
}

// Saved says where a screenshot was saved.
type Saved struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	Bytes  int    `json:"bytes"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type thumbEntry struct {
	thumb    *Thumbnail
	asked    time.Time
	inflight *thumbCapture
}

type thumbCapture struct {
	done  chan struct{}
	thumb Thumbnail
	err   error
}

// Cached thumbnails nobody asked for in thumbForget are dropped.
const thumbForget = 2 * time.Minute

// NewScreenshots returns the screenshot service.
func NewScreenshots(opts ScreenshotOptions) *Screenshots {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ThumbnailWidth == 0 {
		opts.ThumbnailWidth = 320
	}
	if opts.ThumbnailMaxAge == 0 {
		opts.ThumbnailMaxAge = 5 * time.Second
	}
	if opts.ThumbnailRate == 0 {
		opts.ThumbnailRate = 10
	}
	if opts.ThumbnailMaxWait == 0 {
		opts.ThumbnailMaxWait = 5 * time.Second
	}
	if opts.MaxConcurrent == 0 {
		opts.MaxConcurrent = 2
	}
	if opts.Virsh == "" {
		opts.Virsh = "virsh"
	}
	if opts.CaptureTimeout == 0 {
		opts.CaptureTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Screenshots{opts: opts, log: opts.Logger, slots: make(chan struct{}, opts.MaxConcurrent), thumbs: make(map[string]*thumbEntry)}
	s.capture = s.virshCapture
	return s
}

// Dir is the folder screenshots are saved to.
func (s *Screenshots) Dir() string { return s.opts.Dir }

// runningVM returns the VM if it runs (screenshots need a live display).
func (s *Screenshots) runningVM(hostName, uuid string) (inventory.VM, error) {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return vm, err
	}
	if !inventory.Active(vm.State) {
		return vm, errGraphicsNotRunning(vm.Name)
	}
	return vm, nil
}

// grab runs one capture within the concurrency limit and returns libvirt's
// raw image bytes.
func (s *Screenshots) grab(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()
	return s.capture(ctx, hostName, vm)
}

// Capture takes a screenshot of a running VM now and returns it as PNG.
func (s *Screenshots) Capture(ctx context.Context, hostName, uuid string) (Screenshot, error) {
	vm, err := s.runningVM(hostName, uuid)
	if err != nil {
		return Screenshot{}, err
	}
	raw, err := s.grab(ctx, hostName, vm)
	if err != nil {
		return Screenshot{}, err
	}
	data, w, h, err := screenPNG(raw)
	if err != nil {
		return Screenshot{}, problem.Wrap(err, problem.Upstream, "screenshot_unreadable",
			"libvirt returned a screenshot KVM Manager cannot read", "try again")
	}
	now := s.opts.Now()
	return Screenshot{PNG: data, Width: w, Height: h, VMName: vm.Name, Taken: now, FileName: screenshotName(vm.Name, now) + ".png"}, nil
}

// screenshotAttempts is how often a capture that returned no bytes is
// tried: libvirt occasionally hands out an empty image, and the next try
// works.
const screenshotAttempts = 3

// virshCapture asks libvirt for the VM's first screen through virsh, the
// libvirt C client. go-libvirt's DomainScreenshot is not used: its stream
// handling loses the image when libvirtd sends the stream data before the
// reply (about 1 call in 10 under load here), and in some of those cases
// deadlocks the link for good (go-libvirt issue #241), leaking the link, its
// socket and its goroutines; a virsh process always ends.
func (s *Screenshots) virshCapture(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error) {
	h, err := s.opts.Hosts.Get(hostName)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kvm-manager-screenshot-")
	if err != nil {
		return nil, fmt.Errorf("screenshot temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "screen")
	var lastMsg string
	for range screenshotAttempts {
		cctx, cancel := context.WithTimeout(ctx, s.opts.CaptureTimeout)
		cmd := exec.CommandContext(cctx, s.opts.Virsh, "--quiet", "--connect", h.Status().URI,
			"screenshot", "--domain", vm.UUID, "--file", file, "--screen", "0")
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, virshProblem(err, out, vm.Name)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read screenshot: %w", err)
		}
		if len(data) > 0 {
			return data, nil
		}
		lastMsg = strings.TrimSpace(string(out))
	}
	return nil, problem.New(problem.Upstream, "screenshot_empty",
		fmt.Sprintf("libvirt returned an empty screenshot of VM %q %d times %s", problem.Clip(vm.Name), screenshotAttempts, lastMsg),
		"try again")
}

// virshProblem explains a failed virsh screenshot.
func virshProblem(err error, out []byte, vmName string) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return problem.Wrap(err, problem.Unsupported, "virsh_missing",
			"screenshots need virsh, libvirt's command-line client, which is not installed on this server",
			"install it (Debian and Ubuntu: the libvirt-clients package; Fedora: libvirt-client)")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(err, problem.Timeout, "screenshot_timeout",
			fmt.Sprintf("libvirt did not deliver a screenshot of VM %q in time", problem.Clip(vmName)), "try again")
	}
	msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "error:"))
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if strings.Contains(msg, "domain is not running") {
		return problem.Wrap(err, problem.Conflict, "vm_not_running",
			fmt.Sprintf("VM %q is not running, so there is no screen to capture", problem.Clip(vmName)),
			"start the VM first")
	}
	return problem.Wrap(fmt.Errorf("%w: %s", err, out), problem.Upstream, "screenshot_failed",
		"libvirt could not take a screenshot: "+msg, "the VM may have no display; check it in its details")
}

// Save takes a screenshot and saves it as a PNG file in the screenshots
// folder, named after the VM and the time, never overwriting a file.
func (s *Screenshots) Save(ctx context.Context, hostName, uuid string) (Saved, error) {
	shot, err := s.Capture(ctx, hostName, uuid)
	if err != nil {
		return Saved{}, err
	}
	path, err := saveScreenshot(s.opts.Dir, shot.VMName, shot.Taken, shot.PNG)
	if err != nil {
		return Saved{}, err
	}
	s.log.Info("screenshot saved", "host", hostName, "vm", shot.VMName, "path", path)
	return Saved{Path: path, Name: filepath.Base(path), Bytes: len(shot.PNG), Width: shot.Width, Height: shot.Height}, nil
}

// screenshotName is the file name (without suffix and extension) of a
// screenshot of vmName taken at t: the name reduced to letters, digits, '.',
// '_' and '-' (never starting with '.'), and the local time.
func screenshotName(vmName string, t time.Time) string {
	var b strings.Builder
	for _, r := range vmName {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	name := strings.TrimLeft(b.String(), ".")
	if name == "" {
		name = "vm"
	}
	return name + "-" + t.Format("20060102-150405")
}

// maxNameTries bounds the -2, -3, ... suffixes tried for a free file name.
const maxNameTries = 1000

// saveScreenshot writes data to a new file in dir (made if missing) and
// returns its path. It never overwrites: a taken name gets a -2, -3, ...
// suffix. A failed write leaves no partial file behind.
func saveScreenshot(dir, vmName string, t time.Time, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", saveProblem(dir, err)
	}
	base := screenshotName(vmName, t)
	for i := 1; i <= maxNameTries; i++ {
		name := base + ".png"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".png"
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", saveProblem(dir, err)
		}
		_, werr := f.Write(data)
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = os.Remove(path)
			return "", saveProblem(dir, err)
		}
		return path, nil
	}
	return "", problem.New(problem.Conflict, "screenshot_names_taken",
		fmt.Sprintf("there are already %d screenshots named %s in %s", maxNameTries, base, dir),
		"move some of them elsewhere")
}

// saveProblem explains why a screenshot could not be written.
func saveProblem(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return problem.Wrap(err, problem.Unavailable, "disk_full",
			"the screenshot was not saved: the disk holding "+dir+" is full",
			"free some space, or choose another folder with --screenshots-dir")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return problem.Wrap(err, problem.Unavailable, "screenshots_dir_not_writable",
			"the screenshot was not saved: KVM Manager may not write to "+dir,
			"give the user KVM Manager runs as write access to that folder, or choose another one with --screenshots-dir")
	}
	return problem.Wrap(err, problem.Unavailable, "screenshot_not_saved",
		"the screenshot was not saved in "+dir+": "+err.Error(),
		"check the folder, or choose another one with --screenshots-dir")
}

// Thumbnail returns a small screenshot of a running VM, captured at most
// once per ThumbnailMaxAge however many ask: concurrent requests for one VM
// share one capture, captures of all VMs together are rate-limited, and
// nothing is captured for a VM nobody asks about.
func (s *Screenshots) Thumbnail(ctx context.Context, hostName, uuid string) (Thumbnail, error) {
	key := hostName + "/" + uuid
	vm, err := s.runningVM(hostName, uuid)
	if err != nil {
		s.mu.Lock()
		delete(s.thumbs, key)
		s.mu.Unlock()
		return Thumbnail{}, err
	}
	s.mu.Lock()
	now := s.opts.Now()
	s.sweepLocked(now)
	e := s.thumbs[key]
	if e == nil {
		e = &thumbEntry{}
		s.thumbs[key] = e
	}
	e.asked = now
	if e.thumb != nil && now.Sub(e.thumb.Taken) < s.opts.ThumbnailMaxAge {
		t := *e.thumb
		s.mu.Unlock()
		return t, nil
	}
	if c := e.inflight; c != nil {
		s.mu.Unlock()
		return c.wait(ctx)
	}
	wait, ok := s.reserveLocked(now)
	if !ok {
		stale := e.thumb
		s.mu.Unlock()
		if stale != nil {
			return *stale, nil
		}
		return Thumbnail{}, problem.New(problem.Unavailable, "thumbnail_busy",
			"too many thumbnails are being captured right now", "try again in a few seconds")
	}
	if wait > 0 && e.thumb != nil {
		// Serve the older one rather than queue for a turn.
		t := *e.thumb
		s.unreserveLocked()
		s.mu.Unlock()
		return t, nil
	}
	c := &thumbCapture{done: make(chan struct{})}
	e.inflight = c
	s.mu.Unlock()

	c.thumb, c.err = s.makeThumbnail(ctx, hostName, vm, wait)
	s.mu.Lock()
	if e.inflight == c {
		e.inflight = nil
	}
	if c.err == nil {
		t := c.thumb
		e.thumb = &t
	}
	s.mu.Unlock()
	close(c.done)
	return c.thumb, c.err
}

func (c *thumbCapture) wait(ctx context.Context) (Thumbnail, error) {
	select {
	case <-c.done:
		return c.thumb, c.err
	case <-ctx.Done():
		return Thumbnail{}, ctx.Err()
	}
}

// makeThumbnail waits for its rate-limit turn, captures and scales down.
func (s *Screenshots) makeThumbnail(ctx context.Context, hostName string, vm inventory.VM, wait time.Duration) (Thumbnail, error) {
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Thumbnail{}, ctx.Err()
		}
	}
	raw, err := s.grab(ctx, hostName, vm)
	if err != nil {
		return Thumbnail{}, err
	}
	img, err := decodeScreen(raw)
	if err != nil {
		return Thumbnail{}, problem.Wrap(err, problem.Upstream, "screenshot_unreadable",
			"libvirt returned a screenshot KVM Manager cannot read", "try again")
	}
	small := scaleToWidth(img, s.opts.ThumbnailWidth)
	data, err := encodePNG(small)
	if err != nil {
		return Thumbnail{}, err
	}
	s.mu.Lock()
	s.seq++
	etag := fmt.Sprintf(`"t%d-%d"`, s.opts.Now().UnixNano(), s.seq)
	s.mu.Unlock()
	b := small.Bounds()
	return Thumbnail{PNG: data, ETag: etag, Taken: s.opts.Now(), Width: b.Dx(), Height: b.Dy()}, nil
}

// reserveLocked takes the next thumbnail capture turn of the rate limiter
// and returns how long to wait for it; it refuses a turn further away than
// ThumbnailMaxWait.
func (s *Screenshots) reserveLocked(now time.Time) (time.Duration, bool) {
	interval := time.Duration(float64(time.Second) / s.opts.ThumbnailRate)
	start := s.nextSlot
	if start.Before(now) {
		start = now
	}
	wait := start.Sub(now)
	if wait > s.opts.ThumbnailMaxWait {
		return 0, false
	}
	s.nextSlot = start.Add(interval)
	return wait, true
}

// unreserveLocked gives back the turn reserveLocked just took.
func (s *Screenshots) unreserveLocked() {
	s.nextSlot = s.nextSlot.Add(-time.Duration(float64(time.Second) / s.opts.ThumbnailRate))
}

// sweepLocked drops thumbnails nobody asked for lately, at most every 10 s.
func (s *Screenshots) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < 10*time.Second {
		return
	}
	s.lastSweep = now
	for k, e := range s.thumbs {
		if e.inflight == nil && now.Sub(e.asked) > thumbForget {
			delete(s.thumbs, k)
		}
	}
}
