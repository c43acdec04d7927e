package machine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	m := NewLocal(LocalOptions{})
	ctx := context.Background()
	// Arguments are passed as they are, with no shell between.
	out, err := m.Run(ctx, Command{Program: "printf", Args: []string{"%s|%s", "a b", "$HOME"}})
	if err != nil || string(out) != "a b|$HOME" {
		t.Errorf("printf = %q, %v", out, err)
	}
	out, err = m.Run(ctx, Command{Program: "sh", Args: []string{"-c", "echo $LC_ALL"}})
	if err != nil || string(out) != "C\n" {
		t.Errorf("LC_ALL = %q, %v; want C, so that messages are in English", out, err)
	}
}

func TestRunFailure(t *testing.T) {
	m := NewLocal(LocalOptions{})
	_, err := m.Run(context.Background(), Command{Program: "sh", Args: []string{"-c", "echo partial; echo '  error: it broke\n  badly ' >&2; exit 3"}})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %#v, want an *ExitError", err)
	}
	want := ExitError{Program: "sh", Code: 3, Stderr: "error: it broke\n  badly"}
	if *ee != want {
		t.Errorf("ExitError = %+v, want %+v", *ee, want)
	}
	if got := ee.Error(); got != "sh: error: it broke badly" {
		t.Errorf("Error() = %q", got)
	}

	// Standard error is kept up to MaxStderr; the program is not held up.
	_, err = m.Run(context.Background(), Command{Program: "sh", Args: []string{"-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; exit 1"}})
	if !errors.As(err, &ee) || len(ee.Stderr) != MaxStderr || ee.Code != 1 {
		t.Errorf("long stderr: %d bytes kept, code %d (%v); want %d", len(ee.Stderr), ee.Code, err, MaxStderr)
	}
	if len(ee.Error()) > 320 {
		t.Errorf("Error() is %d bytes long, want it clipped", len(ee.Error()))
	}

	// A program a signal ended.
	_, err = m.Run(context.Background(), Command{Program: "sh", Args: []string{"-c", "kill -TERM $$"}})
	if !errors.As(err, &ee) || ee.Code != -1 || ee.Error() != "sh: ended by a signal" {
		t.Errorf("killed: %v", err)
	}
}

func TestRunMissingProgram(t *testing.T) {
	m := NewLocal(LocalOptions{})
	for _, prog := range []string{"kvm-manager-no-such-program", filepath.Join(t.TempDir(), "qemu-img")} {
		_, err := m.Run(context.Background(), Command{Program: prog})
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), prog) {
			t.Errorf("%s: err = %v, want ErrNotInstalled naming it", prog, err)
		}
		var ee *ExitError
		if errors.As(err, &ee) {
			t.Errorf("%s: a missing program is an ExitError", prog)
		}
	}
	// A program that is there but fails for another reason is not "not
	// installed".
	notExec := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(context.Background(), Command{Program: notExec}); err == nil || errors.Is(err, ErrNotInstalled) {
		t.Errorf("not executable: err = %v, want a failure other than ErrNotInstalled", err)
	}
}

func TestRunOutputLimit(t *testing.T) {
	m := NewLocal(LocalOptions{})
	ctx := context.Background()
	out, err := m.Run(ctx, Command{Program: "head", Args: []string{"-c", "1000", "/dev/zero"}, MaxOutput: 1000})
	if err != nil || len(out) != 1000 {
		t.Errorf("exactly the cap: %d bytes, %v", len(out), err)
	}
	_, err = m.Run(ctx, Command{Program: "head", Args: []string{"-c", "1001", "/dev/zero"}, MaxOutput: 1000})
	if !errors.Is(err, ErrOutputLimit) {
		t.Errorf("one byte over: %v, want ErrOutputLimit", err)
	}
	// A program that never stops printing is stopped by the cap (it dies
	// of a broken pipe), not by a timeout: this context has none.
	_, err = m.Run(ctx, Command{Program: "yes", MaxOutput: 64 << 10})
	if !errors.Is(err, ErrOutputLimit) {
		t.Errorf("endless output: %v, want ErrOutputLimit", err)
	}
}

