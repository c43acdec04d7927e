package api

import (
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/hardware"
)

// hwBase is the prefix of a VM's hardware routes.
const hwBase = "/api/v1/hosts/{host}/vms/{uuid}/hardware"

// hardwareRoutes are the hardware edits and the raw domain XML, for admins,
// served only when the hardware service is given (Options.Hardware).
func (s *Server) hardwareRoutes() []Route {
	if s.opts.Hardware == nil {
		return nil
	}
	return []Route{
		{"GET", hwBase, admin, "", s.getHardware},
		{"PUT", hwBase + "/cpu", admin, "vm.hardware.cpu", s.hwCPU},
		{"PUT", hwBase + "/memory", admin, "vm.hardware.memory", s.hwMemory},
		{"POST", hwBase + "/disks", admin, "vm.hardware.disk-add", s.hwAddDisk},
		{"PUT", hwBase + "/disks/{target}", admin, "vm.hardware.disk-resize", s.hwResizeDisk},
		{"DELETE", hwBase + "/disks/{target}", admin, "vm.hardware.disk-remove", s.hwRemoveDisk},
		{"POST", hwBase + "/nics", admin, "vm.hardware.nic-add", s.hwAddNIC},
		{"PUT", hwBase + "/nics/{mac}", admin, "vm.hardware.nic-update", s.hwUpdateNIC},
		{"DELETE", hwBase + "/nics/{mac}", admin, "vm.hardware.nic-remove", s.hwRemoveNIC},
		{"PUT", hwBase + "/boot", admin, "vm.hardware.boot", s.hwBoot},
		{"PUT", hwBase + "/firmware", admin, "vm.hardware.firmware", s.hwFirmware},
		{"PUT", hwBase + "/graphics", admin, "vm.hardware.graphics", s.hwGraphics},
		{"PUT", hwBase + "/tpm", admin, "vm.hardware.tpm", s.hwTPM},
		{"PUT", hwBase + "/info", admin, "vm.hardware.info", s.hwInfo},
		{"GET", "/api/v1/hosts/{host}/vms/{uuid}/xml", admin, "", s.getDomainXML},
		{"PUT", "/api/v1/hosts/{host}/vms/{uuid}/xml", admin, "vm.xml", s.putDomainXML},
	}
}

// hwEdit decodes a hardware request body into req (nil: none taken) and
// answers what edit returns.
func hwEdit[T any, R any](s *Server, w http.ResponseWriter, r *http.Request, edit func(host, uuid string, req T) (R, error)) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	var req T
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	res, err := edit(h, uuid, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) getHardware(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	v, err := s.opts.Hardware.Get(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) hwCPU(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetCPU)
}

func (s *Server) hwMemory(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetMemory)
}

func (s *Server) hwAddDisk(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.AddDisk)
}

func (s *Server) hwResizeDisk(w http.ResponseWriter, r *http.Request) error {
	target := r.PathValue("target")
	noteOf(r).detail = target
	return hwEdit(s, w, r, func(h, uuid string, req hardware.ResizeRequest) (hardware.Result, error) {
		return s.opts.Hardware.ResizeDisk(h, uuid, target, req)
	})
}

func (s *Server) hwRemoveDisk(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	noteOf(r).detail = r.PathValue("target")
	res, err := s.opts.Hardware.RemoveDisk(h, uuid, r.PathValue("target"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) hwAddNIC(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.AddNIC)
}

func (s *Server) hwUpdateNIC(w http.ResponseWriter, r *http.Request) error {
	mac := r.PathValue("mac")
	noteOf(r).detail = mac
	return hwEdit(s, w, r, func(h, uuid string, req hardware.NICUpdate) (hardware.Result, error) {
		return s.opts.Hardware.UpdateNIC(h, uuid, mac, req)
	})
}

func (s *Server) hwRemoveNIC(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRefNoBody(w, r)
	if err != nil {
		return err
	}
	noteOf(r).detail = r.PathValue("mac")
	res, err := s.opts.Hardware.RemoveNIC(h, uuid, r.PathValue("mac"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) hwBoot(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetBoot)
}

func (s *Server) hwFirmware(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetFirmware)
}

func (s *Server) hwGraphics(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetGraphics)
}

func (s *Server) hwTPM(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetTPM)
}

func (s *Server) hwInfo(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, s.opts.Hardware.SetInfo)
}

func (s *Server) getDomainXML(w http.ResponseWriter, r *http.Request) error {
	h, uuid, err := s.vmRef(r)
	if err != nil {
		return err
	}
	x, err := s.opts.Hardware.XML(h, uuid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) putDomainXML(w http.ResponseWriter, r *http.Request) error {
	return hwEdit(s, w, r, func(h, uuid string, req hardware.XMLRequest) (hardware.XMLResult, error) {
		if req.DryRun {
			noteOf(r).detail = "dry run"
		}
		return s.opts.Hardware.SaveXML(h, uuid, req)
	})
}
