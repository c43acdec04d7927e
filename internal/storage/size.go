package storage

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// binaryUnits are the size units ParseSize accepts: only the binary
// (IEC) ones, which say exactly what they mean.
var binaryUnits = map[string]uint64{
	"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// ambiguousUnits are units that mean powers of ten to some tools and of
// two to others (qemu-img's "G" is GiB, a disk vendor's "GB" is 10^9).
var ambiguousUnits = map[string]string{
	"k": "KiB", "kb": "KiB", "m": "MiB", "mb": "MiB", "g": "GiB", "gb": "GiB", "t": "TiB", "tb": "TiB", "p": "PiB", "pb": "PiB",
}

func sizeError(in, why, hint string) error {
	return problem.New(problem.Invalid, "invalid_size", fmt.Sprintf("size %q %s", problem.Clip(in), why), hint)
}

const sizeHint = `write a whole number of bytes (e.g. "1073741824") or of a binary unit: "512MiB", "12GiB", "1TiB"`

// ParseSize reads a size: a whole number of bytes, or a whole number
// followed directly by B, KiB, MiB, GiB, TiB or PiB (any case). Decimal
// units (GB, G) are refused as ambiguous rather than guessed, and so are
// zero, negative numbers, fractions, spaces and sizes beyond 2^63-1 bytes.
func ParseSize(s string) (uint64, error) {
	if s == "" {
		return 0, sizeError(s, "is empty", sizeHint)
	}
	if len(s) > 32 {
		return 0, sizeError(s, "is too long", sizeHint)
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num, unit := s[:i], s[i:]
	switch {
	case strings.HasPrefix(s, "-"):
		return 0, sizeError(s, "is negative", "a size must be larger than zero")
	case num == "":
		return 0, sizeError(s, "does not start with a number", sizeHint)
	case strings.HasPrefix(unit, "."), strings.HasPrefix(unit, ","):
		return 0, sizeError(s, "is not a whole number", "use a smaller unit, e.g. 1536MiB for 1.5GiB")
	}
	spaced := strings.TrimLeft(unit, " \t") != unit
	unit = strings.TrimLeft(unit, " \t")
	lu := strings.ToLower(unit)
	if iec, ok := ambiguousUnits[lu]; ok {
		return 0, sizeError(s, fmt.Sprintf("uses %q, which some tools read as powers of 1000 and others of 1024", unit),
			fmt.Sprintf("write %s%s for %s×2^%d bytes, or the exact number of bytes", num, iec, num, 10*(1+strings.Index("kmgtp", lu[:1]))))
	}
	if spaced {
		return 0, sizeError(s, "has a space between the number and its unit", `write it without a space, e.g. "12GiB"`)
	}
	mult, ok := binaryUnits[lu]
	if !ok {
		return 0, sizeError(s, fmt.Sprintf("has an unknown unit %q", problem.Clip(unit)), sizeHint)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, sizeError(s, "is too large", sizeHint)
	}
	if n == 0 {
		return 0, sizeError(s, "is zero", "a size must be larger than zero")
	}
	return n * mult, nil
}

// Size is a size in a request as sent: a JSON string for ParseSize, or a
// JSON number of bytes (kept as its text). It is parsed by the service, so
// that a bad size is refused with its own error code.
type Size string

// UnmarshalJSON implements json.Unmarshaler.
func (z *Size) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*z = Size(s)
		return nil
	}
	*z = Size(b)
	return nil
}

// Bytes parses the size (ParseSize).
func (z Size) Bytes() (uint64, error) { return ParseSize(string(z)) }

// FormatSize writes n bytes in the largest binary unit that divides it,
// or with one decimal in GiB or MiB for messages.
func FormatSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
