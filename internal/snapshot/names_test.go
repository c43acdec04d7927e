package snapshot

import (
	"regexp"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		reason string // part of the message when refused
	}{
		{"before-upgrade", true, ""},
		{"a", true, ""},
		{"7", false, "digits only"},
		{"2026.11.26", true, ""},
		{"v1.2_rc-3", true, ""},
		{"0abc", true, ""},
		{strings.Repeat("x", 64), true, ""},
		{strings.Repeat("x", 65), false, "longer than 64"},
		{"", false, "empty"},
		{"123456", false, "digits only"},
		{".hidden", false, "starts with"},
		{"-flag", false, "starts with"},
		{"_x", false, "starts with"},
		{"a..b", false, `".."`},
		{"a/b", false, `'/'`},
		{"a b", false, `' '`},
		{"a\x00b", false, `'\x00'`},
		{"naïve", false, `'ï'`},
		{"a\xffb", false, "UTF-8"},
		{"<x>", false, `'<'`},
		{"a\nb", false, `'\n'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.name)
			if tt.ok {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tt.name, err)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Invalid || p.Code != "invalid_snapshot_name" || p.Hint != NameRule {
				t.Fatalf("ValidateName(%q) = %#v, want an invalid_snapshot_name problem with the rule as hint", tt.name, err)
			}
			if !strings.Contains(p.Message, tt.reason) {
				t.Errorf("message %q does not say %q", p.Message, tt.reason)
			}
		})
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
var digitsRE = regexp.MustCompile(`^[0-9]+$`)

// FuzzValidateName checks the validator against an independent statement
// of the rule, and that every accepted name survives the snapshot XML
// unchanged.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"snap1", "a..b", "42", ".x", "x.", strings.Repeat("y", 64), strings.Repeat("y", 65),
		"名前", "a b", "a\x00", "\xff", "a-b_c.d", "0x1F", "&amp;", "]]>", "a\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		want := nameRE.MatchString(name) && !strings.Contains(name, "..") && !digitsRE.MatchString(name)
		if (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v; the rule says valid=%v", name, err, want)
		}
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Invalid || p.Message == "" || p.Hint != NameRule || len(p.Message) > 400 {
				t.Fatalf("ValidateName(%q): refusal %#v is not a clear Invalid problem", name, err)
			}
			return
		}
		doc, _ := createXML(createPlan{name: name})
		var back libvirtxml.DomainSnapshot
		if err := back.Unmarshal(doc); err != nil || back.Name != name {
			t.Fatalf("name %q does not survive the XML: %v %q", name, err, back.Name)
		}
	})
}

func TestValidateDescription(t *testing.T) {
	tests := []struct {
		desc string
		ok   bool
	}{
		{"", true},
		{"before the kernel upgrade\n\tsecond line", true},
		{"ünïcödé ✓", true},
		{strings.Repeat("d", MaxDescriptionLen), true},
		{strings.Repeat("d", MaxDescriptionLen+1), false},
		{"bell\a", false},
		{"nul\x00", false},
		{"bad \xff utf8", false},
		{"cr\r", false},
		{"escape \x1b[31m", false},
	}
	for _, tt := range tests {
		err := ValidateDescription(tt.desc)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateDescription(%q) = %v, want ok=%v", problem.Clip(tt.desc), err, tt.ok)
		}
		if err != nil {
			if p, ok := problem.As(err); !ok || p.Code != "invalid_description" || p.Hint == "" {
				t.Errorf("refusal %v is not an invalid_description problem with a hint", err)
			}
		}
	}
}

func TestNormalizeDescription(t *testing.T) {
	for in, want := range map[string]string{"a\r\nb": "a\nb", "a\rb": "a\nb", "a\n": "a\n", "": ""} {
		if got := NormalizeDescription(in); got != want {
			t.Errorf("NormalizeDescription(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzValidateDescription checks that every accepted description survives
// the snapshot XML unchanged, so that what the API shows is what was sent.
func FuzzValidateDescription(f *testing.F) {
	for _, s := range []string{"", "plain", "multi\nline\ttab", "<xml> & \"quotes\"", "]]>", "\x7f", "\u2028", "\ufffe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		desc = NormalizeDescription(desc)
		if err := ValidateDescription(desc); err != nil {
			if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Message == "" {
				t.Fatalf("refusal %v is not an Invalid problem", err)
			}
			return
		}
		doc, _ := createXML(createPlan{name: "s", description: desc})
		sum, err := parseSummary(doc)
		if err != nil || sum.Description != desc {
			t.Fatalf("description %q came back as %q (%v)", desc, sum.Description, err)
		}
	})
}

func TestCheckRef(t *testing.T) {
	for _, ok := range []string{"snap 1", "名前", "123", "a/b"} {
		if err := checkRef(ok); err != nil {
			t.Errorf("checkRef(%q) = %v: names made outside KVM Manager must be addressable", ok, err)
		}
	}
	for _, bad := range []string{"", "a\x00b", "\xff", strings.Repeat("n", 1025)} {
		if p, ok := problem.As(checkRef(bad)); !ok || p.Code != "invalid_snapshot_ref" {
			t.Errorf("checkRef(%q) accepted", problem.Clip(bad))
		}
	}
}
