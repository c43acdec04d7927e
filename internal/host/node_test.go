package host

import "testing"

func TestNodeHelpers(t *testing.T) {
	if got := formatVersion(7002022); got != "7.2.22" {
		t.Errorf("formatVersion = %q", got)
	}
	var model [32]int8
	for i, c := range "x86_64" {
		model[i] = int8(c)
	}
	if got := int8String(model[:]); got != "x86_64" {
		t.Errorf("int8String = %q", got)
	}
	full := make([]int8, 4)
	for i := range full {
		full[i] = 'a'
	}
	if got := int8String(full); got != "aaaa" {
		t.Errorf("int8String without NUL = %q", got)
	}
}
