//go:build integration

package integration

import (
	"os"
	"os/exec"
)

func execCommand(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
