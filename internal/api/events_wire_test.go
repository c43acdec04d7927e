package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// TestEventsWireFormat pins the bytes the event stream sends for one event
// of every type, with the payloads the services publish, to what browsers
// received when the bus still encoded JSON at publish time (wantWire was
// recorded then). The front end and the e2e tests read this format.
func TestEventsWireFormat(t *testing.T) {
	bus := event.New()
	hosts, err := host.NewSet()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Bus: bus, Hosts: hosts, Heartbeat: time.Hour}, streams: newStreamSlots(StreamLimits{}, slog.Default())}
	// As an admin: operation events reach others through opFor, which
	// the role tests cover; this test pins the bytes as published.
	ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(), auth.Principal{User: "root", Role: auth.Admin}))
	w := &flushSignal{ResponseRecorder: httptest.NewRecorder(), flushed: make(chan struct{}), goOn: make(chan struct{})}
	r := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/events", nil)
	done := make(chan error, 1)
	go func() { done <- s.events(w, r) }()
	<-w.flushed

	at := time.Date(2026, 12, 7, 13, 30, 0, 123456789, time.UTC)
	cpu, rx, size := 12.5, 1024.0, uint64(1<<30)
	pct := 40
	const uuid = "0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11"
	sample := inventory.Sample{Time: at, CPUPercent: &cpu, MemoryUsedKiB: 65536, MemoryTotalKiB: 131072, MemoryRSSKiB: 200000, NetRxBps: &rx}
	bus.Publish(event.TypeVM, inventory.VM{
		Host: "local", UUID: uuid, Name: "web <1> & \"two\"", Title: "Web", State: inventory.StateRunning, Reason: "booted", ID: 7,
		DomainType: "kvm", Arch: "x86_64", Machine: "pc-q35-7.2", Firmware: "bios", VCPUs: 2, MemoryMaxKiB: 262144, MemoryKiB: 262144,
		Disks:         []inventory.Disk{{Target: "vda", Device: "disk", Bus: "virtio", Type: "file", Source: "/var/lib/libvirt/images/web.qcow2", Format: "qcow2", Capacity: &size}},
		NICs:          []inventory.NIC{{Type: "network", Source: "default", MAC: "52:54:00:12:34:56", Model: "virtio", Target: "vnet3"}},
		Graphics:      []inventory.Graphics{{Type: "vnc", Listen: "127.0.0.1", Port: 5901, AutoPort: true, Password: true}},
		SerialConsole: true, Autostart: false, Persistent: true, SnapshotCount: 3,
		Actions: inventory.AllowedActions(inventory.StateRunning), Stats: &sample, Updated: at,
		Addresses: []inventory.Address{{IP: "192.168.122.50", Prefix: 24, MAC: "52:54:00:12:34:56", Interface: "eth0", Source: "agent"}},
		Guest:     &inventory.Guest{Agent: "connected", Version: "7.2.0", OSName: "Debian GNU/Linux 12 (bookworm)", Hostname: "web"},
	})
	bus.Publish(event.TypeVM, inventory.VM{Host: "local", UUID: uuid, Name: "off", State: inventory.StateShutoff, Firmware: "efi",
		Disks: []inventory.Disk{}, NICs: []inventory.NIC{}, Graphics: []inventory.Graphics{}, Actions: inventory.AllowedActions(inventory.StateShutoff), Updated: at,
		Addresses: []inventory.Address{}})
	bus.Publish(event.TypeVMRemoved, inventory.Removed{Host: "local", UUID: uuid, Name: "web"})
	bus.Publish(event.TypeStats, inventory.HostSamples{Host: "local", Time: at, Samples: []inventory.UUIDedSample{{UUID: uuid, Sample: sample}}})
	bus.Publish(event.TypeStats, inventory.HostSamples{Host: "local", Time: at, Samples: []inventory.UUIDedSample{}})
	bus.Publish(event.TypeOperation, operation.Op{ID: "0123456789abcdef01234567", Kind: "snapshot-create",
		Target: operation.Target{Host: "local", UUID: uuid, Name: "web"}, State: operation.Running,
		Progress: operation.Progress{Stage: "saving memory", Percent: &pct}, Started: at, MayCancel: true})
	bus.Publish(event.TypeOperation, operation.Op{ID: "0123456789abcdef01234568", Kind: "snapshot-delete",
		Target: operation.Target{Host: "local", UUID: uuid}, State: operation.Failed, Progress: operation.Progress{Stage: "deleting"},
		Result: snapshot.DeleteResult{Deleted: []string{"a"}}, Error: &problem.Info{Code: "snapshot_not_found", Message: "no snapshot \"b\"", Hint: "reload"},
		Started: at, Finished: &at})
	bus.Publish(event.TypeHost, host.Status{Name: "local", URI: "qemu:///system", State: host.Reconnecting, Error: "connection to libvirtd lost: EOF",
		Since: at, NextRetry: &at, Local: true})
	bus.Publish(event.TypeHost, host.Status{Name: "local", URI: "qemu:///system", State: host.Connected, Since: at, Hostname: "kvm1", LibvirtVersion: "9.0.0", Local: true})
	bus.Publish(event.TypeSnapshot, snapshot.Event{Host: "local", UUID: uuid, VM: "web", Change: "created", Names: []string{"before-upgrade"}, Count: 3, Current: "before-upgrade"})
	bus.Publish(event.TypeSnapshot, snapshot.Event{Host: "local", UUID: uuid, VM: "web", Change: "external", Names: []string{}, Count: 2})

	cancel()
	close(w.goOn)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := w.body(); got != wantWire {
		t.Errorf("the event stream changed:\n got: %s\nwant: %s", got, wantWire)
	}
}

