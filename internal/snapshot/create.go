package snapshot

import (
	"context"
	"fmt"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// createPlan is a checked create request.
type createPlan struct {
	name, description string
	memory, quiesce   bool
	active            bool
	// external: a disk-only snapshot in overlays (a running VM's, or a
	// shut-off VM's whose disks cannot hold internal ones).
	external bool
	overlays []overlay
	xml      string
	flags    virt.SnapshotCreateFlags
}

// planCreate checks a create request against the VM's pre-flight and
// builds the snapshot XML. It changes nothing.
func planCreate(req CreateRequest, f vmFacts, vmName string) (createPlan, error) {
	if err := ValidateName(req.Name); err != nil {
		return createPlan{}, err
	}
	desc := NormalizeDescription(req.Description)
	if err := ValidateDescription(desc); err != nil {
		return createPlan{}, err
	}
	c := capabilities(f)
	p := createPlan{name: req.Name, description: desc, active: inventory.Active(f.State)}
	p.memory = p.active
	if req.Memory != nil {
		p.memory = *req.Memory
	}
	kind := c.DiskOnly
	if p.memory {
		kind = c.Memory
	}
	if !kind.Possible {
		msg, hint := refusal(kind)
		if p.memory && !p.active {
			return p, problem.New(problem.Conflict, problem.CodeVMNotRunning,
				fmt.Sprintf("VM %q cannot take a snapshot with memory: %s", vmName, msg), hint+`; or send "memory": false for a disk-only snapshot`)
		}
		return p, problem.New(problem.Unsupported, problem.CodeSnapshotNotPossible,
			fmt.Sprintf("VM %q cannot take %s: %s", vmName, kindName(p.memory), msg), hint)
	}
	switch {
	case req.Quiesce != nil && *req.Quiesce && p.memory:
		return p, problem.New(problem.Invalid, problem.CodeQuiesceNotApplicable,
			"quiescing applies to disk-only snapshots of a running VM; a snapshot with memory pauses the VM and saves memory and disks together",
			`leave out "quiesce", or send "memory": false`)
	case req.Quiesce != nil && *req.Quiesce && !c.Quiesce.Possible:
		msg, hint := refusal(c.Quiesce)
		return p, problem.New(problem.Conflict, problem.CodeQuiesceUnavailable,
			fmt.Sprintf("cannot quiesce VM %q: %s", vmName, msg), hint+`; or send "quiesce": false to snapshot without quiescing`)
	case req.Quiesce == nil:
		// Quiesce whenever it helps and the agent is there to do it.
		p.quiesce = !p.memory && p.active && c.Quiesce.Possible
	default:
		p.quiesce = *req.Quiesce
	}
	if !p.memory && (p.active || c.DiskOnly.Location == "external") {
		p.external = true
		p.overlays = overlayPaths(f.Domain, p.name)
	}
	p.xml, p.flags = createXML(p)
	return p, nil
}

// createXML builds the snapshot definition with libvirtxml, and the flags.
// With memory the snapshot is internal (memory and disks inside the qcow2
// images). Without memory a stopped VM's snapshot is internal too (libvirt
// runs qemu-img), while a running VM's is external: libvirt cannot take an
// internal disk-only snapshot of a running VM. A shut-off VM whose disks
// cannot hold internal snapshots gets an external one as well. External
// snapshots name their overlays (overlayPaths).
func createXML(p createPlan) (string, virt.SnapshotCreateFlags) {
	def := libvirtxml.DomainSnapshot{Name: p.name, Description: p.description}
	flags := virt.SnapshotCreateAtomic
	switch {
	case p.memory:
		def.Memory = &libvirtxml.DomainSnapshotMemory{Snapshot: "internal"}
	case p.external:
		def.Memory = &libvirtxml.DomainSnapshotMemory{Snapshot: "no"}
		flags |= virt.SnapshotCreateDiskOnly
		if len(p.overlays) > 0 {
			def.Disks = &libvirtxml.DomainSnapshotDisks{}
			for _, o := range p.overlays {
				def.Disks.Disks = append(def.Disks.Disks, libvirtxml.DomainSnapshotDisk{Name: o.target, Snapshot: "external",
					Driver: &libvirtxml.DomainDiskDriver{Type: "qcow2"},
					Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: o.file}}})
			}
		}
	default:
		def.Memory = &libvirtxml.DomainSnapshotMemory{Snapshot: "no"}
	}
	if p.quiesce {
		flags |= virt.SnapshotCreateQuiesce
	}
	doc, err := def.Marshal()
	if err != nil {
		// Marshalling a struct of plain strings cannot fail.
		panic(fmt.Sprintf("marshal snapshot XML: %v", err))
	}
	return doc, flags
}