func TestRunTimeout(t *testing.T) {
	m := NewLocal(LocalOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// Had the timeout not killed it, sleep would end well and err be nil.
	_, err := m.Run(ctx, Command{Program: "sleep", Args: []string{"60"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want one wrapping context.DeadlineExceeded", err)
	}
	// An ended context runs nothing.
	marker := filepath.Join(t.TempDir(), "ran")
	_, err = m.Run(ctx, Command{Program: "touch", Args: []string{marker}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ended context: err = %v", err)
	}
	if _, serr := os.Stat(marker); serr == nil {
		t.Error("a program ran on an ended context")
	}
}

func TestFiles(t *testing.T) {
	m := NewLocal(LocalOptions{})
	ctx := context.Background()
	dir := t.TempDir()
	f := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(f, make([]byte, 1234), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := m.Stat(ctx, f); err != nil || fi.Size() != 1234 {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	if err := m.RemoveFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there (%v)", err)
	}
	if _, err := m.Stat(ctx, f); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a missing file = %v, want fs.ErrNotExist", err)
	}
	// Gone already: that is what the caller wanted.
	if err := m.RemoveFile(ctx, f); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
	// One file, never a tree.
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "inner"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveFile(ctx, sub); !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		t.Errorf("removing a directory tree: %v, want it refused", err)
	}
}

func TestDial(t *testing.T) {
	m := NewLocal(LocalOptions{})
	sock := filepath.Join(t.TempDir(), "vnc.sock")
	for _, tc := range []struct{ network, address string }{{"tcp", "127.0.0.1:0"}, {"unix", sock}} {
		t.Run(tc.network, func(t *testing.T) {
			ln, err := net.Listen(tc.network, tc.address)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = c.Write([]byte("RFB 003.008\n"))
			}()
			c, err := m.Dial(tc.network, ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := make([]byte, 12)
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "RFB 003.008\n" {
				t.Errorf("read %q, %v", got, err)
			}
		})
	}
	// Nobody listens: refused, as net.Dial says.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := m.Dial("tcp", addr, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial of a closed port: %v, want connection refused", err)
	}
}

// fakeVirsh writes a shell script that acts as virsh: it logs its
// arguments and the --file path's folder, then runs script with $FILE set
// to the --file argument.
func fakeVirsh(t *testing.T, script string) (prog, argLog string) {
	t.Helper()
	dir := t.TempDir()
	argLog = filepath.Join(dir, "args")
	prog = filepath.Join(dir, "virsh")
	body := "#!/bin/sh\necho \"$@\" >> " + argLog + "\nwhile [ $# -gt 0 ]; do [ \"$1\" = --file ] && FILE=$2; shift; done\n" +
		"dirname \"$FILE\" >> " + argLog + ".dirs\n" + script + "\n"
	if err := os.WriteFile(prog, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return prog, argLog
}

// Screenshot runs virsh against the host's own URI, reads the image it
// wrote and removes its temporary folder; virsh's failures arrive as the
// typed errors of Run, for the caller to explain.
func TestScreenshot(t *testing.T) {
	const uuid = "3ebff392-0803-4fe8-8612-5bed46ecf81f"
	img := filepath.Join(t.TempDir(), "x.ppm")
	pixels := append([]byte("P6\n2 1\n255\n"), 1, 2, 3, 4, 5, 6)
	if err := os.WriteFile(img, pixels, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		script string
		max    int64
		want   []byte
		check  func(error) bool
	}{
		{name: "works", script: "cp " + img + " \"$FILE\"", want: pixels},
		{name: "empty image", script: ": > \"$FILE\"", want: []byte{}},
		{name: "not running", script: "echo 'error: Requested operation is not valid: domain is not running' >&2; exit 1", check: func(err error) bool {
			var ee *ExitError
			return errors.As(err, &ee) && ee.Program != "" && ee.Code == 1 && strings.Contains(ee.Stderr, "domain is not running")
		}},
		{name: "too large", script: "cp " + img + " \"$FILE\"", max: 8, check: func(err error) bool { return errors.Is(err, ErrOutputLimit) }},
		{name: "no file written", script: "exit 0", check: func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			virsh, argLog := fakeVirsh(t, tc.script)
			m := NewLocal(LocalOptions{URI: "qemu+unix:///system?socket=/run/x.sock", Virsh: virsh, MaxScreenshot: tc.max})
			data, err := m.Screenshot(context.Background(), uuid)
			args, _ := os.ReadFile(argLog)
			want := "--quiet --connect qemu+unix:///system?socket=/run/x.sock screenshot --domain " + uuid + " --file "
			if !strings.HasPrefix(string(args), want) || strings.Count(string(args), "\n") != 1 {
				t.Errorf("virsh ran with %q, want once with %q...", args, want)
			}
			if tc.check != nil {
				if !tc.check(err) {
					t.Errorf("err = %v", err)
				}
			} else if err != nil || !bytes.Equal(data, tc.want) {
				t.Errorf("Screenshot = %q, %v; want %q", data, err, tc.want)
			}
			dirs, _ := os.ReadFile(argLog + ".dirs")
			if d := strings.TrimSpace(string(dirs)); d == "" {
				t.Error("virsh got no --file")
			} else if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the temporary folder %s is left behind (%v)", d, err)
			}
		})
	}
	m := NewLocal(LocalOptions{URI: "qemu:///system", Virsh: filepath.Join(t.TempDir(), "virsh")})
	if _, err := m.Screenshot(context.Background(), uuid); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("missing virsh: %v, want ErrNotInstalled", err)
	}
	virsh, _ := fakeVirsh(t, "exec sleep 60")
	m = NewLocal(LocalOptions{URI: "qemu:///system", Virsh: virsh})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := m.Screenshot(ctx, uuid); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow virsh: %v, want context.DeadlineExceeded", err)
	}
}

// BenchmarkDial compares the local machine's Dial with the plain
// net.Dialer the VNC proxy used before: the seam must add no allocation
// and no measurable time to a console's setup.
func BenchmarkDial(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	var m Machine = NewLocal(LocalOptions{})
	for _, bc := range []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"net.Dialer", func() (net.Conn, error) { d := net.Dialer{Timeout: 5 * time.Second}; return d.Dial("tcp", addr) }},
		{"Local", func() (net.Conn, error) { return m.Dial("tcp", addr, 5*time.Second) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, err := bc.dial()
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
