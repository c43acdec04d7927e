package testrig

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WithFileLimit returns a program that runs bin with its open-file limit
// (RLIMIT_NOFILE, soft and hard) set to n, for Start in place of bin. It is
// a shell script beside bin that sets the limit and execs bin, so the
// server keeps the process Start made (its PID, signals, log).
func WithFileLimit(bin string, n int) (string, error) {
	if n < 16 {
		return "", fmt.Errorf("open-file limit %d is too small to start a server", n)
	}
	path := filepath.Join(filepath.Dir(bin), "nofile-"+strconv.Itoa(n)+"-"+filepath.Base(bin))
	// ulimit -n without -S or -H sets both limits, so the server cannot
	// raise its soft limit past n.
	script := "#!/bin/sh\nulimit -n " + strconv.Itoa(n) + " || exit 1\nexec '" + strings.ReplaceAll(bin, "'", `'\''`) + "' \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", err
	}
	return path, nil
}

// FileLimit reads the soft open-file limit of a running process from
// /proc/PID/limits.
func FileLimit(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, fmt.Errorf("no open-file limit in /proc/%d/limits", pid)
}
