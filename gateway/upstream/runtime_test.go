package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/replicas"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/upstream/upstreamtest"
)

var (
	_ Authorizer         = (*upstreamtest.Authorizer)(nil)
	_ CredentialRejecter = (*upstreamtest.Authorizer)(nil)
)

// The bulkhead admits max_in_flight calls at once: the next one fails fast with upstream-busy
// and never reaches the server; once a slot frees, calls go through again. With max_wait, the
// extra call waits for the slot instead.
func TestBulkhead(t *testing.T) {
	for name, maxWait := range map[string]time.Duration{"ok/fail-fast": 0, "ok/waits-for-a-slot": 5 * time.Second} {
		t.Run(name, func(t *testing.T) {
			f := newFakeUpstream(t)
			_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
				c.MaxInFlight, c.MaxWait = 2, config.Duration(maxWait)
			}), Deps{}, false)
			release := make(chan struct{})
			arrived := make(chan struct{}, 3)
			f.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
				arrived <- struct{}{}
				<-release
			})
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if status, _, err := doCall(context.Background(), t, u, opOnce, "q"); err != nil || status != 200 {
						t.Errorf("held call: %d %v", status, err)
					}
				})
			}
			<-arrived
			<-arrived
			if maxWait == 0 {
				_, _, err := doCall(context.Background(), t, u, opOnce, "q")
				re := reasonOf(t, err)
				if re.Reason != resilience.ReasonBulkheadFull || re.Detail != "all 2 concurrent calls allowed to fake are in flight; retry shortly" {
					t.Fatalf("3rd call: %v", err)
				}
				if p := problemOf(err); p.Status != 503 || p.Problem.Code != "upstream-busy" || p.Header["Retry-After"] != "1" {
					t.Fatalf("problem %+v %v", p.Problem, p.Header)
				}
				if f.calls.Load() != 2 {
					t.Fatalf("server calls %d, want 2", f.calls.Load())
				}
				close(release)
				wg.Wait()
			} else {
				third := make(chan error)
				go func() {
					_, _, err := doCall(context.Background(), t, u, opOnce, "q")
					third <- err
				}()
				time.Sleep(20 * time.Millisecond) // let the third call queue (its outcome does not depend on it)
				close(release)
				if err := <-third; err != nil {
					t.Fatalf("a waiting call must get the freed slot: %v", err)
				}
				wg.Wait()
			}
			if status, _, err := doCall(context.Background(), t, u, opOnce, "q"); err != nil || status != 200 {
				t.Fatalf("after release: %d %v", status, err)
			}
			if u.bulkhead.InFlight() != 0 {
				t.Fatalf("slots leaked: %d in flight", u.bulkhead.InFlight())
			}
		})
	}
}

