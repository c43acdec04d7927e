package snapschedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// MaxPatternLen bounds a name pattern.
const MaxPatternLen = 100

// DefaultPattern is the name pattern of a policy that gives none.
const DefaultPattern = "auto-{policy}-{yyyyMMdd-HHmm}"

// PatternRule is what every refusal of a pattern repeats.
const PatternRule = "a name pattern is text with {policy} (the policy's name) and a time in braces made of yyyy, MM, dd, HH, mm, ss " +
	"and the separators - _ . (e.g. {yyyyMMdd-HHmm}); it must name the time down to the minute, and the names it makes must follow the snapshot name rules"

// timeTokens map pattern letters to Go layout parts, longest first.
var timeTokens = []struct{ tok, layout string }{
	{"yyyy", "2006"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"}, {"mm", "04"}, {"ss", "05"},
}

// Pattern is a checked snapshot name pattern.
type Pattern struct {
	text string
	// parts alternate literal text and Go time layouts; policy marks
	// where the policy's name goes.
	parts []patternPart
}

type patternPart struct {
	literal, layout string
	policy          bool
}

// ParsePattern checks a pattern's syntax and that it names the time to the
// minute or finer (so that two runs of a policy make different names), and
// that the names it makes are valid snapshot names for the policy named
// policyName.
func ParsePattern(text, policyName string) (Pattern, error) {
	p := Pattern{text: text}
	if text == "" {
		return p, fmt.Errorf("the name pattern is empty")
	}
	if len(text) > MaxPatternLen {
		return p, fmt.Errorf("the name pattern is longer than %d characters", MaxPatternLen)
	}
	hasMinute := false
	rest := text
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			p.parts = append(p.parts, patternPart{literal: rest})
			break
		}
		if open > 0 {
			p.parts = append(p.parts, patternPart{literal: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return p, fmt.Errorf("the name pattern has a '{' without '}'")
		}
		tok := rest[open+1 : open+end]
		rest = rest[open+end+1:]
		if tok == "policy" {
			p.parts = append(p.parts, patternPart{policy: true})
			continue
		}
		layout, minute, err := timeLayout(tok)
		if err != nil {
			return p, err
		}
		hasMinute = hasMinute || minute
		p.parts = append(p.parts, patternPart{layout: layout})
	}
	if strings.ContainsRune(text, '}') && strings.Count(text, "{") != strings.Count(text, "}") {
		return p, fmt.Errorf("the name pattern has a '}' without '{'")
	}
	if !hasMinute {
		return p, fmt.Errorf("the name pattern does not name the minute ({mm}), so two runs would make the same name")
	}
	// Every name it makes has the same shape: one sample checks them all.
	if err := snapshot.ValidateName(p.Expand(policyName, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC))); err != nil {
		return p, err
	}
	return p, nil
}

func timeLayout(tok string) (layout string, minute bool, err error) {
	if tok == "" {
		return "", false, fmt.Errorf("the name pattern has empty braces {}")
	}
	var b strings.Builder
	for rest := tok; rest != ""; {
		switch c := rest[0]; c {
		case '-', '_', '.':
			b.WriteByte(c)
			rest = rest[1:]
			continue
		}
		found := false
		for _, t := range timeTokens {
			if strings.HasPrefix(rest, t.tok) {
				b.WriteString(t.layout)
				rest = rest[len(t.tok):]
				minute = minute || t.tok == "mm" || t.tok == "ss"
				found = true
				break
			}
		}
		if !found {
			return "", false, fmt.Errorf("{%s} in the name pattern is neither {policy} nor a time", problemClip(tok))
		}
	}
	return b.String(), minute, nil
}

// String returns the pattern's text.
func (p Pattern) String() string { return p.text }

// Expand makes the name of a snapshot taken at t (in t's location).
func (p Pattern) Expand(policyName string, t time.Time) string {
	var b strings.Builder
	for _, part := range p.parts {
		switch {
		case part.policy:
			b.WriteString(policyName)
		case part.layout != "":
			b.WriteString(t.Format(part.layout))
		default:
			b.WriteString(part.literal)
		}
	}
	return b.String()
}
