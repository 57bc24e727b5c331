package upstream

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// Which failures are retried: only retryable ones, only for idempotent operations, at most
// max_attempts in all. The last answer is returned as a response whatever its status.
func TestRetryWhatAndHowOften(t *testing.T) {
	for name, tc := range map[string]struct {
		op        *adapter.Operation
		status    int
		wantCalls int64
	}{
		"ok/idempotent-503-retried":         {opIdempotent, 503, 3},
		"ok/idempotent-500-retried":         {opIdempotent, 500, 3},
		"ok/idempotent-429-retried":         {opIdempotent, 429, 3},
		"ok/not-idempotent-sent-once":       {opOnce, 503, 1},
		"ok/no-operation-sent-once":         {nil, 503, 1},
		"ok/permanent-400-not-retried":      {opIdempotent, 400, 1},
		"ok/permanent-501-not-retried":      {opIdempotent, 501, 1},
		"ok/business-not-found-not-retried": {opBusiness, 404, 1},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeUpstream(t)
			synctest.Test(t, func(t *testing.T) {
				_, u := newTestRuntime(t, f.config(nil), Deps{}, true)
				f.respond(tc.status, "answer")
				status, body, err := doCall(context.Background(), t, u, tc.op, "q")
				if err != nil || status != tc.status || body != "answer" {
					t.Fatalf("got %d %q %v, want the upstream's last answer", status, body, err)
				}
				if got := f.calls.Load(); got != tc.wantCalls {
					t.Fatalf("server calls %d, want %d", got, tc.wantCalls)
				}
			})
		})
	}
}

// A call that fails and then succeeds returns the success; the waits between attempts follow the
// jittered exponential backoff (200ms then 400ms at most by default, at least half of each).
func TestRetryRecoversWithBackoff(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(nil), Deps{}, true)
		n := 0
		f.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			if n++; n < 3 {
				w.WriteHeader(503)
				return
			}
			_, _ = w.Write([]byte("finally"))
		})
		start := time.Now()
		status, body, err := doCall(context.Background(), t, u, opIdempotent, "q")
		elapsed := time.Since(start)
		if err != nil || status != 200 || body != "finally" {
			t.Fatalf("got %d %q %v", status, body, err)
		}
		if elapsed < 300*time.Millisecond || elapsed > 600*time.Millisecond {
			t.Fatalf("waited %v in all, want between 100ms+200ms and 200ms+400ms", elapsed)
		}
	})
}

// The upstream's Retry-After is honoured when it fits: the retry waits at least as long as asked.
// An answer asking for longer than max_retry_after, or than the call's deadline leaves, is
// returned at once without retrying.
func TestRetryAfter(t *testing.T) {
	for name, tc := range map[string]struct {
		retryAfter  time.Duration
		deadline    time.Duration // 0: none
		wantCalls   int64
		wantElapsed time.Duration // exact: no backoff jitter exceeds Retry-After here
	}{
		"ok/waits-as-asked":           {retryAfter: 5 * time.Second, wantCalls: 3, wantElapsed: 10 * time.Second},
		"ok/longer-than-max-returned": {retryAfter: 11 * time.Second, wantCalls: 1},
		"ok/beyond-deadline-returned": {retryAfter: 5 * time.Second, deadline: 4 * time.Second, wantCalls: 1},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeUpstream(t)
			synctest.Test(t, func(t *testing.T) {
				_, u := newTestRuntime(t, f.config(nil), Deps{}, true)
				f.set(fault.Spec{ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(tc.retryAfter)})
				ctx := context.Background()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				start := time.Now()
				status, _, err := doCall(ctx, t, u, opIdempotent, "q")
				if err != nil || status != 503 {
					t.Fatalf("got %d %v", status, err)
				}
				if got, elapsed := f.calls.Load(), time.Since(start); got != tc.wantCalls || elapsed != tc.wantElapsed {
					t.Fatalf("server calls %d after %v, want %d after %v", got, elapsed, tc.wantCalls, tc.wantElapsed)
				}
			})
		})
	}
}

// Once the caller's context is done, nothing more is sent: a cancellation during the backoff
// ends the call at once with ErrCallerGone.
func TestRetryStopsWhenCallerLeaves(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(nil), Deps{}, true)
		f.set(fault.Spec{ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(5 * time.Second)})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, _, err := doCall(ctx, t, u, opIdempotent, "q")
		if !errorsIs(err, resilience.ErrCallerGone) || time.Since(start) != 2*time.Second || f.calls.Load() != 1 {
			t.Fatalf("err %v after %v, %d calls; want ErrCallerGone after 2s and 1 call", err, time.Since(start), f.calls.Load())
		}
	})
}

// The retry budget stops retries from multiplying the load during an outage: with a burst of 2
// and a tiny ratio, the first call retries twice and the next ones not at all.
func TestRetryBudget(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Retry = resilience.RetryConfig{BudgetBurst: 2, BudgetRatio: 0.01}
			c.Breaker.ConsecutiveFailures = 1000
		}), Deps{}, true)
		f.respond(503, "")
		for i, want := range []int64{3, 4, 5, 6} {
			_, _, _ = doCall(context.Background(), t, u, opIdempotent, "q")
			if got := f.calls.Load(); got != want {
				t.Fatalf("after call %d the server saw %d, want %d", i+1, got, want)
			}
		}
	})
}

