package host

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/digitalocean/go-libvirt"
)

func TestIsLinkLost(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"call interrupted", libvirt.ErrInterrupted, true},
		{"wrapped EOF", fmt.Errorf("read: %w", io.EOF), true},
		{"closed socket", fmt.Errorf("write: %w", net.ErrClosed), true},
		{"libvirt answered", libvirt.Error{Code: uint32(libvirt.ErrOperationInvalid), Message: "domain is not running"}, false},
		{"libvirt answered, wrapped", fmt.Errorf("x: %w", libvirt.Error{Code: uint32(libvirt.ErrInternalError), Message: "Unable to read from monitor"}), false},
		{"other", errors.New("bad XML"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsLinkLost(tt.err); got != tt.want {
				t.Errorf("IsLinkLost(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
