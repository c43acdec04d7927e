// Package hostadmin manages the hosts an admin adds, edits and removes
// while the server runs (the Hosts page and /api/v1/hosts): it validates
// them, keeps them in <data dir>/hosts.json, starts and stops them in the
// host.Set, and tests a connection before anything is saved. Hosts from the
// flags or the config file are in the same set but are not its to change.
package hostadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// FileName is the file in the data dir that keeps the hosts added through
// the API.
const FileName = "hosts.json"

// DefaultMaxHosts caps the hosts the API may add.
const DefaultMaxHosts = 64

// stopWait bounds how long Remove and Update wait for a host to stop: its
// links close at once, a dial in progress ends within its call timeout.
const stopWait = 15 * time.Second

// Inventory is what the service tells the VM cache about hosts coming and
// going (inventory.Inventory).
type Inventory interface {
	AddHost(name string)
	RemoveHost(name string)
}

// Publisher announces removed hosts (event.Bus).
type Publisher interface {
	Publish(typ event.Type, data any)
}

// Options configures a Service.
type Options struct {
	Hosts     *host.Set
	Inventory Inventory
	Publisher Publisher
	// DataDir holds hosts.json.
	DataDir string
	// NewHost builds a host with the server's observers and data dir.
	NewHost func(name, uri string, source host.Source) (*host.Host, error)
	// Renamed are called when a host is renamed, after it stopped and
	// before it starts under its new name, to move what other parts keep
	// under a host's name (the snapshots' screenshots in the data dir).
	Renamed []func(oldName, newName string) error
	// MaxHosts caps the hosts added through the API (default
	// DefaultMaxHosts).
	MaxHosts int
	// Getenv reads the environment (default os.Getenv): SSH_AUTH_SOCK
	// decides whether a qemu+ssh host without a keyfile can log in.
	Getenv func(string) string
	Logger *slog.Logger
}

// Service adds, edits and removes the API's hosts.
type Service struct {
	opts Options
	log  *slog.Logger
	// mu serializes changes: each one rewrites hosts.json and the set.
	mu sync.Mutex
	// saved are the hosts in hosts.json, in the order they were added.
	saved []Record
}

// Record is one host in hosts.json.
type Record struct {
	Name    string    `json:"name"`
	URI     string    `json:"uri"`
	Added   time.Time `json:"added"`
	AddedBy string    `json:"addedBy,omitempty"`
}

type file struct {
	Hosts []Record `json:"hosts"`
}

// Removed is the payload of a host-removed event.
type Removed struct {
	Name string `json:"name"`
}

// New returns the service; Load reads the saved hosts.
func New(opts Options) *Service {
	if opts.MaxHosts == 0 {
		opts.MaxHosts = DefaultMaxHosts
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{opts: opts, log: opts.Logger}
}

func (s *Service) path() string { return filepath.Join(s.opts.DataDir, FileName) }

// Load reads hosts.json and adds its hosts to the set (before the set
// runs, or while it does). A saved host whose name a configured host took
// meanwhile, or that no longer validates, is skipped with a warning and
// stays in the file, so that the server starts and nothing is lost.
func (s *Service) Load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", s.path(), err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("%s is not valid JSON (%w): fix or remove it", s.path(), err)
	}
	s.saved = f.Hosts
	for _, r := range f.Hosts {
		if err := s.start(r.Name, r.URI); err != nil {
			s.log.Warn("a saved host is not started", "host", r.Name, "file", s.path(), "err", err)
		}
	}
	return nil
}

// start builds a host and puts it into the set and the inventory.
func (s *Service) start(name, uri string) error {
	h, err := s.opts.NewHost(name, uri, host.SourceAPI)
	if err != nil {
		return err
	}
	if _, err := s.opts.Hosts.Get(name); err == nil {
		return problem.New(problem.Conflict, problem.CodeDuplicateHost,
			fmt.Sprintf("there is already a host named %q", name), "give each host its own name")
	}
	s.opts.Inventory.AddHost(name)
	if err := s.opts.Hosts.Add(h); err != nil {
		s.opts.Inventory.RemoveHost(name)
		return err
	}
	return nil
}

