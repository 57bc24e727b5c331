package eservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/tracing"
)

const tenant = "11111111-1111-4111-8111-111111111111"

// stubAuth admits "Authorization: Bearer good" with a fixed voucher and refuses anything else
// with voucher.missing: the chain's own behaviour, without PDND.
type stubAuth struct{}

func (stubAuth) Authenticate(_ context.Context, r *modi.Request) (*modi.Result, eservice.Match, error) {
	if r.Header.Get("Authorization") != "Bearer good" {
		return &modi.Result{}, eservice.Match{}, secerr.New(secerr.Voucher, secerr.Missing, "no voucher")
	}
	v := &pdnd.Voucher{ClientID: "client-1", ConsumerID: "consumer-1", PurposeID: "22222222-2222-4222-8222-222222222222",
		JTI: "33333333-3333-4333-8333-333333333333"}
	return &modi.Result{Voucher: v}, eservice.Match{Tenant: tenant}, nil
}

// recorder is an audit and a tracing sink that remembers what it got.
type recorder struct {
	mu      sync.Mutex
	records []audit.Record
	counted []tracing.Call
	fail    error
}

func (r *recorder) Append(_ context.Context, rec *audit.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.records = append(r.records, *rec)
	return nil
}

func (r *recorder) Count(_ context.Context, c tracing.Call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counted = append(r.counted, c)
	return nil
}

func (r *recorder) last(t *testing.T) audit.Record {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.records) == 0 {
		t.Fatal("no audit record")
	}
	return r.records[len(r.records)-1]
}

func (r *recorder) sizes() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.records), len(r.counted)
}

