package fault

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const body = `{"esito":"OK","valore":"12345.67","nota":"una risposta abbastanza lunga da tagliare"}`

// sleeps records every injected wait and returns at once (or reports a cancelled context).
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.got = append(s.got, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

type fixture struct {
	in     *Injector
	srv    *httptest.Server
	sleeps *sleeps
	seen   chan string // semantic faults seen by the handler
}

func newFixture(t *testing.T, o Options, hooks Hooks) *fixture {
	t.Helper()
	f := &fixture{sleeps: &sleeps{}, seen: make(chan string, 100)}
	if o.Sleep == nil {
		o.Sleep = f.sleeps.sleep
	}
	f.in = New(o)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := SemanticFrom(r.Context()); ok {
			f.seen <- s
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	})
	mux := http.NewServeMux()
	mux.Handle("/ep", f.in.Wrap("test.ep", "a test endpoint", hooks, handler))
	mux.Handle("/faults", f.in.AdminHandler())
	mux.Handle("/faults/", f.in.AdminHandler())
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) set(t *testing.T, s Spec) {
	t.Helper()
	if err := f.in.Set("test.ep", s); err != nil {
		t.Fatal(err)
	}
}

// get does one request on a fresh connection (no keep-alive reuse hides resets).
func (f *fixture) get(t *testing.T) (*http.Response, []byte, error) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get(f.srv.URL + "/ep")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestNoFaultPassesThrough(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	resp, b, err := f.get(t)
	if err != nil || resp.StatusCode != 200 || string(b) != body {
		t.Fatalf("got %v %v %q", resp, err, b)
	}
	if len(f.sleeps.all()) != 0 {
		t.Fatal("slept without latency configured")
	}
}

func TestLatencyFixedIsApplied(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{Latency: Latency{Kind: "fixed", Fixed: Duration(250 * time.Millisecond)}})
	for range 3 {
		if resp, _, err := f.get(t); err != nil || resp.StatusCode != 200 {
			t.Fatal(resp, err)
		}
	}
	if got := f.sleeps.all(); !slices.Equal(got, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}) {
		t.Fatalf("waits %v, want three of 250ms", got)
	}
}

func TestLatencyRealTimerLoosely(t *testing.T) {
	f := newFixture(t, Options{Sleep: sleepCtx}, Hooks{})
	f.set(t, Spec{Latency: Latency{Kind: "fixed", Fixed: Duration(100 * time.Millisecond)}})
	start := time.Now()
	if _, _, err := f.get(t); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("answered after %v, before the 100ms delay", el)
	}
}

func TestLatencyDistributions(t *testing.T) {
	in := New(Options{Seed: 7})
	in.Register("x", "", Hooks{})
	r := in.eps["x"].rng
	uni := Latency{Kind: "uniform", Min: Duration(10 * time.Millisecond), Max: Duration(20 * time.Millisecond)}
	norm := Latency{Kind: "normal", P50: Duration(100 * time.Millisecond), P99: Duration(time.Second)}
	var draws []time.Duration
	for range 2000 {
		if d := uni.draw(r); d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("uniform draw %v outside [10ms, 20ms]", d)
		}
		draws = append(draws, norm.draw(r))
	}
	slices.Sort(draws)
	p50, p99 := draws[1000], draws[1980]
	if p50 < 80*time.Millisecond || p50 > 125*time.Millisecond {
		t.Errorf("normal p50 %v, want about 100ms", p50)
	}
	if p99 < 600*time.Millisecond || p99 > 1600*time.Millisecond {
		t.Errorf("normal p99 %v, want about 1s", p99)
	}
}

func TestErrorWithRetryAfter(t *testing.T) {
	for _, status := range []int{429, 500, 503} {
		f := newFixture(t, Options{}, Hooks{})
		f.set(t, Spec{ErrorRate: 1, ErrorStatus: status, RetryAfter: Duration(2 * time.Second)})
		resp, b, err := f.get(t)
		if err != nil || resp.StatusCode != status {
			t.Fatalf("status %d: got %v %v", status, resp, err)
		}
		wantRA := ""
		if status != 500 {
			wantRA = "2"
		}
		if got := resp.Header.Get("Retry-After"); got != wantRA {
			t.Errorf("status %d: Retry-After %q, want %q", status, got, wantRA)
		}
		if resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), `"status":`) {
			t.Errorf("status %d: default body is not a problem: %s", status, b)
		}
	}
}