// check validates a spec as Add, Update and Test need it.
func (s *Service) check(spec Spec) error {
	if err := Validate(spec); err != nil {
		return err
	}
	u, _ := host.ParseURI(spec.URI) // Validate parsed it
	if u.Transport == host.TransportSSH && u.Query.Get("keyfile") == "" && s.opts.Getenv("SSH_AUTH_SOCK") == "" {
		return problem.New(problem.Invalid, problem.CodeNoSSHAuth,
			"the URI names no SSH key file and KVM Manager has no SSH agent (SSH_AUTH_SOCK is not set)",
			"add ?keyfile=/path/to/private_key to the URI (a file on the server, mode 600)")
	}
	return nil
}

// Test connects once to the host a spec describes, without saving or
// starting anything, and says what it found: connected (with libvirt's
// version), untrusted or host_key_changed (with the key to approve after
// adding it), or failed with the reason. The name is checked only for its
// form, so that an existing host can be tested with a new URI.
func (s *Service) Test(ctx context.Context, spec Spec) (host.ProbeResult, error) {
	if spec.Name == "" {
		spec.Name = "test"
	}
	if err := s.check(spec); err != nil {
		return host.ProbeResult{}, err
	}
	h, err := s.opts.NewHost(spec.Name, spec.URI, host.SourceAPI)
	if err != nil {
		return host.ProbeResult{}, err
	}
	return h.Probe(ctx), nil
}