// A daily quota counted in the real Redis holds across two replicas: calls alternate between
// them, the budget's last call is admitted, the next is refused BEFORE it is sent (the server
// never sees it) with 429 and a Retry-After until midnight Europe/Rome, and Remaining reads zero
// on both replicas. Operations without their own budget share the upstream's.
func TestQuotaAcrossReplicas(t *testing.T) {
	pair := replicas.Redis(t)
	f := newFakeUpstream(t)
	cfg := f.config(func(c *UpstreamConfig) {
		c.DailyQuota = 100
		c.Operations = map[string]OperationConfig{"Lookup": {DailyQuota: 3}}
	})
	ra, ua := newTestRuntime(t, cfg, Deps{Store: pair.A}, false)
	rb, ub := newTestRuntime(t, cfg, Deps{Store: pair.B}, false)
	for i, u := range []*Upstream{ua, ub, ua} {
		if status, _, err := doCall(context.Background(), t, u, opIdempotent, "q"); err != nil || status != 200 {
			t.Fatalf("call %d: %d %v", i+1, status, err)
		}
	}
	_, _, err := doCall(context.Background(), t, ub, opIdempotent, "q")
	re := reasonOf(t, err)
	if re.Reason != resilience.ReasonQuotaExhausted || re.Attempts != 0 || f.calls.Load() != 3 {
		t.Fatalf("4th call: %v (server calls %d)", err, f.calls.Load())
	}
	reset := ra.Quotas().ResetAt(time.Now())
	if h, m, s := reset.Clock(); h != 0 || m != 0 || s != 0 || reset.Location().String() != "Europe/Rome" {
		t.Fatalf("reset at %v, want midnight Europe/Rome", reset)
	}
	if d := time.Until(reset) - re.RetryAfter; d.Abs() > 5*time.Second {
		t.Fatalf("RetryAfter %v, want the time until %v", re.RetryAfter, reset)
	}
	p := problemOf(err)
	if p.Status != 429 || p.Problem.Code != "upstream-quota-exhausted" ||
		!strings.Contains(p.Problem.Detail, "the daily quota of 3 calls to fake.Lookup is spent; it resets at ") {
		t.Fatalf("problem %+v", p.Problem)
	}
	for _, r := range []*Runtime{ra, rb} {
		usage, err := r.QuotaUsage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(usage) != 2 || usage[0].Budget != "fake" || usage[0].Used != 0 || usage[0].Remaining != 100 ||
			usage[1].Budget != "fake.Lookup" || usage[1].Used != 3 || usage[1].Remaining != 0 {
			t.Fatalf("usage %+v", usage)
		}
	}
	// Submit has no budget of its own: it spends the upstream's.
	if _, _, err := doCall(context.Background(), t, ub, opOnce, "q"); err != nil {
		t.Fatal(err)
	}
	if u, _ := ra.Quotas().Remaining(context.Background(), "fake"); u.Used != 1 {
		t.Fatalf("the upstream budget: %+v", u)
	}
	for _, k := range pair.Keys(t) {
		if !strings.HasPrefix(k, pair.Prefix+"quota:fake") {
			t.Fatalf("unexpected key %s", k)
		}
	}
}

// The Authorizer prepares every attempt afresh over the exact body (here: retries of an
// idempotent call get distinct tokens, and the Digest matches what the server received), sees
// the Caller, and nothing is sent when it fails: the failure is upstream-credentials, the quota
// taken for the attempt is given back, and the breaker does not count it.
func TestAuthorizer(t *testing.T) {
	f := newFakeTLSUpstream(t)
	auth := &upstreamtest.Authorizer{}
	r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) { c.Auth, c.DailyQuota = AuthPDND, 10 }),
		Deps{Authorizer: func(string) Authorizer { return auth }}, false)

	n := 0
	f.setAnswer(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Header.Get("Digest") != upstreamtest.DigestOf(body) {
			t.Errorf("Digest %q does not match the body the server received", r.Header.Get("Digest"))
		}
		if n++; n == 1 {
			w.WriteHeader(503)
		}
	})
	ctx := adapter.WithCaller(context.Background(), adapter.Caller{UserID: "op-7", Workstation: "TN-01", CaseRef: "PRAT-2025-42"})
	if status, _, err := doCall(ctx, t, u, opIdempotent, `{"criteriRicerca":{}}`); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	calls, _ := auth.Recorded()
	seen := f.seenHeaders()
	if len(calls) != 2 || len(seen) != 2 || calls[0].Token == calls[1].Token {
		t.Fatalf("authorizations %+v for %d attempts: want one fresh one per attempt", calls, len(seen))
	}
	for i, c := range calls {
		if seen[i].Get("Authorization") != "Bearer "+c.Token || !c.HasCaller || c.Caller.CaseRef != "PRAT-2025-42" {
			t.Fatalf("attempt %d: sent %q, authorized %+v", i+1, seen[i].Get("Authorization"), c)
		}
	}

	before, counted := f.calls.Load(), r.Breaker("fake.Lookup").Status()
	used := func() int64 { q, _ := r.Quotas().Remaining(context.Background(), "fake"); return q.Used }
	usedBefore := used()
	auth.Fail(errors.New("pdnd: token endpoint answered 500"))
	_, _, err := doCall(ctx, t, u, opIdempotent, "q")
	re := reasonOf(t, err)
	if re.Reason != resilience.ReasonCredentials || f.calls.Load() != before || !strings.Contains(err.Error(), "token endpoint answered 500") {
		t.Fatalf("%v (server calls %d → %d)", err, before, f.calls.Load())
	}
	if p := problemOf(err); p.Status != 503 || p.Problem.Code != "upstream-credentials" || strings.Contains(p.Problem.Detail, "token endpoint") {
		t.Fatalf("problem %+v: the public detail must not carry the cause", p.Problem)
	}
	if used() != usedBefore {
		t.Fatalf("quota used %d → %d: an attempt never sent must give its quota back", usedBefore, used())
	}
	if st := r.Breaker("fake.Lookup").Status(); st.Failures != counted.Failures || st.Successes != counted.Successes || st.Excluded != counted.Excluded+1 {
		t.Fatalf("a credentials failure must not count against the upstream: %+v, before %+v", st, counted)
	}
}

