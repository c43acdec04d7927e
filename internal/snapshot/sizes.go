package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	// As hostmachine: the package has its own machine (the machine type).
	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
)

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

// inspector reads image figures with qemu-img on the host's computer, one
// call per image per request. -U (force-share) lets it read images that a
// running QEMU holds locked; the figures it reads are the snapshot table and
// allocation, which QEMU does not change behind our back while we read them.
type inspector struct {
	m     hostmachine.Machine
	host  string // for messages
	cache map[string]imageResult
}

type imageResult struct {
	info imageInfo
	err  error
}

func newInspector(m hostmachine.Machine, hostName string) *inspector {
	return &inspector{m: m, host: hostName, cache: map[string]imageResult{}}
}

// why says why a figure read on the host's computer is not known.
func (in *inspector) why(err error) string {
	switch {
	case errors.Is(err, hostmachine.ErrUnsupported):
		return fmt.Sprintf("QEMU's figures of files on host %q are not known: %v", in.host, err)
	case errors.Is(err, hostmachine.ErrNotInstalled):
		return fmt.Sprintf("qemu-img is not installed on the computer of host %q (Debian: the qemu-utils package)", in.host)
	}
	return err.Error()
}

// info returns qemu-img's view of an image file; its error is a reason
// fit for Size.Unknown.
func (in *inspector) info(ctx context.Context, path string) (imageInfo, error) {
	if r, ok := in.cache[path]; ok {
		return r.info, r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := in.m.Run(ctx, hostmachine.Command{Program: "qemu-img", Args: []string{"info", "-U", "--output=json", path}})
	var info imageInfo
	if err != nil {
		err = errors.New(in.why(err))
	} else {
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

// fileSize is the size of a file on the host (an external memory state).
func (in *inspector) fileSize(ctx context.Context, path string) Size {
	fi, err := in.m.Stat(ctx, path)
	switch {
	case errors.Is(err, hostmachine.ErrUnsupported):
		return Size{Unknown: in.why(err)}
	case err != nil:
		return Size{Unknown: fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	v := uint64(max(fi.Size(), 0))
	return Size{Bytes: &v, Source: "size of " + path}
}

// sharedWhy says why an internal snapshot's own disk usage is not known.
const sharedWhy = "qcow2 keeps internal snapshots inside the image and shares unchanged clusters between them and the live disk; " +
	"QEMU does not report how much of the image belongs to one snapshot (imageAllocation is the whole image)"
