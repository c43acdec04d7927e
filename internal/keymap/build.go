package keymap

import (
	"slices"
	"strings"
	"unicode"
)

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Table is how to type each character on one layout: one stroke, or a
// dead key's stroke and then the stroke it combines with.
type Table map[string][]Stroke

// Build makes the table of a compiled layout: every printable character a
// typing key gives at levels 1 to 4 (with Shift, AltGr, or both), the
// fewest modifiers winning, and every character a dead key of the layout
// composes with a key typed in one stroke.
func Build(k *XKB, ks Keysyms, compose Compose) Table {
	t := Table{}
	cost := map[string]int{}
	dead := map[string]Stroke{} // dead keysym → cheapest stroke
	deadCost := map[string]int{}
	bySym := map[string]Stroke{} // keysym → cheapest stroke, for compose bases
	symCost := map[string]int{}
	for _, name := range k.order {
		code, ok := XKBCodes[name]
		if !ok {
			continue
		}
		key := k.Keys[name]
		// Fewer modifiers win; at the same modifiers a key of the main
		// block wins over the keys a US (104-key) keyboard lacks: the
		// key left of Z on 105-key keyboards, and the Japanese ro and yen.
		extra := 0
		if name == "LSGT" || name == "AB11" || name == "AE13" {
			extra = 5
		}
		for i, mods := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			c := 4*i + extra
			sym := key.Sym(k.Level(key, mods[0], mods[1]))
			if sym == "" {
				continue
			}
			s := Stroke{Code: code, Shift: mods[0], AltGr: mods[1]}
			if old, seen := symCost[sym]; !seen || c < old {
				bySym[sym], symCost[sym] = s, c
			}
			if strings.HasPrefix(sym, "dead_") {
				if old, seen := deadCost[sym]; !seen || c < old {
					dead[sym], deadCost[sym] = s, c
				}
				continue
			}
			r, ok := ks.Rune(sym)
			if !ok || !typable(r) {
				continue
			}
			ch := string(r)
			if old, seen := cost[ch]; !seen || c < old {
				t[ch], cost[ch] = []Stroke{s}, c
			}
		}
	}
	for _, d := range sortedKeys(dead) {
		ds := dead[d]
		for _, base := range sortedKeys(compose[d]) {
			res := compose[d][base]
			bs, ok := bySym[base]
			if !ok || strings.HasPrefix(base, "dead_") {
				continue
			}
			rs := []rune(res)
			if len(rs) != 1 || !typable(rs[0]) {
				continue
			}
			if _, direct := t[res]; direct {
				continue
			}
			c := 40 + deadCost[d] + symCost[base]
			if old, seen := cost[res]; !seen || c < old {
				t[res], cost[res] = []Stroke{ds, bs}, c
			}
		}
	}
	return t
}

// typable reports whether r is a character "Type text" types (not a
// control character).
func typable(r rune) bool {
	return r == ' ' || (unicode.IsPrint(r) && !unicode.IsControl(r))
}

// Encode writes a stroke as the web UI's tables hold it: the code, after
// "Shift+" and "AltGr+" when held.
func (s Stroke) Encode() string {
	p := ""
	if s.Shift {
		p += "Shift+"
	}
	if s.AltGr {
		p += "AltGr+"
	}
	return p + s.Code
}

// DecodeStroke reads what Encode wrote.
func DecodeStroke(e string) Stroke {
	var s Stroke
	for {
		switch {
		case strings.HasPrefix(e, "Shift+"):
			s.Shift, e = true, e[len("Shift+"):]
		case strings.HasPrefix(e, "AltGr+"):
			s.AltGr, e = true, e[len("AltGr+"):]
		default:
			s.Code = e
			return s
		}
	}
}

// File is the tables' JSON file for the web UI.
type File struct {
	Source  string                         `json:"source"`
	Layouts []Layout                       `json:"layouts"`
	Tables  map[string]map[string][]string `json:"tables"` // layout → character → encoded strokes
}
