package hardware

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// maxDiffCells bounds the work of one diff (lines × lines): domain XML is
// a few hundred lines; beyond the bound the whole texts are shown as
// replaced.
const maxDiffCells = 16 << 20

// Diff returns the line diff of a to b in unified style: "@@ -l,n +l,n @@"
// hunk heads, then lines starting " " (same), "-" (only in a) or "+" (only
// in b). It is empty when a and b are the same.
func Diff(a, b string) string {
	if a == b {
		return ""
	}
	x, y := lines(a), lines(b)
	ops := lcsOps(x, y)
	// Group the operations into hunks with context.
	var out strings.Builder
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// A run of same lines: end the hunk when it is long enough.
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		ah, bh := ops[start].a, ops[start].b
		var an, bn int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				an++
			}
			if o.kind != '-' {
				bn++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ah+1, an, bh+1, bn)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.line)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// op is one line of a diff; a and b are its line numbers (0-based) in the
// old and new text at that point.
type op struct {
	kind byte
	line string
	a, b int
}

// lcsOps is the edit script of x to y by their longest common
// subsequence of lines.
func lcsOps(x, y []string) []op {
	// Common head and tail are cheap and make the table small.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	var ops []op
	for k := 0; k < pre; k++ {
		ops = append(ops, op{' ', x[k], k, k})
	}
	n, m := len(mx), len(my)
	if n*m > maxDiffCells {
		for k, l := range mx {
			ops = append(ops, op{'-', l, pre + k, pre})
		}
		for k, l := range my {
			ops = append(ops, op{'+', l, pre + n, pre + k})
		}
	} else {
		t := make([][]int32, n+1)
		for k := range t {
			t[k] = make([]int32, m+1)
		}
		for k := n - 1; k >= 0; k-- {
			for l := m - 1; l >= 0; l-- {
				if mx[k] == my[l] {
					t[k][l] = t[k+1][l+1] + 1
				} else {
					t[k][l] = max(t[k+1][l], t[k][l+1])
				}
			}
		}
		k, l := 0, 0
		for k < n || l < m {
			switch {
			case k < n && l < m && mx[k] == my[l]:
				ops = append(ops, op{' ', mx[k], pre + k, pre + l})
				k++
				l++
			case k < n && (l == m || t[k+1][l] >= t[k][l+1]):
				ops = append(ops, op{'-', mx[k], pre + k, pre + l})
				k++
			default:
				ops = append(ops, op{'+', my[l], pre + k, pre + l})
				l++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, op{' ', x[len(x)-suf+k], len(x) - suf + k, len(y) - suf + k})
	}
	return ops
}
