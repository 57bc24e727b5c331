package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// The whole breaker cycle over real HTTP, in a synctest bubble so that the open timeout passes
// without waiting: five failed calls open it; the sixth fails fast without reaching the server,
// with a detail and Retry-After that say why and for how long; after the open timeout a probe
// goes through, and its success closes the breaker.
func TestBreakerCycle(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Breaker.OpenTimeout = config.Duration(30 * time.Second)
		}), Deps{}, true)
		ctx := context.Background()
		f.set(fault.Spec{ErrorRate: 1, ErrorStatus: 503})
		for i := range 5 {
			status, _, err := doCall(ctx, t, u, opOnce, "q")
			if err != nil || status != 503 {
				t.Fatalf("call %d: status %d, err %v; want the upstream's 503 as a response", i, status, err)
			}
		}
		opened := time.Now()
		_, _, err := doCall(ctx, t, u, opOnce, "q")
		re := reasonOf(t, err)
		if re.Reason != resilience.ReasonCircuitOpen || re.Attempts != 0 {
			t.Fatalf("6th call: %v, want circuit-open with no attempt", err)
		}
		if got := f.calls.Load(); got != 5 {
			t.Fatalf("the server saw %d calls, want 5: an open breaker must not call", got)
		}
		wantDetail := fmt.Sprintf("circuit for fake.Submit is open since %s after 5 consecutive failures (last: HTTP 503); retrying in 30s",
			opened.UTC().Format("15:04:05Z"))
		if re.Detail != wantDetail {
			t.Fatalf("detail %q\nwant   %q", re.Detail, wantDetail)
		}
		p := problemOf(err)
		if p.Status != 503 || p.Problem.Code != "upstream-circuit-open" || p.Header["Retry-After"] != "30" {
			t.Fatalf("problem %+v, headers %v", p.Problem, p.Header)
		}
		st := r.Breakers()[0]
		if st.Name != "fake.Submit" || st.State != "open" || !st.Since.Equal(opened) || st.LastFailure != "HTTP 503" ||
			st.Trip != "5 consecutive failures" || !st.ProbeAt.Equal(opened.Add(30*time.Second)) {
			t.Fatalf("status %+v", st)
		}

		time.Sleep(10 * time.Second)
		_, _, err = doCall(ctx, t, u, opOnce, "q")
		if re := reasonOf(t, err); re.RetryAfter != 20*time.Second {
			t.Fatalf("10s later RetryAfter = %v, want 20s", re.RetryAfter)
		}

		time.Sleep(20*time.Second + time.Millisecond)
		f.set(fault.Spec{})
		if st := r.Breaker("fake.Submit").Status(); st.State != "half-open" || !st.Since.Equal(opened.Add(30*time.Second)) {
			t.Fatalf("after the open timeout: %+v, want half-open since the timeout", st)
		}
		if status, _, err := doCall(ctx, t, u, opOnce, "q"); err != nil || status != 200 {
			t.Fatalf("probe: %d %v", status, err)
		}
		if st := r.Breaker("fake.Submit").Status(); st.State != "closed" {
			t.Fatalf("after a successful probe: %+v, want closed", st)
		}
		if got := f.calls.Load(); got != 6 {
			t.Fatalf("server calls %d, want 6", got)
		}
	})
}

// A failed probe opens the breaker again for a full timeout; while the probe is in flight,
// other calls fail fast.
func TestBreakerFailedProbeReopens(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Breaker.ConsecutiveFailures = 2
			c.Breaker.OpenTimeout = config.Duration(time.Minute)
		}), Deps{}, true)
		ctx := context.Background()
		f.set(fault.Spec{ErrorRate: 1, ErrorStatus: 500})
		for range 2 {
			_, _, _ = doCall(ctx, t, u, opOnce, "q")
		}
		time.Sleep(time.Minute + time.Millisecond)
		if status, _, err := doCall(ctx, t, u, opOnce, "q"); status != 500 || err != nil {
			t.Fatalf("probe: %d %v", status, err)
		}
		st := r.Breaker("fake.Submit").Status()
		if st.State != "open" || st.Trip != "a failed probe" || !st.ProbeAt.Equal(time.Now().Add(time.Minute)) {
			t.Fatalf("after a failed probe: %+v", st)
		}
		if f.calls.Load() != 3 {
			t.Fatalf("server calls %d, want 3", f.calls.Load())
		}
	})
}

