package hardware

import (
	"crypto/rand"
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DomainXML is GET .../xml: the stored definition (with its secrets: the
// route is for admins, who may edit it) and, while the VM runs, the
// running one.
type DomainXML struct {
	Stored string `json:"stored"`
	Live   string `json:"live,omitempty"`
}

// XML returns a VM's domain XML.
func (s *Service) XML(hostName, uuid string) (DomainXML, error) {
	e, err := s.begin(hostName, uuid)
	if err != nil {
		return DomainXML{}, err
	}
	var out DomainXML
	if out.Stored, err = e.c.XML(e.dom, virt.XMLInactive|virt.XMLSecure); err != nil {
		return DomainXML{}, host.Problem(err, "read the VM's definition")
	}
	if e.running {
		if out.Live, err = e.c.XML(e.dom, 0); err != nil {
			return DomainXML{}, host.Problem(err, "read the running VM's definition")
		}
	}
	return out, nil
}

// XMLRequest is an edited definition. DryRun validates it and answers the
// diff without saving.
type XMLRequest struct {
	XML    string `json:"xml"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// XMLResult is the answer to SaveXML.
type XMLResult struct {
	Result
	// Saved is false for a dry run.
	Saved bool `json:"saved"`
}

// validationPrefix starts the names of the throw-away copies a dry run
// defines (and undefines at once) to have libvirt validate an edit.
const validationPrefix = "kvm-manager-validate-"

// SaveXML replaces a VM's stored definition with an edited one. The edit
// must keep the VM's name and UUID. A dry run has libvirt validate it
// without touching the VM: the document is defined as a copy under a
// new name and UUID (with libvirt's schema validation), which is undefined
// at once; the answer then carries the diff against the stored definition.
// A save defines it (validated again) and answers the diff libvirt's
// normalised definition makes.
func (s *Service) SaveXML(hostName, uuid string, req XMLRequest) (XMLResult, error) {
	if strings.TrimSpace(req.XML) == "" {
		return XMLResult{}, problem.New(problem.Invalid, problem.CodeInvalidDomainXML, "the domain XML is empty", `give the edited definition in "xml"`)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(req.XML); err != nil {
		return XMLResult{}, problem.New(problem.Invalid, problem.CodeInvalidDomainXML, "the domain XML does not parse: "+problem.Clip(err.Error()),
			"fix the XML (it must be one <domain> element)")
	}
	e, err := s.begin(hostName, uuid)
	if err != nil {
		return XMLResult{}, err
	}
	if d.UUID == "" || !strings.EqualFold(d.UUID, e.uuid) || d.Name != e.dom.Name {
		return XMLResult{}, problem.New(problem.Invalid, problem.CodeDomainXMLIdentity,
			fmt.Sprintf("the edited XML must keep the VM's name %q and UUID %s", problem.Clip(e.dom.Name), e.uuid),
			"put <name> and <uuid> back as they were; to copy a VM, clone it")
	}
	if err := s.validateCopy(e.c, &d); err != nil {
		return XMLResult{}, err
	}
	var out XMLResult
	if req.DryRun {
		stored, err := e.c.XML(e.dom, virt.XMLInactive|virt.XMLSecure)
		if err != nil {
			return XMLResult{}, host.Problem(err, "read the VM's definition")
		}
		out.Changes = Diff(stored, req.XML)
		out.Message = "the edited definition is valid; nothing was saved"
		if out.Changes == "" {
			out.Message = "the edited definition is the same as the stored one"
		}
		return out, nil
	}
	if _, err := e.c.Define(req.XML); err != nil {
		return XMLResult{}, libvirtProblem(err, "save the edited definition")
	}
	out.Saved = true
	e.res.Config = true
	e.say("the edited definition was saved")
	res, err := s.finish(e, "xml")
	out.Result = res
	return out, err
}

// validateCopy defines d as a copy of its own (a new name and UUID, no
// variable store of its own is made: none is written until a start), with
// libvirt's schema validation, and undefines it at once, keeping any
// variable store file it names (it is the real VM's).
func (s *Service) validateCopy(c virt.Conn, d *libvirtxml.Domain) error {
	cp := *d
	var b [8]byte
	_, _ = rand.Read(b[:])
	cp.Name = fmt.Sprintf("%s%x", validationPrefix, b[:])
	u, err := randomUUID()
	if err != nil {
		return err
	}
	cp.UUID = u
	doc, err := cp.Marshal()
	if err != nil {
		return fmt.Errorf("write the copy to validate: %w", err)
	}
	dom, err := c.Define(doc)
	if err != nil {
		var le virt.Error
		msg := err.Error()
		if asLibvirt(err, &le) {
			msg = le.Message
		}
		return problem.Wrap(err, problem.Invalid, problem.CodeDomainXMLRejected,
			"libvirt rejects the edited definition: "+problem.Clip(strings.ReplaceAll(msg, cp.Name, d.Name)),
			"fix what libvirt names; nothing was saved")
	}
	if err := c.Undefine(dom, virt.UndefineKeepNvram); err != nil {
		s.log.Warn("could not undefine the copy made to validate an edit", "copy", cp.Name, "err", err)
		return host.Problem(err, "remove the copy made to validate the edit (named "+cp.Name+")")
	}
	return nil
}

func randomUUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}
