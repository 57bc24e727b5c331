package resilience

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Every failure the runtime reports maps to one problem type and status, carries Retry-After when
// it knows one, and tells the adapters' vocabulary (class, fault) what it is.
func TestErrorProblems(t *testing.T) {
	for reason, tc := range map[Reason]struct {
		code   string
		status int
		class  adapter.Class
		fault  bool
	}{
		ReasonCircuitOpen:      {"upstream-circuit-open", 503, adapter.Retryable, true},
		ReasonBulkheadFull:     {"upstream-busy", 503, adapter.Retryable, true},
		ReasonQuotaExhausted:   {"upstream-quota-exhausted", 429, adapter.Retryable, true},
		ReasonTimeout:          {"upstream-timeout", 504, adapter.Retryable, true},
		ReasonTransport:        {"upstream-unavailable", 503, adapter.Retryable, true},
		ReasonTLS:              {"upstream-unavailable", 503, adapter.Permanent, true},
		ReasonResponseTooLarge: {"upstream-invalid-response", 502, adapter.Permanent, true},
		ReasonCredentials:      {"upstream-credentials", 503, adapter.Retryable, true},
		ReasonRequest:          {"internal", 500, adapter.Permanent, false},
	} {
		t.Run(reason.String(), func(t *testing.T) {
			e := &Error{Reason: reason, Operation: "anpr.C021", Detail: "what happened", RetryAfter: 1500 * time.Millisecond,
				Cause: errors.New("dial tcp 10.1.2.3:443: connection refused")}
			wrapped := fmt.Errorf("anpr: C021: transport: %w", e) // as an adapter wraps it
			var p *problem.Error
			if !errors.As(wrapped, &p) {
				t.Fatal("the problem mapper must find the public form through an adapter's wrapping")
			}
			resp := problem.From(wrapped, "r1")
			if resp.Problem.Code != tc.code || resp.Status != tc.status || resp.Header["Retry-After"] != "2" ||
				resp.Problem.Detail != "anpr.C021: what happened" {
				t.Fatalf("%+v %v", resp.Problem, resp.Header)
			}
			if adapter.ClassOf(wrapped) != tc.class || adapter.IsUpstreamFault(wrapped) != tc.fault {
				t.Fatalf("class %v fault %v", adapter.ClassOf(wrapped), adapter.IsUpstreamFault(wrapped))
			}
			var re *Error
			if !errors.As(wrapped, &re) || re.Reason != reason {
				t.Fatal("errors.As must find the *Error by reason")
			}
		})
	}
}

func TestSummary(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want string
	}{
		"status":    {fmt.Errorf("x: %w", &adapter.StatusError{Status: 503}), "HTTP 503"},
		"transport": {&Error{Reason: ReasonTransport, Detail: "connection refused", Cause: errors.New("dial tcp 10.0.0.1:443")}, "connection refused"},
		"refusal":   {&Error{Reason: ReasonCircuitOpen, Detail: "a long explanation"}, "circuit-open"},
		"adapter":   {errors.New("inps: ConsultazioneAttestazione: DATABASE_OFFLINE"), "inps: ConsultazioneAttestazione: DATABASE_OFFLINE"},
		"nil":       {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Summary(tc.err); got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

// The backoff grows exponentially up to its cap, and each wait lies in [d/2, d].
func TestExponentialBackoff(t *testing.T) {
	b := ExponentialBackoff(100*time.Millisecond, time.Second)
	for attempt, d := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 40: time.Second, 0: 100 * time.Millisecond} {
		lo, hi := d, time.Duration(0)
		for range 2000 {
			w := b(attempt)
			lo, hi = min(lo, w), max(hi, w)
		}
		if lo < d/2 || hi > d || hi-lo < d/4 {
			t.Fatalf("attempt %d: waits in [%v, %v], want spread over [%v, %v]", attempt, lo, hi, d/2, d)
		}
	}
}

// The budget holds Burst retries, earns Ratio per call, and never exceeds Burst.
func TestRetryBudget(t *testing.T) {
	b := NewRetryBudget(0.25, 2)
	if got := []bool{b.Withdraw(), b.Withdraw(), b.Withdraw()}; !got[0] || !got[1] || got[2] {
		t.Fatalf("withdrawals %v: a fresh budget holds exactly its burst", got)
	}
	for range 3 {
		b.Deposit()
	}
	if b.Withdraw() {
		t.Fatal("3 calls at 25% do not earn a retry")
	}
	b.Deposit()
	if !b.Withdraw() || b.Withdraw() {
		t.Fatal("4 calls at 25% earn exactly one")
	}
	for range 100 {
		b.Deposit()
	}
	if b.Tokens() != 2 {
		t.Fatalf("tokens %v, want the burst of 2", b.Tokens())
	}
}

func TestRetrierNext(t *testing.T) {
	r := NewRetrier(RetryPolicy{Backoff: func(int) time.Duration { return 100 * time.Millisecond }}, nil)
	retryAfter := func(s int) error {
		return &adapter.StatusError{Status: 503, RetryAfter: time.Duration(s) * time.Second}
	}
	for name, tc := range map[string]struct {
		n          int
		idempotent bool
		err        error
		remaining  time.Duration
		retry      bool
		wait       time.Duration
	}{
		"ok/retryable":              {1, true, retryAfter(0), 0, true, 100 * time.Millisecond},
		"ok/retry-after-longer":     {1, true, retryAfter(3), 0, true, 3 * time.Second},
		"ok/within-deadline":        {1, true, retryAfter(3), 4 * time.Second, true, 3 * time.Second},
		"fail/not-idempotent":       {1, false, retryAfter(0), 0, false, 0},
		"fail/permanent":            {1, true, &adapter.StatusError{Status: 400}, 0, false, 0},
		"fail/business":             {1, true, classified(adapter.Business), 0, false, 0},
		"fail/caller-gone":          {1, true, fmt.Errorf("%w: %w", ErrCallerGone, context.Canceled), 0, false, 0},
		"fail/attempts-exhausted":   {3, true, retryAfter(0), 0, false, 0},
		"fail/retry-after-too-long": {1, true, retryAfter(11), 0, false, 0},
		"fail/deadline-too-close":   {1, true, retryAfter(3), 3 * time.Second, false, 0},
	} {
		t.Run(name, func(t *testing.T) {
			d := r.Next(tc.n, tc.idempotent, tc.err, tc.remaining)
			if d.Retry != tc.retry || d.Wait != tc.wait || (!d.Retry && d.Why == "") {
				t.Fatalf("%+v", d)
			}
		})
	}
}

type classified adapter.Class

func (c classified) Error() string                { return "classified" }
func (c classified) UpstreamClass() adapter.Class { return adapter.Class(c) }

// A bulkhead with a wait bound gives a freed slot to a waiting call, refuses after the bound, and
// lets the caller leave early.
func TestBulkheadWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBulkhead("inps", 1, time.Second)
		release, err := b.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := b.Acquire(context.Background()); time.Since(start) != time.Second {
			t.Fatalf("refused after %v, want after max_wait", time.Since(start))
		} else if re := (*Error)(nil); !errors.As(err, &re) || re.Reason != ReasonBulkheadFull ||
			re.Detail != "all 1 concurrent calls allowed to inps are in flight and none finished within 1s; retry shortly" {
			t.Fatalf("%v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := b.Acquire(ctx); !errors.Is(err, ErrCallerGone) {
			t.Fatalf("%v", err)
		}
		time.AfterFunc(500*time.Millisecond, release)
		start = time.Now()
		r2, err := b.Acquire(context.Background())
		if err != nil || time.Since(start) != 500*time.Millisecond {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
		r2()
		if b.InFlight() != 0 || b.Size() != 1 {
			t.Fatal("slot accounting")
		}
	})
}