// While the half-open breaker's probe is in flight, other calls fail fast with a detail that
// says so, and never reach the server.
func TestBreakerHalfOpenAdmitsOnlyProbes(t *testing.T) {
	f := newFakeUpstream(t)
	// Made outside the bubble: the server's goroutines, which are not in it, use them.
	release, arrived := make(chan struct{}), make(chan struct{})
	synctest.Test(t, func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Breaker.ConsecutiveFailures = 1
			c.Breaker.OpenTimeout = config.Duration(time.Second)
		}), Deps{}, true)
		ctx := context.Background()
		f.respond(500, "down")
		_, _, _ = doCall(ctx, t, u, opOnce, "q")
		time.Sleep(time.Second + time.Millisecond)
		f.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			close(arrived)
			<-release
		})
		probe := make(chan error)
		go func() {
			_, _, err := doCall(ctx, t, u, opOnce, "probe")
			probe <- err
		}()
		<-arrived
		_, _, err := doCall(ctx, t, u, opOnce, "q")
		if re := reasonOf(t, err); re.Reason != resilience.ReasonCircuitOpen || !strings.Contains(re.Detail, "half-open") {
			t.Fatalf("call during the probe: %v", err)
		}
		close(release)
		if err := <-probe; err != nil {
			t.Fatal(err)
		}
		if f.calls.Load() != 2 {
			t.Fatalf("server calls %d, want 2", f.calls.Load())
		}
	})
}

// Business answers ("not found") and refusals of our own request (400) say the upstream works:
// however many there are, the breaker stays closed and counts them as successes.
func TestBreakerIgnoresBusinessAndCallerFaults(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		op     string
	}{
		"ok/business-not-found": {404, "Find"},
		"ok/bad-request":        {400, "Submit"},
		"ok/unauthorized":       {403, "Submit"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeUpstream(t)
			r, u := newTestRuntime(t, f.config(nil), Deps{}, false)
			f.respond(tc.status, "no")
			op := opOnce
			if tc.op == "Find" {
				op = opBusiness
			}
			for range 50 {
				if status, _, err := doCall(context.Background(), t, u, op, "q"); err != nil || status != tc.status {
					t.Fatalf("status %d, err %v", status, err)
				}
			}
			st := r.Breaker("fake." + tc.op).Status()
			if st.State != "closed" || st.Successes != 50 || st.Failures != 0 || f.calls.Load() != 50 {
				t.Fatalf("status %+v, server calls %d", st, f.calls.Load())
			}
		})
	}
}

