package storage

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestParseSize(t *testing.T) {
	good := map[string]uint64{
		"1": 1, "1073741824": 1 << 30, "12GiB": 12 << 30, "512MiB": 512 << 20, "512mib": 512 << 20,
		"4KiB": 4 << 10, "1TiB": 1 << 40, "100B": 100, "8388607TiB": 8388607 << 40,
	}
	for in, want := range good {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"": "empty", "0": "zero", "0GiB": "zero", "-1": "negative", "-5GiB": "negative",
		"12 GB": "powers of 1000", "12 GiB": "space", "12GB": "powers of 1000", "12G": "powers of 1000", "12gb": "powers of 1000",
		"1.5GiB": "whole", "GiB": "number", "12XiB": "unknown unit", "8388608TiB": "too large",
		"99999999999999999999": "too large", " 12GiB": "number", "12GiB ": "unknown unit",
	}
	for in, want := range bad {
		_, err := ParseSize(in)
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid || p.Code != "invalid_size" || !strings.Contains(p.Message, want) {
			t.Errorf("ParseSize(%q) = %v; want an invalid_size problem saying %q", in, err, want)
		}
	}
}

func TestSizeJSON(t *testing.T) {
	for in, want := range map[string]uint64{`"2GiB"`: 2 << 30, `4096`: 4096} {
		var z Size
		if err := z.UnmarshalJSON([]byte(in)); err != nil {
			t.Fatal(err)
		}
		if n, err := z.Bytes(); err != nil || n != want {
			t.Errorf("%s: %d, %v", in, n, err)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `"12 GB"`, `0`, `null`, `true`, `1e9`} {
		var z Size
		_ = z.UnmarshalJSON([]byte(in))
		if _, err := z.Bytes(); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

// FuzzParseSize: never panics, accepts only what it can say back exactly,
// and every accepted size is positive and within int64.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"12GiB", "512MiB", "1", "12 GB", "-1", "0", "1.5GiB", "8388608TiB", "99999999999999999999", "kib", "1K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("%q: error with size %d", s, n)
			}
			if _, ok := problem.As(err); !ok {
				t.Fatalf("%q: error is not a problem: %v", s, err)
			}
			return
		}
		if n == 0 || n > 1<<63-1 {
			t.Fatalf("%q accepted as %d", s, n)
		}
		if strings.ContainsAny(s, " -.,\t") {
			t.Fatalf("%q accepted", s)
		}
	})
}
