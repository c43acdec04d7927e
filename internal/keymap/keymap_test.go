//go:build integration

// An integration test: it needs Debian's xkb-data, libxkbcommon-tools,
// x11proto-dev and libx11-data, which scripts/setup-libvirt.sh installs
// (CI runs unit tests before, and beside, that set-up).

package keymap

import (
	"encoding/json"
	"os"
	"testing"
)

// tablesPath is the web UI's generated tables, which this test checks.
const tablesPath = "../../web/src/features/console/keymaps/layouts.json"

// Every character of every layout's table, typed with its strokes through
// the layout's keymap as libxkbcommon compiles it now (and X11's Compose
// table for dead keys), gives that character back; and every character
// the layout's typing keys give at levels 1 to 4 is in the table.
// Typing is modelled forward here, key by key: each stroke's level comes
// from the key's type and the modifiers held, a dead key waits for the
// next keysym, as an X11 or Wayland guest does it.
func TestTablesRoundTripThroughTheLayouts(t *testing.T) {
	b, err := os.ReadFile(tablesPath)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	ks, err := LoadKeysyms(KeysymdefPath)
	if err != nil {
		t.Fatal(err)
	}
	compose, err := LoadCompose(ComposePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Layouts) != len(Layouts) {
		t.Fatalf("tables for %d layouts, want %d: run go run ./cmd/keymapgen", len(f.Layouts), len(Layouts))
	}
	for _, l := range Layouts {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			table := f.Tables[l.ID]
			if len(table) < 90 {
				t.Fatalf("%d characters in the table: too few", len(table))
			}
			k, err := Compile(l.ID)
			if err != nil {
				t.Fatal(err)
			}
			byCode := map[string]XKBKey{}
			for name, key := range k.Keys {
				if code, ok := XKBCodes[name]; ok {
					byCode[code] = key
				}
			}
			bad := 0
			for ch, enc := range table {
				got := ""
				pending := ""
				for _, e := range enc {
					s := DecodeStroke(e)
					key, ok := byCode[s.Code]
					if !ok {
						t.Fatalf("%q: no key %s on the layout", ch, s.Code)
					}
					sym := key.Sym(k.Level(key, s.Shift, s.AltGr))
					switch {
					case pending != "":
						got += compose[pending][sym]
						pending = ""
					case len(sym) > 5 && sym[:5] == "dead_":
						pending = sym
					default:
						if r, ok := ks.Rune(sym); ok {
							got += string(r)
						}
					}
				}
				if pending != "" || got != ch {
					if bad++; bad <= 10 {
						t.Errorf("%q typed as %v gives %q", ch, enc, got)
					}
				}
			}
			for name, key := range k.Keys {
				if _, ok := XKBCodes[name]; !ok {
					continue
				}
				for _, sym := range key.Syms {
					if r, ok := ks.Rune(sym); ok && typable(r) {
						if _, ok := table[string(r)]; !ok {
							t.Errorf("%q (key %s, %s) is missing from the table", string(r), name, sym)
						}
					}
				}
			}
		})
	}
}

// The characters the issue names are in the German and French tables, the
// way a German or French keyboard types them.
func TestTablesKnownStrokes(t *testing.T) {
	b, err := os.ReadFile(tablesPath)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		layout, ch string
		want       []string
	}{
		{"de", "@", []string{"AltGr+KeyQ"}},
		{"de", "{", []string{"AltGr+Digit7"}},
		{"de", "\\", []string{"AltGr+Minus"}},
		{"de", "ä", []string{"Quote"}},
		{"de", "é", []string{"Equal", "KeyE"}}, // dead acute, then e
		{"fr", "a", []string{"KeyQ"}},
		{"fr", "é", []string{"Digit2"}},
		{"fr", "@", []string{"AltGr+Digit0"}},
		{"fr", "ä", []string{"Shift+BracketLeft", "KeyQ"}}, // dead diaeresis, then a
		{"us", "~", []string{"Shift+Backquote"}},
	} {
		got := f.Tables[c.layout][c.ch]
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || (len(got) > 1 && got[1] != c.want[1]) {
			t.Errorf("%s %q: %v, want %v", c.layout, c.ch, got, c.want)
		}
	}
}
