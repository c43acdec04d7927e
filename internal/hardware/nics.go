package hardware

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

var (
	macRE    = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)
	bridgeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
)

// nicModels are the NIC models a request may ask for.
var nicModels = []string{"virtio", "e1000e", "e1000", "rtl8139"}

// NICRequest adds a network interface: on a libvirt network of the host
// (default "default") or a host bridge.
type NICRequest struct {
	Network string `json:"network,omitempty"`
	Bridge  string `json:"bridge,omitempty"`
	// Model is virtio (default), e1000e, e1000 or rtl8139.
	Model string `json:"model,omitempty"`
	// MAC is the address (default: a new one, 52:54:00:...).
	MAC string `json:"mac,omitempty"`
}

// NICAdded is the answer to AddNIC.
type NICAdded struct {
	Result
	MAC string `json:"mac"`
}

// AddNIC adds a network interface: plugged into the running VM too.
func (s *Service) AddNIC(hostName, uuid string, req NICRequest) (NICAdded, error) {
	model := req.Model
	if model == "" {
		model = "virtio"
	}
	if !slices.Contains(nicModels, model) {
		return NICAdded{}, invalid(fmt.Sprintf("NIC model %q is not supported", problem.Clip(model)), "use one of: "+strings.Join(nicModels, ", "))
	}
	mac := strings.ToLower(req.MAC)
	if mac != "" {
		if err := checkMAC(mac); err != nil {
			return NICAdded{}, err
		}
	} else {
		mac = newMAC()
	}
	e, err := s.beginEdit(hostName, uuid, "nic-add")
	if err != nil {
		return NICAdded{}, err
	}
	defer e.release()
	if findNIC(e.def, mac) >= 0 || findNIC(e.live, mac) >= 0 {
		return NICAdded{}, problem.New(problem.Conflict, "mac_in_use", fmt.Sprintf("the VM already has a NIC with MAC address %s", mac), "give another address, or none")
	}
	nic := libvirtxml.DomainInterface{
		MAC:   &libvirtxml.DomainInterfaceMAC{Address: mac},
		Model: &libvirtxml.DomainInterfaceModel{Type: model},
	}
	if nic.Source, err = nicSource(e.c, hostName, req.Network, req.Bridge); err != nil {
		return NICAdded{}, err
	}
	if e.running {
		doc, err := nic.Marshal()
		if err != nil {
			return NICAdded{}, err
		}
		if err := e.c.AttachDevice(e.dom, doc, virt.AffectLive); err != nil {
			if !unsupportedLive(err) {
				return NICAdded{}, libvirtProblem(err, "plug the NIC into the running VM")
			}
		} else {
			e.res.Live = true
		}
	}
	e.def.Devices.Interfaces = append(e.def.Devices.Interfaces, nic)
	if err := e.define("add the NIC"); err != nil {
		if e.res.Live {
			if doc, merr := nic.Marshal(); merr == nil {
				_ = e.c.DetachDevice(e.dom, doc, virt.AffectLive)
			}
		}
		return NICAdded{}, err
	}
	e.say(fmt.Sprintf("NIC %s (%s) added", mac, model))
	res, err := s.finish(e, "nic-add")
	return NICAdded{Result: res, MAC: mac}, err
}

// NICUpdate changes a NIC (each field given: changed).
type NICUpdate struct {
	// Network or Bridge moves it to another network or host bridge.
	Network *string `json:"network,omitempty"`
	Bridge  *string `json:"bridge,omitempty"`
	// Model changes the NIC model (next start).
	Model *string `json:"model,omitempty"`
	// MAC changes its address (next start).
	MAC *string `json:"mac,omitempty"`
	// LinkUp plugs the virtual cable in or pulls it out.
	LinkUp *bool `json:"linkUp,omitempty"`
}

// UpdateNIC changes the NIC with the MAC address: its link state and
// network at once where libvirt can; its model and address at the next
// start.
func (s *Service) UpdateNIC(hostName, uuid, mac string, req NICUpdate) (Result, error) {
	mac = strings.ToLower(mac)
	if req.Network == nil && req.Bridge == nil && req.Model == nil && req.MAC == nil && req.LinkUp == nil {
		return Result{}, invalid("the request changes nothing", `give "network", "bridge", "model", "mac" or "linkUp"`)
	}
	if req.Model != nil && !slices.Contains(nicModels, *req.Model) {
		return Result{}, invalid(fmt.Sprintf("NIC model %q is not supported", problem.Clip(*req.Model)), "use one of: "+strings.Join(nicModels, ", "))
	}
	newMACAddr := ""
	if req.MAC != nil {
		newMACAddr = strings.ToLower(*req.MAC)
		if err := checkMAC(newMACAddr); err != nil {
			return Result{}, err
		}
	}
	e, err := s.beginEdit(hostName, uuid, "nic-update")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	i := findNIC(e.def, mac)
	if i < 0 {
		return Result{}, nicNotFound(e.def, mac)
	}
	if newMACAddr != "" && newMACAddr != mac && findNIC(e.def, newMACAddr) >= 0 {
		return Result{}, problem.New(problem.Conflict, "mac_in_use", fmt.Sprintf("the VM already has a NIC with MAC address %s", newMACAddr), "give another address")
	}
	nic := e.def.Devices.Interfaces[i]
	var what []string
	if req.Network != nil || req.Bridge != nil {
		net, br := "", ""
		if req.Network != nil {
			net = *req.Network
		}
		if req.Bridge != nil {
			br = *req.Bridge
		}
		if nic.Source, err = nicSource(e.c, hostName, net, br); err != nil {
			return Result{}, err
		}
		what = append(what, "moved to "+strings.TrimPrefix(net+" "+br, " "))
	}
	if req.LinkUp != nil {
		state := "down"
		if *req.LinkUp {
			state = "up"
		}
		nic.Link = &libvirtxml.DomainInterfaceLink{State: state}
		what = append(what, "link "+state)
	}
	// Live: the link and the network, on the NIC as the running VM has it.
	if e.running && (req.Network != nil || req.Bridge != nil || req.LinkUp != nil) {
		if j := findNIC(e.live, mac); j >= 0 {
			ln := e.live.Devices.Interfaces[j]
			if req.Network != nil || req.Bridge != nil {
				ln.Source = nic.Source
				// The host side is made again for the new network.
				ln.Target = nil
			}
			if req.LinkUp != nil {
				ln.Link = nic.Link
			}
			doc, err := ln.Marshal()
			if err != nil {
				return Result{}, err
			}
			if err := e.c.UpdateDevice(e.dom, doc, virt.DeviceModifyLive); err != nil {
				if !unsupportedLive(err) {
					return Result{}, libvirtProblem(err, "change the running VM's NIC")
				}
				e.res.EffectiveAtNextStart = true
			} else {
				e.res.Live = true
			}
		}
	}
	if req.Model != nil {
		nic.Model = &libvirtxml.DomainInterfaceModel{Type: *req.Model}
		what = append(what, "model "+*req.Model)
		if e.running {
			e.res.EffectiveAtNextStart = true
		}
	}
	if newMACAddr != "" && newMACAddr != mac {
		nic.MAC = &libvirtxml.DomainInterfaceMAC{Address: newMACAddr}
		what = append(what, "address "+newMACAddr)
		if e.running {
			e.res.EffectiveAtNextStart = true
		}
	}
	e.def.Devices.Interfaces[i] = nic
	if err := e.define("change the NIC"); err != nil {
		return Result{}, err
	}
	e.say(fmt.Sprintf("NIC %s: %s", mac, strings.Join(what, ", ")))
	return s.finish(e, "nic-update")
}

