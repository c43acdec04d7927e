package hardware

import "github.com/kvm-manager/kvm-manager/internal/linediff"

// Diff returns the line diff of a to b in unified style: "@@ -l,n +l,n @@"
// hunk heads, then lines starting " " (same), "-" (only in a) or "+" (only
// in b). It is empty when a and b are the same.
func Diff(a, b string) string {
	return linediff.Unified("", "", a, b)
}
