// Package screen takes pictures of VM screens: screenshots to view or save
// and the cached thumbnails of the VM cards. It works through libvirt
// (virsh screenshot), with no console open.
package screen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Hosts gives the hosts, whose libvirt URIs captures connect to.
type Hosts interface {
	Get(name string) (*host.Host, error)
}

// VMs is the part of the inventory screenshots need.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
}

// Options configures screenshots.
type Options struct {
	Hosts     Hosts
	Inventory VMs
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
	// ThumbnailTimeout bounds one thumbnail capture, from its rate-limit
	// turn to the scaled image (default ThumbnailMaxWait + CaptureTimeout).
	// The capture runs on a context of its own, not on the context of the
	// request that started it, so this is what stops it.
	ThumbnailTimeout time.Duration
	// MaxPerVM caps how many saved screenshots of one VM the folder may
	// hold; a Save beyond it is refused (problem kind NoSpace, code
	// screenshot_quota). 0 means no cap. The config's default is 100.
	MaxPerVM int
	// MaxBytesPerVM caps the total size of one VM's saved screenshots in
	// the folder, refused the same way. 0 means no cap. The config's
	// default is 256 MiB.
	MaxBytesPerVM int64
	// MaxConcurrent bounds the captures running at once (default 2): each
	// makes QEMU encode the screen in its main loop.
	MaxConcurrent int
	// CaptureTimeout bounds one capture (default 30 s).
	CaptureTimeout time.Duration
	// ThumbnailRefresh is how often Run captures the screen of a watched
	// VM again (default 10 s).
	ThumbnailRefresh time.Duration
	// ThumbnailWatch is how long a VM stays watched after a client last
	// asked for its thumbnail or named it to Watch (default 60 s): Run
	// captures only watched VMs, so nothing is captured for a VM no card
	// shows.
	ThumbnailWatch time.Duration
	// Changed, if set, is told of every thumbnail whose picture differs
	// from the one cached before (the first one of a VM included), so that
	// clients learn of a changed screen without asking (the app publishes
	// it as a "thumbnail" event). It must not block.
	Changed func(ThumbnailChange)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service captures VM screens through libvirt (no console needed),
// saves them as PNG files, and serves small cached thumbnails.
type Service struct {
	opts    Options
	log     *slog.Logger
	slots   chan struct{}
	capture func(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error)

	// flights shares one thumbnail capture of a VM among all requests that
	// ask while it runs (keyed host/uuid).
	flights singleflight.Group
	// limiter spreads the thumbnail captures of all VMs: ThumbnailRate a
	// second, one at a time (burst 1). Turns are taken at opts.Now.
	limiter *rate.Limiter
	// saveMu makes a save's quota check and its write one step, so that
	// concurrent saves cannot together go past the quota.
	saveMu sync.Mutex

	mu        sync.Mutex
	thumbs    map[string]*thumbEntry
	lastSweep time.Time
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

	// sig is the picture's block signature, since when clients have had
	// this picture (a newer capture that differs only a little keeps it).
	sig   signature
	since time.Time
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
	host, uuid string
	thumb      *Thumbnail
	asked      time.Time
}

// ThumbnailChange says that a VM's thumbnail is now a different picture:
// a client holding another ETag asks for it again.
type ThumbnailChange struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	// ETag is the new thumbnail's ETag, as GET .../thumbnail answers it.
	ETag  string    `json:"etag"`
	Taken time.Time `json:"taken"`
}

// VMRef names a VM on a host.
type VMRef struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
}

// Cached thumbnails nobody asked for in thumbForget are dropped.
const thumbForget = 2 * time.Minute

// New returns the screenshot service.
func New(opts Options) *Service {
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
	if opts.CaptureTimeout == 0 {
		opts.CaptureTimeout = 30 * time.Second
	}
	if opts.ThumbnailTimeout == 0 {
		opts.ThumbnailTimeout = opts.ThumbnailMaxWait + opts.CaptureTimeout
	}
	if opts.ThumbnailRefresh == 0 {
		opts.ThumbnailRefresh = 10 * time.Second
	}
	if opts.ThumbnailWatch == 0 {
		opts.ThumbnailWatch = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		opts: opts, log: opts.Logger, slots: make(chan struct{}, opts.MaxConcurrent), thumbs: make(map[string]*thumbEntry),
		limiter: rate.NewLimiter(rate.Limit(opts.ThumbnailRate), 1),
	}
	s.capture = s.machineCapture
	return s
}

// Dir is the folder screenshots are saved to.
func (s *Service) Dir() string { return s.opts.Dir }

