package virt

import "github.com/digitalocean/go-libvirt"

// BlockJob is the state of a disk's block job (BlockJobInfo).
type BlockJob struct {
	// Found reports whether the disk has a block job at all.
	Found bool
	// Type is libvirt's virDomainBlockJobType (BlockJobCommit, ...).
	Type int
	// Cur and End are the job's progress in bytes; an active commit is
	// ready to pivot when Cur equals End (End > 0).
	Cur, End uint64
}

// ErrBlockCopyActive is libvirt's answer to a pivot before the job is
// ready ("not ready for pivot yet").
const ErrBlockCopyActive = libvirt.ErrBlockCopyActive

// Block job types (BlockJob.Type).
const (
	BlockJobPull         = int(libvirt.DomainBlockJobTypePull)
	BlockJobCommit       = int(libvirt.DomainBlockJobTypeCommit)
	BlockJobActiveCommit = int(libvirt.DomainBlockJobTypeActiveCommit)
)

// BlockConn is what merging external snapshot chains needs: block commit
// and pull, their progress, pivot and abort, and forgetting snapshots
// whose data a merge has consolidated.
type BlockConn interface {
	// BlockCommit starts a job that copies the layers from top down into
	// base, for one disk (its target, e.g. vda) of a running domain. An
	// empty top is the active layer; active must be set then, and the job
	// waits, when done copying, for BlockJobAbort with pivot.
	BlockCommit(dom Domain, disk, base, top string, active bool) error
	// BlockPull starts a job that copies every backing layer's data into
	// the active layer, which then stands alone.
	BlockPull(dom Domain, disk string) error
	// BlockJobInfo returns the state of the disk's block job.
	BlockJobInfo(dom Domain, disk string) (BlockJob, error)
	// BlockJobAbort ends the disk's block job: with pivot an active commit
	// that is ready switches the disk to the base image; without it the
	// job is canceled and the disk stays as it was.
	BlockJobAbort(dom Domain, disk string, pivot bool) error
	// DeleteSnapshotMetadata forgets a snapshot without touching any
	// image (libvirt's METADATA_ONLY): for snapshots whose overlays a
	// merge consolidated, since libvirt 9.0 would otherwise try to merge
	// them again.
	DeleteSnapshotMetadata(snap DomainSnapshot) error
}

func optString(s string) libvirt.OptString {
	if s == "" {
		return libvirt.OptString{}
	}
	return libvirt.OptString{s}
}

// BlockCommit implements BlockConn.
func (c *Libvirt) BlockCommit(dom Domain, disk, base, top string, active bool) error {
	var flags libvirt.DomainBlockCommitFlags
	if active {
		flags |= libvirt.DomainBlockCommitActive
	}
	return c.l.DomainBlockCommit(dom, disk, optString(base), optString(top), 0, flags)
}

// BlockPull implements BlockConn.
func (c *Libvirt) BlockPull(dom Domain, disk string) error {
	return c.l.DomainBlockPull(dom, disk, 0, 0)
}

// BlockJobInfo implements BlockConn.
func (c *Libvirt) BlockJobInfo(dom Domain, disk string) (BlockJob, error) {
	found, typ, _, cur, end, err := c.l.DomainGetBlockJobInfo(dom, disk, 0)
	return BlockJob{Found: found == 1, Type: int(typ), Cur: cur, End: end}, err
}

// BlockJobAbort implements BlockConn.
func (c *Libvirt) BlockJobAbort(dom Domain, disk string, pivot bool) error {
	var flags libvirt.DomainBlockJobAbortFlags
	if pivot {
		flags |= libvirt.DomainBlockJobAbortPivot
	}
	return c.l.DomainBlockJobAbort(dom, disk, flags)
}

// DeleteSnapshotMetadata implements BlockConn.
func (c *Libvirt) DeleteSnapshotMetadata(snap DomainSnapshot) error {
	return c.l.DomainSnapshotDelete(snap, libvirt.DomainSnapshotDeleteMetadataOnly)
}
