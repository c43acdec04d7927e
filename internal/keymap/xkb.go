// Package keymap turns characters into key strokes for a guest keyboard
// layout: which physical key, with Shift and AltGr or not, and a dead key
// before it where the layout needs one. The console's "Type text" sends
// physical keys (QEMU extended key events), so a guest whose layout is not
// US needs its own table.
//
// The tables are made from xkb-data (the layouts X11 and Wayland guests
// use), resolved by libxkbcommon (`xkbcli compile-keymap`), with dead keys
// from X11's Compose table; cmd/keymapgen writes them for the web UI
// (web/src/features/console/keymaps/layouts.json). The package's test
// types every table entry back through the layout's compiled keymap.
package keymap

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Layout is a guest keyboard layout a table is made for.
type Layout struct {
	// ID is the xkb layout name (also QEMU's keymap name where it has one).
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Layouts are the layouts tables are made for.
var Layouts = []Layout{
	{"us", "English (US)"}, {"gb", "English (UK)"}, {"de", "German"}, {"fr", "French"},
	{"es", "Spanish"}, {"it", "Italian"}, {"ch", "Swiss German"}, {"se", "Swedish"},
	{"no", "Norwegian"}, {"dk", "Danish"}, {"fi", "Finnish"}, {"pt", "Portuguese"},
	{"br", "Portuguese (Brazil)"}, {"jp", "Japanese"},
}

// Stroke is one key press: the physical key (KeyboardEvent.code, which
// noVNC turns into the XT scancode QEMU's extended key event carries) and
// the modifiers held.
type Stroke struct {
	Code  string `json:"code"`
	Shift bool   `json:"shift,omitempty"`
	AltGr bool   `json:"altgr,omitempty"`
}

// XKBCodes maps xkb key names of the typing keys to KeyboardEvent.code.
var XKBCodes = map[string]string{
	"TLDE": "Backquote", "AE01": "Digit1", "AE02": "Digit2", "AE03": "Digit3", "AE04": "Digit4",
	"AE05": "Digit5", "AE06": "Digit6", "AE07": "Digit7", "AE08": "Digit8", "AE09": "Digit9",
	"AE10": "Digit0", "AE11": "Minus", "AE12": "Equal", "AE13": "IntlYen",
	"AD01": "KeyQ", "AD02": "KeyW", "AD03": "KeyE", "AD04": "KeyR", "AD05": "KeyT", "AD06": "KeyY",
	"AD07": "KeyU", "AD08": "KeyI", "AD09": "KeyO", "AD10": "KeyP", "AD11": "BracketLeft", "AD12": "BracketRight",
	"AC01": "KeyA", "AC02": "KeyS", "AC03": "KeyD", "AC04": "KeyF", "AC05": "KeyG", "AC06": "KeyH",
	"AC07": "KeyJ", "AC08": "KeyK", "AC09": "KeyL", "AC10": "Semicolon", "AC11": "Quote", "BKSL": "Backslash",
	"AB01": "KeyZ", "AB02": "KeyX", "AB03": "KeyC", "AB04": "KeyV", "AB05": "KeyB", "AB06": "KeyN",
	"AB07": "KeyM", "AB08": "Comma", "AB09": "Period", "AB10": "Slash", "AB11": "IntlRo",
	"LSGT": "IntlBackslash", "SPCE": "Space",
}

// XKB is a compiled keymap's first group: per key its type and symbols.
type XKB struct {
	Keys  map[string]XKBKey
	Types map[string]map[string]int // type → modifier set ("Shift+LevelThree") → level (1-based)
	order []string                  // key names in keymap order
}

// XKBKey is one key of a compiled keymap.
type XKBKey struct {
	Type string   // explicit type, or "" (then the level is 1 + Shift + 2×AltGr)
	Syms []string // keysym names by level
}

// Compile runs libxkbcommon's `xkbcli compile-keymap` for an xkb layout
// (Debian package libxkbcommon-tools) and parses its output.
func Compile(layout string) (*XKB, error) {
	out, err := exec.Command("xkbcli", "compile-keymap", "--layout", layout).Output()
	if err != nil {
		return nil, fmt.Errorf("xkbcli compile-keymap --layout %s (install libxkbcommon-tools and xkb-data): %w", layout, err)
	}
	return ParseXKB(string(out))
}

var (
	reKey     = regexp.MustCompile(`(?s)key <([A-Z0-9]+)>\s*\{(.*?)\};`)
	reType    = regexp.MustCompile(`type(?:\[Group1\])?\s*=\s*"([^"]+)"`)
	reSyms    = regexp.MustCompile(`(?:symbols\[Group1\]\s*=\s*)?\[([^\]]*)\]`)
	reTypeDef = regexp.MustCompile(`(?s)type "([^"]+)" \{(.*?)\};`)
	reMap     = regexp.MustCompile(`map\[([^\]]+)\]\s*=\s*(?:Level)?(\d+);`)
)

// ParseXKB parses the xkb_types and xkb_symbols of a compiled keymap.
func ParseXKB(doc string) (*XKB, error) {
	k := &XKB{Keys: map[string]XKBKey{}, Types: map[string]map[string]int{}}
	ti := strings.Index(doc, "xkb_types")
	si := strings.Index(doc, "xkb_symbols")
	if ti < 0 || si < 0 {
		return nil, fmt.Errorf("not a compiled keymap: no xkb_types or xkb_symbols")
	}
	for _, m := range reTypeDef.FindAllStringSubmatch(doc[ti:si], -1) {
		maps := map[string]int{}
		for _, e := range reMap.FindAllStringSubmatch(m[2], -1) {
			l, _ := strconv.Atoi(e[2])
			maps[normMods(e[1])] = l
		}
		k.Types[m[1]] = maps
	}
	for _, m := range reKey.FindAllStringSubmatch(doc[si:], -1) {
		body := m[2]
		var key XKBKey
		if t := reType.FindStringSubmatch(body); t != nil {
			key.Type = t[1]
			body = strings.Replace(body, t[0], "", 1)
		}
		s := reSyms.FindStringSubmatch(body)
		if s == nil {
			continue
		}
		for _, f := range strings.Split(s[1], ",") {
			key.Syms = append(key.Syms, strings.TrimSpace(f))
		}
		k.Keys[m[1]] = key
		k.order = append(k.order, m[1])
	}
	return k, nil
}

// normMods sorts a modifier set written with "+".
func normMods(s string) string {
	var parts []string
	for _, p := range strings.Split(s, "+") {
		if p = strings.TrimSpace(p); p != "" && p != "None" {
			parts = append(parts, p)
		}
	}
	for i := range parts {
		for j := i + 1; j < len(parts); j++ {
			if parts[j] < parts[i] {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
	}
	return strings.Join(parts, "+")
}

// Level is the level (1-based) that key gives with Shift and AltGr
// (LevelThree) held, by its type's map.
func (k *XKB) Level(key XKBKey, shift, altgr bool) int {
	mods := []string{}
	if altgr {
		mods = append(mods, "LevelThree")
	}
	if shift {
		mods = append(mods, "Shift")
	}
	set := strings.Join(mods, "+")
	if key.Type != "" {
		if t, ok := k.Types[key.Type]; ok {
			if l, ok := t[set]; ok {
				return l
			}
			return 1
		}
	}
	l := 1
	if shift {
		l++
	}
	if altgr {
		l += 2
	}
	return l
}

// Sym is the keysym name key gives at level (1-based), or "".
func (key XKBKey) Sym(level int) string {
	if level < 1 || level > len(key.Syms) {
		return ""
	}
	if s := key.Syms[level-1]; s != "NoSymbol" {
		return s
	}
	return ""
}

// Keysyms maps keysym names to the character they type, read from X11's
// keysymdef.h (Debian package x11proto-dev), plus the U<hex> names.
type Keysyms map[string]rune

// LoadKeysyms reads keysymdef.h.
func LoadKeysyms(path string) (Keysyms, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read keysym names (install x11proto-dev): %w", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define XK_([A-Za-z0-9_]+)\s+0x[0-9a-fA-F]+\s*/\*\s*U\+([0-9A-Fa-f]{4,6})`)
	ks := Keysyms{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			cp, _ := strconv.ParseUint(m[2], 16, 32)
			if _, dup := ks[m[1]]; !dup {
				ks[m[1]] = rune(cp)
			}
		}
	}
	return ks, sc.Err()
}

// Rune is the character a keysym name types, or false (a dead key, a
// function key, an unknown name).
func (ks Keysyms) Rune(name string) (rune, bool) {
	if len(name) >= 5 && name[0] == 'U' {
		if cp, err := strconv.ParseUint(name[1:], 16, 32); err == nil {
			return rune(cp), true
		}
	}
	r, ok := ks[name]
	return r, ok
}

// KeysymdefPath is where Debian keeps keysymdef.h.
const KeysymdefPath = "/usr/include/X11/keysymdef.h"

// ComposePath is X11's Compose table for UTF-8 locales (libx11-data).
const ComposePath = "/usr/share/X11/locale/en_US.UTF-8/Compose"

// Compose is the two-key part of X11's Compose table that starts with a
// dead key: dead keysym → next keysym → result.
type Compose map[string]map[string]string

// LoadCompose reads the Compose table.
func LoadCompose(path string) (Compose, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the Compose table (install libx11-data): %w", err)
	}
	re := regexp.MustCompile(`^<(dead_[a-z_]+)>\s*<([A-Za-z0-9_]+)>\s*:\s*"((?:[^"\\]|\\.)+)"`)
	c := Compose{}
	for _, line := range strings.Split(string(b), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		res := strings.ReplaceAll(strings.ReplaceAll(m[3], `\"`, `"`), `\\`, `\`)
		if c[m[1]] == nil {
			c[m[1]] = map[string]string{}
		}
		c[m[1]][m[2]] = res
	}
	return c, nil
}
