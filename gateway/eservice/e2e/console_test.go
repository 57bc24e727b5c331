package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/internal/opstest"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/logging/logtest"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// consoleUpstream is an upstream e-service on loopback that records the traceparent it receives.
type consoleUpstream struct {
	mu          sync.Mutex
	traceparent []string
	fail        bool
}

func (u *consoleUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.traceparent = append(u.traceparent, r.Header.Get("Traceparent"))
	fail := u.fail
	u.mu.Unlock()
	if fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// opConsulta is the operation the test calls on its upstream.
var opConsulta = &adapter.Operation{Name: "Consulta", Idempotent: true}

// consoleWorld is a gateway with e-services, an upstream, traces to an in-process collector, and a
// fast dashboard: what TestOperatorsConsole and its parts look at.
type consoleWorld struct {
	*world
	g        *gateway
	up       *consoleUpstream
	upURL    string
	otlp     *opstest.Receiver
	logs     *logtest.Buffer
	cf       string
	consumer *consumer
}

func newConsoleWorld(t *testing.T) *consoleWorld {
	t.Helper()
	cw := &consoleWorld{world: newWorld(t), up: &consoleUpstream{}, otlp: opstest.NewReceiver(t), logs: &logtest.Buffer{}}
	hs := httptest.NewServer(cw.up)
	t.Cleanup(hs.Close)
	cw.upURL = hs.URL
	cw.writeFile("otel-auth", "Bearer collector-secret")
	extra := fmt.Sprintf(`upstreams:
  registro:
    base_url: %s
    auth: none
    daily_quota: 500
    operations: {Consulta: {}}
    retry: {max_attempts: 2}
telemetry:
  traces: {enabled: true, endpoint: %s, headers: {Authorization: {file: %s/otel-auth}}}
`, hs.URL, cw.otlp.URL, cw.dir)
	text := strings.Replace(cw.config(memoryStore(), extra), "log: {level: warn}", "log: {level: info}", 1)
	cw.g = cw.startWith(t, text, app.Options{LogOutput: cw.logs, Version: "e2e", DashboardInterval: 150 * time.Millisecond})
	cw.cf, _ = subject(t, cw.pop)
	cw.consumer = cw.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
	return cw
}

// traffic sends an accepted call, a refused one (no Agid-JWT-Signature), a request with a codice
// fiscale in its path on the internal listener, and upstream calls (one failing).
func (cw *consoleWorld) traffic(t *testing.T) {
	t.Helper()
	_, on := subject(t, cw.pop)
	if a := cw.consumer.call(t, cw.g, "POST", "/ricerca", ricerca(cw.cf, on)); a.status != 200 {
		t.Fatalf("accepted call: %d %s", a.status, a.body)
	}
	r := cw.consumer.prepare(t, cw.g, "POST", "/ricerca", ricerca(cw.cf, on))
	r.Header.Del("Agid-JWT-Signature")
	if a := cw.g.do(t, r); a.status != 400 {
		t.Fatalf("refused call: %d %s", a.status, a.body)
	}
	internal := ""
	for _, ep := range cw.g.app.Endpoints() {
		if ep.Name == "internal" {
			internal = ep.URL
		}
	}
	resp, err := http.Get(internal + "/anagrafe/" + cw.cf + "?cf=" + cw.cf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	inps, _ := cw.g.app.Upstreams().Upstream("registro")
	call := func() (*http.Response, error) {
		req, _ := http.NewRequest("POST", cw.upURL+"/consulta", strings.NewReader(`{"codiceFiscale":"`+cw.cf+`"}`))
		return inps.Do(adapter.WithOperation(context.Background(), opConsulta), req)
	}
	if resp, err := call(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("upstream call: %v %v", resp, err)
	}
	cw.up.mu.Lock()
	cw.up.fail = true
	cw.up.mu.Unlock()
	if resp, err := call(); err != nil || resp.StatusCode != 503 {
		t.Fatalf("failing upstream call: %v %v", resp, err)
	}
	cw.up.mu.Lock()
	cw.up.fail = false
	cw.up.mu.Unlock()
}

// admin sends a control to the admin listener.
func (cw *consoleWorld) admin(t *testing.T, method, path, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, cw.g.admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, resp.Header
}

// TestOperatorsConsole drives the gateway as an operator would after real traffic: the metrics
// scrape (every label value allowed and bounded, no personal data), every control over real HTTP
// (refused without or with a wrong token), the dashboard in a real headless Chromium, and the spans
// a collector received.
func TestOperatorsConsole(t *testing.T) {
	cw := newConsoleWorld(t)
	cw.traffic(t)
	t.Run("metrics", func(t *testing.T) { testMetricsScrape(t, cw) })
	t.Run("controls", func(t *testing.T) { testControls(t, cw) })
	t.Run("dashboard", func(t *testing.T) { testDashboardInBrowser(t, cw) })
	cw.g.shutdown() // flushes the spans
	t.Run("traces", func(t *testing.T) { testSpans(t, cw) })
	if strings.Contains(cw.logs.String(), cw.cf) {
		t.Error("the codice fiscale reached the log")
	}
}

var (
	cfPattern   = regexp.MustCompile(`(?i)[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]`)
	uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	codePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_]+)?$`)
)

func oneOf(vs ...string) func(string) bool {
	return func(v string) bool {
		for _, x := range vs {
			if v == x {
				return true
			}
		}
		return false
	}
}

func testMetricsScrape(t *testing.T, cw *consoleWorld) {
	fams := opstest.Scrape(t, cw.g.admin+"/metrics")
	routes := map[string]bool{}
	allow := map[string]func(string) bool{
		"listener":            oneOf("eservices", "internal", "admin"),
		"http_request_method": oneOf("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER"),
		"http_route": func(v string) bool {
			routes[v] = true
			return v == "" || (strings.HasPrefix(v, "/") && len(v) < 80 && !strings.ContainsAny(v, "?#"))
		},
		"http_response_status_code": regexp.MustCompile(`^[1-5][0-9][0-9]$`).MatchString,
		"upstream":                  oneOf("registro"),
		"operation": func(v string) bool {
			// upstream operations, e-service operationIds, or "METHOD /mount/*"
			return oneOf("", "Consulta", "other", "ricercaPrestazioni")(v) || regexp.MustCompile(`^[a-zA-Z]+$`).MatchString(v) ||
				regexp.MustCompile(`^[A-Z]+ /[a-z0-9/.-]+/\*$`).MatchString(v)
		},
		"outcome":   func(v string) bool { return v == "ok" || codePattern.MatchString(v) },
		"eservice":  oneOf("prestazioni", "estrazione", "siuss"),
		"purpose":   oneOf("", "other", "pdnd-api", purposeFull, purposeMin, purposeEstr),
		"kind":      regexp.MustCompile(`^[a-z_]+$`).MatchString,
		"result":    oneOf("hit", "hit_shared", "miss", "stale", "error"),
		"budget":    oneOf("registro", "registro.Consulta"),
		"state":     oneOf("closed", "half-open", "open", "forced-open", "forced-closed"),
		"backend":   oneOf("memory", "redis"),
		"ente":      oneOf("L378", "H612"),
		"queue":     oneOf("scarti", "attenzione"),
		"tenant":    oneOf(producerID, trentoTenant, roveretoTen),
		"version":   func(v string) bool { return v == "e2e" || strings.HasPrefix(v, "go1.") }, // wgw_build_info, go_info
		"goversion": regexp.MustCompile(`^go[0-9.]+`).MatchString,
		"cause":     oneOf("encoding", "gathering"),
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				check, ok := allow[l.GetName()]
				switch {
				case !ok:
					t.Errorf("%s: label %q is not in the allow-list (add it, with the values it may take)", name, l.GetName())
				case !check(l.GetValue()):
					t.Errorf("%s: label %s=%q is not allowed", name, l.GetName(), l.GetValue())
				case cfPattern.MatchString(l.GetValue()):
					t.Errorf("%s: label %s carries a codice fiscale", name, l.GetName())
				case uuidPattern.MatchString(l.GetValue()) && !oneOf(purposeFull, purposeMin, purposeEstr, producerID, trentoTenant, roveretoTen)(l.GetValue()):
					t.Errorf("%s: label %s=%q carries an identifier outside the configuration", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	if len(routes) > 30 {
		t.Errorf("%d distinct routes: %v", len(routes), routes)
	}
	for _, want := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"http_server_request_duration_seconds", map[string]string{"listener": "eservices", "http_route": mountPrest + "/ricerca", "http_response_status_code": "200"}, 1},
		{"http_server_request_duration_seconds", map[string]string{"listener": "internal", "http_route": "", "http_response_status_code": "404"}, 1},
		{"wgw_eservice_calls_total", map[string]string{"eservice": "prestazioni", "outcome": "ok", "purpose": purposeFull}, 1},
		{"wgw_eservice_calls_total", map[string]string{"eservice": "prestazioni", "outcome": "integrity.missing"}, 1},
		{"wgw_upstream_call_duration_seconds", map[string]string{"upstream": "registro", "operation": "Consulta", "outcome": "ok"}, 1},
		{"wgw_upstream_call_duration_seconds", map[string]string{"upstream": "registro", "operation": "Consulta", "outcome": "failed"}, 1},
		{"wgw_upstream_retries_total", map[string]string{"upstream": "registro", "operation": "Consulta"}, 1},
		{"wgw_upstream_quota_used", map[string]string{"budget": "registro"}, 3},
		{"wgw_upstream_quota_remaining", map[string]string{"budget": "registro"}, 1},
		{"wgw_upstream_breaker_state", map[string]string{"upstream": "registro", "operation": "Consulta", "state": "closed"}, 1},
		{"wgw_audit_append_duration_seconds", nil, 2},
		{"wgw_pdnd_jwks_keys", nil, 1},
		{"wgw_pdnd_keystore_keys", nil, 1},
		{"wgw_pdnd_vouchers_held", map[string]string{"purpose": "pdnd-api"}, 1},
		{"wgw_pdnd_voucher_requests_total", map[string]string{"purpose": "pdnd-api", "outcome": "ok"}, 1},
		{"wgw_store_up", map[string]string{"backend": "memory"}, 1},
		{"wgw_siuss_queue_entries", map[string]string{"ente": "L378", "queue": "scarti"}, 0},
		{"wgw_audit_disk_free_bytes", nil, 1},
		{"wgw_build_info", map[string]string{"version": "e2e"}, 1},
	} {
		v, ok := opstest.Value(fams, want.name, want.labels)
		if !ok || v < want.min {
			t.Errorf("%s%v = %v (found %v), want at least %v", want.name, want.labels, v, ok, want.min)
		}
	}
	if _, ok := opstest.Value(fams, "wgw_pdnd_jwks_age_seconds", nil); !ok {
		t.Error("no wgw_pdnd_jwks_age_seconds after the JWKS was fetched")
	}
}

// testControls sends every control over HTTP: refused without a token, with a wrong one and
// without a JSON body; applied, with its effect checked, with the right one.
func testControls(t *testing.T, cw *consoleWorld) {
	tok := cw.adminTok
	controls := []string{"/api/breakers/registro.Consulta/force-open", "/api/breakers/registro.Consulta/force-closed",
		"/api/breakers/registro.Consulta/reset", "/api/cache/purge", "/api/pdnd/jwks/refresh", "/api/pdnd/keys/refresh",
		"/api/keys/reload", "/api/drain", "/api/undrain", "/api/tracing/" + producerID + "/2026-01-01/reset"}
	for _, path := range controls {
		for name, token := range map[string]string{"no token": "", "wrong token": tok[:len(tok)-2] + "xx"} {
			status, body, h := cw.admin(t, "POST", path, token, `{}`)
			if status != 401 || body["code"] != "unauthorized" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with %s: %d %v", path, name, status, body)
			}
		}
		if status, body, _ := cw.admin(t, "POST", path, tok, ""); status != 415 {
			t.Errorf("%s without a JSON body: %d %v (a cross-site form must not reach a control)", path, status, body)
		}
	}
	inps, _ := cw.g.app.Upstreams().Upstream("registro")
	upCall := func() error {
		req, _ := http.NewRequest("GET", cw.upURL+"/stato", nil)
		_, err := inps.Do(adapter.WithOperation(context.Background(), opConsulta), req)
		return err
	}

	t.Run("breaker", func(t *testing.T) {
		status, body, _ := cw.admin(t, "POST", "/api/breakers/registro.Consulta/force-open", tok, `{"reason":"INPS maintenance, ticket 4711"}`)
		if status != 200 || body["result"].(map[string]any)["mode"] != "forced-open" {
			t.Fatalf("force-open: %d %v", status, body)
		}
		var re *resilience.Error
		if err := upCall(); !asResilience(err, &re) || re.Reason != resilience.ReasonCircuitOpen || !strings.Contains(re.Detail, "ticket 4711") {
			t.Fatalf("a call through a forced-open breaker: %v", err)
		}
		if status, body, _ := cw.admin(t, "POST", "/api/breakers/registro.Nothing/force-open", tok, `{}`); status != 404 {
			t.Errorf("unknown breaker: %d %v", status, body)
		}
		if status, body, _ := cw.admin(t, "POST", "/api/breakers/registro.Consulta/force-open", tok, `{"reason":"a\nb"}`); status != 400 {
			t.Errorf("a reason on two lines: %d %v", status, body)
		}
		status, body, _ = cw.admin(t, "POST", "/api/breakers/registro.Consulta/force-closed", tok, `{"reason":"test"}`)
		if status != 200 || body["result"].(map[string]any)["mode"] != "forced-closed" || upCall() != nil {
			t.Fatalf("force-closed: %d %v", status, body)
		}
		status, body, _ = cw.admin(t, "POST", "/api/breakers/registro.Consulta/reset", tok, `{}`)
		if status != 200 || body["result"].(map[string]any)["mode"] != "auto" {
			t.Fatalf("reset: %d %v", status, body)
		}
		// Left forced open for the dashboard, which must show it.
		if status, _, _ := cw.admin(t, "POST", "/api/breakers/registro.Consulta/force-open", tok, `{"reason":"dashboard check"}`); status != 200 {
			t.Fatal(status)
		}
	})

	t.Run("cache purge", func(t *testing.T) {
		c := cw.g.app.Cache()
		st0 := c.Stats()
		load := func(context.Context) (cacheValue, error) { return cacheValue{Data: []byte(`{"x":1}`)}, nil }
		if _, err := c.Get(context.Background(), cacheKey(cw.cf), load); err != nil {
			t.Fatal(err)
		}
		status, body, _ := cw.admin(t, "POST", "/api/cache/purge", tok, `{"codiceFiscale":"`+strings.ToLower(cw.cf)+`","reason":"art. 17 request"}`)
		if status != 200 {
			t.Fatalf("purge: %d %v", status, body)
		}
		if _, err := c.Get(context.Background(), cacheKey(cw.cf), load); err != nil {
			t.Fatal(err)
		}
		if st := c.Stats(); st.Misses-st0.Misses != 2 {
			t.Errorf("after the purge the subject was not loaded again: %d misses", st.Misses-st0.Misses)
		}
		for body, want := range map[string]int{`{"codiceFiscale":"RSSMRA80A01H501X"}`: 400, `{}`: 400, `{"codiceFiscale":1}`: 400, `{"cf":"x"}`: 400, `[`: 400} {
			if status, b, _ := cw.admin(t, "POST", "/api/cache/purge", tok, body); status != want || strings.Contains(fmt.Sprint(b), "RSSMRA80A01H501X") {
				t.Errorf("purge %s: %d %v", body, status, b)
			}
		}
	})

	t.Run("pdnd keys", func(t *testing.T) {
		status, body, _ := cw.admin(t, "POST", "/api/pdnd/jwks/refresh", tok, `{}`)
		if status != 200 || body["result"].(map[string]any)["keys"].(float64) < 1 {
			t.Fatalf("jwks refresh: %d %v", status, body)
		}
		status, body, _ = cw.admin(t, "POST", "/api/pdnd/keys/refresh", tok, `{}`)
		if status != 200 || body["result"].(map[string]any)["forgotten"].(float64) < 1 {
			t.Fatalf("keys refresh: %d %v (the accepted call looked a consumer key up)", status, body)
		}
	})

	t.Run("signing keys", func(t *testing.T) {
		old := cw.producerKey.Kid()
		next, err := jose.NewSigner(sectest.RSAKey(t, 9))
		if err != nil {
			t.Fatal(err)
		}
		cw.writePEM("producer.pem", sectest.RSAKey(t, 9))
		status, body, _ := cw.admin(t, "POST", "/api/keys/reload", tok, `{"reason":"yearly rotation"}`)
		if status != 200 {
			t.Fatalf("reload: %d %v", status, body)
		}
		found := false
		for _, k := range body["result"].([]any) {
			k := k.(map[string]any)
			if k["name"] == "eservices.prestazioni.response_signing.key" {
				found = true
				if k["oldKid"] != old || k["kid"] != next.Kid() {
					t.Errorf("response signing key: %v, want %s -> %s", k, old, next.Kid())
				}
			}
		}
		if !found {
			t.Fatalf("reload did not report the response signing key: %v", body)
		}
		cw.writeFile("producer.pem", "not a key")
		status, body, _ = cw.admin(t, "POST", "/api/keys/reload", tok, `{}`)
		if status != 409 || !strings.Contains(fmt.Sprint(body["detail"]), "response_signing.key") {
			t.Fatalf("reload of a broken key file: %d %v", status, body)
		}
		cw.writePEM("producer.pem", sectest.RSAKey(t, 9))
	})

	t.Run("drain", func(t *testing.T) {
		status, body, _ := cw.admin(t, "POST", "/api/drain", tok, `{"reason":"kernel upgrade","retryAfterSeconds":120}`)
		if status != 200 {
			t.Fatalf("drain: %d %v", status, body)
		}
		_, on := subject(t, cw.pop)
		a := cw.consumer.call(t, cw.g, "POST", "/ricerca", ricerca(cw.cf, on))
		if a.status != 503 || a.header.Get("Retry-After") != "120" {
			t.Errorf("an e-service call while drained: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
		}
		if status, body, _ := cw.admin(t, "GET", "/readyz", "", ""); status != 503 || body["code"] != "maintenance" {
			t.Errorf("/readyz while drained: %d %v", status, body)
		}
		if status, _, _ := cw.admin(t, "GET", "/livez", "", ""); status != 200 {
			t.Errorf("/livez while drained: %d", status)
		}
		if status, body, _ := cw.admin(t, "POST", "/api/drain", tok, `{"retryAfterSeconds":-1}`); status != 400 {
			t.Errorf("drain with a negative Retry-After: %d %v", status, body)
		}
		status, body, _ = cw.admin(t, "POST", "/api/undrain", tok, `{}`)
		if status != 200 || body["result"].(map[string]any)["wasDrained"] != true {
			t.Fatalf("undrain: %d %v", status, body)
		}
		if status, body, _ := cw.admin(t, "GET", "/readyz", "", ""); status != 200 {
			t.Errorf("/readyz after undrain: %d %v", status, body)
		}
		if a := cw.consumer.call(t, cw.g, "POST", "/ricerca", ricerca(cw.cf, on)); a.status != 200 {
			t.Errorf("an e-service call after undrain: %d %s", a.status, a.body)
		}
	})

	t.Run("tracing day", func(t *testing.T) {
		// Tracing is not enabled in this configuration: the control says so.
		if status, body, _ := cw.admin(t, "POST", "/api/tracing/"+producerID+"/2026-01-01/reset", tok, `{}`); status != 404 {
			t.Errorf("tracing reset without tracing: %d %v", status, body)
		}
	})

	logs := cw.logs.String()
	for _, action := range []string{"breaker.force-open", "breaker.force-closed", "breaker.reset", "cache.purge", "pdnd.jwks.refresh",
		"pdnd.keys.refresh", "keys.reload", "maintenance.drain", "maintenance.undrain"} {
		if !strings.Contains(logs, `"msg":"admin action","action":"`+action+`"`) {
			t.Errorf("admin action %s not in the log", action)
		}
	}
	if strings.Contains(logs, cw.cf) || strings.Contains(strings.ToUpper(logs), "RSSMRA80A01H501X") {
		t.Error("a purged codice fiscale reached the log")
	}
}

func asResilience(err error, re **resilience.Error) bool { return errors.As(err, re) }

type cacheValue = cache.Value

// cacheKey is a cache entry of the subject cf.
func cacheKey(cf string) cache.Key { return cache.Key{Kind: "anpr_famiglia", Subject: cf} }

// testDashboardInBrowser opens the dashboard in headless Chromium and reads what an operator sees
// after the traffic: the breaker forced open, the refused call's code and count, a sparkline; then
// uses a button (the token typed into the page) and sees its effect.
func testDashboardInBrowser(t *testing.T, cw *consoleWorld) {
	ctx := opstest.Browser(t)
	time.Sleep(400 * time.Millisecond) // a few samples for the trends
	nctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(nctx, chromedp.Navigate(cw.g.admin+"/dashboard")); err != nil {
		t.Fatal(err)
	}
	q := func(sel, prop string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? String(e.%s).trim() : "absent" })()`, sel, prop)
	}
	opstest.Eventually(t, ctx, q(`tr.breaker[data-name="registro.Consulta"] .mode`, "textContent"), "forced-open", 10*time.Second)
	opstest.Eventually(t, ctx, q(`tr.upstream[data-name="registro"] .state`, "textContent"), "forced-open", 10*time.Second)
	opstest.Eventually(t, ctx, q(`tr.eservice[data-name="prestazioni"] .rejection[data-code="integrity.missing"] b`, "textContent"), "1", 10*time.Second)
	opstest.Eventually(t, ctx, `String(document.querySelectorAll("svg.spark polyline").length > 0)`, "true", 10*time.Second)
	opstest.Eventually(t, ctx, q(`tr.listener[data-name="internal"] td:nth-child(3)`, "textContent"), "1", 10*time.Second) // the 404
	opstest.Eventually(t, ctx, `String(document.body.innerText.includes(`+fmt.Sprintf("%q", cw.cf)+`))`, "false", time.Second)
	// The operator types the token, then presses "reset" on the breaker: the panel refreshes by
	// itself and shows the breaker back in automatic mode.
	if err := chromedp.Do(nctx, chromedp.SendKeys(`#token`, cw.adminTok), chromedp.Click(`#tokset`)); err != nil {
		t.Fatal(err)
	}
	opstest.Eventually(t, ctx, q("#tokstate", "textContent"), "token set", 5*time.Second)
	if _, err := chromedp.Run(nctx, chromedp.Evaluate[bool](
		`document.querySelector('form[data-api="/api/breakers/registro.Consulta/reset"] button').click(), true`)); err != nil {
		t.Fatal(err)
	}
	opstest.Eventually(t, ctx, q("#msg", "textContent"), "done: breaker.reset", 10*time.Second)
	opstest.Eventually(t, ctx, q(`tr.breaker[data-name="registro.Consulta"] .mode`, "textContent"), "absent", 10*time.Second)
	if b := cw.g.app.Upstreams().Breaker("registro.Consulta"); b.Mode() != resilience.ModeAuto {
		t.Errorf("the dashboard's reset button left the breaker %s", b.Mode())
	}
}

