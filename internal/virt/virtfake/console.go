package virtfake

import (
	"io"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// link is a virt.Link to the fake: its own connection state, the fake's
// domains.
type link struct {
	*Conn
	once   sync.Once
	closed chan struct{}
}

var _ virt.Link = (*link)(nil)

// console is a domain's open console.
type console struct {
	done chan struct{} // closed when the console ends from outside
	why  error         // what OpenConsole returns then
}

// Link returns a new link of its own to the fake, as host.Dial does.
func (c *Conn) Link() virt.Link {
	return &link{Conn: c, closed: make(chan struct{})}
}

// DropLinks breaks every open link, as libvirtd going away would: their
// consoles end with virt.ErrInterrupted and Connected reports false.
func (c *Conn) DropLinks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.links {
		l.once.Do(func() { close(l.closed) })
	}
	c.links = nil
}

// endConsoleLocked ends the domain's open console, if any.
func (c *Conn) endConsoleLocked(uuid virt.UUID, why error) {
	if con := c.consoles[uuid]; con != nil {
		con.why = why
		close(con.done)
		delete(c.consoles, uuid)
	}
}

// OpenConsole implements virt.Link. The fake guest's console echoes what
// it reads from in to out. It ends with nil when in ends or the domain
// stops, with libvirt's error when another client forces the console, and
// with virt.ErrInterrupted when the link breaks. A console held by another
// client refuses to open without force, as libvirt does.
func (l *link) OpenConsole(dom virt.Domain, force bool, in io.Reader, out io.Writer) error {
	c := l.Conn
	c.mu.Lock()
	d, err := c.call("OpenConsole", &dom)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if !active(d.State) {
		c.mu.Unlock()
		return invalid("domain is not running")
	}
	if c.consoles[d.UUID] != nil {
		if !force {
			c.mu.Unlock()
			return virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: Active console session exists for this domain"}
		}
		c.endConsoleLocked(d.UUID, virt.Error{Code: uint32(virt.ErrRPC), Message: "stream had I/O failure"})
	}
	con := &console{done: make(chan struct{})}
	c.consoles[d.UUID] = con
	c.links = append(c.links, l)
	uuid := d.UUID
	c.mu.Unlock()

	read := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				_, _ = out.Write(buf[:n])
			}
			if err != nil {
				read <- err
				return
			}
		}
	}()
	var result error
	select {
	case err := <-read:
		if err != io.EOF {
			result = err
		}
	case <-con.done:
		return con.why
	case <-l.closed:
		result = virt.ErrInterrupted
	}
	c.mu.Lock()
	if c.consoles[uuid] == con {
		delete(c.consoles, uuid)
	}
	c.mu.Unlock()
	return result
}

// Connected implements virt.Link.
func (l *link) Connected() bool {
	select {
	case <-l.closed:
		return false
	default:
		return true
	}
}

// Close implements virt.Link.
func (l *link) Close() error {
	l.Conn.mu.Lock()
	_, _ = l.Conn.call("Close", nil)
	l.Conn.mu.Unlock()
	l.once.Do(func() { close(l.closed) })
	return nil
}