// runningVM returns the VM if it runs (screenshots need a live display).
func (s *Service) runningVM(hostName, uuid string) (inventory.VM, error) {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return vm, err
	}
	if !inventory.Active(vm.State) {
		return vm, errNotRunning(vm.Name)
	}
	return vm, nil
}

// grab runs one capture within the concurrency limit and returns libvirt's
// raw image bytes.
func (s *Service) grab(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()
	return s.capture(ctx, hostName, vm)
}

// Capture takes a screenshot of a running VM now and returns it as PNG.
func (s *Service) Capture(ctx context.Context, hostName, uuid string) (Screenshot, error) {
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
		return Screenshot{}, problem.Wrap(err, problem.Upstream, problem.CodeScreenshotUnreadable,
			"libvirt returned a screenshot KVM Manager cannot read", "try again")
	}
	now := s.opts.Now()
	return Screenshot{PNG: data, Width: w, Height: h, VMName: vm.Name, Taken: now, FileName: screenshotName(vm.Name, now) + ".png"}, nil
}

// screenshotAttempts is how often a capture that returned no bytes is
// tried: libvirt occasionally hands out an empty image, and the next try
// works.
const screenshotAttempts = 3

// machineCapture asks libvirt for the VM's first screen the way virsh
// screenshot does, on the computer of the VM's host (machine.Screenshot).
// go-libvirt's DomainScreenshot is not used: its stream handling loses the
// image when libvirtd sends the stream data before the reply (about 1 call
// in 10 under load here), and in some of those cases deadlocks the link for
// good (go-libvirt issue #241), leaking the link, its socket and its
// goroutines; a virsh process always ends.
func (s *Service) machineCapture(ctx context.Context, hostName string, vm inventory.VM) ([]byte, error) {
	h, err := s.opts.Hosts.Get(hostName)
	if err != nil {
		return nil, err
	}
	m := h.Machine()
	for range screenshotAttempts {
		cctx, cancel := context.WithTimeout(ctx, s.opts.CaptureTimeout)
		data, err := m.Screenshot(cctx, vm.UUID)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, virshProblem(err, hostName, vm.Name)
		}
		if len(data) > 0 {
			return data, nil
		}
	}
	return nil, problem.New(problem.Upstream, problem.CodeScreenshotEmpty,
		fmt.Sprintf("libvirt returned an empty screenshot of VM %q %d times", problem.Clip(vm.Name), screenshotAttempts),
		"try again")
}

// virshProblem explains a failed screenshot from the machine's error.
func virshProblem(err error, hostName, vmName string) error {
	if errors.Is(err, machine.ErrNotInstalled) {
		return problem.Wrap(err, problem.Unsupported, problem.CodeVirshMissing,
			fmt.Sprintf("screenshots need virsh, libvirt's command-line client, which is not installed on the computer of host %q", problem.Clip(hostName)),
			"install it (Debian and Ubuntu: the libvirt-clients package; Fedora: libvirt-client)")
	}
	if errors.Is(err, machine.ErrUnsupported) {
		return problem.Wrap(err, problem.Unsupported, "screenshot_unsupported",
			fmt.Sprintf("screenshots of VMs on host %q are not possible: %v", problem.Clip(hostName), err),
			"open the VM's graphical console to see its screen")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(err, problem.Timeout, problem.CodeScreenshotTimeout,
			fmt.Sprintf("libvirt did not deliver a screenshot of VM %q in time", problem.Clip(vmName)), "try again")
	}
	msg := err.Error()
	var ee *machine.ExitError
	if errors.As(err, &ee) {
		msg = strings.TrimPrefix(ee.Stderr, "error:")
	}
	msg = machine.Clip(msg, 300)
	if strings.Contains(msg, "domain is not running") {
		return problem.Wrap(err, problem.Conflict, problem.CodeVMNotRunning,
			fmt.Sprintf("VM %q is not running, so there is no screen to capture", problem.Clip(vmName)),
			"start the VM first")
	}
	return problem.Wrap(err, problem.Upstream, problem.CodeScreenshotFailed,
		"libvirt could not take a screenshot: "+msg, "the VM may have no display; check it in its details")
}

