package app

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// privateDataDir creates the data dir 0700, or makes an existing one 0700:
// it holds the session store, the audit log and the TLS key, which no
// other user of the host may read (MkdirAll keeps an existing directory's
// mode, such as 0755 from a package or an earlier mkdir). When the mode
// cannot be tightened, the server refuses to start rather than run with
// files others can list.
func privateDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data dir %s is not a directory: give --data-dir a directory of its own", dir)
	}
	mode := st.Mode().Perm()
	if mode&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s is open to other users (mode %04o) and could not be made private: %w; "+
			"run chmod 700 %s as its owner, or give --data-dir a directory of KVM Manager's own", dir, mode, err, dir)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("data dir %s is open to other users and stays so after chmod 700 (a file system without "+
			"Unix modes?): give --data-dir a directory on a local Linux file system", dir)
	}
	log.Warn("the data dir was open to other users: made it private", "dir", dir, "was", fmt.Sprintf("%04o", mode), "now", "0700")
	return nil
}

// readMetricsToken reads the metrics token file ("" when none is
// configured). The file holds one line; surrounding space is dropped.
func readMetricsToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("metrics token file: %w; create it readable by the user KVM Manager runs as "+
			"(e.g. head -c 24 /dev/urandom | base64 > %s), or remove metrics-token-file from the configuration", err, path)
	}
	return strings.TrimSpace(string(b)), nil
}