// A 401 to cached credentials makes the runtime drop them and send once more with fresh ones,
// even for a non-idempotent operation (a 401 means nothing was processed); a second 401 is
// returned to the caller.
func TestRejectedCredentialsRetriedOnce(t *testing.T) {
	f := newFakeUpstream(t)
	auth := &upstreamtest.Authorizer{}
	_, u := newTestRuntime(t, f.config(nil), Deps{}, false)
	u.auth = auth
	f.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer test-0-") {
			w.WriteHeader(401) // the first generation of vouchers was revoked
		}
	})
	if status, _, err := doCall(context.Background(), t, u, opOnce, "q"); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	if calls, rejected := auth.Recorded(); len(calls) != 2 || rejected != 1 || calls[1].Token != "test-1-2" {
		t.Fatalf("calls %+v, rejected %d", calls, rejected)
	}
	f.respond(401, "no")
	if status, _, err := doCall(context.Background(), t, u, opOnce, "q"); err != nil || status != 401 {
		t.Fatalf("%d %v", status, err)
	}
	if f.calls.Load() != 4 {
		t.Fatalf("server calls %d, want 4", f.calls.Load())
	}
}

// Failures without a usable answer, each with its reason, public detail and problem type, over
// real connections that the fault injector resets, truncates or the server refuses.
func TestTransportFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		spec       fault.Spec
		answer     func(http.ResponseWriter)
		closed     bool
		reason     resilience.Reason
		detail     string
		status     int
		wantCalls  int64
		maxRespLen config.Size
	}{
		"fail/reset": {spec: fault.Spec{ResetRate: 1}, reason: resilience.ReasonTransport,
			detail: "connection reset by the upstream", status: 503, wantCalls: 3},
		"fail/truncated": {spec: fault.Spec{TruncateRate: 1, TruncateAt: 10}, reason: resilience.ReasonTransport,
			answer: func(w http.ResponseWriter) { _, _ = w.Write(make([]byte, 100)) },
			detail: "the connection closed before the answer was complete", status: 503, wantCalls: 3},
		"fail/refused": {closed: true, reason: resilience.ReasonTransport, detail: "connection refused", status: 503},
		"fail/too-large": {answer: func(w http.ResponseWriter) { _, _ = w.Write(make([]byte, 2048)) }, maxRespLen: 1024,
			reason: resilience.ReasonResponseTooLarge, status: 502, wantCalls: 1,
			detail: "the answer (HTTP 200) is larger than max_response_size of 1024 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeUpstream(t)
			r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
				c.MaxResponseSize = tc.maxRespLen
				c.Retry.BackoffBase, c.Retry.BackoffMax = config.Duration(time.Millisecond), config.Duration(time.Millisecond)
			}), Deps{}, false)
			f.set(tc.spec)
			if tc.answer != nil {
				f.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ []byte) { tc.answer(w) })
			}
			if tc.closed {
				f.srv.Close()
			}
			_, _, err := doCall(context.Background(), t, u, opIdempotent, "some body to send")
			re := reasonOf(t, err)
			if re.Reason != tc.reason || re.Detail != tc.detail {
				t.Fatalf("%v; want %s %q", err, tc.reason, tc.detail)
			}
			p := problemOf(err)
			if p.Status != tc.status || strings.Contains(p.Problem.Detail, "127.0.0.1") {
				t.Fatalf("problem %+v", p.Problem)
			}
			if got := f.calls.Load(); got != tc.wantCalls {
				t.Fatalf("server calls %d, want %d", got, tc.wantCalls)
			}
			if st := r.Breaker("fake.Lookup").Status(); st.LastFailure != tc.detail {
				t.Fatalf("breaker %+v: want last failure %q", st, tc.detail)
			}
		})
	}
}

