package snapshot

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShotStore(t *testing.T) {
	st := shotStore{dir: t.TempDir()}
	png := append(append([]byte(nil), pngMagic...), "image data"...)
	when := time.Unix(1795695107, 0)
	if err := st.save("local", "u1", "before upgrade/..", when, png); err != nil {
		t.Fatal(err)
	}
	got, err := st.read("local", "u1", "before upgrade/..", when)
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("read = %q, %v", got, err)
	}
	// Same name, other creation time: a different snapshot.
	if _, err := st.read("local", "u1", "before upgrade/..", when.Add(time.Second)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read of another snapshot with the same name: %v", err)
	}
	if err := st.save("local", "u1", "x", when, []byte("GIF89a")); err == nil {
		t.Fatal("stored a non-PNG")
	}
	if err := st.save("local", "u1", "keep", when, png); err != nil {
		t.Fatal(err)
	}
	have := st.index("local", "u1")
	if len(have) != 2 {
		t.Fatalf("index = %v", have)
	}
	for f := range have {
		if strings.ContainsAny(f, "/ ") || !strings.HasSuffix(f, ".png") {
			t.Errorf("unsafe file name %q", f)
		}
	}
	st.prune("local", "u1", have, map[string]bool{shotFile("keep", when): true})
	if have := st.index("local", "u1"); len(have) != 1 || !have[shotFile("keep", when)] {
		t.Fatalf("after prune: %v", have)
	}
	if err := st.save("local", "u1", "gone", when, png); err != nil {
		t.Fatal(err)
	}
	if err := st.save("local", "u1", "gone", when.Add(time.Hour), png); err != nil {
		t.Fatal(err)
	}
	st.removeNames("local", "u1", []string{"gone", "never-there"})
	if have := st.index("local", "u1"); len(have) != 1 || !have[shotFile("keep", when)] {
		t.Fatalf("after removeNames: %v", have)
	}
	if err := st.removeVM("local", "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(st.dir, "local", "u1")); !os.IsNotExist(err) {
		t.Fatalf("VM dir still there: %v", err)
	}
	var none shotStore
	if _, err := none.read("local", "u1", "x", when); !errors.Is(err, fs.ErrNotExist) || none.save("local", "u1", "x", when, png) == nil {
		t.Fatal("a store without a directory stored something")
	}
}

func TestScreensFunc(t *testing.T) {
	var s Screens = ScreensFunc(func(ctx context.Context, host, uuid string) ([]byte, error) { return []byte(host + uuid), nil })
	if b, _ := s.Capture(context.Background(), "h", "u"); string(b) != "hu" {
		t.Fatalf("Capture = %q", b)
	}
}
