package linediff

import (
	"slices"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"
	want := `--- then
+++ now
@@ -1,7 +1,7 @@
 1
 2
 3
-4
+four
 5
 6
 7
@@ -10,3 +10,4 @@
 10
 11
 12
+13
`
	if got := Unified("then", "now", a, b); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := Unified("a", "b", a, a); got != "" {
		t.Errorf("equal texts: %q", got)
	}
	if got := Unified("a", "b", "", "x\n"); got != "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("from empty: %q", got)
	}
}

// TestDiffLinesIsAnEditScript checks the defining property on many pairs:
// applying the script to a gives b, and kept lines are never more than
// the longest common subsequence allows.
func TestDiffLinesIsAnEditScript(t *testing.T) {
	texts := [][]string{nil, {"a"}, {"a", "b", "c"}, {"c", "b", "a"}, {"a", "x", "c", "y"}, {"a", "a", "a"}, {"b"}}
	for _, a := range texts {
		for _, b := range texts {
			var gotA, gotB []string
			for _, op := range diffLines(a, b) {
				if op.kind != '+' {
					gotA = append(gotA, op.text)
				}
				if op.kind != '-' {
					gotB = append(gotB, op.text)
				}
			}
			if !slices.Equal(gotA, a) || !slices.Equal(gotB, b) {
				t.Errorf("diff(%v, %v) rebuilds %v, %v", a, b, gotA, gotB)
			}
		}
	}
}

// Without names the diff starts at its first hunk (the hardware editor's
// "what changed").
func TestUnifiedWithoutNames(t *testing.T) {
	got := Unified("", "", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n")
	if want := "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"; got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := Unified("", "", "a\n", "a\nb\n"); got != "@@ -1 +1,2 @@\n a\n+b\n" {
		t.Errorf("one line added: %q", got)
	}
}
