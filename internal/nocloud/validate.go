package nocloud

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// docError is a refusal of user-data or network-config, naming the line.
func docError(code, doc string, line int, msg, hint string) error {
	where := doc
	if line > 0 {
		where = fmt.Sprintf("%s line %d", doc, line)
	}
	return problem.New(problem.Invalid, code, fmt.Sprintf("%s: %s", where, msg), hint)
}

// parse reads one YAML document into a node tree. yaml.v3 reports syntax
// errors as "yaml: line N: ..."; the line is kept in the message.
func parse(b []byte, code, doc string) (root *yaml.Node, err error) {
	if len(b) > MaxDocument {
		return nil, docError(code, doc, 0, fmt.Sprintf("it is %d bytes, more than the %d accepted", len(b), MaxDocument), "make it smaller")
	}
	if !utf8.Valid(b) {
		return nil, docError(code, doc, 0, "it is not valid UTF-8 text", "save it as UTF-8")
	}
	defer func() {
		// A parser bug must not take the server down.
		if r := recover(); r != nil {
			root, err = nil, docError(code, doc, 0, "the YAML parser failed on it", "simplify the YAML")
		}
	}()
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&n); err != nil {
		if err.Error() == "EOF" {
			return nil, nil // empty document
		}
		return nil, docError(code, doc, 0, "not valid YAML: "+strings.TrimPrefix(err.Error(), "yaml: "), "fix the YAML at that line")
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, docError(code, doc, extra.Line, "a second YAML document ('---') starts here; cloud-init reads one", "remove the second document")
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	return n.Content[0], nil
}

