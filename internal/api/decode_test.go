package api

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/lifecycle"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestDecodeBytes(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		optional          bool
		wantCode          string // "" = success
	}{
		{"empty optional", "", "", true, ""},
		{"empty required", "application/json", "", false, "body_required"},
		{"ok", "application/json", `{"force":true,"disks":["vda"]}`, false, ""},
		{"charset ok", "application/json; charset=utf-8", `{}`, false, ""},
		{"unknown field", "application/json", `{"forc":true}`, false, "invalid_json"},
		{"wrong type", "application/json", `{"force":"yes"}`, false, "invalid_json"},
		{"malformed", "application/json", `{"force":`, false, "invalid_json"},
		{"trailing data", "application/json", `{} {}`, false, "invalid_json"},
		{"not an object", "application/json", `[1,2]`, false, "invalid_json"},
		{"form content type", "application/x-www-form-urlencoded", `{}`, false, "unsupported_content_type"},
		{"no content type", "", `{}`, false, "unsupported_content_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req lifecycle.DeleteRequest
			err := decodeBytes(tt.ctype, []byte(tt.body), &req, tt.optional)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok || p.Code != tt.wantCode || p.Kind != problem.Invalid {
				t.Fatalf("err = %v, want invalid problem %q", err, tt.wantCode)
			}
		})
	}
}

// FuzzDecodeBytes checks that no body crashes the decoder and that every
// refusal is an Invalid problem with a message.
func FuzzDecodeBytes(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"timeoutSeconds":30}`, `{"timeoutSeconds":1e999}`, `{"snapshots":"delete","disks":["vda","vdb"],"force":true}`,
		`{"disks":null}`, `{"a":` + strings.Repeat("[", 1000), "\xff\xfe", `{"force":true}{"force":false}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var a lifecycle.Request
		if err := decodeBytes("application/json", []byte(body), &a, true); err != nil {
			if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Message == "" {
				t.Fatalf("action body %q: err %v is not an Invalid problem", body, err)
			}
		}
		var d lifecycle.DeleteRequest
		if err := decodeBytes("application/json", []byte(body), &d, true); err != nil {
			if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Message == "" {
				t.Fatalf("delete body %q: err %v is not an Invalid problem", body, err)
			}
		}
	})
}
