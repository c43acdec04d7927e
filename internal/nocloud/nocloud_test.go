package nocloud

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/iso9660"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func wantInvalid(t *testing.T, err error, code string, parts ...string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code {
		t.Fatalf("error %v: want code %s", err, code)
	}
	for _, s := range parts {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message %q lacks %q", p.Message, s)
		}
	}
}

func TestValidateUserData(t *testing.T) {
	good := []string{
		"#cloud-config\n",
		"#cloud-config\nhostname: a\nruncmd:\n  - echo hi\n  - [ls, -l]\n",
		"#cloud-config\nwrite_files:\n  - path: /etc/x\n    content: |\n      hello\n",
		"#cloud-config\nusers:\n  - default\n  - name: bob\n    sudo: ALL=(ALL) NOPASSWD:ALL\npackages: [curl, [nginx, 1.2]]\n",
		"#!/bin/sh\necho hi\n",
		"#cloud-config\nunknown_module: {anything: [1]}\n",
	}
	for _, g := range good {
		if err := ValidateUserData([]byte(g)); err != nil {
			t.Errorf("%q: %v", g, err)
		}
	}
	bad := []struct{ doc, line, part string }{
		{"hostname: a\n", "line 1", "cloud-init would ignore it"},
		{"#cloud-config\nhostname: a\n  bad: [\n", "line 3", "YAML"},
		{"#cloud-config\n- a\n- b\n", "line 2", "mapping"},
		{"#cloud-config\nruncmd: echo hi\n", "line 2", "runcmd must be a list"},
		{"#cloud-config\nruncmd:\n  - {a: b}\n", "line 3", "runcmd"},
		{"#cloud-config\nwrite_files:\n  - content: x\n", "line 3", "absolute path"},
		{"#cloud-config\nwrite_files:\n  - path: /x\n    encoding: rot13\n", "line 4", "encoding"},
		{"#cloud-config\nusers:\n  - sudo: x\n", "line 3", "name"},
		{"#cloud-config\nhostname: [a, b]\n", "line 2", "single value"},
		{"#cloud-config\na: 1\n---\nb: 2\n", "line 3", "second YAML document"},
		{"#cloud-config\nssh_authorized_keys: [1, [x]]\n", "line 2", "public keys"},
	}
	for _, b := range bad {
		err := ValidateUserData([]byte(b.doc))
		if err == nil {
			t.Errorf("%q: accepted", b.doc)
			continue
		}
		wantInvalid(t, err, problem.CodeInvalidUserData, b.line, b.part)
	}
}

func TestValidateNetworkConfig(t *testing.T) {
	good := []string{
		"version: 2\nethernets:\n  eth0:\n    dhcp4: true\n",
		"network:\n  version: 2\n  ethernets: {eth0: {dhcp4: true}}\n",
		"version: 1\nconfig:\n  - type: physical\n    name: eth0\n    subnets: [{type: dhcp}]\n",
	}
	for _, g := range good {
		if err := ValidateNetworkConfig([]byte(g)); err != nil {
			t.Errorf("%q: %v", g, err)
		}
	}
	bad := []struct{ doc, part string }{
		{"", "empty"},
		{"ethernets: {}\n", "no version"},
		{"version: 3\n", `line 1: version "3"`},
		{"version: 2\nethernet:\n  eth0: {}\n", `line 2: version 2 has no key "ethernet"`},
		{"version: 2\nethernets:\n  eth0: dhcp\n", "line 3"},
		{"version: 1\nconfig:\n  - name: eth0\n", "line 3: each config entry needs a type"},
		{"version: 2\n ethernets: x\n", "line 2"},
	}
	for _, b := range bad {
		wantInvalid(t, ValidateNetworkConfig([]byte(b.doc)), problem.CodeInvalidNetworkConfig, b.part)
	}
}

func TestBuildForm(t *testing.T) {
	s, err := Build(Config{User: "alice", Password: "hunter2", SSHKeys: []string{"ssh-ed25519 AAAAC3Nza alice@x"}, Packages: []string{"curl"}},
		"1b4e28ba-2fa1-11d2-883f-0016d3cca427", "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.UserData, "hunter2") {
		t.Fatal("the plain password is in the user-data")
	}
	if err := ValidateUserData([]byte(s.UserData)); err != nil {
		t.Fatalf("the form's own user-data does not validate: %v\n%s", err, s.UserData)
	}
	var ud struct {
		Hostname string
		Users    []yaml.Node
		Packages []string
	}
	if err := yaml.Unmarshal([]byte(s.UserData), &ud); err != nil {
		t.Fatal(err)
	}
	if ud.Hostname != "web-1" || len(ud.Users) != 2 || ud.Packages[0] != "curl" {
		t.Fatalf("user-data: %s", s.UserData)
	}
	var u struct {
		Name         string `yaml:"name"`
		HashedPasswd string `yaml:"hashed_passwd"`
		Keys         []string
	}
	if err := ud.Users[1].Decode(&u); err != nil {
		t.Fatal(err)
	}
	if u.Name != "alice" || sha512Crypt("hunter2", u.HashedPasswd[3:19]) != u.HashedPasswd {
		t.Fatalf("user %+v: the hash does not verify", u)
	}
	var md map[string]string
	if err := yaml.Unmarshal([]byte(s.MetaData), &md); err != nil || md["instance-id"] != "1b4e28ba-2fa1-11d2-883f-0016d3cca427" || md["local-hostname"] != "web-1" {
		t.Fatalf("meta-data %q: %v", s.MetaData, err)
	}
	img, err := s.Image(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := iso9660.VolumeID(img); !ok || id != "cidata" {
		t.Fatalf("seed volume id %q", id)
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, c := range map[string]Config{
		"bad hostname":        {Hostname: "a_b"},
		"root user":           {User: "root"},
		"bad user":            {User: "Bob Smith"},
		"password, no user":   {Password: "x"},
		"bad key":             {SSHKeys: []string{"not a key"}},
		"key with newline":    {SSHKeys: []string{"ssh-ed25519 AAAA a\nruncmd: [x]"}},
		"bad package":         {Packages: []string{"curl; rm -rf /"}},
		"form and raw":        {User: "bob", UserData: "#cloud-config\n"},
		"raw invalid":         {UserData: "#cloud-config\n[\n"},
		"network invalid":     {NetworkConfig: "version: 7\n"},
		"password line break": {User: "bob", Password: "a\nb"},
	} {
		if _, err := Build(c, "id", "vm"); err == nil {
			t.Errorf("%s: accepted", name)
		} else if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid {
			t.Errorf("%s: %v is not an invalid-input problem", name, err)
		}
	}
}