// Add validates a host, saves it and starts it. Nothing is saved when any
// check fails. by names the user, for the file.
func (s *Service) Add(spec Spec, by string) (host.Status, error) {
	if err := s.check(spec); err != nil {
		return host.Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.opts.Hosts.Get(spec.Name); err == nil {
		return host.Status{}, problem.New(problem.Conflict, problem.CodeDuplicateHost,
			fmt.Sprintf("there is already a host named %q", spec.Name), "choose another name, or edit that host")
	}
	if len(s.saved) >= s.opts.MaxHosts {
		return host.Status{}, problem.New(problem.Conflict, problem.CodeTooManyHosts,
			fmt.Sprintf("KVM Manager already manages %d hosts added here, its limit", len(s.saved)),
			"remove a host you no longer need first")
	}
	// Built first, so that a URI host.New refuses saves nothing.
	h, err := s.opts.NewHost(spec.Name, spec.URI, host.SourceAPI)
	if err != nil {
		return host.Status{}, err
	}
	next := append(append([]Record(nil), s.saved...), Record{Name: spec.Name, URI: spec.URI, Added: time.Now().UTC(), AddedBy: by})
	if err := s.save(next); err != nil {
		return host.Status{}, err
	}
	s.opts.Inventory.AddHost(spec.Name)
	if err := s.opts.Hosts.Add(h); err != nil {
		s.opts.Inventory.RemoveHost(spec.Name)
		_ = s.save(s.saved)
		return host.Status{}, err
	}
	s.saved = next
	s.log.Info("host added", "host", spec.Name, "uri", spec.URI, "by", by)
	return h.Status(), nil
}

// Update changes a host added through the API: a new URI, a new name, or
// both (an empty field keeps what it was). The old link (and every console
// on it) closes, its VMs leave the cache under the old name, and the host
// connects anew under the new one; a renamed host's VMs come back under the
// new name (their UUIDs stay), its approved SSH key still applies (known
// hosts are kept by address, not by name), and the hooks in
// Options.Renamed move what other parts keep under the name.
func (s *Service) Update(ctx context.Context, name string, to Spec, by string) (host.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.ownedLocked(name)
	if err != nil {
		return host.Status{}, err
	}
	if to.Name == "" {
		to.Name = name
	}
	if to.URI == "" {
		to.URI = s.saved[i].URI
	}
	if err := s.check(to); err != nil {
		return host.Status{}, err
	}
	renamed := to.Name != name
	if renamed {
		if _, err := s.opts.Hosts.Get(to.Name); err == nil {
			return host.Status{}, problem.New(problem.Conflict, problem.CodeDuplicateHost,
				fmt.Sprintf("there is already a host named %q", to.Name), "choose another name")
		}
	}
	if !renamed && s.saved[i].URI == to.URI {
		h, err := s.opts.Hosts.Get(name)
		if err != nil {
			return host.Status{}, err
		}
		return h.Status(), nil
	}
	h, err := s.opts.NewHost(to.Name, to.URI, host.SourceAPI)
	if err != nil {
		return host.Status{}, err
	}
	next := append([]Record(nil), s.saved...)
	next[i].Name, next[i].URI = to.Name, to.URI
	if err := s.save(next); err != nil {
		return host.Status{}, err
	}
	s.saved = next
	if err := s.stop(ctx, name); err != nil {
		s.log.Warn("the host's old link did not stop in time", "host", name, "err", err)
	}
	if renamed {
		for _, f := range s.opts.Renamed {
			if err := f(name, to.Name); err != nil {
				s.log.Warn("moving what is kept under the host's old name failed", "host", name, "new_name", to.Name, "err", err)
			}
		}
		if s.opts.Publisher != nil {
			s.opts.Publisher.Publish(event.TypeHostRemoved, Removed{Name: name})
		}
	}
	s.opts.Inventory.AddHost(to.Name)
	if err := s.opts.Hosts.Add(h); err != nil {
		return host.Status{}, err
	}
	s.log.Info("host changed", "host", name, "name", to.Name, "uri", to.URI, "by", by)
	return h.Status(), nil
}

// Remove stops a host added through the API and forgets it: its links and
// consoles close and its VMs leave the cache. Approved SSH keys stay in the
// known_hosts file.
func (s *Service) Remove(ctx context.Context, name, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.ownedLocked(name)
	if err != nil {
		return err
	}
	next := append(append([]Record(nil), s.saved[:i]...), s.saved[i+1:]...)
	if err := s.save(next); err != nil {
		return err
	}
	s.saved = next
	if err := s.stop(ctx, name); err != nil {
		s.log.Warn("the host did not stop in time", "host", name, "err", err)
	}
	if s.opts.Publisher != nil {
		s.opts.Publisher.Publish(event.TypeHostRemoved, Removed{Name: name})
	}
	s.log.Info("host removed", "host", name, "by", by)
	return nil
}

// stop removes a host from the set, waits for it to stop, and drops its
// VMs from the cache.
func (s *Service) stop(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopWait)
	defer cancel()
	_, err := s.opts.Hosts.Remove(ctx, name)
	s.opts.Inventory.RemoveHost(name)
	return err
}

// ownedLocked returns the index in saved of a host the API may change, or
// the problem that says why not.
func (s *Service) ownedLocked(name string) (int, error) {
	h, err := s.opts.Hosts.Get(name)
	if err != nil {
		return 0, err
	}
	if h.Status().Source == host.SourceAPI {
		for i, r := range s.saved {
			if r.Name == name {
				return i, nil
			}
		}
	}
	return 0, problem.New(problem.Conflict, problem.CodeHostFromConfig,
		fmt.Sprintf("host %q comes from the server's flags or config file", name),
		"change it where it is configured (--host or the config file) and restart KVM Manager")
}

// save writes the records to hosts.json atomically (a temporary file in the
// same directory, renamed over it), readable by the server's user only.
func (s *Service) save(recs []Record) error {
	if recs == nil {
		recs = []Record{}
	}
	data, err := json.MarshalIndent(file{Hosts: recs}, "", "  ")
	if err != nil {
		return err
	}
	fail := func(err error) error {
		return problem.Wrap(err, problem.Unavailable, problem.CodeHostsSaveFailed,
			"the hosts could not be saved in the data dir, so nothing was changed",
			"check that the data dir is writable and not full (the server log has details)")
	}
	tmp, err := os.CreateTemp(s.opts.DataDir, FileName+".*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	_, err = tmp.Write(append(data, '\n'))
	if err := errors.Join(err, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fail(err)
	}
	return nil
}
