// Package metrics is KVM Manager's Prometheus surface: one registry of its
// own (no global state) with the VMs' libvirt_domain_* series, read from the
// inventory's last stats tick so that a scrape makes no libvirt call, and
// the server's own kvm_manager_* series. The API serves it at GET /metrics
// to the metrics role, the metrics token and admins.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Options configures Metrics. Every source is optional: one left nil adds
// none of its series.
type Options struct {
	// Inventory gives the per-VM series.
	Inventory *inventory.Inventory
	// Hosts gives the hosts' connection states at each scrape.
	Hosts func() []host.Status
	// AuditWriteFailures counts failed audit log writes so far.
	AuditWriteFailures func() uint64
	// Logger receives errors of the scrape's encoding.
	Logger *slog.Logger
}

// Metrics holds the registry and the instruments the server feeds. Its
// methods are safe on a nil *Metrics (they do nothing), so that services
// built without metrics (unit tests) need no checks.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger
	inv *inventory.Inventory

	requests      *prometheus.CounterVec
	durations     *prometheus.HistogramVec
	reconnects    *prometheus.CounterVec
	operations    *prometheus.CounterVec
	loginFailures prometheus.Counter
	scheduleRuns  *prometheus.CounterVec

	mu        sync.Mutex
	connected map[string]bool // hosts that have been connected once
}

// HostStates are the connection states the hosts gauge always reports
// (zero when no host is in one), so that alerts can compare against 0.
var hostStates = []host.State{host.Connecting, host.Connected, host.Reconnecting, host.Failed, host.Untrusted, host.HostKeyChanged}

// New builds the registry.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: opts.Logger, connected: map[string]bool{}}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kvm_manager_http_requests_total",
		Help: "API requests answered, by route pattern, method and HTTP status.",
	}, []string{"route", "method", "status"})
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kvm_manager_http_request_duration_seconds",
		Help: "Time to answer API requests, by route pattern and method (event streams and consoles last as long as they are open).",
		// From a cached list (1 ms) to a slow libvirt call (10 s).
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.reconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kvm_manager_host_reconnects_total",
		Help: "Times a host's libvirt link came back after it had been connected.",
	}, []string{"host"})
	m.operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kvm_manager_operations_total",
		Help: "Long-running operations that ended, by kind and result (succeeded, failed, canceled).",
	}, []string{"kind", "result"})
	m.loginFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kvm_manager_login_failures_total",
		Help: "Failed logins (wrong name or password, or refused while throttled).",
	})
	m.scheduleRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kvm_manager_snapshot_schedule_runs_total",
		Help: "Runs of snapshot schedules, by result (ok, failed, skipped).",
	}, []string{"result"})
	m.reg.MustRegister(m.requests, m.durations, m.reconnects, m.operations, m.loginFailures, m.scheduleRuns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.AuditWriteFailures != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "kvm_manager_audit_write_failures_total",
			Help: "Audit log writes that failed (the action went on unrecorded): check the data dir's disk.",
		}, func() float64 { return float64(opts.AuditWriteFailures()) }))
	}
	if opts.Hosts != nil {
		m.reg.MustRegister(&hostCollector{statuses: opts.Hosts})
	}
	m.inv = opts.Inventory
	return m
}

// Registry is the registry, for tests and for adding series.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry and the VMs' series in the Prometheus text
// format (version 0.0.4, which every Prometheus reads; not compressed:
// scrapes are mostly local, and compressing 2 MB of series costs more
// time than sending it).
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams, err := m.reg.Gather()
		if err != nil {
			// Gather still returns what it could: serve that, say why.
			m.log.Warn("metrics: gathering failed in part", "err", err)
		}
		w.Header().Set("Content-Type", string(textFormat))
		enc := expfmt.NewEncoder(w, textFormat)
		for _, f := range fams {
			if err := enc.Encode(f); err != nil {
				return // the scraper went away
			}
		}
		if m.inv != nil {
			_ = writeDomains(w, m.inv)
		}
	})
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// ObserveRequest counts one API request of the route pattern.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route, method).Observe(d.Seconds())
}

// LoginFailed counts one failed login.
func (m *Metrics) LoginFailed() {
	if m == nil {
		return
	}
	m.loginFailures.Inc()
}

// OperationEnded counts one ended operation.
func (m *Metrics) OperationEnded(kind, result string) {
	if m == nil {
		return
	}
	m.operations.WithLabelValues(kind, result).Inc()
}

// ScheduleRun counts one VM run of a snapshot schedule by its state
// ("succeeded", "failed" or "skipped", as the scheduler reports it); the
// series appears with the first run.
func (m *Metrics) ScheduleRun(result string) {
	if m == nil {
		return
	}
	m.scheduleRuns.WithLabelValues(result).Inc()
}

// AddStreams reports the open event streams and consoles at each scrape,
// as the API counts them.
func (m *Metrics) AddStreams(open func() (events, consoles int)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kvm_manager_open_event_streams",
			Help: "Server-Sent Event streams open now.",
		}, func() float64 { e, _ := open(); return float64(e) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kvm_manager_open_consoles",
			Help: "Graphical and serial consoles open now.",
		}, func() float64 { _, c := open(); return float64(c) }),
	)
}

// HostObserver counts reconnects: give it to every host with the other
// observers.
func (m *Metrics) HostObserver() host.Observer { return reconnectObserver{m} }

type reconnectObserver struct{ m *Metrics }

func (reconnectObserver) Connected(context.Context, *host.Host, virt.Conn) {}
func (reconnectObserver) Lifecycle(*host.Host, host.LifecycleEvent)        {}

// StateChanged counts a host's return to connected after its first link.
func (o reconnectObserver) StateChanged(h *host.Host, s host.Status) {
	if o.m == nil || s.State != host.Connected {
		return
	}
	o.m.mu.Lock()
	again := o.m.connected[s.Name]
	o.m.connected[s.Name] = true
	o.m.mu.Unlock()
	if again {
		o.m.reconnects.WithLabelValues(s.Name).Inc()
	} else {
		// The series exists from the first link on, at 0, so that
		// increase() and alerts see the first reconnect.
		o.m.reconnects.WithLabelValues(s.Name).Add(0)
	}
}

// hostCollector reports the hosts by state, and each host's link.
type hostCollector struct {
	statuses func() []host.Status
}

var (
	hostsDesc = prometheus.NewDesc("kvm_manager_hosts", "Configured hosts by connection state.", []string{"state"}, nil)
	upDesc    = prometheus.NewDesc("kvm_manager_host_connected", "1 when the host's libvirt link is connected, else 0.", []string{"host", "state"}, nil)
)

func (c *hostCollector) Describe(ch chan<- *prometheus.Desc) { ch <- hostsDesc; ch <- upDesc }

func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[host.State]int{}
	for _, st := range hostStates {
		counts[st] = 0
	}
	for _, s := range c.statuses() {
		counts[s.State]++
		up := 0.0
		if s.State == host.Connected {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, s.Name, string(s.State))
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(hostsDesc, prometheus.GaugeValue, float64(n), string(st))
	}
}