const wantWire = `retry: 2000

id: 1
event: vm
data: {"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","name":"web \u003c1\u003e \u0026 \"two\"","title":"Web","state":"running","reason":"booted","id":7,"domainType":"kvm","arch":"x86_64","machine":"pc-q35-7.2","firmware":"bios","vcpus":2,"memoryMaxKiB":262144,"memoryKiB":262144,"disks":[{"target":"vda","device":"disk","bus":"virtio","type":"file","source":"/var/lib/libvirt/images/web.qcow2","format":"qcow2","capacityBytes":1073741824}],"nics":[{"type":"network","source":"default","mac":"52:54:00:12:34:56","model":"virtio","target":"vnet3"}],"graphics":[{"type":"vnc","listen":"127.0.0.1","port":5901,"autoport":true,"password":true}],"serialConsole":true,"autostart":false,"persistent":true,"snapshotCount":3,"actions":["shutdown","reboot","force-off","reset","pause"],"stats":{"time":"2026-12-07T13:30:00.123456789Z","cpuPercent":12.5,"memoryUsedKiB":65536,"memoryTotalKiB":131072,"memoryRssKiB":200000,"netRxBps":1024},"addresses":[{"ip":"192.168.122.50","prefix":24,"mac":"52:54:00:12:34:56","interface":"eth0","source":"agent"}],"guest":{"agent":"connected","version":"7.2.0","osName":"Debian GNU/Linux 12 (bookworm)","hostname":"web"},"updated":"2026-12-07T13:30:00.123456789Z"}

id: 2
event: vm
data: {"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","name":"off","state":"shutoff","domainType":"","firmware":"efi","vcpus":0,"memoryMaxKiB":0,"memoryKiB":0,"disks":[],"nics":[],"graphics":[],"serialConsole":false,"autostart":false,"persistent":false,"snapshotCount":0,"actions":["start"],"addresses":[],"updated":"2026-12-07T13:30:00.123456789Z"}

id: 3
event: vm-removed
data: {"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","name":"web"}

id: 4
event: stats
data: {"host":"local","time":"2026-12-07T13:30:00.123456789Z","samples":[{"uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","time":"2026-12-07T13:30:00.123456789Z","cpuPercent":12.5,"memoryUsedKiB":65536,"memoryTotalKiB":131072,"memoryRssKiB":200000,"netRxBps":1024}]}

id: 5
event: stats
data: {"host":"local","time":"2026-12-07T13:30:00.123456789Z","samples":[]}

id: 6
event: operation
data: {"id":"0123456789abcdef01234567","kind":"snapshot-create","target":{"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","name":"web"},"state":"running","progress":{"stage":"saving memory","percent":40},"started":"2026-12-07T13:30:00.123456789Z","mayCancel":true}

id: 7
event: operation
data: {"id":"0123456789abcdef01234568","kind":"snapshot-delete","target":{"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11"},"state":"failed","progress":{"stage":"deleting"},"result":{"deleted":["a"]},"error":{"code":"snapshot_not_found","message":"no snapshot \"b\"","hint":"reload"},"started":"2026-12-07T13:30:00.123456789Z","finished":"2026-12-07T13:30:00.123456789Z","mayCancel":false}

id: 8
event: host
data: {"name":"local","uri":"qemu:///system","state":"reconnecting","error":"connection to libvirtd lost: EOF","since":"2026-12-07T13:30:00.123456789Z","nextRetry":"2026-12-07T13:30:00.123456789Z","local":true}

id: 9
event: host
data: {"name":"local","uri":"qemu:///system","state":"connected","since":"2026-12-07T13:30:00.123456789Z","hostname":"kvm1","libvirtVersion":"9.0.0","local":true}

id: 10
event: snapshot
data: {"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","vm":"web","change":"created","names":["before-upgrade"],"count":3,"current":"before-upgrade"}

id: 11
event: snapshot
data: {"host":"local","uuid":"0b7c1c52-2bd0-4f6b-9d1c-3c1c6a0a5e11","vm":"web","change":"external","names":[],"count":2}

`
