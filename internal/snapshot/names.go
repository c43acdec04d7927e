package snapshot

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// MaxNameLen is the longest snapshot name KVM Manager creates.
const MaxNameLen = 64

// MaxDescriptionLen is the longest description, in bytes.
const MaxDescriptionLen = 4096

// NameRule states the rule for new snapshot names, as every refusal repeats it.
const NameRule = "a snapshot name is 1 to 64 characters: letters a-z and A-Z, digits, '.', '_' and '-'; " +
	"it starts with a letter or digit, does not contain '..', and is not made of digits only"

// ValidateName checks a name for a new snapshot before libvirt is asked.
// The rule keeps names safe as file names (libvirt stores each snapshot in
// <name>.xml and names external overlay files after it) and in URLs, and
// refuses all-digit names because QEMU looks internal snapshots up by "id
// or name": a snapshot named "2" could be confused with, and even replace,
// the one whose id is 2.
func ValidateName(name string) error {
	bad := func(why string) error {
		return problem.New(problem.Invalid, problem.CodeInvalidSnapshotName,
			fmt.Sprintf("snapshot name %q is not allowed: %s", problem.Clip(name), why), NameRule)
	}
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("it is longer than %d characters", MaxNameLen))
	}
	digits := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			digits = false
		case c == '.' || c == '_' || c == '-':
			digits = false
			if i == 0 {
				return bad(fmt.Sprintf("it starts with %q", c))
			}
		default:
			r, _ := utf8.DecodeRuneInString(name[i:])
			if r == utf8.RuneError {
				return bad("it is not valid UTF-8")
			}
			return bad(fmt.Sprintf("it contains %q", r))
		}
	}
	if strings.Contains(name, "..") {
		return bad(`it contains ".."`)
	}
	if digits {
		return bad("it is made of digits only, which QEMU would confuse with a snapshot id")
	}
	return nil
}

// NormalizeDescription turns CRLF and lone CR line ends into LF, as XML
// would on the way through libvirt anyway, so that what is stored is what
// the API returns.
func NormalizeDescription(d string) string {
	return strings.ReplaceAll(strings.ReplaceAll(d, "\r\n", "\n"), "\r", "\n")
}

// ValidateDescription checks a (normalised) snapshot description: valid
// UTF-8 of at most MaxDescriptionLen bytes, without control characters
// other than newline and tab (XML cannot carry most of them).
func ValidateDescription(d string) error {
	bad := func(why string) error {
		return problem.New(problem.Invalid, problem.CodeInvalidDescription, "the description is not allowed: "+why,
			fmt.Sprintf("use at most %d bytes of text; newlines and tabs are fine", MaxDescriptionLen))
	}
	if len(d) > MaxDescriptionLen {
		return bad(fmt.Sprintf("it is %d bytes long", len(d)))
	}
	if !utf8.ValidString(d) {
		return bad("it is not valid UTF-8")
	}
	for _, r := range d {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return bad(fmt.Sprintf("it contains the control character %U", r))
		}
	}
	return nil
}

// checkRef checks a snapshot name taken from a request path. Snapshots made
// outside KVM Manager may have any name, so only what no libvirt snapshot
// name can be is refused here.
func checkRef(name string) error {
	if name == "" || len(name) > 1024 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return problem.New(problem.Invalid, problem.CodeInvalidSnapshotRef,
			fmt.Sprintf("%q cannot be the name of a snapshot", problem.Clip(name)), "use a name from the VM's snapshot list")
	}
	return nil
}
