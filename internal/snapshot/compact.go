package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// CompactPreview says whether a VM's images can be compacted now.
type CompactPreview struct {
	Capability
	// Images are the files a compaction would rewrite.
	Images []string `json:"images"`
}

// CompactedImage is one image's sizes before and after.
type CompactedImage struct {
	File string `json:"file"`
	// Before and After are the file's allocation on the host.
	Before uint64 `json:"before"`
	After  uint64 `json:"after"`
	// Snapshots are the internal snapshots the image holds, checked to be
	// the same after the rewrite.
	Snapshots []string `json:"snapshots"`
	// SHA256 is the image's content hash, the same before and after.
	SHA256 string `json:"sha256"`
}

// CompactResult is a finished compaction.
type CompactResult struct {
	Images []CompactedImage `json:"images"`
	Before uint64           `json:"before"`
	After  uint64           `json:"after"`
}

// compactPreview decides whether a VM's images can be compacted: the VM
// must be shut off (its images are rewritten), each image a standalone
// file (an overlay or a linked clone's image keeps its chain: merge first),
// and the host's computer must run programs for us.
func compactPreview(f vmFacts, disks []DiskUsageDisk, m hostmachine.Machine) CompactPreview {
	c := CompactPreview{Capability: newCap(""), Images: []string{}}
	if f.State != inventory.StateShutoff {
		c.refuse(fmt.Sprintf("the VM is %s; compaction rewrites its images and needs it shut off", f.State), "shut the VM down first")
	}
	if err := m.Check(hostmachine.Commands); err != nil {
		c.refuse(err.Error(), "")
	}
	for _, d := range disks {
		if len(d.Layers) > 1 {
			c.refuse(fmt.Sprintf("disk %s is a chain of %d images (external snapshots or a linked clone)", d.Target, len(d.Layers)),
				"merge the external snapshots first; a linked clone's image is not compacted")
			continue
		}
		if len(d.Layers) == 1 {
			c.Images = append(c.Images, d.Layers[0].File)
		}
	}
	if len(c.Images) == 0 && c.Possible {
		c.refuse("the VM has no image file to compact", "")
	}
	c.note("qemu-img convert would drop internal snapshots, so each image is copied byte for byte with its zero-filled areas left unallocated (cp --sparse=always); " +
		"the copy must have the same SHA-256, pass qemu-img check and list the same snapshots before it replaces the image (a rename in the same directory)")
	return c
}

// Compact checks that a shut-off VM's images can be compacted and starts an
// operation that rewrites each one keeping its internal snapshots.
func (s *Service) Compact(ctx context.Context, hostName, uuid string) (operation.Op, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-compact", "")
	if err != nil {
		return operation.Op{}, err
	}
	u, err := s.Usage(ctx, hostName, uuid)
	if err == nil && !u.Compact.Possible {
		msg, hint := refusal(u.Compact.Capability)
		err = problem.New(problem.Conflict, problem.CodeCompactRefused, fmt.Sprintf("cannot compact the images of VM %q: %s", t.vm.Name, msg), hint)
	}
	if err != nil {
		claim.Release()
		return operation.Op{}, err
	}
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		claim.Release()
		return operation.Op{}, err
	}
	m := h.Machine()
	op, err := claim.Start("snapshot-compact", true, func(ctx context.Context, r operation.Reporter) error {
		res := CompactResult{Images: []CompactedImage{}}
		for i, img := range u.Compact.Images {
			stage := fmt.Sprintf("image %d of %d: %s", i+1, len(u.Compact.Images), filepath.Base(img))
			ci, err := s.compactImage(ctx, t, m, img, func(step string, pc int) {
				r.Progress(stage+": "+step, (i*100+pc)/len(u.Compact.Images))
			})
			if err != nil {
				r.SetResult(res)
				return err
			}
			res.Images = append(res.Images, ci)
			res.Before += ci.Before
			res.After += ci.After
		}
		r.SetResult(res)
		return nil
	})
	if err != nil {
		claim.Release()
	}
	return op, err
}

