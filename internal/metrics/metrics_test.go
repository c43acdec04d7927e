package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/metrics/metricstest"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

const vmUUID = "00000000-0000-4000-8000-000000000001"

// sampledInventory is an inventory with one running VM (with balloon
// statistics) on host h1 that has had a stats tick, and whose link is
// closed again, so that no libvirt call happens after it returns unless
// someone makes one. It returns the fake connection to count calls on.
func sampledInventory(t *testing.T) (*inventory.Inventory, *virtfake.Conn) {
	t.Helper()
	c := virtfake.New()
	u, err := host.ParseUUID(vmUUID)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(virtfake.Domain{Name: "web", UUID: u, State: virt.StateRunning, Persistent: true, Balloon: map[string]uint64{
		"cpu.time": 7_500_000_000, "balloon.current": 1 << 20, "balloon.maximum": 2 << 20,
		"balloon.available": 1 << 20, "balloon.usable": 768 << 10, "balloon.rss": 300 << 10,
	}})
	inv := inventory.New(inventory.Options{Logger: slog.New(slog.DiscardHandler), Interval: 20 * time.Millisecond})
	inv.AddHost("h1")
	h, err := host.New(host.Options{Name: "h1", URI: "qemu:///system"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(ctx, h, c) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		vm, err := inv.Get("h1", vmUUID)
		if err == nil && vm.Stats != nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("no stats tick within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	return inv, c
}

// scrape parses one answer of the handler, as Prometheus would.
func scrape(t *testing.T, m *Metrics) []*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("the scrape does not parse: %v", err)
	}
	var out []*dto.MetricFamily
	for _, f := range byName {
		out = append(out, f)
	}
	return out
}

func find(fams []*dto.MetricFamily, name string) *dto.MetricFamily {
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	return nil
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// The per-VM series come from the last stats tick: scraping makes no
// libvirt call, and the values are the tick's, with host, uuid and name.
func TestDomainSeriesFromTheLastTickWithoutLibvirtCalls(t *testing.T) {
	inv, conn := sampledInventory(t)
	m := New(Options{Inventory: inv})
	before := len(conn.Calls())
	var fams []*dto.MetricFamily
	for range 3 {
		fams = scrape(t, m)
	}
	if after := conn.Calls(); len(after) != before {
		t.Fatalf("scraping called libvirt: %v", after[before:])
	}
	want := map[string]float64{
		"libvirt_domain_info_state":                   1,
		"libvirt_domain_info_cpu_time_seconds_total":  7.5,
		"libvirt_domain_info_memory_usage_bytes":      1 << 30,
		"libvirt_domain_info_maximum_memory_bytes":    2 << 30,
		"libvirt_domain_memory_stats_available_bytes": 1 << 30,
		"libvirt_domain_memory_stats_usable_bytes":    768 << 20,
		"libvirt_domain_memory_stats_used_bytes":      256 << 20,
		"libvirt_domain_memory_stats_rss_bytes":       300 << 20,
	}
	for name, v := range want {
		f := find(fams, name)
		if f == nil || len(f.GetMetric()) != 1 {
			t.Errorf("%s: missing or not one series: %v", name, f)
			continue
		}
		mt := f.GetMetric()[0]
		got := mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		if got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
		if l := labels(mt); l["host"] != "h1" || l["uuid"] != vmUUID || l["name"] != "web" {
			t.Errorf("%s labels %v", name, l)
		}
	}
}

// GET through Handler answers the text format, and the server's own
// series are there: hosts by state (zero included), operations, requests,
// login failures, streams and audit failures.
func TestServerSeries(t *testing.T) {
	m := New(Options{
		Hosts: func() []host.Status {
			return []host.Status{{Name: "a", State: host.Connected}, {Name: "b", State: host.Failed}}
		},
		AuditWriteFailures: func() uint64 { return 2 },
	})
	m.AddStreams(func() (int, int) { return 3, 1 })
	m.ObserveRequest("/api/v1/vms", "GET", 200, 3*time.Millisecond)
	m.OperationEnded("snapshot.create", "failed")
	m.LoginFailed()
	obs := m.HostObserver()
	for _, st := range []host.State{host.Connecting, host.Connected, host.Reconnecting, host.Connected} {
		obs.StateChanged(nil, host.Status{Name: "a", State: st})
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`kvm_manager_hosts{state="connected"} 1`,
		`kvm_manager_hosts{state="failed"} 1`,
		`kvm_manager_hosts{state="reconnecting"} 0`,
		`kvm_manager_host_connected{host="b",state="failed"} 0`,
		`kvm_manager_host_reconnects_total{host="a"} 1`,
		`kvm_manager_http_requests_total{method="GET",route="/api/v1/vms",status="200"} 1`,
		`kvm_manager_http_request_duration_seconds_bucket{method="GET",route="/api/v1/vms",le="0.005"} 1`,
		`kvm_manager_operations_total{kind="snapshot.create",result="failed"} 1`,
		`kvm_manager_login_failures_total 1`,
		`kvm_manager_audit_write_failures_total 2`,
		`kvm_manager_open_event_streams 3`,
		`kvm_manager_open_consoles 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("missing %q in:\n%s", line, body)
		}
	}
	// A nil *Metrics takes every call and does nothing.
	var none *Metrics
	none.ObserveRequest("/x", "GET", 200, 0)
	none.LoginFailed()
	none.OperationEnded("k", "ok")
	none.ScheduleRun("ok")
	none.AddStreams(func() (int, int) { return 0, 0 })
}

// BenchmarkScrape500 is one scrape of 500 running VMs with two disks and
// two interfaces each, encoded in the text format.
func BenchmarkScrape500(b *testing.B) {
	inv, _, err := metricstest.Inventory(500)
	if err != nil {
		b.Fatal(err)
	}
	m := New(Options{Inventory: inv})
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	}
}

// Disks and interfaces get one series per device and counter, labelled
// with target_device.
func TestDeviceSeries(t *testing.T) {
	inv, _, err := metricstest.Inventory(2)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	New(Options{Inventory: inv}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	u := metricstest.UUID(1)
	for _, line := range []string{
		`libvirt_domain_block_stats_read_bytes_total{host="h1",uuid="` + u + `",name="vm-0001",target_device="vda"} 4096`,
		`libvirt_domain_block_stats_write_requests_total{host="h1",uuid="` + u + `",name="vm-0001",target_device="sda"} 0`,
		`libvirt_domain_interface_stats_receive_drops_total{host="h1",uuid="` + u + `",name="vm-0001",target_device="vnet0"} 1`,
		`libvirt_domain_interface_stats_transmit_bytes_total{host="h1",uuid="` + u + `",name="vm-0001",target_device="vnet1"} 6`,
		`libvirt_domain_memory_stats_unused_bytes{host="h1",uuid="` + u + `",name="vm-0001"} 2.68435456e+08`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("missing %q", line)
		}
	}
}
