// Package nocloud builds cloud-init NoCloud seeds: the meta-data,
// user-data and network-config files, checked the way cloud-init would
// read them (YAML that parses, of the shape cloud-init accepts; errors
// name the line), and written as an ISO 9660 image with volume id
// "cidata", which cloud-init's NoCloud data source looks for.
package nocloud

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kvm-manager/kvm-manager/internal/iso9660"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// VolumeID is the seed image's volume id (NoCloud's label).
const VolumeID = "cidata"

// MaxDocument caps user-data and network-config (cloud-init reads them
// whole; a seed is small, and the whole request is capped at 64 KiB).
const MaxDocument = 48 << 10

// Config is a VM's cloud-init settings: either the form (hostname, user,
// password, keys, packages), or raw user-data, and an optional raw
// network-config.
type Config struct {
	// Hostname is set through meta-data's local-hostname (and the form's
	// user-data); default: the VM's name.
	Hostname string `json:"hostname,omitempty"`
	// User is a login to create, with sudo rights.
	User string `json:"user,omitempty"`
	// Password is the user's password in plain text; it is hashed (SHA-512
	// crypt) before it is written anywhere.
	Password string `json:"password,omitempty"`
	// SSHKeys are public keys for the user (or root when no user).
	SSHKeys []string `json:"sshKeys,omitempty"`
	// Packages are installed on first boot.
	Packages []string `json:"packages,omitempty"`
	// UserData is raw user-data (#cloud-config YAML or a #! script),
	// used instead of the form's fields.
	UserData string `json:"userData,omitempty"`
	// NetworkConfig is raw network-config YAML (version 1 or 2).
	NetworkConfig string `json:"networkConfig,omitempty"`
}

// Seed is the content of a NoCloud seed.
type Seed struct {
	MetaData, UserData, NetworkConfig string
}

var (
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	packageRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]{0,99}(=[A-Za-z0-9.+:~-]{1,100})?$`)
	sshKeyRE   = regexp.MustCompile(`^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$`)
)

func invalid(code, msg, hint string) error { return problem.New(problem.Invalid, code, msg, hint) }

// Build checks cfg and returns the seed for a VM whose instance id is
// instanceID (the VM's UUID: a new id makes cloud-init run again) and
// whose default hostname is vmName. The password is hashed here.
func Build(cfg Config, instanceID, vmName string) (Seed, error) {
	host := cfg.Hostname
	if host == "" {
		host = vmName
	}
	if len(host) > 253 || !hostnameRE.MatchString(host) {
		return Seed{}, invalid(problem.CodeInvalidCloudInit, fmt.Sprintf("the hostname %q is not a valid host name", problem.Clip(host)),
			"use letters, digits and '-' (dot-separated labels of at most 63), e.g. web-1")
	}
	form := cfg.User != "" || cfg.Password != "" || len(cfg.SSHKeys) > 0 || len(cfg.Packages) > 0
	if form && cfg.UserData != "" {
		return Seed{}, invalid(problem.CodeInvalidCloudInit, "cloud-init has both form fields (user, password, keys, packages) and raw user-data",
			"put the user, keys and packages into the user-data, or leave the user-data empty")
	}
	meta, err := yaml.Marshal(map[string]string{"instance-id": instanceID, "local-hostname": host})
	if err != nil {
		return Seed{}, err
	}
	s := Seed{MetaData: string(meta)}
	if cfg.UserData != "" {
		if err := ValidateUserData([]byte(cfg.UserData)); err != nil {
			return Seed{}, err
		}
		s.UserData = cfg.UserData
	} else if s.UserData, err = formUserData(cfg, host); err != nil {
		return Seed{}, err
	}
	if cfg.NetworkConfig != "" {
		if err := ValidateNetworkConfig([]byte(cfg.NetworkConfig)); err != nil {
			return Seed{}, err
		}
		s.NetworkConfig = cfg.NetworkConfig
	}
	return s, nil
}

// formUserData writes the form's #cloud-config (marshalled, never
// pasted together, so no field can add keys of its own).
func formUserData(cfg Config, host string) (string, error) {
	doc := map[string]any{"hostname": host}
	for _, k := range cfg.SSHKeys {
		if !sshKeyRE.MatchString(strings.TrimSpace(k)) {
			return "", invalid(problem.CodeInvalidCloudInit, fmt.Sprintf("%q is not an SSH public key", problem.Clip(k)),
				"paste one public key per entry, e.g. the line of ~/.ssh/id_ed25519.pub (ssh-ed25519 AAAA... comment)")
		}
	}
	keys := make([]string, len(cfg.SSHKeys))
	for i, k := range cfg.SSHKeys {
		keys[i] = strings.TrimSpace(k)
	}
	switch {
	case cfg.User != "":
		if !userRE.MatchString(cfg.User) || cfg.User == "root" {
			return "", invalid(problem.CodeInvalidCloudInit, fmt.Sprintf("%q is not a user name cloud-init can create", problem.Clip(cfg.User)),
				"use 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter or '_', and not root")
		}
		u := map[string]any{"name": cfg.User, "shell": "/bin/bash", "sudo": "ALL=(ALL) NOPASSWD:ALL", "groups": "sudo"}
		if cfg.Password != "" {
			if err := checkPassword(cfg.Password); err != nil {
				return "", err
			}
			h, err := HashPassword(cfg.Password)
			if err != nil {
				return "", err
			}
			u["hashed_passwd"], u["lock_passwd"] = h, false
		}
		if len(keys) > 0 {
			u["ssh_authorized_keys"] = keys
		}
		doc["users"] = []any{"default", u}
		if cfg.Password != "" {
			doc["ssh_pwauth"] = true
		}
	case cfg.Password != "":
		return "", invalid(problem.CodeInvalidCloudInit, "a password needs a user", "give the user's name, or leave the password empty")
	case len(keys) > 0:
		doc["ssh_authorized_keys"] = keys
	}
	if len(cfg.Packages) > 0 {
		for _, p := range cfg.Packages {
			if !packageRE.MatchString(p) {
				return "", invalid(problem.CodeInvalidCloudInit, fmt.Sprintf("%q is not a package name", problem.Clip(p)),
					"use the distribution's package names, e.g. nginx or curl=8.1.2-1")
			}
		}
		doc["packages"] = cfg.Packages
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	return "#cloud-config\n" + string(b), nil
}

func checkPassword(p string) error {
	if len(p) > 256 || strings.ContainsAny(p, "\x00\r\n") {
		return invalid(problem.CodeInvalidCloudInit, "the password is longer than 256 characters or has a line break",
			"use a single line of at most 256 characters")
	}
	return nil
}

// Files returns the seed's files (network-config only when given).
func (s Seed) Files() []iso9660.File {
	fs := []iso9660.File{{Name: "meta-data", Data: []byte(s.MetaData)}, {Name: "user-data", Data: []byte(s.UserData)}}
	if s.NetworkConfig != "" {
		fs = append(fs, iso9660.File{Name: "network-config", Data: []byte(s.NetworkConfig)})
	}
	return fs
}

// Image returns the seed as an ISO 9660 image labelled "cidata".
func (s Seed) Image(now time.Time) ([]byte, error) {
	var b bytes.Buffer
	if err := iso9660.Write(&b, VolumeID, s.Files(), now); err != nil {
		return nil, fmt.Errorf("write the cloud-init seed image: %w", err)
	}
	return b.Bytes(), nil
}
