package virtfake

import (
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// blockKey names one disk's block job.
type blockKey struct {
	uuid virt.UUID
	disk string
}

// BlockCommit implements virt.Conn: the fake job is done at once (Cur ==
// End), waiting for BlockJobAbort as libvirt's jobs do.
func (c *Conn) BlockCommit(dom virt.Domain, disk, base, top string, active bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("BlockCommit "+disk, &dom)
	if err != nil {
		return err
	}
	typ := virt.BlockJobCommit
	if active {
		typ = virt.BlockJobActiveCommit
	}
	c.blockJobsLocked()[blockKey{d.UUID, disk}] = virt.BlockJob{Found: true, Type: typ, Cur: 1, End: 1}
	return nil
}

// BlockPull implements virt.Conn.
func (c *Conn) BlockPull(dom virt.Domain, disk string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("BlockPull "+disk, &dom)
	if err != nil {
		return err
	}
	c.blockJobsLocked()[blockKey{d.UUID, disk}] = virt.BlockJob{Found: true, Type: virt.BlockJobPull, Cur: 1, End: 1}
	return nil
}

// BlockJobInfo implements virt.Conn.
func (c *Conn) BlockJobInfo(dom virt.Domain, disk string) (virt.BlockJob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("BlockJobInfo "+disk, &dom)
	if err != nil {
		return virt.BlockJob{}, err
	}
	return c.blockJobsLocked()[blockKey{d.UUID, disk}], nil
}

// BlockJobAbort implements virt.Conn (the domain's XML is the test's to
// change).
func (c *Conn) BlockJobAbort(dom virt.Domain, disk string, pivot bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("BlockJobAbort "+disk, &dom)
	if err != nil {
		return err
	}
	delete(c.blockJobsLocked(), blockKey{d.UUID, disk})
	return nil
}

// DeleteSnapshotMetadata implements virt.Conn: as DeleteSnapshot (the fake
// holds no images).
func (c *Conn) DeleteSnapshotMetadata(snap virt.DomainSnapshot) error {
	c.mu.Lock()
	c.calls = append(c.calls, "DeleteSnapshotMetadata "+snap.Name)
	c.mu.Unlock()
	return c.DeleteSnapshot(snap)
}

func (c *Conn) blockJobsLocked() map[blockKey]virt.BlockJob {
	if c.blocks == nil {
		c.blocks = map[blockKey]virt.BlockJob{}
	}
	return c.blocks
}
