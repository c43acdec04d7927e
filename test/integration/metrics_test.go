//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// TestMetricsPrometheus scrapes GET /metrics of a real server with a real
// Prometheus (Debian's package) that carries the metrics token, while a
// guest with a disk and a NIC runs, and checks that every query of every
// panel of docs/grafana-dashboard.json returns data through Prometheus's
// HTTP API; promtool checks a scrape; the metrics are refused without a
// credential and to a viewer-level token.
func TestMetricsPrometheus(t *testing.T) {
	for _, bin := range []string{"prometheus", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: apt-get install prometheus (scripts/test.sh does)", bin)
		}
	}
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "metrics-token")
	metricsToken := "metrics-" + randHex(16)
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The guest has a NIC, so it runs on the network namespace's libvirtd
	// (netns_test.go): no test gives a guest a network outside it.
	r := netns(t)
	s, err := testrig.Start(serverBin, []string{"--host", "local=" + r.uri, "--metrics-token-file", tokenFile, "--stats-interval", "500ms"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.LogTail(30))
		}
		_, _ = s.Stop()
		s.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}

	// A running guest with a disk and a NIC (on a network of the test's
	// own), and one operation (an offline snapshot) before it starts.
	n, _ := netCreate(t, r, "isolated", true)
	g := r.defineGuest(t, testguest.Options{Network: n.Name})
	do := func(method, path string, body any) (int, []byte) {
		st, b, err := s.Do(context.Background(), method, path, body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return st, b
	}
	waitFor(t, 20*time.Second, "the server to list "+g.Name, func() bool {
		st, _ := do("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil)
		return st == 200
	})
	st, b := do("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/snapshots", map[string]any{"name": "metrics-1"})
	var op struct{ ID, State string }
	if err := json.Unmarshal(b, &op); st != 202 || err != nil || op.ID == "" {
		t.Fatalf("snapshot: %d %s", st, b)
	}
	waitFor(t, 30*time.Second, "the snapshot operation to end", func() bool {
		_, b := do("GET", "/api/v1/operations/"+op.ID, nil)
		return json.Unmarshal(b, &op) == nil && op.State != "running"
	})
	if st, b := do("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/start", nil); st != 200 && st != 202 {
		t.Fatalf("start: %d %s", st, b)
	}

	// Who may read the metrics.
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := get(""); st != 401 {
		t.Errorf("GET /metrics without a credential: %d, want 401", st)
	}
	if st, _ := get(metricsToken); st != 200 {
		t.Errorf("GET /metrics with the metrics token: %d", st)
	}
	if st, b := do("GET", "/api/v1/vms", nil); st != 200 {
		t.Errorf("the API token (admin) reads VMs: %d %s", st, b)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/vms", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 {
		t.Errorf("the metrics token reads the VM list: %v %v, want 403", res.StatusCode, err)
	} else {
		res.Body.Close()
	}

	// Prometheus, on a free loopback port, scraping every second.
	promPort := freePort(t)
	target := strings.TrimPrefix(s.URL, "http://")
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: kvm-manager
    static_configs: [{targets: [%q]}]
    authorization: {credentials_file: %q}
`, target, tokenFile)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var promLog bytes.Buffer
	prom := exec.Command("prometheus", "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address=127.0.0.1:"+promPort, "--log.level=warn")
	prom.Stdout, prom.Stderr = &promLog, &promLog
	prom.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Signal(syscall.SIGTERM)
		_ = prom.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", promLog.String())
		}
	})
	promURL := "http://127.0.0.1:" + promPort
	query := func(q string) (int, error) {
		res, err := http.Get(promURL + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		var r struct {
			Status string
			Error  string
			Data   struct{ Result []json.RawMessage }
		}
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			return 0, err
		}
		if r.Status != "success" {
			return 0, fmt.Errorf("%s", r.Error)
		}
		return len(r.Data.Result), nil
	}

	// Every panel's queries, as the dashboard has them.
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	data, err := os.ReadFile(filepath.Join(testrig.ModuleRoot(), "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	var exprs, titles []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs, titles = append(exprs, tg.Expr), append(titles, p.Title)
		}
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(exprs))
	}
	// A series of our own guest (by UUID) shows Prometheus stores its
	// per-VM series; rates need two scrapes of a running VM.
	own := fmt.Sprintf(`libvirt_domain_interface_stats_receive_packets_total{uuid=%q}`, g.UUID)
	pending := append([]string{own}, exprs...)
	deadline := time.Now().Add(60 * time.Second)
	var lastErr map[string]string
	for len(pending) > 0 && time.Now().Before(deadline) {
		lastErr = map[string]string{}
		var still []string
		for _, q := range pending {
			n, err := query(q)
			if err != nil || n == 0 {
				still = append(still, q)
				lastErr[q] = fmt.Sprint(n, " series, ", err)
			}
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	for _, q := range pending {
		title := "(own guest)"
		for i, e := range exprs {
			if e == q {
				title = titles[i]
			}
		}
		t.Errorf("panel %q: query %s returned no data within 60 s (%s)", title, q, lastErr[q])
	}

	// promtool's lint of one scrape: names, types, help, units.
	st, body := get(metricsToken)
	if st != 200 {
		t.Fatalf("scrape: %d", st)
	}
	lint := exec.Command("promtool", "check", "metrics")
	lint.Stdin = strings.NewReader(body)
	if out, err := lint.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	for _, want := range []string{
		`libvirt_domain_block_stats_read_bytes_total{host="local",uuid="` + g.UUID + `",name="` + g.Name + `",target_device="vdb"}`,
		`libvirt_domain_info_state{host="local",uuid="` + g.UUID + `",name="` + g.Name + `"} 1`,
		`kvm_manager_operations_total{kind="snapshot-create",result="succeeded"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %s", want)
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