// ValidateUserData checks user-data as cloud-init would take it: a
// "#cloud-config" document that is a YAML mapping whose common keys have
// the shapes cloud-init's schema gives them, or a script ("#!").
func ValidateUserData(b []byte) error {
	const code, doc = problem.CodeInvalidUserData, "user-data"
	first, _, _ := strings.Cut(string(b), "\n")
	first = strings.TrimRight(first, " \t\r")
	switch {
	case strings.HasPrefix(first, "#!"):
		if len(b) > MaxDocument {
			return docError(code, doc, 0, fmt.Sprintf("it is %d bytes, more than the %d accepted", len(b), MaxDocument), "make it smaller")
		}
		return nil
	case first != "#cloud-config":
		return docError(code, doc, 1, fmt.Sprintf("it starts with %q; cloud-init would ignore it", problem.Clip(first)),
			`start it with the line "#cloud-config" (YAML settings) or "#!" (a script)`)
	}
	root, err := parse(b, code, doc)
	if err != nil || root == nil {
		return err
	}
	if root.Kind != yaml.MappingNode {
		return docError(code, doc, root.Line, "the settings are not a mapping (key: value lines)", "write settings as key: value, e.g. hostname: web-1")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return docError(code, doc, k.Line, "a key is not a plain name", "use names such as hostname, users, runcmd")
		}
		if err := userDataKey(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func isStr(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" }
func isScalar(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null"
}

// userDataKey checks one top-level key's value against the shape
// cloud-init's schema requires (for the keys the form and most users
// write; other keys are left to cloud-init).
func userDataKey(key string, v *yaml.Node) error {
	const code, doc = problem.CodeInvalidUserData, "user-data"
	bad := func(n *yaml.Node, want string) error {
		return docError(code, doc, n.Line, fmt.Sprintf("%s must be %s", key, want), "see cloud-init's module reference for "+key)
	}
	switch key {
	case "hostname", "fqdn", "password", "locale", "timezone":
		if !isScalar(v) {
			return bad(v, "a single value")
		}
	case "ssh_pwauth", "package_update", "package_upgrade", "package_reboot_if_required", "disable_root", "manage_etc_hosts", "preserve_hostname":
		if !isScalar(v) {
			return bad(v, "true or false")
		}
	case "runcmd", "bootcmd":
		if v.Kind != yaml.SequenceNode {
			return bad(v, "a list of commands")
		}
		for _, c := range v.Content {
			switch {
			case isScalar(c):
			case c.Kind == yaml.SequenceNode:
				for _, a := range c.Content {
					if !isScalar(a) {
						return bad(a, "a list of commands (each a string or a list of strings)")
					}
				}
			default:
				return bad(c, "a list of commands (each a string or a list of strings)")
			}
		}
	case "packages":
		if v.Kind != yaml.SequenceNode {
			return bad(v, "a list of package names")
		}
		for _, p := range v.Content {
			if !isScalar(p) && !(p.Kind == yaml.SequenceNode && len(p.Content) == 2) {
				return bad(p, "a list of package names (or [name, version] pairs)")
			}
		}
	case "ssh_authorized_keys":
		if v.Kind != yaml.SequenceNode {
			return bad(v, "a list of public keys")
		}
		for _, k := range v.Content {
			if !isStr(k) {
				return bad(k, "a list of public keys")
			}
		}
	case "write_files":
		if v.Kind != yaml.SequenceNode {
			return bad(v, "a list of files")
		}
		for _, f := range v.Content {
			if f.Kind != yaml.MappingNode {
				return bad(f, "a list of files, each with a path")
			}
			path := field(f, "path")
			if path == nil || !isStr(path) || !strings.HasPrefix(path.Value, "/") {
				return bad(f, "a list of files, each with an absolute path")
			}
			if c := field(f, "content"); c != nil && !isScalar(c) {
				return bad(c, "a list of files whose content is text")
			}
			if e := field(f, "encoding"); e != nil {
				switch e.Value {
				case "b64", "base64", "gz", "gzip", "gz+base64", "gzip+base64", "gz+b64", "gzip+b64", "text/plain":
				default:
					return bad(e, "a list of files whose encoding is b64, base64, gzip, gz+base64 or text/plain")
				}
			}
		}
	case "users":
		switch v.Kind {
		case yaml.ScalarNode:
		case yaml.SequenceNode:
			for _, u := range v.Content {
				switch {
				case isStr(u):
				case u.Kind == yaml.MappingNode:
					if n := field(u, "name"); n == nil || !isStr(n) {
						return bad(u, "a list of users, each with a name")
					}
				default:
					return bad(u, "a list of users (names, or mappings with a name)")
				}
			}
		default:
			return bad(v, "a list of users")
		}
	case "chpasswd":
		if v.Kind != yaml.MappingNode {
			return bad(v, "a mapping (e.g. expire: false)")
		}
	}
	return nil
}

// field returns a mapping's value for key, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// ValidateNetworkConfig checks a network-config document: a mapping
// (optionally under "network:") with version 1 (a "config" list of
// mappings with a type) or 2 (netplan-style sections of named devices).
func ValidateNetworkConfig(b []byte) error {
	const code, doc = problem.CodeInvalidNetworkConfig, "network-config"
	root, err := parse(b, code, doc)
	if err != nil {
		return err
	}
	if root == nil {
		return docError(code, doc, 0, "it is empty", "give version: 2 with ethernets, or leave network-config out")
	}
	if root.Kind != yaml.MappingNode {
		return docError(code, doc, root.Line, "it is not a mapping", "start with version: 2")
	}
	if n := field(root, "network"); n != nil {
		if n.Kind != yaml.MappingNode {
			return docError(code, doc, n.Line, "network must be a mapping", "put version: and the devices under network:")
		}
		root = n
	}
	ver := field(root, "version")
	if ver == nil {
		return docError(code, doc, root.Line, "there is no version", "add version: 2 (or 1)")
	}
	switch ver.Value {
	case "1":
		cfg := field(root, "config")
		if cfg == nil || cfg.Kind != yaml.SequenceNode {
			line := root.Line
			if cfg != nil {
				line = cfg.Line
			}
			return docError(code, doc, line, "version 1 needs config: a list of devices", "add config: with entries such as - type: physical")
		}
		for _, c := range cfg.Content {
			if t := field(c, "type"); c.Kind != yaml.MappingNode || t == nil || !isStr(t) {
				return docError(code, doc, c.Line, "each config entry needs a type", "e.g. - type: physical, name: eth0, subnets: [{type: dhcp}]")
			}
		}
	case "2":
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			switch k.Value {
			case "version", "renderer":
			case "ethernets", "bonds", "bridges", "vlans", "wifis":
				if v.Kind != yaml.MappingNode {
					return docError(code, doc, v.Line, k.Value+" must map device names to settings", "e.g. ethernets: {eth0: {dhcp4: true}}")
				}
				for j := 1; j < len(v.Content); j += 2 {
					if v.Content[j].Kind != yaml.MappingNode {
						return docError(code, doc, v.Content[j].Line, fmt.Sprintf("device %q's settings must be a mapping", problem.Clip(v.Content[j-1].Value)), "e.g. eth0: {dhcp4: true}")
					}
				}
			default:
				return docError(code, doc, k.Line, fmt.Sprintf("version 2 has no key %q", problem.Clip(k.Value)), "use ethernets, bonds, bridges, vlans, wifis or renderer")
			}
		}
	default:
		return docError(code, doc, ver.Line, fmt.Sprintf("version %q is not 1 or 2", problem.Clip(ver.Value)), "use version: 2")
	}
	return nil
}