// testSpans checks what the collector received: a server span per request on each listener, the
// upstream call span with a child per attempt, the traceparent the upstream saw, the collector's
// Authorization header, and no personal data anywhere in names or attributes.
func testSpans(t *testing.T, cw *consoleWorld) {
	spans := cw.otlp.Spans()
	if len(spans) == 0 {
		t.Fatal("the collector received no span")
	}
	if got := cw.otlp.Header("Authorization"); got != "Bearer collector-secret" {
		t.Errorf("export Authorization %q", got)
	}
	byID := map[string]int{}
	for i, s := range spans {
		byID[hex.EncodeToString(s.GetSpanId())] = i
		text := s.GetName()
		for _, a := range s.GetAttributes() {
			text += " " + a.GetKey() + "=" + a.GetValue().String()
		}
		if strings.Contains(strings.ToUpper(text), cw.cf) || strings.Contains(text, consumerID) || strings.Contains(text, clientID) {
			t.Errorf("span %q carries personal data or a consumer id: %s", s.GetName(), text)
		}
	}
	names := map[string]int{}
	for _, s := range spans {
		names[s.GetName()]++
	}
	for _, want := range []string{"POST " + mountPrest + "/ricerca", "GET", "upstream registro.Consulta", "POST"} {
		if names[want] == 0 {
			t.Errorf("no span named %q (got %v)", want, names)
		}
	}
	attempts := 0
	for _, s := range spans {
		if s.GetName() != "POST" || len(s.GetParentSpanId()) == 0 {
			continue
		}
		parent, ok := byID[hex.EncodeToString(s.GetParentSpanId())]
		if !ok || spans[parent].GetName() != "upstream registro.Consulta" {
			continue
		}
		attempts++
		if !bytes.Equal(spans[parent].GetTraceId(), s.GetTraceId()) {
			t.Error("an attempt is not in its call's trace")
		}
		tp := fmt.Sprintf("00-%x-%x-01", s.GetTraceId(), s.GetSpanId())
		cw.up.mu.Lock()
		seen := strings.Join(cw.up.traceparent, " ")
		cw.up.mu.Unlock()
		if !strings.Contains(seen, tp) {
			t.Errorf("the upstream never received traceparent %s (got %s)", tp, seen)
		}
	}
	if attempts < 3 {
		t.Errorf("%d attempt spans under upstream calls, want 3 (one call, then one retried)", attempts)
	}
}