// Save takes a screenshot and saves it as a PNG file in the screenshots
// folder, named after the VM and the time, never overwriting a file.
// Past the quota (MaxPerVM, MaxBytesPerVM) it refuses before capturing.
func (s *Service) Save(ctx context.Context, hostName, uuid string) (Saved, error) {
	vm, err := s.runningVM(hostName, uuid)
	if err != nil {
		return Saved{}, err
	}
	// Refuse early, before QEMU encodes a screen that would not be kept.
	if err := s.checkQuota(vm.Name, 0); err != nil {
		return Saved{}, err
	}
	shot, err := s.Capture(ctx, hostName, uuid)
	if err != nil {
		return Saved{}, err
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if err := s.checkQuota(shot.VMName, int64(len(shot.PNG))); err != nil {
		return Saved{}, err
	}
	path, err := saveScreenshot(s.opts.Dir, shot.VMName, shot.Taken, shot.PNG)
	if err != nil {
		return Saved{}, err
	}
	s.log.Info("screenshot saved", "host", hostName, "vm", shot.VMName, "path", path)
	return Saved{Path: path, Name: filepath.Base(path), Bytes: len(shot.PNG), Width: shot.Width, Height: shot.Height}, nil
}

// checkQuota refuses a new screenshot of vmName of size bytes when the
// folder already holds MaxPerVM of that VM's screenshots, or when it would
// take their total size past MaxBytesPerVM.
func (s *Service) checkQuota(vmName string, size int64) error {
	if s.opts.MaxPerVM <= 0 && s.opts.MaxBytesPerVM <= 0 {
		return nil
	}
	n, total, err := countScreenshots(s.opts.Dir, vmName)
	if err != nil {
		return saveProblem(s.opts.Dir, err)
	}
	const hint = "delete or move some of them from that folder on the server, or raise the limit " +
		"(--screenshots-per-vm and --screenshots-mib-per-vm, or the config keys of the same names; 0 means no limit)"
	refuse := func(limit string) {
		s.log.Warn("screenshot not saved: quota reached", "vm", vmName, "dir", s.opts.Dir, "limit", limit,
			"screenshots", n, "bytes", total, "max_per_vm", s.opts.MaxPerVM, "max_bytes_per_vm", s.opts.MaxBytesPerVM)
	}
	if s.opts.MaxPerVM > 0 && n >= s.opts.MaxPerVM {
		refuse("count")
		return problem.New(problem.NoSpace, problem.CodeScreenshotQuota,
			fmt.Sprintf("the screenshot was not saved: %s already holds %d screenshots of VM %q, the most this server keeps per VM",
				s.opts.Dir, n, problem.Clip(vmName)), hint)
	}
	if s.opts.MaxBytesPerVM > 0 && total+size > s.opts.MaxBytesPerVM {
		refuse("bytes")
		return problem.New(problem.NoSpace, problem.CodeScreenshotQuota,
			fmt.Sprintf("the screenshot was not saved: the screenshots of VM %q in %s take %s, and this server keeps at most %s per VM",
				problem.Clip(vmName), s.opts.Dir, mib(total), mib(s.opts.MaxBytesPerVM)), hint)
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// countScreenshots counts the screenshots of vmName in dir (files named as
// saveScreenshot names them) and adds up their sizes. A missing folder
// holds none.
func countScreenshots(dir, vmName string) (n int, total int64, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(screenshotPrefix(vmName)) + `-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.png$`)
	for _, e := range entries {
		if !e.Type().IsRegular() || !re.MatchString(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		n++
		total += fi.Size()
	}
	return n, total, nil
}

// screenshotName is the file name (without suffix and extension) of a
// screenshot of vmName taken at t: screenshotPrefix and the local time.
func screenshotName(vmName string, t time.Time) string {
	return screenshotPrefix(vmName) + "-" + t.Format("20060102-150405")
}

// screenshotPrefix is how the file names of vmName's screenshots start: the
// name reduced to letters, digits, '.', '_' and '-' (never starting with
// '.'). VMs whose names reduce alike share a prefix, and so a quota.
func screenshotPrefix(vmName string) string {
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
	return name
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
	return "", problem.New(problem.Conflict, problem.CodeScreenshotNamesTaken,
		fmt.Sprintf("there are already %d screenshots named %s in %s", maxNameTries, base, dir),
		"move some of them elsewhere")
}

// saveProblem explains why a screenshot could not be written.
func saveProblem(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return problem.Wrap(err, problem.Unavailable, problem.CodeDiskFull,
			"the screenshot was not saved: the disk holding "+dir+" is full",
			"free some space, or choose another folder with --screenshots-dir")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return problem.Wrap(err, problem.Unavailable, problem.CodeScreenshotsDirNotWritable,
			"the screenshot was not saved: KVM Manager may not write to "+dir,
			"give the user KVM Manager runs as write access to that folder, or choose another one with --screenshots-dir")
	}
	return problem.Wrap(err, problem.Unavailable, problem.CodeScreenshotNotSaved,
		"the screenshot was not saved in "+dir+": "+err.Error(),
		"check the folder, or choose another one with --screenshots-dir")
}

// Thumbnail returns a small screenshot of a running VM, captured at most
// once per ThumbnailMaxAge however many ask: concurrent requests for one VM
// share one capture, captures of all VMs together are rate-limited, and
// nothing is captured for a VM nobody asks about. A caller that gives up
// (ctx done) gets ctx's error at once, but the capture it started goes on
// for the others waiting and for the cache.
func (s *Service) Thumbnail(ctx context.Context, hostName, uuid string) (Thumbnail, error) {
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
	e := s.entryLocked(hostName, uuid)
	e.asked = now
	if e.thumb != nil && now.Sub(e.thumb.Taken) < s.opts.ThumbnailMaxAge {
		t := *e.thumb
		s.mu.Unlock()
		return t, nil
	}
	s.mu.Unlock()

	// The capture runs on a context of its own (values kept, cancellation
	// not): if it ran on the first caller's, that caller leaving (a card
	// scrolled away, a page closed) would fail every request sharing it.
	detached := context.WithoutCancel(ctx)
	ch := s.flights.DoChan(key, func() (any, error) { return s.thumbnailFlight(detached, key, hostName, vm) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return Thumbnail{}, r.Err
		}
		return r.Val.(Thumbnail), nil
	case <-ctx.Done():
		return Thumbnail{}, ctx.Err()
	}
}

// thumbnailFlight is the one capture of key's thumbnail that the requests
// asking meanwhile share. It takes a rate-limit turn, and rather than wait
// for one it serves the older thumbnail when there is one; past
// ThumbnailMaxWait without one it refuses as busy. The new thumbnail is
// cached, also when every request that wanted it has gone.
func (s *Service) thumbnailFlight(ctx context.Context, key, hostName string, vm inventory.VM) (Thumbnail, error) {
	now := s.opts.Now()
	var stale *Thumbnail
	s.mu.Lock()
	if e := s.thumbs[key]; e != nil && e.thumb != nil {
		stale = e.thumb
	}
	s.mu.Unlock()
	if stale != nil && now.Sub(stale.Taken) < s.opts.ThumbnailMaxAge {
		return *stale, nil // a flight that ended just before this one began took it
	}
	turn := s.limiter.ReserveN(now, 1)
	wait := turn.DelayFrom(now)
	if !turn.OK() || wait > s.opts.ThumbnailMaxWait || (wait > 0 && stale != nil) {
		turn.CancelAt(now)
		if stale != nil {
			return *stale, nil
		}
		return Thumbnail{}, problem.New(problem.Unavailable, problem.CodeThumbnailBusy,
			"too many thumbnails are being captured right now", "try again in a few seconds").WithRetryAfter(2 * time.Second)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ThumbnailTimeout)
	defer cancel()
	t, err := s.makeThumbnail(ctx, hostName, vm, wait)
	if err != nil {
		return Thumbnail{}, err
	}
	if stale != nil {
		switch {
		case t.ETag == stale.ETag:
			t.since = stale.since
		case minorChange(stale.sig, t.sig) && t.Taken.Sub(stale.since) < minorEvery:
			// A blinking cursor: the picture clients have stays, checked now.
			kept := *stale
			kept.Taken = t.Taken
			t = kept
		}
	}
	s.mu.Lock()
	e := s.thumbs[key]
	if e != nil { // gone when the VM stopped meanwhile
		e.thumb = &t
	}
	s.mu.Unlock()
	if e != nil && (stale == nil || stale.ETag != t.ETag) && s.opts.Changed != nil {
		s.opts.Changed(ThumbnailChange{Host: hostName, UUID: e.uuid, ETag: t.ETag, Taken: t.Taken})
	}
	return t, nil
}

// makeThumbnail waits for its rate-limit turn, captures and scales down.
func (s *Service) makeThumbnail(ctx context.Context, hostName string, vm inventory.VM, wait time.Duration) (Thumbnail, error) {
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
		return Thumbnail{}, problem.Wrap(err, problem.Upstream, problem.CodeScreenshotUnreadable,
			"libvirt returned a screenshot KVM Manager cannot read", "try again")
	}
	small := scaleToWidth(img, s.opts.ThumbnailWidth)
	data, err := encodePNG(small)
	if err != nil {
		return Thumbnail{}, err
	}
	// The ETag names the picture, not the capture: an unchanged screen
	// keeps its ETag across captures, so a card asking with If-None-Match
	// gets 304 (no image, nothing redrawn) until the screen really changes.
	sum := sha256.Sum256(data)
	etag := `"t` + hex.EncodeToString(sum[:12]) + `"`
	b := small.Bounds()
	now := s.opts.Now()
	return Thumbnail{PNG: data, ETag: etag, Taken: now, Width: b.Dx(), Height: b.Dy(), sig: signatureOf(small), since: now}, nil
}

// entryLocked returns the cache entry of a VM, made if missing.
func (s *Service) entryLocked(hostName, uuid string) *thumbEntry {
	key := hostName + "/" + uuid
	e := s.thumbs[key]
	if e == nil {
		e = &thumbEntry{host: hostName, uuid: uuid}
		s.thumbs[key] = e
	}
	return e
}

// ThumbnailState is what Watch knows of a VM's thumbnail.
type ThumbnailState struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	// ETag is the cached thumbnail's ETag, empty before the first capture.
	ETag string `json:"etag,omitempty"`
}