// compactImage rewrites one image: a sparse byte copy beside it, checked
// (same SHA-256, qemu-img check, same snapshot list), then renamed over
// the original once no process holds the original and it has not changed
// since the copy began. Any failure removes the copy and leaves the image
// as it was.
func (s *Service) compactImage(ctx context.Context, t target, m hostmachine.Machine, img string, progress func(string, int)) (CompactedImage, error) {
	ci := CompactedImage{File: img, Snapshots: []string{}}
	fail := func(err error, what string) (CompactedImage, error) {
		if errors.Is(err, context.Canceled) {
			return ci, problem.New(problem.Canceled, problem.CodeCanceled, fmt.Sprintf("the compaction of %s was canceled; the image is unchanged", img), "")
		}
		return ci, problem.Wrap(err, problem.Internal, problem.CodeCompactFailed,
			fmt.Sprintf("compacting %s failed while %s: %v; the image is unchanged", img, what, err), "check the host's free space and the image with qemu-img check")
	}
	run := func(timeout time.Duration, prog string, args ...string) (string, error) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, err := m.Run(rctx, hostmachine.Command{Program: prog, Args: args})
		return strings.TrimSpace(string(out)), err
	}
	before, err := backingChain(ctx, m, img)
	if err != nil || len(before) != 1 {
		if err == nil {
			err = fmt.Errorf("it has a backing file")
		}
		return fail(err, "reading the image")
	}
	for _, sn := range before[0].Snapshots {
		ci.Snapshots = append(ci.Snapshots, sn.ID+":"+sn.Name)
	}
	if before[0].ActualSize != nil {
		ci.Before = uint64(max(*before[0].ActualSize, 0))
	}
	st0, err := m.Stat(ctx, img)
	if err != nil {
		return fail(err, "reading the image's size")
	}
	dir := filepath.Dir(img)
	avail, err := run(time.Minute, "df", "-B1", "--output=avail", dir)
	if err != nil {
		return fail(err, "reading the free space")
	}
	lines := strings.Fields(avail)
	if free, err := strconv.ParseUint(lines[len(lines)-1], 10, 64); err == nil && free < ci.Before+64<<20 {
		return ci, problem.New(problem.Conflict, problem.CodeCompactRefused,
			fmt.Sprintf("the copy of %s needs up to %d bytes beside it, and %s has %d free", img, ci.Before, dir, free), "free space on the host first")
	}
	tmp := filepath.Join(dir, "."+filepath.Base(img)+".compact-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	defer func() { _ = m.RemoveFile(context.WithoutCancel(ctx), tmp) }()
	const long = 6 * time.Hour
	progress("copying", 5)
	if _, err := run(long, "cp", "--sparse=always", "--preserve=mode,ownership,timestamps", img, tmp); err != nil {
		return fail(err, "copying")
	}
	progress("checking the copy", 40)
	sums, err := run(long, "sha256sum", img, tmp)
	if err != nil {
		return fail(err, "hashing")
	}
	f := strings.Fields(sums)
	if len(f) != 4 || f[0] != f[2] {
		return fail(fmt.Errorf("the copy's SHA-256 differs from the image's"), "checking the copy")
	}
	ci.SHA256 = f[0]
	if _, err := run(long, "qemu-img", "check", "-q", "-f", before[0].Format, tmp); err != nil {
		return fail(err, "checking the copy with qemu-img check")
	}
	after, err := backingChain(ctx, m, tmp)
	if err != nil || len(after) != 1 {
		return fail(fmt.Errorf("reading the copy: %v", err), "checking the copy")
	}
	var got []string
	for _, sn := range after[0].Snapshots {
		got = append(got, sn.ID+":"+sn.Name)
	}
	if !slices.Equal(got, ci.Snapshots) {
		return fail(fmt.Errorf("the copy lists snapshots %v, the image %v", got, ci.Snapshots), "checking the copy")
	}
	progress("replacing the image", 90)
	// Nothing may have opened or changed the image meanwhile: qemu-img
	// (without -U) fails while a QEMU holds the image, and the size and
	// time must be those from before the copy.
	if _, err := run(time.Minute, "qemu-img", "info", "-f", before[0].Format, img); err != nil {
		return fail(err, "checking that no process uses the image")
	}
	st1, err := m.Stat(ctx, img)
	if err != nil || st1.Size() != st0.Size() || !st1.ModTime().Equal(st0.ModTime()) {
		return fail(fmt.Errorf("the image changed while it was copied"), "checking the image")
	}
	if _, err := run(time.Minute, "mv", "-f", "-T", tmp, img); err != nil {
		return fail(err, "renaming the copy over the image")
	}
	progress("reading the new size", 98)
	if now, err := backingChain(ctx, m, img); err == nil && len(now) == 1 && now[0].ActualSize != nil {
		ci.After = uint64(max(*now[0].ActualSize, 0))
	}
	return ci, nil
}