// The breaker is consulted before every retry: once it opens mid-call, the call returns the last
// answer instead of waiting for the next attempt.
func TestRetryStopsAtOpenBreaker(t *testing.T) {
	f := newFakeUpstream(t)
	synctest.Test(t, func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Breaker.ConsecutiveFailures = 2
			c.Retry.MaxAttempts = 5
		}), Deps{}, true)
		f.respond(503, "down")
		status, body, err := doCall(context.Background(), t, u, opIdempotent, "q")
		if err != nil || status != 503 || body != "down" || f.calls.Load() != 2 {
			t.Fatalf("got %d %q %v after %d calls; want the 2nd 503 and no 3rd attempt", status, body, err, f.calls.Load())
		}
	})
}

// An attempt gets at most its timeout, and the call at most call_timeout, retries included; a
// timeout is a Retryable failure (504 upstream-timeout) that counts against the breaker.
// Real time: a hanging exchange keeps a goroutine in a network read, which a synctest bubble
// would wait for forever.
func TestTimeouts(t *testing.T) {
	f := newFakeUpstream(t)
	f.set(fault.Spec{HangRate: 1, HangMax: fault.Duration(10 * time.Second)})
	noWait := resilience.RetryConfig{BackoffBase: config.Duration(time.Millisecond), BackoffMax: config.Duration(time.Millisecond)}

	t.Run("ok/attempt-timeout", func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) { c.Timeout = config.Duration(50 * time.Millisecond) }), Deps{}, false)
		_, _, err := doCall(context.Background(), t, u, opOnce, "q")
		re := reasonOf(t, err)
		if re.Reason != resilience.ReasonTimeout || re.Detail != "no complete answer within 50ms" || re.Attempts != 1 {
			t.Fatalf("attempt timeout: %v", err)
		}
		if p := problemOf(err); p.Status != 504 || p.Problem.Code != "upstream-timeout" || p.Problem.Detail != "fake.Submit: no complete answer within 50ms" {
			t.Fatalf("problem %+v", p.Problem)
		}
	})

	t.Run("ok/retries-within-call-timeout", func(t *testing.T) {
		// 50ms attempts within 200ms: a third would start with less than min_attempt_time left.
		r, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Timeout, c.CallTimeout, c.Retry = config.Duration(50*time.Millisecond), config.Duration(200*time.Millisecond), noWait
		}), Deps{}, false)
		before := f.calls.Load()
		_, _, err := doCall(context.Background(), t, u, opIdempotent, "q")
		re := reasonOf(t, err)
		if re.Reason != resilience.ReasonTimeout || re.Attempts != 2 || f.calls.Load()-before != 2 {
			t.Fatalf("%v (attempts %d, server calls %d); want 2 attempts", err, re.Attempts, f.calls.Load()-before)
		}
		if st := r.Breaker("fake.Lookup").Status(); st.Failures != 2 || st.LastFailure != "no complete answer within 50ms" {
			t.Fatalf("timeouts must count against the breaker: %+v", st)
		}
	})

	t.Run("ok/call-timeout", func(t *testing.T) {
		_, u := newTestRuntime(t, f.config(func(c *UpstreamConfig) {
			c.Timeout, c.CallTimeout = config.Duration(80*time.Millisecond), config.Duration(80*time.Millisecond)
		}), Deps{}, false)
		_, _, err := doCall(context.Background(), t, u, opIdempotent, "q")
		if re := reasonOf(t, err); re.Reason != resilience.ReasonTimeout || re.Detail != "no complete answer within the call timeout of 80ms" {
			t.Fatalf("%v", err)
		}
	})

	t.Run("ok/caller-deadline-counts", func(t *testing.T) {
		// The caller's deadline is shorter than the operation's timeout: the upstream still failed
		// to answer in the time it had, and the breaker must learn it.
		r, u := newTestRuntime(t, f.config(nil), Deps{}, false)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := doCall(ctx, t, u, opOnce, "q")
		if re := reasonOf(t, err); re.Reason != resilience.ReasonTimeout || re.Detail != "no complete answer before the caller's deadline" {
			t.Fatalf("%v", err)
		}
		if st := r.Breaker("fake.Submit").Status(); st.Failures != 1 {
			t.Fatalf("%+v", st)
		}
	})

	t.Run("ok/slow-body", func(t *testing.T) {
		// A slow body counts like a slow header: the attempt timeout covers the whole answer.
		g := newFakeUpstream(t)
		_, u := newTestRuntime(t, g.config(func(c *UpstreamConfig) { c.Timeout = config.Duration(50 * time.Millisecond) }), Deps{}, false)
		g.setAnswer(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("Content-Length", strconv.Itoa(10))
			_, _ = w.Write([]byte("slow"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		_, _, err := doCall(context.Background(), t, u, opOnce, "q")
		if re := reasonOf(t, err); re.Reason != resilience.ReasonTimeout {
			t.Fatalf("slow body: %v", err)
		}
	})
}