// Create checks a request and starts an operation that takes the snapshot.
// Nothing is changed when the check fails.
func (s *Service) Create(hostName, uuid string, req CreateRequest) (operation.Op, error) {
	if err := ValidateName(req.Name); err != nil {
		return operation.Op{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-create", req.Name)
	if err != nil {
		return operation.Op{}, err
	}
	op, err := s.startCreate(t, req, claim)
	if err != nil {
		claim.Release()
		return operation.Op{}, err
	}
	return op, nil
}

func (s *Service) startCreate(t target, req CreateRequest, claim *operation.Claim) (operation.Op, error) {
	f, err := s.facts(t)
	if err != nil {
		return operation.Op{}, err
	}
	p, err := planCreate(req, f, t.vm.Name)
	if err != nil {
		return operation.Op{}, err
	}
	if _, err := t.c.LookupSnapshot(t.dom, p.name); err == nil {
		return operation.Op{}, problem.New(problem.Conflict, problem.CodeSnapshotExists,
			fmt.Sprintf("VM %q already has a snapshot named %q", t.vm.Name, p.name), "choose another name: names are unique per VM")
	} else if !host.IsCode(err, virt.ErrNoDomainSnapshot) {
		return operation.Op{}, host.Problem(err, "check the snapshot name")
	}
	return claim.Start("snapshot-create", false, func(ctx context.Context, r operation.Reporter) error {
		res, err := s.runCreate(ctx, t, p, r)
		if err == nil {
			r.SetResult(res)
		}
		return err
	})
}

func (s *Service) runCreate(ctx context.Context, t target, p createPlan, r operation.Reporter) (CreateResult, error) {
	if err := s.relink(&t); err != nil {
		return CreateResult{}, err
	}
	var res CreateResult
	s.waitScreenshot(t.key)
	stage := "saving the disks"
	switch {
	case p.memory:
		stage = "saving memory and disks"
	case p.quiesce:
		stage = "quiescing the guest and saving the disks"
	}
	stop := s.watchJob(t, r, stage)
	snap, err := t.c.CreateSnapshot(t.dom, p.xml, p.flags)
	stop()
	if err != nil {
		if p.quiesce && host.IsCode(err, virt.ErrAgentUnresponsive, virt.ErrOperationUnsupported, virt.ErrArgumentUnsupported) {
			return res, problem.Wrap(err, problem.Conflict, problem.CodeQuiesceFailed,
				"the guest agent could not freeze the guest's file systems: "+problemMessage(host.Problem(err, "quiesce")),
				`check qemu-guest-agent in the guest, or send "quiesce": false`)
		}
		// The link or the VM may have gone away mid-call: find out what
		// libvirt really did.
		if snap, err = s.recoverCreate(ctx, &t, p, r, err); err != nil {
			return res, err
		}
	}
	r.Progress("reading the new snapshot", 95)
	sum, err := s.summary(t, snap)
	cur, _ := s.changed(t, "created", []string{p.name})
	if err != nil {
		return res, err
	}
	// A new snapshot is a leaf, and current unless libvirt says otherwise.
	sum.Current = cur == sum.Name
	res.Quiesced = p.quiesce
	if p.active && s.shots.dir != "" {
		res.ScreenshotPending = true
		done := s.screenshotStarted(t.key)
		s.bg.Go(func() {
			defer done()
			s.storeScreenshot(t, sum)
		})
	}
	res.Snapshot = sum
	return res, nil
}

// screenshotStarted marks a screenshot of the VM as in flight until done
// is called; operations on the VM wait for it (waitScreenshot), so that the
// screen captured is never one of a later change of ours.
func (s *Service) screenshotStarted(key string) (done func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.shooting[key] = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		if s.shooting[key] == ch {
			delete(s.shooting, key)
		}
		s.mu.Unlock()
		close(ch)
	}
}

// waitScreenshot waits until no screenshot of the VM is in flight (at most
// the capture timeout).
func (s *Service) waitScreenshot(key string) {
	s.mu.Lock()
	ch := s.shooting[key]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-time.After(s.opts.ScreenshotTimeout):
	}
}

// storeScreenshot captures the console of the VM just snapshotted and
// stores it with the snapshot, then publishes a "snapshot" event with
// change "screenshot". It runs after the operation has ended, so that the
// capture (an extra link, QEMU's screendump, an image conversion: some
// 35 ms here) does not add to the time the user waits; the VM was paused
// for a snapshot with memory, so the screen is still the one it holds.
func (s *Service) storeScreenshot(t target, sn Snapshot) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ScreenshotTimeout)
	defer cancel()
	png, err := s.opts.Screens.Capture(ctx, t.vm.Host, t.vm.UUID)
	if err == nil {
		err = s.shots.save(t.vm.Host, t.vm.UUID, sn.Name, sn.CreationTime, png)
	}
	if err != nil {
		s.log.Warn("no screenshot stored with the snapshot", "vm", t.vm.Name, "snapshot", sn.Name, "err", problemMessage(err))
		return
	}
	s.publish(Event{Host: t.vm.Host, UUID: t.vm.UUID, VM: t.vm.Name, Change: "screenshot", Names: []string{sn.Name}})
}

// problemMessage is the user-facing part of an error.
func problemMessage(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Message
	}
	return err.Error()
}
