package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// QemuImg runs qemu-img with args and returns its standard output.
type QemuImg func(ctx context.Context, args ...string) ([]byte, error)

// execQemuImg is the QemuImg that runs the real program.
func execQemuImg(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "qemu-img", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("qemu-img is not installed on the KVM Manager server")
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if msg != "" {
			return nil, fmt.Errorf("qemu-img: %s", msg)
		}
		return nil, fmt.Errorf("qemu-img: %w", err)
	}
	return out, nil
}

// imageInfo is the part of `qemu-img info --output=json` we read.
type imageInfo struct {
	Filename   string `json:"filename"`
	Format     string `json:"format"`
	ActualSize *int64 `json:"actual-size"`
	Snapshots  []struct {
		Name        string `json:"name"`
		ID          string `json:"id"`
		VMStateSize int64  `json:"vm-state-size"`
	} `json:"snapshots"`
}

// parseImageInfo decodes qemu-img's JSON.
func parseImageInfo(out []byte) (imageInfo, error) {
	var info imageInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return info, fmt.Errorf("qemu-img info printed no JSON: %w", err)
	}
	return info, nil
}

// vmStateSize returns the saved memory size of snapshot name in the image,
// and whether the image has such a snapshot.
func (i imageInfo) vmStateSize(name string) (uint64, bool) {
	for _, s := range i.Snapshots {
		if s.Name == name {
			return uint64(max(s.VMStateSize, 0)), true
		}
	}
	return 0, false
}

// inspector reads image figures with qemu-img, one call per image per
// request. -U (force-share) lets it read images that a running QEMU holds
// locked; the figures it reads are the snapshot table and allocation, which
// QEMU does not change behind our back while we read them.
type inspector struct {
	run   QemuImg
	local bool   // the host's images are files on this machine
	host  string // for messages
	cache map[string]imageResult
}

type imageResult struct {
	info imageInfo
	err  error
}

func newInspector(run QemuImg, local bool, hostName string) *inspector {
	return &inspector{run: run, local: local, host: hostName, cache: map[string]imageResult{}}
}

// remoteWhy is the reason figures of remote hosts are not known.
func (in *inspector) remoteWhy() string {
	return fmt.Sprintf("the image is on host %q, which is not this machine; KVM Manager reads QEMU's figures from local image files only", in.host)
}

// info returns qemu-img's view of an image file.
func (in *inspector) info(ctx context.Context, path string) (imageInfo, error) {
	if !in.local {
		return imageInfo{}, errors.New(in.remoteWhy())
	}
	if r, ok := in.cache[path]; ok {
		return r.info, r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := in.run(ctx, "info", "-U", "--output=json", path)
	var info imageInfo
	if err == nil {
		info, err = parseImageInfo(out)
	}
	in.cache[path] = imageResult{info, err}
	return info, err
}

// allocation is what an image file occupies, as qemu-img reports it.
func (in *inspector) allocation(ctx context.Context, path string) Size {
	src := "qemu-img info (actual-size) of " + path
	info, err := in.info(ctx, path)
	switch {
	case err != nil:
		return Size{Unknown: err.Error()}
	case info.ActualSize == nil:
		return Size{Unknown: "qemu-img did not report the allocation of " + path}
	}
	v := uint64(max(*info.ActualSize, 0))
	return Size{Bytes: &v, Source: src}
}

// fileSize is the size of a local file (an external memory state).
func (in *inspector) fileSize(path string) Size {
	if !in.local {
		return Size{Unknown: in.remoteWhy()}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Size{Unknown: fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	v := uint64(fi.Size())
	return Size{Bytes: &v, Source: "size of " + path}
}

// sharedWhy says why an internal snapshot's own disk usage is not known.
const sharedWhy = "qcow2 keeps internal snapshots inside the image and shares unchanged clusters between them and the live disk; " +
	"QEMU does not report how much of the image belongs to one snapshot (imageAllocation is the whole image)"