func TestErrorHookRendersTheSimulatorsFormat(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{Error: func(w http.ResponseWriter, _ *http.Request, status int) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<soap:Fault/>")
	}})
	f.set(t, Spec{ErrorRate: 1, ErrorStatus: 500})
	resp, b, _ := f.get(t)
	if resp.StatusCode != 500 || string(b) != "<soap:Fault/>" {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestErrorRateIsDeterministicPerSeed(t *testing.T) {
	run := func(seed uint64) []int {
		f := newFixture(t, Options{Seed: seed}, Hooks{})
		f.set(t, Spec{ErrorRate: 0.5, ErrorStatus: 503})
		var out []int
		for range 30 {
			resp, _, err := f.get(t)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp.StatusCode)
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds, same faults: %v", a)
	}
	failed := 0
	for _, s := range a {
		if s == 503 {
			failed++
		}
	}
	if failed < 5 || failed > 25 {
		t.Fatalf("%d of 30 failed with rate 0.5", failed)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	f := newFixture(t, Options{Sleep: sleepCtx}, Hooks{})
	f.set(t, Spec{HangRate: 1, HangMax: Duration(time.Minute)})
	c := &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := c.Get(f.srv.URL + "/ep")
	var ne interface{ Timeout() bool }
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatal("the client was not released by its own timeout")
	}
}

func TestHangMaxClosesWithoutAnswer(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{HangRate: 1, HangMax: Duration(3 * time.Second)})
	_, _, err := f.get(t)
	if err == nil || !errors.Is(err, io.EOF) {
		t.Fatalf("want the connection closed without an answer (EOF), got %v", err)
	}
	if got := f.sleeps.all(); !slices.Equal(got, []time.Duration{3 * time.Second}) {
		t.Fatalf("hang waits %v, want [3s]", got)
	}
}

func TestResetIsAConnectionReset(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{ResetRate: 1})
	_, _, err := f.get(t)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("want ECONNRESET as seen by http.Client, got %v", err)
	}
}

func TestTruncateHonestContentLength(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{TruncateRate: 1, TruncateAt: 20, TruncateHonest: true})
	resp, b, err := f.get(t)
	if err != nil {
		t.Fatalf("an honest cut is a complete HTTP message, got %v", err)
	}
	if string(b) != body[:20] || resp.ContentLength != 20 {
		t.Fatalf("got %q (Content-Length %d), want the first 20 bytes", b, resp.ContentLength)
	}
	if json.Valid(b) {
		t.Fatal("the cut payload is still valid JSON")
	}
}

func TestTruncateLyingContentLength(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{TruncateRate: 1, TruncateAt: 20})
	resp, b, err := f.get(t)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want io.ErrUnexpectedEOF reading the body, got %v", err)
	}
	if resp.ContentLength != int64(len(body)) || string(b) != body[:20] {
		t.Fatalf("Content-Length %d, read %q", resp.ContentLength, b)
	}
}

func TestMalformed(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{MalformedRate: 1})
	_, b, err := f.get(t)
	if err != nil || json.Valid(b) || !strings.HasPrefix(body, string(b[:10])) {
		t.Fatalf("default malformed: %v %q", err, b)
	}
	f = newFixture(t, Options{}, Hooks{Malformed: func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "<unclosed>")
	}})
	f.set(t, Spec{MalformedRate: 1})
	if _, b, _ := f.get(t); string(b) != "<unclosed>" {
		t.Fatalf("hook not used: %q", b)
	}
}

func TestSemanticFaultReachesTheHandler(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	f.set(t, Spec{Semantic: "expired-voucher"})
	if resp, _, err := f.get(t); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if got := <-f.seen; got != "expired-voucher" {
		t.Fatalf("handler saw %q", got)
	}
	f.set(t, Spec{})
	_, _, _ = f.get(t)
	select {
	case s := <-f.seen:
		t.Fatalf("semantic %q still injected after clearing", s)
	default:
	}
}

