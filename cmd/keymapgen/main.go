// Command keymapgen writes the console's "Type text" layout tables
// (web/src/features/console/keymaps/layouts.json) from xkb-data, compiled by
// libxkbcommon, and X11's Compose table: see package keymap. Run it after
// xkb-data changes: go run ./cmd/keymapgen.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/keymap"
)

func main() {
	out := flag.String("o", "web/src/features/console/keymaps/layouts.json", "file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "keymapgen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ks, err := keymap.LoadKeysyms(keymap.KeysymdefPath)
	if err != nil {
		return err
	}
	compose, err := keymap.LoadCompose(keymap.ComposePath)
	if err != nil {
		return err
	}
	ver, _ := exec.Command("dpkg-query", "-W", "-f", "${Version}", "xkb-data").Output()
	f := keymap.File{
		Source:  "xkb-data " + strings.TrimSpace(string(ver)) + " via xkbcli compile-keymap; dead keys from X11's Compose table; made by go run ./cmd/keymapgen",
		Layouts: keymap.Layouts,
		Tables:  map[string]map[string][]string{},
	}
	for _, l := range keymap.Layouts {
		k, err := keymap.Compile(l.ID)
		if err != nil {
			return err
		}
		t := keymap.Build(k, ks, compose)
		enc := map[string][]string{}
		for ch, strokes := range t {
			for _, s := range strokes {
				enc[ch] = append(enc[ch], s.Encode())
			}
		}
		f.Tables[l.ID] = enc
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}
