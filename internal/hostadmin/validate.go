package hostadmin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Spec is a host as an admin gives it: a name and a libvirt URI, whose
// parameters say how to log in (keyfile=PATH for a key file on the server,
// none for the SSH agent at SSH_AUTH_SOCK) and where the TLS files are
// (pkipath=DIR).
type Spec struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// Validate checks a spec without touching anything beyond reading the key
// file's metadata: the name's form, the URI (transport, path, parameters
// that would weaken trust) and, for qemu+ssh with a keyfile, that the key
// file is an absolute path to a regular file that only its owner can read
// (as OpenSSH demands of private keys). Every failure is an Invalid problem
// that says what to change.
func Validate(spec Spec) error {
	if err := ValidateName(spec.Name); err != nil {
		return err
	}
	if !utf8.ValidString(spec.URI) {
		// Messages quote the URI's parts; they must stay valid text.
		return problem.New(problem.Invalid, problem.CodeInvalidURI, "the libvirt URI is not valid UTF-8 text",
			"type the URI again; percent-encode any special characters")
	}
	u, err := host.ParseURI(spec.URI)
	if err != nil {
		return err
	}
	if u.Transport == host.TransportUnix {
		return nil // a local socket: host.New checks nothing more either
	}
	if v := u.Query.Get("no_verify"); v != "" && v != "0" {
		return problem.New(problem.Invalid, problem.CodeInvalidURI,
			fmt.Sprintf("libvirt URI %q: no_verify is not accepted", problem.Clip(spec.URI)),
			"remove no_verify: an admin approves a new host's key instead (it is shown as untrusted until then)")
	}
	if u.Transport != host.TransportSSH {
		return nil
	}
	if kf := u.Query.Get("keyfile"); kf != "" {
		return checkKeyFile(kf)
	}
	return nil
}

// ValidateName checks a host name's form.
func ValidateName(name string) error {
	if !host.ValidName(name) {
		return problem.New(problem.Invalid, problem.CodeInvalidHostName,
			fmt.Sprintf("host name %q is not valid", problem.Clip(name)),
			"use 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit")
	}
	return nil
}

// checkKeyFile refuses a key file that is missing, not a regular file, or
// readable by others than its owner.
func checkKeyFile(path string) error {
	if !filepath.IsAbs(path) {
		return problem.New(problem.Invalid, problem.CodeKeyFileInvalid,
			fmt.Sprintf("the SSH key file %q is not an absolute path", problem.Clip(path)),
			"write the key file's full path on the server, e.g. keyfile=/root/.ssh/id_ed25519")
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return problem.New(problem.Invalid, problem.CodeKeyFileInvalid,
			fmt.Sprintf("the SSH key file %s does not exist on the server", problem.Clip(path)),
			"check the path; the key file must be on the computer KVM Manager runs on")
	case err != nil:
		return problem.Wrap(err, problem.Invalid, problem.CodeKeyFileInvalid,
			fmt.Sprintf("the SSH key file %s cannot be read", problem.Clip(path)),
			"check the path and that KVM Manager's user may read it")
	case !fi.Mode().IsRegular():
		return problem.New(problem.Invalid, problem.CodeKeyFileInvalid,
			fmt.Sprintf("the SSH key file %s is not a regular file", problem.Clip(path)), "name the private key file itself")
	case fi.Mode().Perm()&0o077 != 0:
		return problem.New(problem.Invalid, problem.CodeKeyFileUnsafe,
			fmt.Sprintf("the SSH key file %s may be read by others (mode %04o)", problem.Clip(path), fi.Mode().Perm()),
			"make it private: chmod 600 "+problem.Clip(path))
	}
	return nil
}
