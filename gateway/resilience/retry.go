package resilience

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// RetryPolicy decides whether and when a failed attempt is repeated. The runtime retries only
// operations marked idempotent (upstream.Operation.Idempotent), never once the caller's context is
// done, and never past the call's deadline. The zero value of each field means its default.
type RetryPolicy struct {
	// MaxAttempts bounds the attempts of one call, the first included. Default 3; 1 disables
	// retries.
	MaxAttempts int
	// ShouldRetry says whether an attempt's error may be retried. Default DefaultShouldRetry.
	ShouldRetry func(err error) bool
	// Backoff is the wait after failed attempt n (1, 2, ...) before the next one. Default
	// ExponentialBackoff(DefaultBackoffBase, DefaultBackoffMax).
	Backoff func(attempt int) time.Duration
	// MaxRetryAfter is the longest upstream Retry-After the runtime waits for. An answer asking
	// for longer (an exhausted quota until midnight) is not retried: the caller gets it at once.
	// Default 10s.
	MaxRetryAfter time.Duration
	// MinAttemptTime is the least time worth giving an attempt: a retry is not started when less
	// than this would remain of the call's deadline after the wait. Default 100ms.
	MinAttemptTime time.Duration
}

// Defaults of RetryPolicy.
const (
	DefaultMaxAttempts    = 3
	DefaultBackoffBase    = 200 * time.Millisecond
	DefaultBackoffMax     = 2 * time.Second
	DefaultMaxRetryAfter  = 10 * time.Second
	DefaultMinAttemptTime = 100 * time.Millisecond
)

// DefaultShouldRetry retries Retryable failures (5xx but 501, 429, timeouts, connection
// failures, INPS DATABASE_OFFLINE) and nothing else: not Business answers, not Permanent
// failures, not attempts the caller abandoned.
func DefaultShouldRetry(err error) bool {
	if err == nil || errors.Is(err, ErrCallerGone) {
		return false
	}
	return upstream.ClassOf(err) == upstream.Retryable
}

// ExponentialBackoff returns a "full jitter" backoff: after attempt n a uniformly random wait in
// [d/2, d] with d = min(base·2^(n-1), max). The jitter spreads the retries of callers that failed
// together; the floor of d/2 keeps a retry from following its failure at once.
func ExponentialBackoff(base, maxWait time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := maxWait
		if attempt < 32 {
			d = min(base<<(max(attempt, 1)-1), maxWait)
		}
		if d <= 0 {
			return 0
		}
		half := d / 2
		return half + rand.N(d-half+1)
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.ShouldRetry == nil {
		p.ShouldRetry = DefaultShouldRetry
	}
	if p.Backoff == nil {
		p.Backoff = ExponentialBackoff(DefaultBackoffBase, DefaultBackoffMax)
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.MinAttemptTime == 0 {
		p.MinAttemptTime = DefaultMinAttemptTime
	}
	return p
}

// Retrier applies a RetryPolicy and a RetryBudget. Safe for concurrent use.
type Retrier struct {
	policy RetryPolicy
	budget *RetryBudget
}

// NewRetrier returns a Retrier; budget nil means retries are bounded by the policy alone.
func NewRetrier(p RetryPolicy, budget *RetryBudget) *Retrier {
	return &Retrier{policy: p.withDefaults(), budget: budget}
}

// MaxAttempts is the policy's bound on attempts per call.
func (r *Retrier) MaxAttempts() int { return r.policy.MaxAttempts }

// Decision is the Retrier's answer after a failed attempt.
type Decision struct {
	Retry bool
	// Wait is how long to wait before the next attempt.
	Wait time.Duration
	// Why explains a refusal to retry, for logs ("not idempotent", "retry budget exhausted").
	Why string
}

// Next decides after failed attempt n (1-based) of a call whose deadline is in remaining
// (remaining <= 0: no deadline). err is the attempt's error (a *upstream.StatusError or an adapter's
// classified error for an answer). The wait honours the upstream's Retry-After (upstream.RetryAfter
// in err's chain): never shorter than it asked, and no retry when it asks for more than
// MaxRetryAfter or than the deadline allows. A retry takes one token from the budget.
func (r *Retrier) Next(n int, idempotent bool, err error, remaining time.Duration) Decision {
	p := r.policy
	switch {
	case !idempotent:
		return Decision{Why: "the operation is not idempotent"}
	case !p.ShouldRetry(err):
		return Decision{Why: "the failure is not retryable"}
	case n >= p.MaxAttempts:
		return Decision{Why: "attempts exhausted"}
	}
	wait := p.Backoff(n)
	var ra upstream.RetryAfter
	if errors.As(err, &ra) {
		advice := time.Duration(ra.RetryAfterSeconds()) * time.Second
		if advice > p.MaxRetryAfter {
			return Decision{Why: "the upstream asked to wait longer than max_retry_after"}
		}
		wait = max(wait, advice)
	}
	if remaining > 0 && wait+p.MinAttemptTime > remaining {
		return Decision{Why: "the deadline leaves no time for another attempt"}
	}
	if r.budget != nil && !r.budget.Withdraw() {
		return Decision{Why: "the retry budget is exhausted"}
	}
	return Decision{Retry: true, Wait: wait}
}

// Started records a call's first attempt (it earns the budget its share of retries).
func (r *Retrier) Started() {
	if r.budget != nil {
		r.budget.Deposit()
	}
}

// RetryBudget bounds retries to a share of the calls, so that retries cannot multiply the load on
// an upstream that is failing: every first attempt deposits Ratio of a token, every retry takes a
// whole one, and the bucket holds at most Burst tokens (it starts full). Over any period, retries
// <= Burst + Ratio × calls. Safe for concurrent use.
type RetryBudget struct {
	mu     sync.Mutex
	ratio  float64
	burst  float64
	tokens float64
}

// Defaults of RetryBudget.
const (
	DefaultRetryRatio = 0.1
	DefaultRetryBurst = 10
)

// NewRetryBudget returns a full budget; ratio 0 means DefaultRetryRatio, burst 0 DefaultRetryBurst.
func NewRetryBudget(ratio float64, burst int) *RetryBudget {
	if ratio == 0 {
		ratio = DefaultRetryRatio
	}
	if burst == 0 {
		burst = DefaultRetryBurst
	}
	return &RetryBudget{ratio: ratio, burst: float64(burst), tokens: float64(burst)}
}

// Deposit credits one call.
func (b *RetryBudget) Deposit() {
	b.mu.Lock()
	b.tokens = min(b.tokens+b.ratio, b.burst)
	b.mu.Unlock()
}

// Withdraw takes a token for one retry and reports whether there was one.
func (b *RetryBudget) Withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Tokens is the number of retries available now.
func (b *RetryBudget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// Sleep waits d, or until ctx ends (then it returns ctx.Err()). A retry's wait uses it, so that a
// caller who leaves ends the wait at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
