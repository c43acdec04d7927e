package hardware

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
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
	e, err := s.beginEdit(hostName, uuid, "xml")
	if err != nil {
		return XMLResult{}, err
	}
	defer e.release()
	if d.UUID == "" || !strings.EqualFold(d.UUID, e.uuid) || d.Name != e.dom.Name {
		return XMLResult{}, problem.New(problem.Invalid, problem.CodeDomainXMLIdentity,
			fmt.Sprintf("the edited XML must keep the VM's name %q and UUID %s", problem.Clip(e.dom.Name), e.uuid),
			"put <name> and <uuid> back as they were; to copy a VM, clone it")
	}
	if err := s.validateCopy(e.c, &d, req.XML); err != nil {
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
func (s *Service) validateCopy(c virt.Conn, d *libvirtxml.Domain, raw string) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("%s%x", validationPrefix, b[:])
	u, err := randomUUID()
	if err != nil {
		return err
	}
	// The document itself, with only its name and UUID replaced: a round
	// trip through libvirtxml would drop what it does not know, and that
	// is exactly what libvirt must see.
	doc, err := replaceIdentity(raw, name, u)
	if err != nil {
		return problem.New(problem.Invalid, problem.CodeInvalidDomainXML, "the domain XML does not parse: "+problem.Clip(err.Error()), "fix the XML")
	}
	dom, err := c.Define(doc)
	if err != nil {
		var le virt.Error
		msg := err.Error()
		if asLibvirt(err, &le) {
			msg = le.Message
		}
		return problem.Wrap(err, problem.Invalid, problem.CodeDomainXMLRejected,
			"libvirt rejects the edited definition: "+problem.Clip(strings.ReplaceAll(msg, name, d.Name)),
			"fix what libvirt names; nothing was saved")
	}
	if err := c.Undefine(dom, virt.UndefineKeepNvram); err != nil {
		s.log.Warn("could not undefine the copy made to validate an edit", "copy", name, "err", err)
		return host.Problem(err, "remove the copy made to validate the edit (named "+name+")")
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

// replaceIdentity returns the domain XML doc with the text of its own
// (top-level) name and uuid elements replaced, everything else as it was.
func replaceIdentity(doc, name, uuid string) (string, error) {
	dec := xml.NewDecoder(strings.NewReader(doc))
	depth := 0
	type span struct{ from, to int64 }
	found := map[string]*span{}
	var open string
	var from int64
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 && (t.Name.Local == "name" || t.Name.Local == "uuid") && found[t.Name.Local] == nil {
				open, from = t.Name.Local, before
			}
		case xml.EndElement:
			if depth == 2 && open == t.Name.Local {
				found[open] = &span{from, dec.InputOffset()}
				open = ""
			}
			depth--
		}
	}
	if found["name"] == nil || found["uuid"] == nil {
		return "", fmt.Errorf("the domain has no name or uuid element")
	}
	repl := map[string]string{"name": "<name>" + xmlText(name) + "</name>", "uuid": "<uuid>" + uuid + "</uuid>"}
	first, second := "name", "uuid"
	if found["uuid"].from < found["name"].from {
		first, second = second, first
	}
	a, b := found[first], found[second]
	return doc[:a.from] + repl[first] + doc[a.to:b.from] + repl[second] + doc[b.to:], nil
}
