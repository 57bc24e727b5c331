package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/problem"
)

func TestStatusOnEveryListener(t *testing.T) {
	r := start(t, testConfig(), nil)
	if !strings.HasPrefix(r.urls[EServicesName], "https://127.0.0.1:") || !strings.HasPrefix(r.urls[InternalName], "http://") {
		t.Fatalf("urls %v", r.urls)
	}
	for _, name := range []string{EServicesName, InternalName, AdminName} {
		t.Run(name, func(t *testing.T) {
			resp, body := r.call(t, "GET", r.urls[name]+"/status", nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != problem.ContentType {
				t.Fatalf("status %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var p problem.Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Status != 200 || p.Title == "" || p.Type != problem.Healthy.URI() {
				t.Fatalf("body %s", body)
			}
			if resp.Header.Get("X-Correlation-ID") == "" {
				t.Fatal("no X-Correlation-ID")
			}
			if name == EServicesName && (resp.TLS == nil || resp.TLS.PeerCertificates[0].Issuer.CommonName != r.srv.DevPKI().Root.Cert.Subject.CommonName) {
				t.Fatal("e-services not served over TLS with the dev certificate")
			}
		})
	}
	resp, body := r.call(t, "GET", r.urls[AdminName]+"/livez", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "alive") {
		t.Fatalf("livez %d %s", resp.StatusCode, body)
	}
	resp, body = r.call(t, "GET", r.urls[AdminName]+"/readyz", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ready"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
	}
	// /livez exists on admin only.
	resp, body = r.call(t, "GET", r.urls[EServicesName]+"/livez", nil)
	assertProblem(t, resp, body, 404, "not-found")
}

// badInputServer serves test routes on the internal listener with small limits.
func badInputServer(t *testing.T, handlerCtxErr chan<- error) *running {
	cfg := testConfig()
	cfg.Internal.BodyLimit = 1 << 10
	cfg.Internal.MaxHeaderSize = 4 << 10
	cfg.Internal.RequestTimeout = config.Duration(100 * time.Millisecond)
	return start(t, cfg, func(s *Server) {
		in := s.Internal()
		in.Post("/echo", RequireContentType("application/json"), func(c *fiber.Ctx) error {
			return c.Send(c.Body())
		})
		in.Get("/panic", func(c *fiber.Ctx) error { panic("boom RSSMRA80A01H501U") })
		in.Get("/slow", func(c *fiber.Ctx) error {
			<-c.UserContext().Done()
			handlerCtxErr <- c.UserContext().Err()
			return c.SendString("too late") // must not reach the caller
		})
		in.Get("/problem", func(c *fiber.Ctx) error {
			return problem.New(problem.InvalidParameter, "codiceFiscale has 15 characters, want 16")
		})
		in.Get("/plain-error", func(c *fiber.Ctx) error { return errors.New("dial tcp 10.0.0.7:6379: secret internals") })
		in.Get("/teapot", func(c *fiber.Ctx) error { return fiber.NewError(http.StatusTeapot) })
	})
}

func TestBadInputGetsProblems(t *testing.T) {
	ctxErr := make(chan error, 1)
	r := badInputServer(t, ctxErr)
	base := r.urls[InternalName]
	big := strings.Repeat("x", 4<<10)
	cases := map[string]struct {
		method, path, body string
		header             []string
		status             int
		code               string
		detail             string
	}{
		"fail/unknown-path":        {"GET", "/nope/RSSMRA80A01H501U", "", nil, 404, "not-found", "no resource at this path"},
		"fail/wrong-method":        {"GET", "/echo", "", nil, 405, "method-not-allowed", "GET is not supported on this path; allowed: POST"},
		"fail/wrong-method-status": {"DELETE", "/status", "", nil, 405, "method-not-allowed", "allowed: GET, HEAD"},
		"fail/unknown-method":      {"BREW", "/status", "", nil, 501, "method-not-implemented", ""},
		"fail/body-over-limit":     {"POST", "/echo", `{"a":"` + big + `"}`, []string{"Content-Type", "application/json"}, 413, "payload-too-large", "limit of 1KiB (1024 bytes)"},
		"fail/content-type":        {"POST", "/echo", "a=b", []string{"Content-Type", "text/plain"}, 415, "unsupported-media-type", `Content-Type "text/plain" is not supported here; send application/json`},
		"fail/no-content-type":     {"POST", "/echo", "{}", nil, 415, "unsupported-media-type", "Content-Type is missing"},
		"fail/bad-content-type":    {"POST", "/echo", "{}", []string{"Content-Type", "application/"}, 415, "unsupported-media-type", ""},
		"fail/panic":               {"GET", "/panic", "", nil, 500, "internal-panic", "quote the requestId"},
		"fail/timeout":             {"GET", "/slow", "", nil, 504, "gateway-timeout", "did not complete within 100ms"},
		"fail/handler-problem":     {"GET", "/problem", "", nil, 400, "invalid-parameter", "codiceFiscale has 15 characters"},
		"fail/plain-error":         {"GET", "/plain-error", "", nil, 500, "internal", "quote the requestId"},
		"fail/fiber-error":         {"GET", "/teapot", "", nil, 418, "bad-request", "I'm a teapot"},
		"fail/header-too-large":    {"GET", "/status", "", []string{"X-Big", strings.Repeat("h", 8<<10)}, 431, "request-header-fields-too-large", "limit of 4KiB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			var resp *http.Response
			var b []byte
			if body != nil {
				resp, b = r.call(t, tc.method, base+tc.path, body, tc.header...)
			} else {
				resp, b = r.call(t, tc.method, base+tc.path, nil, tc.header...)
			}
			p := assertProblem(t, resp, b, tc.status, tc.code)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q, want %q", p.Detail, tc.detail)
			}
			for _, leak := range []string{"secret internals", "too late", "boom", "RSSMRA80A01H501U"} {
				if strings.Contains(string(b), leak) {
					t.Fatalf("body leaks %q: %s", leak, b)
				}
			}
			if tc.status == 405 && !strings.Contains(resp.Header.Get("Allow"), strings.TrimPrefix(tc.detail[strings.LastIndex(tc.detail, " ")+1:], " ")) {
				t.Fatalf("Allow %q", resp.Header.Get("Allow"))
			}
		})
	}
	if err := <-ctxErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow handler's context ended with %v, want deadline exceeded", err)
	}
	// Accepted content types pass, with parameters and in any case.
	resp, b := r.call(t, "POST", base+"/echo", strings.NewReader(`{"ok":true}`), "Content-Type", "Application/JSON; charset=utf-8")
	if resp.StatusCode != 200 || string(b) != `{"ok":true}` {
		t.Fatalf("echo %d %s", resp.StatusCode, b)
	}
	// The panic's stack is in the log, not in the body.
	logs := r.logs.String()
	if !strings.Contains(logs, `"msg":"panic recovered"`) || !strings.Contains(logs, "server_test.go") {
		t.Fatalf("no stack in log:\n%s", logs)
	}
}

