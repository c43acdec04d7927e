package storage

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// validName checks a pool's or volume's name: it becomes a file name (a
// volume) or a libvirt config file name (a pool), so no '/', no '..', no
// leading dot or dash, printable ASCII letters, digits and ._+- only.
func validName(kind, s string, max int) error {
	code := "invalid_" + kind + "_name"
	hint := fmt.Sprintf("use 1 to %d letters, digits, '.', '_', '+' or '-', starting with a letter or digit", max)
	switch {
	case s == "":
		return problem.New(problem.Invalid, code, "the "+kind+" name is empty", hint)
	case len(s) > max:
		return problem.New(problem.Invalid, code, fmt.Sprintf("the %s name is longer than %d characters", kind, max), hint)
	case strings.Contains(s, "/"):
		return problem.New(problem.Invalid, code, fmt.Sprintf("the %s name %q contains '/'", kind, problem.Clip(s)), hint)
	case strings.Contains(s, ".."):
		return problem.New(problem.Invalid, code, fmt.Sprintf("the %s name %q contains '..'", kind, problem.Clip(s)), hint)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("._+-", r))
		if !ok {
			return problem.New(problem.Invalid, code, fmt.Sprintf("the %s name %q has the character %q at position %d", kind, problem.Clip(s), r, i+1), hint)
		}
	}
	return nil
}

// ValidPoolName checks a new pool's name.
func ValidPoolName(s string) error { return validName("pool", s, 64) }

// ValidVolumeName checks a new volume's name.
func ValidVolumeName(s string) error { return validName("volume", s, 128) }

// ValidPoolPath checks a directory pool's target: absolute, clean, not
// the root, printable.
func ValidPoolPath(p string) error {
	hint := "give an absolute, clean directory path such as /var/lib/libvirt/images/isos"
	switch {
	case p == "":
		return problem.New(problem.Invalid, "invalid_pool_path", "the pool's path is empty", hint)
	case len(p) > 1024:
		return problem.New(problem.Invalid, "invalid_pool_path", "the pool's path is longer than 1024 characters", hint)
	case !filepath.IsAbs(p):
		return problem.New(problem.Invalid, "invalid_pool_path", fmt.Sprintf("the pool's path %q is not absolute", problem.Clip(p)), hint)
	case filepath.Clean(p) != p:
		return problem.New(problem.Invalid, "invalid_pool_path",
			fmt.Sprintf("the pool's path %q is not clean (it has '..', '.', '//' or a trailing '/')", problem.Clip(p)),
			"write it as "+filepath.Clean(p))
	case p == "/":
		return problem.New(problem.Invalid, "invalid_pool_path", "the pool's path is the root directory", hint)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\'' || r == '"' || r == '<' || r == '>' || r == '&' {
			return problem.New(problem.Invalid, "invalid_pool_path", fmt.Sprintf("the pool's path %q has the character %q", problem.Clip(p), r), hint)
		}
	}
	return nil
}
