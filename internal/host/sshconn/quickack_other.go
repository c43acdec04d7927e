//go:build !linux

package sshconn

import "net"

func quickAck(c net.Conn) net.Conn { return c }