func TestCorrelationID(t *testing.T) {
	r := start(t, testConfig(), nil)
	url := r.urls[AdminName] + "/status"
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	cases := map[string]struct {
		header []string
		want   string // "" means a fresh UUID
	}{
		"ok/correlation-id":          {[]string{"X-Correlation-ID", "govway-3f2b:tx_42.1"}, "govway-3f2b:tx_42.1"},
		"ok/request-id-fallback":     {[]string{"X-Request-ID", "req-7"}, "req-7"},
		"ok/none":                    {nil, ""},
		"fail/too-long":              {[]string{"X-Correlation-ID", strings.Repeat("a", 129)}, ""},
		"fail/markup":                {[]string{"X-Correlation-ID", "<script>alert(1)</script>"}, ""},
		"fail/quote":                 {[]string{"X-Correlation-ID", `a"b`}, ""},
		"fail/spaces":                {[]string{"X-Correlation-ID", "a b"}, ""},
		"fail/non-ascii":             {[]string{"X-Correlation-ID", "idé"}, ""},
		"fail/json-injection":        {[]string{"X-Correlation-ID", `x","level":"ERROR`}, ""},
		"fail/bad-corr-good-request": {[]string{"X-Correlation-ID", "a;b", "X-Request-ID", "fallback-1"}, "fallback-1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, _ := r.call(t, "GET", url, nil, tc.header...)
			got := resp.Header.Get("X-Correlation-ID")
			if tc.want != "" && got != tc.want || tc.want == "" && !uuidRE.MatchString(got) {
				t.Fatalf("X-Correlation-ID %q, want %q", got, tc.want)
			}
		})
	}
	for _, l := range r.logs.Lines(t) {
		if id, _ := l["request_id"].(string); id != "" && !SaneRequestID(id) {
			t.Fatalf("unsafe id logged: %q", id)
		}
	}
}

