package hardware

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Bounds of what a request may ask for.
const (
	maxVCPUs     = 255
	minMemoryMiB = 64
	maxMemoryMiB = 4 << 20 // 4 TiB
)

// CPURequest sets the vCPU count and the most vCPUs the VM may have
// (each 0: unchanged).
type CPURequest struct {
	VCPUs    uint `json:"vcpus"`
	MaxVCPUs uint `json:"maxVcpus"`
}

// SetCPU changes a VM's vCPUs. A running VM gets the count at once
// (hot-plugged) when it is within the maximum it started with; a new
// maximum takes effect at its next start.
func (s *Service) SetCPU(hostName, uuid string, req CPURequest) (Result, error) {
	if req.VCPUs == 0 && req.MaxVCPUs == 0 {
		return Result{}, invalid("the request changes nothing", `give "vcpus" and/or "maxVcpus"`)
	}
	e, err := s.beginEdit(hostName, uuid, "cpu")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	cur := describe(e.def)
	n, maxN := cur.VCPUs, cur.MaxVCPUs
	if req.MaxVCPUs != 0 {
		maxN = req.MaxVCPUs
	}
	if req.VCPUs != 0 {
		n = req.VCPUs
	}
	if req.MaxVCPUs != 0 && req.VCPUs == 0 && n > maxN {
		n = maxN
	}
	switch {
	case maxN < 1 || maxN > maxVCPUs:
		return Result{}, invalid(fmt.Sprintf("%d vCPUs at most: want 1 to %d", maxN, maxVCPUs), "give a smaller maximum")
	case n < 1 || n > maxN:
		return Result{}, invalid(fmt.Sprintf("%d vCPUs: want 1 to the maximum, %d", n, maxN), `give fewer vCPUs, or raise "maxVcpus" too`)
	}
	// Live: the count, within what the running VM was started with.
	if e.running && req.VCPUs != 0 && e.live != nil {
		l := describe(e.live)
		if n != l.VCPUs && n <= l.MaxVCPUs {
			if err := e.c.SetVCPUs(e.dom, uint32(n), virt.AffectLive, false); err != nil {
				if !unsupportedLive(err) {
					return Result{}, libvirtProblem(err, fmt.Sprintf("set the running VM's vCPUs to %d", n))
				}
				e.res.EffectiveAtNextStart = true
			} else {
				e.res.Live = true
			}
		}
		if n > l.MaxVCPUs {
			e.res.EffectiveAtNextStart = true
		}
	}
	if e.running && maxN != describe(e.live).MaxVCPUs {
		e.res.EffectiveAtNextStart = true
	}
	if e.def.VCPU == nil {
		e.def.VCPU = &libvirtxml.DomainVCPU{}
	}
	e.def.VCPU.Value = maxN
	e.def.VCPU.Current = 0
	if n != maxN {
		e.def.VCPU.Current = n
	}
	// Per-vCPU settings (<vcpus>) would have to list each one: libvirt
	// makes them again from the count.
	e.def.VCPUs = nil
	if err := e.define("set the vCPUs"); err != nil {
		return Result{}, err
	}
	e.say(fmt.Sprintf("%d vCPUs (at most %d)", n, maxN))
	return s.finish(e, "cpu")
}

// MemoryRequest sets the memory and the most memory the VM may have, in
// MiB (each 0: unchanged).
type MemoryRequest struct {
	MemoryMiB    uint64 `json:"memoryMiB"`
	MaxMemoryMiB uint64 `json:"maxMemoryMiB"`
}

// SetMemory changes a VM's memory. A running VM gets the new amount at once
// through its balloon, within the maximum it started with; a new maximum
// takes effect at its next start.
func (s *Service) SetMemory(hostName, uuid string, req MemoryRequest) (Result, error) {
	if req.MemoryMiB == 0 && req.MaxMemoryMiB == 0 {
		return Result{}, invalid("the request changes nothing", `give "memoryMiB" and/or "maxMemoryMiB"`)
	}
	e, err := s.beginEdit(hostName, uuid, "memory")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	cur := describe(e.def)
	mem, maxMem := cur.MemoryMiB, cur.MaxMemoryMiB
	if req.MaxMemoryMiB != 0 {
		maxMem = req.MaxMemoryMiB
	}
	if req.MemoryMiB != 0 {
		mem = req.MemoryMiB
	}
	if req.MemoryMiB == 0 && mem > maxMem {
		mem = maxMem
	}
	switch {
	case maxMem < minMemoryMiB || maxMem > maxMemoryMiB:
		return Result{}, invalid(fmt.Sprintf("%d MiB of memory at most: want %d to %d", maxMem, minMemoryMiB, maxMemoryMiB), "give a maximum in that range")
	case mem < minMemoryMiB || mem > maxMem:
		return Result{}, invalid(fmt.Sprintf("%d MiB of memory: want %d MiB to the maximum, %d MiB", mem, minMemoryMiB, maxMem),
			`give less memory, or raise "maxMemoryMiB" too`)
	}
	if e.running && e.live != nil {
		l := describe(e.live)
		if req.MemoryMiB != 0 && mem != l.MemoryMiB && mem <= l.MaxMemoryMiB {
			if err := e.c.SetMemory(e.dom, mem<<10, virt.AffectLive); err != nil {
				if !unsupportedLive(err) {
					return Result{}, libvirtProblem(err, fmt.Sprintf("set the running VM's memory to %d MiB", mem))
				}
				e.res.EffectiveAtNextStart = true
			} else {
				e.res.Live = true
			}
		}
		if mem > l.MaxMemoryMiB || maxMem != l.MaxMemoryMiB {
			e.res.EffectiveAtNextStart = true
		}
	}
	e.def.Memory = &libvirtxml.DomainMemory{Value: uint(maxMem), Unit: "MiB"}
	e.def.CurrentMemory = &libvirtxml.DomainCurrentMemory{Value: uint(mem), Unit: "MiB"}
	if err := e.define("set the memory"); err != nil {
		return Result{}, err
	}
	e.say(fmt.Sprintf("%d MiB of memory (at most %d MiB)", mem, maxMem))
	return s.finish(e, "memory")
}