// Watch marks VMs as watched for ThumbnailWatch from now: Run keeps their
// thumbnails fresh and Changed hears when one changes. A client calls it
// with the VMs whose cards it shows, again before ThumbnailWatch has passed
// while it still shows them. It answers the ETags cached now, so that a
// client holding an older picture can ask for the new one at once. It
// captures nothing itself and does not check that the VMs exist: Run drops
// a VM that does not run.
func (s *Service) Watch(vms []VMRef) []ThumbnailState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.sweepLocked(now)
	out := make([]ThumbnailState, 0, len(vms))
	for _, v := range vms {
		e := s.entryLocked(v.Host, v.UUID)
		e.asked = now
		st := ThumbnailState{Host: v.Host, UUID: v.UUID}
		if e.thumb != nil {
			st.ETag = e.thumb.ETag
		}
		out = append(out, st)
	}
	return out
}

// WatchFor is how long Watch keeps a VM watched (Options.ThumbnailWatch).
func (s *Service) WatchFor() time.Duration { return s.opts.ThumbnailWatch }

// Run keeps the thumbnails of watched VMs fresh until ctx ends: about every
// ThumbnailRefresh it captures each of them again (one at a time, within
// the same rate limit and concurrency bound as requests, sharing a capture
// a request has started), and Changed hears of each new picture. A VM that
// no longer runs is dropped from the watch.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(min(time.Second, s.opts.ThumbnailRefresh))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.refreshDue(ctx)
		}
	}
}