// serve runs an e-service listener with the chains of specs, returning its base URL.
func serve(t *testing.T, rec *recorder, specs ...eservice.Spec) string {
	t.Helper()
	srv, err := server.New(server.Config{
		EServices: server.Listener{Address: "127.0.0.1:0", TLS: server.TLS{Mode: server.TLSOff}, RequestTimeout: config.Duration(300 * time.Millisecond)},
		Internal:  server.Listener{Address: "127.0.0.1:0"},
		Admin:     server.Listener{Address: "127.0.0.1:0"},
	}, server.Options{Logger: slog.New(slog.DiscardHandler), RunDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	deps := eservice.Deps{Store: sectest.NewMemory(t), Audit: rec, Tracing: rec}
	for _, s := range specs {
		c, err := eservice.Build(s, deps)
		if err != nil {
			t.Fatal(err)
		}
		c.Register(srv.EServices())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv.Endpoints()[0].URL
}

func stubSpec(name, mount string, routes ...eservice.Route) eservice.Spec {
	return eservice.Spec{Name: name, Authenticator: stubAuth{}, DefaultMount: mount, PublicBase: "https://api.example.it",
		Settings: eservice.Settings{RateLimit: eservice.RateLimit{Requests: 5, Period: config.Duration(time.Hour)}, BodyLimit: 64},
		Contract: []byte("openapi: 3.0.3\nservers:\n- url: x\n  description: y\npaths: {}\n"), Routes: routes}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func get(t *testing.T, method, url, auth, body string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(b, &r.body)
	return r
}

// TestChain: the order and the pass-throughs of the chain, and what every answer carries.
func TestChain(t *testing.T) {
	rec := &recorder{}
	var seen *eservice.Caller
	routes := []eservice.Route{
		{Method: "GET", Path: "/ok", OperationID: "leggi", Handler: func(c *fiber.Ctx) error {
			seen = eservice.CallerFrom(c.UserContext())
			return c.JSON(map[string]string{"esito": "ok"})
		}},
		{Method: "GET", Path: "/panic", OperationID: "esplodi", Handler: func(*fiber.Ctx) error { panic("boom") }},
		{Method: "GET", Path: "/slow", OperationID: "lento", Handler: func(c *fiber.Ctx) error {
			<-c.UserContext().Done()
			return c.UserContext().Err()
		}},
		{Method: "POST", Path: "/items/:id", OperationID: "scrivi", Handler: func(c *fiber.Ctx) error { return c.SendStatus(204) }},
	}
	base := serve(t, rec, stubSpec("prova", "/rest/prova/v1", routes...), func() eservice.Spec {
		s := stubSpec("minimo", "/rest/minimo/v1")
		s.MinimalProblems = true
		return s
	}())
	mount := base + "/rest/prova/v1"

	t.Run("accepted", func(t *testing.T) {
		r := get(t, "GET", mount+"/ok", "Bearer good", "")
		if r.status != 200 || seen == nil || seen.Voucher.ClientID != "client-1" || seen.Tenant != tenant {
			t.Fatalf("%d, caller %+v", r.status, seen)
		}
		if r.header.Get(eservice.HeaderLimit) != "5" || r.header.Get(eservice.HeaderRemaining) != "4" {
			t.Fatalf("rate-limit headers %v", r.header)
		}
		a := rec.last(t)
		if a.Outcome != audit.OutcomeOK || a.Operation != "leggi" || a.Status != 200 || a.ClientID != "client-1" || a.RequestID != r.header.Get("X-Correlation-ID") {
			t.Fatalf("record %+v", a)
		}
	})
	t.Run("refused-before-the-limiter", func(t *testing.T) {
		n, counted := rec.sizes()
		r := get(t, "GET", mount+"/ok", "", "")
		if r.status != 401 || r.body["code"] != "voucher.missing" {
			t.Fatalf("%d %v", r.status, r.body)
		}
		if r.header.Get(eservice.HeaderRemaining) != "5" || r.header.Get(eservice.HeaderReset) != "0" {
			t.Fatalf("a call counted against no bucket reports the full limit: %v", r.header)
		}
		if a := rec.last(t); a.Outcome != "voucher.missing" || a.Status != 401 || a.ClientID != "" || a.Operation != "leggi" {
			t.Fatalf("record %+v", a)
		}
		if n2, c2 := rec.sizes(); n2 != n+1 || c2 != counted {
			t.Fatalf("records %d→%d, tracing %d→%d: refused without a voucher is recorded, not traced", n, n2, counted, c2)
		}
	})
	t.Run("path-parameter-operation", func(t *testing.T) {
		if r := get(t, "POST", mount+"/items/7", "Bearer good", ""); r.status != 204 || rec.last(t).Operation != "scrivi" {
			t.Fatalf("%d, %s", r.status, rec.last(t).Operation)
		}
	})
	t.Run("unknown-path-under-mount", func(t *testing.T) {
		r := get(t, "GET", mount+"/nothing", "Bearer good", "")
		if r.status != 404 || rec.last(t).Operation != "GET /rest/prova/v1/*" {
			t.Fatalf("%d, %s", r.status, rec.last(t).Operation)
		}
	})
	t.Run("mount-boundary", func(t *testing.T) {
		n, _ := rec.sizes()
		r := get(t, "GET", base+"/rest/prova/v10/ok", "", "")
		if n2, _ := rec.sizes(); r.status != 404 || r.header.Get(eservice.HeaderLimit) != "" || n2 != n {
			t.Fatalf("/rest/prova/v10 went through /rest/prova/v1's chain: %d %v", r.status, r.header)
		}
	})
	t.Run("open-endpoints", func(t *testing.T) {
		n, _ := rec.sizes()
		if r := get(t, "GET", mount+"/status", "", ""); r.status != 200 || r.header.Get(eservice.HeaderLimit) != "5" {
			t.Fatalf("/status %d %v", r.status, r.header)
		}
		resp, err := http.Get(mount + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `url: "https://api.example.it/rest/prova/v1"`) || resp.Header.Get("Content-Type") != eservice.ContractMediaType {
			t.Fatalf("contract %d %s", resp.StatusCode, b)
		}
		if n2, _ := rec.sizes(); n2 != n {
			t.Fatal("/status and the contract are not e-service calls: they must not be audited")
		}
	})
	t.Run("body-limit", func(t *testing.T) {
		r := get(t, "POST", mount+"/items/7", "Bearer good", strings.Repeat("x", 65))
		if r.status != 413 || rec.last(t).Outcome != "payload-too-large" {
			t.Fatalf("%d %v", r.status, r.body)
		}
	})
	t.Run("panic-is-recorded", func(t *testing.T) {
		if r := get(t, "GET", mount+"/panic", "Bearer good", ""); r.status != 500 || rec.last(t).Outcome != "internal-panic" || rec.last(t).Status != 500 {
			t.Fatalf("%d, record %+v", r.status, rec.last(t))
		}
	})
	t.Run("timeout-is-recorded", func(t *testing.T) {
		if r := get(t, "GET", mount+"/slow", "Bearer good", ""); r.status != 504 || rec.last(t).Outcome != "gateway-timeout" || rec.last(t).Status != 504 {
			t.Fatalf("%d, record %+v", r.status, rec.last(t))
		}
	})
	t.Run("minimal-problems", func(t *testing.T) {
		r := get(t, "GET", base+"/rest/minimo/v1/x", "", "")
		if r.status != 401 || r.body["code"] != nil || r.body["requestId"] != nil || r.body["type"] == nil {
			t.Fatalf("minimal problem %d %v", r.status, r.body)
		}
	})
	t.Run("no-record-no-answer", func(t *testing.T) {
		rec.mu.Lock()
		rec.fail = errors.New("disk full")
		rec.mu.Unlock()
		defer func() { rec.mu.Lock(); rec.fail = nil; rec.mu.Unlock() }()
		r := get(t, "GET", mount+"/ok", "Bearer good", "")
		if r.status != 503 || r.body["code"] != "audit-unavailable" || r.header.Get("Retry-After") == "" || r.header.Get(eservice.HeaderLimit) != "5" {
			t.Fatalf("a call whose record failed: %d %v", r.status, r.body)
		}
	})
	t.Run("rate-limit", func(t *testing.T) {
		var last reply
		for range 5 {
			last = get(t, "GET", mount+"/ok", "Bearer good", "")
		}
		if last.status != 429 || last.body["code"] != "rate-limited" || last.header.Get("Retry-After") == "" || last.header.Get(eservice.HeaderRemaining) != "0" {
			t.Fatalf("%d %v %v", last.status, last.body, last.header)
		}
		if a := rec.last(t); a.Outcome != "rate-limited" || a.Status != 429 {
			t.Fatalf("record %+v", a)
		}
	})
}