// TLS: an upstream whose certificate the configured CAs do not sign fails as a Permanent
// upstream fault (never retried; counted by the breaker); with its CA in tls.ca_file it works.
func TestTLS(t *testing.T) {
	f := newFakeTLSUpstream(t)
	f.respond(200, "secure")
	untrusted := f.config(func(c *UpstreamConfig) { c.TLS = config.ClientTLS{} })
	r, u := newTestRuntime(t, untrusted, Deps{}, false)
	_, _, err := doCall(context.Background(), t, u, opIdempotent, "q")
	re := reasonOf(t, err)
	if re.Reason != resilience.ReasonTLS || !strings.Contains(re.Detail, "unknown authority") || re.Attempts != 1 {
		t.Fatalf("%v", err)
	}
	if st := r.Breaker("fake.Lookup").Status(); st.Failures != 1 {
		t.Fatalf("a certificate that does not verify is the upstream's fault: %+v", st)
	}
	_, u = newTestRuntime(t, f.config(nil), Deps{}, false)
	if status, body, err := doCall(context.Background(), t, u, opIdempotent, "q"); err != nil || status != 200 || body != "secure" {
		t.Fatalf("%d %q %v", status, body, err)
	}
}

// Requests the runtime refuses to send: outside the base URL (credentials go nowhere else), with
// an operation name that could pollute metrics, or with a body too large to hold.
func TestRequestRefused(t *testing.T) {
	f := newFakeUpstream(t)
	_, u := newTestRuntime(t, f.config(nil), Deps{}, false)
	ctx := adapter.WithOperation(context.Background(), opIdempotent)
	for name, req := range map[string]*http.Request{
		"fail/other-host":      httptest.NewRequest(http.MethodPost, "http://evil.example/svc/x", nil),
		"fail/other-path":      httptest.NewRequest(http.MethodPost, f.srv.URL+"/admin", nil),
		"fail/other-scheme":    httptest.NewRequest(http.MethodPost, strings.Replace(f.srv.URL, "http:", "https:", 1)+"/svc/x", nil),
		"fail/body-too-large":  httptest.NewRequest(http.MethodPost, f.srv.URL+"/svc/x", strings.NewReader(strings.Repeat("x", maxRequestBody+1))),
		"fail/bad-op-name":     httptest.NewRequest(http.MethodPost, f.srv.URL+"/svc/x", nil),
		"fail/url-with-prefix": httptest.NewRequest(http.MethodPost, f.srv.URL+"/svcfoo", nil),
	} {
		t.Run(name, func(t *testing.T) {
			c := ctx
			if name == "fail/bad-op-name" {
				c = adapter.WithOperation(ctx, &adapter.Operation{Name: "C021 RSSMRA80A01H501U"})
			}
			req.RequestURI = ""
			_, err := u.Do(c, req)
			if re := reasonOf(t, err); re.Reason != resilience.ReasonRequest {
				t.Fatalf("%v", err)
			}
			if p := problemOf(err); p.Status != 500 || strings.Contains(p.Problem.Detail, "RSSMRA") {
				t.Fatalf("problem %+v", p.Problem)
			}
		})
	}
	if f.calls.Load() != 0 {
		t.Fatalf("server calls %d, want 0", f.calls.Load())
	}
}
