package consoletest

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

func TestReadServerInitRejectsHugeName(t *testing.T) {
	var b bytes.Buffer
	b.Write(make([]byte, 20))
	_ = binary.Write(&b, binary.BigEndian, uint32(1<<30))
	rw := struct {
		io.Reader
		io.Writer
	}{&b, io.Discard}
	if _, err := ReadServerInit(rw); err == nil {
		t.Fatal("a 1 GiB desktop name was accepted")
	}
}
