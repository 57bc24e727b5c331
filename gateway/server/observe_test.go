package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// recordingObserver records Begin and End calls.
type recordingObserver struct {
	mu     sync.Mutex
	begins int
	ends   []observed
}

type observed struct {
	listener, route string
	status          int
	sameCtx         bool
}

type obsKey struct{}

func (o *recordingObserver) Begin(parent context.Context, listener string, c *fiber.Ctx) context.Context {
	o.mu.Lock()
	o.begins++
	o.mu.Unlock()
	return context.WithValue(parent, obsKey{}, listener+" "+c.Method())
}

func (o *recordingObserver) End(ctx context.Context, listener string, c *fiber.Ctx, route string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ends = append(o.ends, observed{listener, route, status, ctx.Value(obsKey{}) == listener+" "+c.Method()})
}

// TestObserverSeesEveryRequest: one Begin and one End per request on every listener, with the route
// pattern (never the raw path), the status sent, and the context Begin returned, including requests
// refused before routing (404, 413, 501) and handlers that fail; the handler's context derives
// from Begin's.
func TestObserverSeesEveryRequest(t *testing.T) {
	obs := &recordingObserver{}
	cfg := testConfig()
	cfg.Internal.BodyLimit = 64
	var sawCtx bool
	r := startOpts(t, cfg, Options{Observer: obs}, func(s *Server) {
		s.Internal().Get("/anagrafe/:cf", func(c *fiber.Ctx) error {
			sawCtx = c.UserContext().Value(obsKey{}) == "internal GET"
			return c.SendString("ok")
		})
		s.Internal().Post("/fail", func(c *fiber.Ctx) error { return errors.New("boom") })
	})
	cf := "RSSMRA80A01H501U"
	r.call(t, "GET", r.urls["internal"]+"/anagrafe/"+cf, nil)
	r.call(t, "GET", r.urls["internal"]+"/nothing/"+cf, nil)
	r.call(t, "POST", r.urls["internal"]+"/fail", strings.NewReader(strings.Repeat("x", 100)), "Content-Type", "text/plain")
	r.call(t, "POST", r.urls["internal"]+"/fail", strings.NewReader("{}"), "Content-Type", "text/plain")
	r.call(t, "BREW", r.urls["admin"]+"/status", nil)
	r.call(t, "GET", r.urls["eservices"]+"/status", nil)
	r.stop(t)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.begins != len(obs.ends) || len(obs.ends) != 6 {
		t.Fatalf("%d Begin, %d End, want 6 each: %+v", obs.begins, len(obs.ends), obs.ends)
	}
	want := []observed{
		{"internal", "/anagrafe/:cf", 200, true}, {"internal", "", 404, true}, {"internal", "", 413, true},
		{"internal", "/fail", 500, true}, {"admin", "", 501, true}, {"eservices", "/status", 200, true},
	}
	for i, w := range want {
		if obs.ends[i] != w {
			t.Errorf("request %d: %+v, want %+v", i, obs.ends[i], w)
		}
	}
	if !sawCtx {
		t.Error("the handler's context does not derive from the observer's")
	}
}

// TestMaintenanceDrain: while drained, the e-service listener answers 503 maintenance with the
// operator's Retry-After (its /status too), /readyz fails, the internal and admin listeners serve;
// after Undrain everything is back.
func TestMaintenanceDrain(t *testing.T) {
	r := start(t, testConfig(), func(s *Server) {
		s.EServices().Get("/rest/x/v1/ricerca", func(c *fiber.Ctx) error { return c.SendString("ok") })
		s.Internal().Get("/api/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	})
	if _, ok := r.srv.Maintenance(); ok {
		t.Fatal("drained at start")
	}
	m := r.srv.Drain("kernel upgrade", 90*time.Second)
	if m.Reason != "kernel upgrade" || m.Since.IsZero() {
		t.Fatalf("%+v", m)
	}
	for _, path := range []string{"/rest/x/v1/ricerca", "/status"} {
		resp, body := r.call(t, "GET", r.urls["eservices"]+path, nil)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "90" || !strings.Contains(string(body), `"code":"maintenance"`) {
			t.Errorf("e-services %s while drained: %d %q %s", path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if resp, body := r.call(t, "GET", r.urls["admin"]+"/readyz", nil); resp.StatusCode != 503 || !strings.Contains(string(body), "kernel upgrade") {
		t.Errorf("/readyz while drained: %d %s", resp.StatusCode, body)
	}
	for _, u := range []string{r.urls["internal"] + "/api/x", r.urls["admin"] + "/livez", r.urls["admin"] + "/status"} {
		if resp, body := r.call(t, "GET", u, nil); resp.StatusCode != 200 {
			t.Errorf("%s while drained: %d %s", u, resp.StatusCode, body)
		}
	}
	if !r.srv.Undrain() || r.srv.Undrain() {
		t.Error("Undrain does not report the drain it ended, once")
	}
	if resp, body := r.call(t, "GET", r.urls["eservices"]+"/rest/x/v1/ricerca", nil); resp.StatusCode != 200 {
		t.Errorf("after Undrain: %d %s", resp.StatusCode, body)
	}
	if resp, _ := r.call(t, "GET", r.urls["admin"]+"/readyz", nil); resp.StatusCode != 200 {
		t.Errorf("/readyz after Undrain: %d", resp.StatusCode)
	}
}

// TestReadinessCheck: a readiness check fails /readyz but leaves /status at 200 (degraded).
func TestReadinessCheck(t *testing.T) {
	r := start(t, testConfig(), func(s *Server) {
		s.AddReadinessCheck("pdnd-jwks-age", func(context.Context) error { return errors.New("fetched 7h ago") })
	})
	if resp, body := r.call(t, "GET", r.urls["admin"]+"/readyz", nil); resp.StatusCode != 503 || !strings.Contains(string(body), "pdnd-jwks-age: fetched 7h ago") {
		t.Errorf("/readyz: %d %s", resp.StatusCode, body)
	}
	if resp, body := r.call(t, "GET", r.urls["admin"]+"/status", nil); resp.StatusCode != 200 || !strings.Contains(string(body), "degraded") {
		t.Errorf("/status: %d %s", resp.StatusCode, body)
	}
	if resp, body := r.call(t, "GET", r.urls["eservices"]+"/status", nil); resp.StatusCode != 200 || strings.Contains(string(body), "jwks") {
		t.Errorf("e-services /status names an internal check: %d %s", resp.StatusCode, body)
	}
	h := r.srv.Health()
	if len(h) != 1 || h[0].OK || !h[0].Readiness || h[0].Critical {
		t.Errorf("Health(): %+v", h)
	}
}