func TestDailyQuotaRollsOverAtMidnight(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 23, 59, 0, 0, rome)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, Options{Now: clock, Location: rome}, Hooks{Quota: func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests) // ANPR: 429 with an empty body
	}})
	f.set(t, Spec{DailyQuota: 2})
	for i := range 2 {
		if resp, _, _ := f.get(t); resp.StatusCode != 200 {
			t.Fatalf("request %d within quota got %d", i+1, resp.StatusCode)
		}
	}
	resp, b, _ := f.get(t)
	if resp.StatusCode != 429 || len(b) != 0 || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("over quota: %d %q Retry-After %q, want 429, empty, 60", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if resp, _, _ := f.get(t); resp.StatusCode != 200 {
		t.Fatalf("next day got %d", resp.StatusCode)
	}
	_, _, _ = f.get(t)
	if resp, _, _ := f.get(t); resp.StatusCode != 429 {
		t.Fatalf("quota not enforced on the new day: %d", resp.StatusCode)
	}
	if err := f.in.ResetQuotas(); err != nil {
		t.Fatal(err)
	}
	if resp, _, _ := f.get(t); resp.StatusCode != 200 {
		t.Fatalf("after reset got %d", resp.StatusCode)
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t, Options{}, Hooks{})
	do := func(method, path, payload string) (*http.Response, string) {
		req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, b := do("PUT", "/faults/test.ep", `{"errorRate":1,"errorStatus":503,"retryAfter":"3s"}`); resp.StatusCode != 200 || !strings.Contains(b, `"retryAfter":"3s"`) {
		t.Fatalf("PUT: %d %s", resp.StatusCode, b)
	}
	if resp, _, _ := f.get(t); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("fault set through the API not applied: %d", resp.StatusCode)
	}
	if resp, b := do("GET", "/faults", ""); resp.StatusCode != 200 || !strings.Contains(b, `"name":"test.ep"`) {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	resp, b := do("PUT", "/faults/test.ep", `{"errorRate":2,"errorStatus":418}`)
	if resp.StatusCode != 400 || !strings.Contains(b, `"name":"errorRate"`) || !strings.Contains(b, `"name":"errorStatus"`) {
		t.Fatalf("invalid spec: %d %s", resp.StatusCode, b)
	}
	if resp, b := do("PUT", "/faults/test.ep", `{"errorRat":1}`); resp.StatusCode != 400 || !strings.Contains(b, "errorRat") {
		t.Fatalf("unknown field: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do("PUT", "/faults/nope", `{}`); resp.StatusCode != 404 {
		t.Fatalf("unknown endpoint: %d", resp.StatusCode)
	}
	if resp, _ := do("DELETE", "/faults/test.ep", ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp, _, _ := f.get(t); resp.StatusCode != 200 {
		t.Fatalf("fault still active after DELETE: %d", resp.StatusCode)
	}
	if resp, _ := do("POST", "/faults/quotas/reset?endpoint=test.ep", ""); resp.StatusCode != 204 {
		t.Fatalf("quota reset: %d", resp.StatusCode)
	}
	if resp, _ := do("POST", "/faults/quotas/reset?endpoint=nope", ""); resp.StatusCode != 404 {
		t.Fatalf("quota reset of unknown endpoint: %d", resp.StatusCode)
	}
}

func TestParseFlag(t *testing.T) {
	ok := map[string]Spec{
		"a.b=latency=200ms":                        {Latency: Latency{Kind: "fixed", Fixed: Duration(200 * time.Millisecond)}},
		"a.b=latency=10ms..30ms,error=0.1/429":     {Latency: Latency{Kind: "uniform", Min: Duration(10 * time.Millisecond), Max: Duration(30 * time.Millisecond)}, ErrorRate: 0.1, ErrorStatus: 429},
		"a.b=latency=p50:100ms/p99:1s":             {Latency: Latency{Kind: "normal", P50: Duration(100 * time.Millisecond), P99: Duration(time.Second)}},
		"a.b=error=0.5,retry-after=2s":             {ErrorRate: 0.5, ErrorStatus: 503, RetryAfter: Duration(2 * time.Second)},
		"a.b=hang=0.1,hang-max=30s,reset=0.01":     {HangRate: 0.1, HangMax: Duration(30 * time.Second), ResetRate: 0.01},
		"a.b=truncate=1/512,truncate-honest":       {TruncateRate: 1, TruncateAt: 512, TruncateHonest: true},
		"a.b=malformed=0.2,semantic=bad-signature": {MalformedRate: 0.2, Semantic: "bad-signature", SemanticRate: 1},
		"a.b=quota=1000":                           {DailyQuota: 1000},
	}
	for in, want := range ok {
		ep, got, err := ParseFlag(in)
		if err != nil || ep != "a.b" || got != want {
			t.Errorf("ok/%s: got %q %+v %v, want %+v", in, ep, got, err, want)
		}
	}
	for _, in := range []string{"nospec", "=latency=1s", "a=latency=soon", "a=error=1/418", "a=error=2", "a=bogus=1",
		"a=latency=30ms..10ms", "a=latency=p50:1s", "a=quota=-1", "a=" + strings.Repeat("x", 2000)} {
		if _, _, err := ParseFlag(in); err == nil {
			t.Errorf("fail/%.30s: accepted", in)
		}
	}
}

// TestNilInjectorInjectsNothing: a simulator built without an injector serves its handler as is.
func TestNilInjectorInjectsNothing(t *testing.T) {
	var in *Injector
	h := in.Wrap("x", "GET /x", Hooks{}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusTeapot {
		t.Fatalf("status %d, want the handler's 418", rec.Code)
	}
}