// RemoveNIC takes the NIC with the MAC address out of the VM (unplugged
// from the running VM too).
func (s *Service) RemoveNIC(hostName, uuid, mac string) (Result, error) {
	mac = strings.ToLower(mac)
	e, err := s.beginEdit(hostName, uuid, "nic-remove")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	i := findNIC(e.def, mac)
	if i < 0 {
		return Result{}, nicNotFound(e.def, mac)
	}
	if e.running {
		if j := findNIC(e.live, mac); j >= 0 {
			doc, err := e.live.Devices.Interfaces[j].Marshal()
			if err != nil {
				return Result{}, err
			}
			if err := e.c.DetachDevice(e.dom, doc, virt.AffectLive); err != nil {
				if !unsupportedLive(err) {
					return Result{}, libvirtProblem(err, "unplug the NIC from the running VM")
				}
			} else {
				e.res.Live = true
			}
		}
	}
	e.def.Devices.Interfaces = slices.Delete(e.def.Devices.Interfaces, i, i+1)
	if err := e.define("remove the NIC"); err != nil {
		return Result{}, err
	}
	e.say(fmt.Sprintf("NIC %s removed", mac))
	return s.finish(e, "nic-remove")
}

// nicSource is a NIC's source: a libvirt network of the host (default
// "default") or a host bridge.
func nicSource(c virt.Conn, hostName, network, bridge string) (*libvirtxml.DomainInterfaceSource, error) {
	switch {
	case bridge != "" && network != "":
		return nil, invalid("the NIC names both a network and a bridge", "give one of them")
	case bridge != "":
		if !bridgeRE.MatchString(bridge) {
			return nil, invalid(fmt.Sprintf("%q is not a bridge name", problem.Clip(bridge)), "give the host bridge's interface name, e.g. br0")
		}
		return &libvirtxml.DomainInterfaceSource{Bridge: &libvirtxml.DomainInterfaceSourceBridge{Bridge: bridge}}, nil
	}
	if network == "" {
		network = "default"
	}
	if _, err := c.LookupNetwork(network); err != nil {
		if host.IsCode(err, virt.ErrNoNetwork) {
			return nil, problem.New(problem.NotFound, "network_not_found", fmt.Sprintf("host %q has no network %q", hostName, problem.Clip(network)),
				"choose one of the host's networks, or create it first")
		}
		return nil, host.Problem(err, "find the network")
	}
	return &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: network}}, nil
}

func checkMAC(mac string) error {
	if !macRE.MatchString(mac) {
		return invalid(fmt.Sprintf("%q is not a MAC address", problem.Clip(mac)), "write it as 52:54:00:12:34:56")
	}
	if strings.IndexByte("13579bdf", mac[1]) >= 0 {
		return invalid(fmt.Sprintf("%s is a multicast address", mac), "use a unicast address, e.g. starting 52:54:00")
	}
	return nil
}

// newMAC is a random address in QEMU's range (52:54:00).
func newMAC() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2])
}

func findNIC(d *libvirtxml.Domain, mac string) int {
	if d == nil || d.Devices == nil {
		return -1
	}
	for i, n := range d.Devices.Interfaces {
		if n.MAC != nil && strings.EqualFold(n.MAC.Address, mac) {
			return i
		}
	}
	return -1
}

func nicNotFound(d *libvirtxml.Domain, mac string) error {
	var have []string
	for _, n := range d.Devices.Interfaces {
		if n.MAC != nil {
			have = append(have, n.MAC.Address)
		}
	}
	hint := "the VM has no NICs"
	if len(have) > 0 {
		hint = "its NICs are " + strings.Join(have, ", ")
	}
	return problem.New(problem.NotFound, problem.CodeNICNotFound, fmt.Sprintf("the VM has no NIC with MAC address %q", problem.Clip(mac)), hint)
}