func FuzzSaneRequestID(f *testing.F) {
	for _, s := range []string{"abc", "a b", "<x>", strings.Repeat("z", 200), "ü", "a\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !SaneRequestID(s) {
			return
		}
		if len(s) > maxRequestIDLength || strings.ContainsAny(s, " \t\r\n\"'<>;,\\") {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestAccessLog(t *testing.T) {
	r := start(t, testConfig(), func(s *Server) {
		s.Internal().Get("/anagrafe/:cf", func(c *fiber.Ctx) error { return c.SendString("ok") })
		s.Internal().Get("/broken", func(c *fiber.Ctx) error { return errors.New("backend pool exhausted") })
	})
	r.call(t, "GET", r.urls[InternalName]+"/broken", nil, "X-Correlation-ID", "trace-3")
	resp, _ := r.call(t, "GET", r.urls[InternalName]+"/anagrafe/RSSMRA80A01H501U?x=RSSMRA80A01H501U", nil, "X-Correlation-ID", "trace-1")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r.call(t, "GET", r.urls[InternalName]+"/missing/RSSMRA80A01H501U", nil, "X-Correlation-ID", "trace-2")
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.logs.String(), "RSSMRA80A01H501U") {
		t.Fatalf("codice fiscale from the URL reached the log:\n%s", r.logs)
	}
	got := map[string]map[string]any{}
	for _, l := range r.logs.Lines(t) {
		if l["msg"] == "request" {
			got[l["request_id"].(string)] = l
		}
	}
	ok, missing := got["trace-1"], got["trace-2"]
	if ok == nil || missing == nil {
		t.Fatalf("access lines missing:\n%s", r.logs)
	}
	for k, want := range map[string]any{"listener": "internal", "method": "GET", "route": "/anagrafe/:cf", "status": 200.0, "level": "INFO"} {
		if ok[k] != want {
			t.Errorf("%s = %v, want %v", k, ok[k], want)
		}
	}
	if _, isNum := ok["latency_ms"].(float64); !isNum {
		t.Errorf("latency_ms %v", ok["latency_ms"])
	}
	if missing["route"] != "-" || missing["status"] != 404.0 || missing["problem"] != "not-found" || missing["level"] != "INFO" {
		t.Errorf("404 line %v", missing)
	}
	if _, has := missing["cause"]; has {
		t.Errorf("404 line with a cause: %v", missing)
	}
	// A failure of the gateway itself is an ERROR line that names its cause.
	broken := got["trace-3"]
	if broken == nil || broken["status"] != 500.0 || broken["level"] != "ERROR" || broken["route"] != "/broken" ||
		broken["cause"] != "backend pool exhausted" || broken["problem"] == nil {
		t.Errorf("500 line %v", broken)
	}
	if _, has := ok["problem"]; has {
		t.Errorf("200 line with a problem: %v", ok)
	}
}

func TestHealthChecks(t *testing.T) {
	var redisUp, cacheUp atomic.Bool
	redisUp.Store(true)
	cacheUp.Store(true)
	r := start(t, testConfig(), func(s *Server) {
		s.AddHealthCheck("redis", func(ctx context.Context) error {
			if !redisUp.Load() {
				return errors.New("dial tcp 127.0.0.1:6390: connection refused")
			}
			return nil
		}, true)
		s.AddHealthCheck("jwks", func(ctx context.Context) error {
			if !cacheUp.Load() {
				return errors.New("stale keys")
			}
			return nil
		}, false)
	})
	// waitStatus polls until /status on listener answers want (reports are cached for a second).
	waitStatus := func(name string, want int) (*http.Response, []byte) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, b := r.call(t, "GET", r.urls[name]+"/status", nil)
			if resp.StatusCode == want || time.Now().After(deadline) {
				return resp, b
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	cacheUp.Store(false)
	resp, b := waitStatus(AdminName, 200)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(string(b), "jwks") && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		resp, b = r.call(t, "GET", r.urls[AdminName]+"/status", nil)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(b), "degraded, not critical: jwks") {
		t.Fatalf("non-critical failure: %d %s", resp.StatusCode, b)
	}

	redisUp.Store(false)
	resp, b = waitStatus(EServicesName, 503)
	p := assertProblem(t, resp, b, 503, "dependency-unavailable")
	if resp.Header.Get("Retry-After") != "10" || strings.Contains(p.Detail, "redis") {
		t.Fatalf("e-services 503: Retry-After %q detail %q", resp.Header.Get("Retry-After"), p.Detail)
	}
	resp, b = r.call(t, "GET", r.urls[InternalName]+"/status", nil)
	if p := assertProblem(t, resp, b, 503, "dependency-unavailable"); p.Detail != "critical dependency unavailable: redis" {
		t.Fatalf("internal detail %q", p.Detail)
	}
	resp, b = r.call(t, "GET", r.urls[AdminName]+"/readyz", nil)
	if p := assertProblem(t, resp, b, 503, "dependency-unavailable"); !strings.Contains(p.Detail, "redis: dial tcp 127.0.0.1:6390: connection refused") {
		t.Fatalf("readyz detail %q", p.Detail)
	}
	resp, _ = r.call(t, "GET", r.urls[AdminName]+"/livez", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("livez %d while a dependency is down", resp.StatusCode)
	}

	redisUp.Store(true)
	cacheUp.Store(true)
	resp, b = waitStatus(EServicesName, 200)
	if resp.StatusCode != 200 {
		t.Fatalf("no recovery: %d %s", resp.StatusCode, b)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"msg":"dependency down","check":"redis"`) || !strings.Contains(logs, `"msg":"dependency recovered","check":"redis"`) {
		t.Fatalf("transitions not logged:\n%s", logs)
	}
}

func TestHealthCheckRegistrationErrors(t *testing.T) {
	h := newHealth(nil)
	ok := func(context.Context) error { return nil }
	h.add(healthCheck{name: "a", fn: ok, critical: true})
	for name, fn := range map[string]func(){
		"duplicate": func() { h.add(healthCheck{name: "a", fn: ok, readiness: true}) },
		"empty":     func() { h.add(healthCheck{name: "", fn: ok, critical: true}) },
		"nil":       func() { h.add(healthCheck{name: "b", critical: true}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var handlerCtxErr atomic.Value
	r := start(t, testConfig(), func(s *Server) {
		s.Internal().Get("/slow", func(c *fiber.Ctx) error {
			close(entered)
			<-release
			if err := c.UserContext().Err(); err != nil {
				handlerCtxErr.Store(err)
			}
			return c.SendString("finished")
		})
	})
	url := r.urls[InternalName]
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := r.client.Get(url + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := readAll(resp)
		res <- result{resp.StatusCode, string(b), err}
	}()
	<-entered
	served := make(chan error, 1)
	go func() { served <- r.stop(t) }()

	// The listener stops accepting while the request is still in flight.
	host := strings.TrimPrefix(url, "http://")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections during shutdown")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case got := <-res:
		t.Fatalf("in-flight request ended before release: %+v", got)
	default:
	}
	close(release)
	got := <-res
	if got.err != nil || got.status != 200 || got.body != "finished" {
		t.Fatalf("in-flight request: %+v", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if v := handlerCtxErr.Load(); v != nil {
		t.Fatalf("handler context cancelled within the grace period: %v", v)
	}
	if !strings.Contains(r.logs.String(), "all requests drained") {
		t.Fatalf("logs:\n%s", r.logs)
	}
}

func TestShutdownGraceExpiresCancelsHandlers(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownGrace = config.Duration(300 * time.Millisecond)
	entered := make(chan struct{})
	r := start(t, cfg, func(s *Server) {
		s.Internal().Get("/stuck", func(c *fiber.Ctx) error {
			close(entered)
			<-c.UserContext().Done() // a well-behaved handler: it stops when told
			return c.UserContext().Err()
		})
	})
	res := make(chan *http.Response, 1)
	var body []byte
	go func() {
		resp, err := r.client.Get(r.urls[InternalName] + "/stuck")
		if err != nil {
			res <- nil
			return
		}
		body, _ = readAll(resp)
		res <- resp
	}()
	<-entered
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	resp := <-res
	if resp == nil {
		t.Fatal("no response after the grace period")
	}
	assertProblem(t, resp, body, 503, "maintenance")
	if !strings.Contains(r.logs.String(), "grace period over") {
		t.Fatalf("logs:\n%s", r.logs)
	}
}

func TestStatusWhileDraining(t *testing.T) {
	r := start(t, testConfig(), nil)
	r.srv.draining.Store(true)
	defer r.srv.draining.Store(false)
	for _, path := range []string{"/status", "/readyz"} {
		resp, b := r.call(t, "GET", r.urls[AdminName]+path, nil)
		assertProblem(t, resp, b, 503, "maintenance")
	}
}

func TestPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig()
	cfg.EServices.Address = freePort(t)
	cfg.Internal.Address = freePort(t)
	cfg.Admin.Address = busy.Addr().String()
	_, err = New(cfg, Options{RunDir: t.TempDir()})
	var be *BindError
	if !errors.As(err, &be) || be.Listener != AdminName || be.Address != cfg.Admin.Address {
		t.Fatalf("err %v", err)
	}
	want := "listeners.admin cannot listen on " + cfg.Admin.Address + ": address already in use"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "WGW_LISTENERS__ADMIN__ADDRESS") {
		t.Fatalf("message %q, want %q", err, want)
	}
	// The listeners bound before the failure were closed.
	for _, addr := range []string{cfg.EServices.Address, cfg.Internal.Address} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s still held after a failed start: %v", addr, err)
		}
		ln.Close()
	}
}

func TestReachable(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:80": "127.0.0.1:80", "[::]:80": "[::1]:80", "10.1.2.3:8": "10.1.2.3:8"} {
		a, _ := net.ResolveTCPAddr("tcp", in)
		if got := reachable(a); got != want {
			t.Errorf("reachable(%s) = %s, want %s", in, got, want)
		}
	}
}
