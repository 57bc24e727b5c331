package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/logging"
	"github.com/welfaregov/gateway/gateway/logging/logtest"
	"github.com/welfaregov/gateway/gateway/problem"
)

// testConfig binds every listener to a free loopback port.
func testConfig() Config {
	return Config{
		EServices: Listener{Address: "127.0.0.1:0"},
		Internal:  Listener{Address: "127.0.0.1:0"},
		Admin:     Listener{Address: "127.0.0.1:0"},
	}
}

// running is a started Server with clients for it.
type running struct {
	srv    *Server
	logs   *logtest.Buffer
	client *http.Client // trusts the dev root
	cancel context.CancelFunc
	done   chan error
	urls   map[string]string
}

// start builds a Server from cfg, lets setup add routes and checks, and serves until the test ends.
func start(t *testing.T, cfg Config, setup func(*Server)) *running {
	t.Helper()
	if err := checkErr(cfg); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return startOpts(t, cfg, Options{}, setup)
}

// startOpts is start with Options (an Observer); the logger and run directory are the test's.
func startOpts(t *testing.T, cfg Config, opts Options, setup func(*Server)) *running {
	t.Helper()
	logs := &logtest.Buffer{}
	opts.Logger, opts.RunDir = slog.New(logging.NewHandler(logs, slog.LevelDebug)), t.TempDir()
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: srv, logs: logs, cancel: cancel, done: make(chan error, 1), urls: map[string]string{}}
	go func() { r.done <- srv.Serve(ctx) }()
	for _, e := range srv.Endpoints() {
		r.urls[e.Name] = e.URL
	}
	pool := x509.NewCertPool()
	if dev := srv.DevPKI(); dev != nil {
		pool.AddCert(dev.Root.Cert)
	}
	r.client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(func() {
		r.stop(t)
		r.client.CloseIdleConnections()
	})
	return r
}

// stop asks Serve to shut down and waits for it; safe to call twice.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("Serve did not return")
	}
	return nil
}

func checkErr(cfg Config) error {
	ck := config.NewChecker()
	cfg.Check(ck)
	return ck.Err()
}

// call sends a request and returns the response with its body read.
func (r *running) call(t *testing.T, method, url string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// assertProblem checks an error response: status, problem+json, type code, the request id echoed
// in header and body, and no internals (stack frames, Go error text) in the body.
func assertProblem(t *testing.T, resp *http.Response, body []byte, status int, code string) problem.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q, want %q; body %s", ct, problem.ContentType, body)
	}
	var p problem.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body is not a problem: %s", body)
	}
	if p.Type != problem.BaseURI+code || p.Status != status || p.Title == "" || p.Code == "" {
		t.Fatalf("problem %+v, want type %s status %d", p, code, status)
	}
	if id := resp.Header.Get("X-Correlation-ID"); id == "" || id != p.RequestID {
		t.Fatalf("X-Correlation-ID %q, body requestId %q", id, p.RequestID)
	}
	for _, leak := range []string{"goroutine", ".go:", "runtime.", "panic("} {
		if strings.Contains(string(body), leak) {
			t.Fatalf("body leaks %q: %s", leak, body)
		}
	}
	return p
}

// freePort reserves a loopback port and releases it for the caller to bind.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
