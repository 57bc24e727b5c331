package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/logging/logtest"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/server"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loopbackConfig binds the three listeners to free ports and keeps run files in a temp dir.
func loopbackConfig(t *testing.T, extra string) *Config {
	t.Helper()
	cfg, err := Load(writeConfig(t, `
run_dir: `+t.TempDir()+`
listeners:
  eservices: {address: "127.0.0.1:0"}
  internal: {address: "127.0.0.1:0"}
  admin: {address: "127.0.0.1:0"}
`+extra), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoadReportsEveryProblem(t *testing.T) {
	path := writeConfig(t, `
log: {level: loud}
listeners:
  admin:
    adress: 127.0.0.1:9191
  internal:
    request_timeout: 30
    body_limit: 1MB
store:
  backend: redis
  redis: {url: "http://127.0.0.1:6379"}
`)
	_, err := Load(path, []string{"WGW_LISTENERS__ADMIN__PORT=1", "WGW_LOG__LEVEL=debug"})
	var inv *config.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"listeners.admin.adress", "listeners.internal.request_timeout", "listeners.internal.body_limit",
		"WGW_LISTENERS__ADMIN__PORT", "store.redis.url", "cache.key",
	}
	if got := inv.Fields(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("fields %v, want %v\n%v", got, want, err)
	}
	// WGW_LOG__LEVEL=debug overrode the file's bad level, so log.level is not a problem.
	if !strings.Contains(err.Error(), `listeners.admin.adress: unknown key (did you mean "address"?) at `+path+":5") {
		t.Fatalf("message:\n%v", err)
	}
}

func TestRunServesStatusAndStops(t *testing.T) {
	cfg := loopbackConfig(t, "")
	logs := &logtest.Buffer{}
	a, err := New(cfg, Options{LogOutput: logs, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	client := devClient(t, a.DevRootFile())
	for _, e := range a.Endpoints() {
		if status, body := get(t, client, e.URL+"/status"); status != 200 || !strings.Contains(body, `"status":200`) {
			t.Fatalf("%s /status: %d %s", e.Name, status, body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("logs:\n%s", logs)
	}
}

func TestNewFailureClosesWhatWasBuilt(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	e, i := freeAddr(t), freeAddr(t)
	cfg := loopbackConfig(t, "")
	cfg.Listeners.EServices.Address, cfg.Listeners.Internal.Address = e, i
	cfg.Listeners.Admin.Address = busy.Addr().String()
	_, err = New(cfg, Options{LogOutput: io.Discard})
	var be *server.BindError
	if !errors.As(err, &be) || be.Listener != "admin" {
		t.Fatalf("err = %v", err)
	}
	for _, addr := range []string{e, i} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s still held: %v", addr, err)
		}
		ln.Close()
	}
}

func TestCloseInReverseOrderReportingEveryFailure(t *testing.T) {
	var order []string
	a := &App{}
	for _, name := range []string{"store", "cache", "listeners"} {
		a.onClose(name, func() error {
			order = append(order, name)
			if name != "cache" {
				return errors.New(name + " broke")
			}
			return nil
		})
	}
	err := a.Close()
	if strings.Join(order, ",") != "listeners,cache,store" {
		t.Fatalf("order %v", order)
	}
	if err == nil || !strings.Contains(err.Error(), "app: closing listeners: listeners broke") || !strings.Contains(err.Error(), "app: closing store: store broke") {
		t.Fatalf("err %v", err)
	}
	if a.Close() != nil || len(order) != 3 {
		t.Fatal("second Close ran the closers again")
	}
}

// TestRedisDownAtStartThenRecovers starts the gateway with Redis configured on a port where
// nothing listens yet: it must start, answer 503 on /status with Retry-After, and return to 200
// once a Redis server (a throwaway one started here, never the system's) answers.
func TestRedisDownAtStartThenRecovers(t *testing.T) {
	redisAddr := freeAddr(t)
	t.Setenv("WGW_TEST_CACHE_KEY", "a-test-secret-of-at-least-32-bytes-length")
	cfg := loopbackConfig(t, "store: {backend: redis, redis: {url: \"redis://"+redisAddr+"/4\"}}\n"+
		"cache: {key: {env: WGW_TEST_CACHE_KEY}}\n")
	logs := &logtest.Buffer{}
	a, err := New(cfg, Options{LogOutput: logs})
	if err != nil {
		t.Fatalf("the gateway must start with Redis down: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	client := devClient(t, a.DevRootFile())

	for _, e := range a.Endpoints() {
		resp, body := getResp(t, client, e.URL+"/status")
		var p problem.Problem
		_ = json.Unmarshal([]byte(body), &p)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || p.Type != problem.DependencyDown.URI() ||
			resp.Header.Get("Content-Type") != problem.ContentType {
			t.Fatalf("%s /status with Redis down: %d Retry-After %q %s", e.Name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}

	admin := a.Endpoints()[2].URL
	if status, body := get(t, client, admin+"/readyz"); status != 503 || !strings.Contains(body, "redis") {
		t.Fatalf("/readyz with Redis down: %d %s", status, body)
	}
	if status, body := get(t, client, admin+"/livez"); status != 200 {
		t.Fatalf("/livez with Redis down: %d %s (the process is alive)", status, body)
	}
	if _, body := get(t, client, admin+"/metrics"); !strings.Contains(body, `wgw_store_up{backend="redis"} 0`) {
		t.Fatalf("/metrics with Redis down does not say so:\n%s", body)
	}

	startRedis(t, redisAddr)
	for _, e := range a.Endpoints() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, body := get(t, client, e.URL+"/status")
			if status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s /status did not recover: %d %s", e.Name, status, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if status, body := get(t, client, admin+"/readyz"); status != 200 {
		t.Fatalf("/readyz after Redis came back: %d %s", status, body)
	}
	if _, body := get(t, client, admin+"/metrics"); !strings.Contains(body, `wgw_store_up{backend="redis"} 1`) {
		t.Fatalf("/metrics after Redis came back:\n%s", body)
	}
	if !strings.Contains(logs.String(), `"msg":"dependency recovered","check":"redis"`) {
		t.Fatalf("logs:\n%s", logs)
	}
}

// startRedis runs a throwaway redis-server on addr, stopped when the test ends.
func startRedis(t *testing.T, addr string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: this test starts its own throwaway Redis (install the redis-server package; .ci/run needs it too)")
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func devClient(t *testing.T, rootFile string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if rootFile != "" {
		pem, err := os.ReadFile(rootFile)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("dev root %s: %v", rootFile, err)
		}
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func getResp(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, body := getResp(t, c, url)
	return resp.StatusCode, body
}