// refreshDue captures again each watched VM whose thumbnail is older than
// ThumbnailRefresh (or missing), and returns how many it tried.
func (s *Service) refreshDue(ctx context.Context) int {
	s.mu.Lock()
	now := s.opts.Now()
	var due []VMRef
	for _, e := range s.thumbs {
		if now.Sub(e.asked) > s.opts.ThumbnailWatch {
			continue
		}
		if e.thumb == nil || now.Sub(e.thumb.Taken) >= s.opts.ThumbnailRefresh {
			due = append(due, VMRef{Host: e.host, UUID: e.uuid})
		}
	}
	s.mu.Unlock()
	for _, v := range due {
		if ctx.Err() != nil {
			break
		}
		key := v.Host + "/" + v.UUID
		vm, err := s.runningVM(v.Host, v.UUID)
		if err != nil {
			s.mu.Lock()
			delete(s.thumbs, key)
			s.mu.Unlock()
			continue
		}
		ch := s.flights.DoChan(key, func() (any, error) { return s.thumbnailFlight(context.WithoutCancel(ctx), key, v.Host, vm) })
		select {
		case r := <-ch:
			if r.Err != nil {
				s.log.Debug("thumbnail refresh failed", "host", v.Host, "vm", vm.Name, "err", r.Err)
			}
		case <-ctx.Done():
		}
	}
	return len(due)
}

// sweepLocked drops thumbnails nobody asked for lately, at most every 10 s.
func (s *Service) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < 10*time.Second {
		return
	}
	s.lastSweep = now
	for k, e := range s.thumbs {
		if now.Sub(e.asked) > max(thumbForget, s.opts.ThumbnailWatch) {
			delete(s.thumbs, k)
		}
	}
}

// errNotRunning is the answer for a VM that is not running: it has no
// screen (the same problem as the console's, so the UI offers a start).
func errNotRunning(name string) error {
	return problem.New(problem.Conflict, problem.CodeVMNotRunning,
		fmt.Sprintf("VM %q is not running, so it has no console", problem.Clip(name)),
		"start the VM; the console can connect once it runs")
}
