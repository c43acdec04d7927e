package nocloud

import (
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// The validators take any text from a client: they must never panic and
// must answer either nil or an invalid-input problem.
func FuzzValidateUserData(f *testing.F) {
	for _, s := range []string{"#cloud-config\nhostname: a\n", "#cloud-config\nruncmd: [[a, b], c]\n", "#!/bin/sh\n", "#cloud-config\n&a [*a]\n",
		"#cloud-config\nwrite_files:\n  - path: /x\n    encoding: b64\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, ValidateUserData(b), problem.CodeInvalidUserData)
	})
}

func FuzzValidateNetworkConfig(f *testing.F) {
	for _, s := range []string{"version: 2\nethernets: {eth0: {dhcp4: true}}\n", "version: 1\nconfig: [{type: physical}]\n", "network: {version: 2}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, ValidateNetworkConfig(b), problem.CodeInvalidNetworkConfig)
	})
}

func check(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		return
	}
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid || p.Code != code {
		t.Fatalf("error %v is not an invalid-input problem with code %s", err, code)
	}
}