// A breaker driven directly: excluded outcomes count neither way, and forcing closed then
// resetting returns it to its thresholds.
func TestBreakerOutcomes(t *testing.T) {
	var transitions []string
	b := NewBreaker("inps.ConsultazioneIndicatore", BreakerPolicy{ConsecutiveFailures: 2,
		OnStateChange: func(name string, from, to State) { transitions = append(transitions, from.String()+">"+to.String()) }})
	report := func(outcome error) {
		done, err := b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		done(outcome)
	}
	report(fmt.Errorf("%w: %w", ErrCallerGone, context.Canceled))
	report(ErrNotSent)
	report(classified(adapter.Business))
	report(&adapter.StatusError{Status: http.StatusBadRequest})
	st := b.Status()
	if st.Excluded != 2 || st.Successes != 2 || st.Failures != 0 {
		t.Fatalf("%+v", st)
	}
	report(&adapter.StatusError{Status: 502})
	report(&Error{Reason: ReasonTimeout, Detail: "no complete answer within 10s"})
	if st := b.Status(); st.State != "open" || st.LastFailure != "no complete answer within 10s" || len(transitions) != 1 || transitions[0] != "closed>open" {
		t.Fatalf("%+v %v", st, transitions)
	}
}

func TestConfigCheck(t *testing.T) {
	for name, tc := range map[string]struct {
		b    BreakerConfig
		r    RetryConfig
		want []string
	}{
		"ok/zero": {},
		"ok/tuned": {b: BreakerConfig{ConsecutiveFailures: 3, FailureRatio: 1, MinRequests: 5, Window: config.Duration(time.Minute),
			OpenTimeout: config.Duration(10 * time.Second), HalfOpenProbes: 3},
			r: RetryConfig{MaxAttempts: 1, BackoffBase: config.Duration(50 * time.Millisecond), BackoffMax: config.Duration(time.Second),
				MaxRetryAfter: config.Duration(30 * time.Second), BudgetRatio: 0.2, BudgetBurst: 5}},
		"fail/breaker": {b: BreakerConfig{ConsecutiveFailures: 5000, FailureRatio: 1.5, Window: config.Duration(time.Millisecond),
			OpenTimeout: config.Duration(2 * time.Hour), HalfOpenProbes: 1000},
			want: []string{"b.consecutive_failures", "b.failure_ratio", "b.window", "b.open_timeout", "b.half_open_probes"}},
		"fail/retry": {r: RetryConfig{MaxAttempts: 11, BackoffBase: config.Duration(time.Second), BackoffMax: config.Duration(500 * time.Millisecond),
			MaxRetryAfter: config.Duration(2 * time.Hour), BudgetRatio: -0.1, BudgetBurst: -1},
			want: []string{"r.max_attempts", "r.backoff_max", "r.max_retry_after", "r.budget_ratio", "r.budget_burst"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			tc.b.Check(ck.At("b"))
			tc.r.Check(ck.At("r"))
			var got []string
			for _, p := range ck.Problems() {
				got = append(got, p.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("problems %v, want %v", ck.Problems(), tc.want)
			}
		})
	}
}