// A steady mix that never fails 5 times in a row still opens the breaker once half the calls of
// the window failed.
func TestBreakerFailureRatio(t *testing.T) {
	f := newFakeUpstream(t)
	r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
		c.Breaker.MinRequests = 10
		c.Breaker.FailureRatio = 0.5
	}), Deps{}, false)
	n := 0
	f.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		n++ // the server handles one call at a time here
		if n%2 == 0 {
			w.WriteHeader(503)
		}
	})
	for i := range 10 {
		if _, _, err := doCall(context.Background(), t, u, opOnce, "q"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	st := r.Breaker("fake.Submit").Status()
	if st.State != "open" || st.Trip != "5 failures in 10 calls within 1m0s" {
		t.Fatalf("status %+v", st)
	}
}

// A caller that gives up does not count against the upstream: ten abandoned calls leave the
// breaker closed, counted as excluded.
func TestBreakerExcludesCallerCancellation(t *testing.T) {
	f := newFakeUpstream(t)
	r, u := newTestRuntime(t, f.config(nil), Deps{}, false)
	f.set(fault.Spec{HangRate: 1, HangMax: fault.Duration(time.Minute)})
	for range 10 {
		ctx, cancel := context.WithCancel(context.Background())
		before := f.calls.Load()
		go func() {
			for f.calls.Load() == before {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, _, err := doCall(ctx, t, u, opIdempotent, "q")
		if !errorsIs(err, resilience.ErrCallerGone) {
			t.Fatalf("err %v, want ErrCallerGone", err)
		}
	}
	st := r.Breaker("fake.Lookup").Status()
	if st.State != "closed" || st.Failures != 0 || st.Excluded != 10 {
		t.Fatalf("status %+v", st)
	}
	if f.calls.Load() != 10 {
		t.Fatalf("server calls %d, want 10 (a cancelled call is never retried)", f.calls.Load())
	}
}

// Operators can force a breaker open (calls fail fast, the detail names the forcing), force it
// closed (calls go through while the upstream fails, failures recorded but never tripping), and
// reset it to automatic, closed with zero counts.
func TestBreakerForcing(t *testing.T) {
	f := newFakeUpstream(t)
	r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
		c.Operations = map[string]OperationConfig{"Submit": {}}
	}), Deps{}, false)
	ctx := context.Background()
	b := r.Breaker("fake.Submit")
	if b == nil {
		t.Fatal("a configured operation's breaker must exist before its first call")
	}
	b.ForceOpen("INPS maintenance window, ticket 4711")
	_, _, err := doCall(ctx, t, u, opOnce, "q")
	re := reasonOf(t, err)
	if re.Reason != resilience.ReasonCircuitOpen || !strings.Contains(re.Detail, "forced open by an operator") ||
		!strings.Contains(re.Detail, "ticket 4711") || f.calls.Load() != 0 {
		t.Fatalf("forced open: %v (server calls %d)", err, f.calls.Load())
	}
	if st := b.Status(); st.Mode != "forced-open" || st.ForcedReason != "INPS maintenance window, ticket 4711" {
		t.Fatalf("status %+v", st)
	}

	b.ForceClosed("testing the fix")
	f.set(fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	for range 20 {
		if status, _, err := doCall(ctx, t, u, opOnce, "q"); status != 503 || err != nil {
			t.Fatalf("forced closed: %d %v", status, err)
		}
	}
	if st := b.Status(); st.Mode != "forced-closed" || st.State != "closed" || st.LastFailure != "HTTP 503" || f.calls.Load() != 20 {
		t.Fatalf("forced closed: %+v, server calls %d", st, f.calls.Load())
	}

	b.Reset()
	for range 5 {
		_, _, _ = doCall(ctx, t, u, opOnce, "q")
	}
	if st := b.Status(); st.Mode != "auto" || st.State != "open" {
		t.Fatalf("after reset and 5 failures: %+v", st)
	}
	b.Reset()
	if st := b.Status(); st.Mode != "auto" || st.State != "closed" || st.Requests != 0 {
		t.Fatalf("after reset: %+v", st)
	}
}

// Each operation has its own breaker: an open one does not stop the others.
func TestBreakerPerOperation(t *testing.T) {
	f := newFakeUpstream(t)
	_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) { c.Breaker.ConsecutiveFailures = 1 }), Deps{}, false)
	f.respond(503, "")
	_, _, _ = doCall(context.Background(), t, u, opOnce, "q")
	if _, _, err := doCall(context.Background(), t, u, opOnce, "q"); reasonOf(t, err).Reason != resilience.ReasonCircuitOpen {
		t.Fatal("Submit's breaker should be open")
	}
	f.respond(200, "ok")
	if status, _, err := doCall(context.Background(), t, u, opBusiness, "q"); status != 200 || err != nil {
		t.Fatalf("Find: %d %v; another operation's breaker must not refuse it", status, err)
	}
}
