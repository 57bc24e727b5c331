package resilience

import (
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// BreakerConfig is the circuit-breaker section of an upstream (upstreams.<name>.breaker). Each
// operation of the upstream gets its own breaker with these settings. Zero values mean the
// defaults in brackets.
type BreakerConfig struct {
	// ConsecutiveFailures opens the breaker after that many failed calls in a row [5]. 1..1000.
	ConsecutiveFailures uint32 `yaml:"consecutive_failures"`
	// FailureRatio opens it when that share of the calls within window failed [0.5], once
	// min_requests calls were made there. In (0, 1].
	FailureRatio float64 `yaml:"failure_ratio"`
	// MinRequests is the least number of calls in the window for failure_ratio to apply [20].
	MinRequests uint32 `yaml:"min_requests"`
	// Window is the rolling window of failure_ratio [60s]. 1s..1h.
	Window config.Duration `yaml:"window"`
	// OpenTimeout is how long the breaker stays open before probing the upstream again [30s].
	// This is the Retry-After of refused calls. 1s..1h.
	OpenTimeout config.Duration `yaml:"open_timeout"`
	// HalfOpenProbes is how many probe calls are let through when half-open; as many successes
	// close the breaker, a failure opens it again [1]. 1..100.
	HalfOpenProbes uint32 `yaml:"half_open_probes"`
}

// Check records every problem with its field.
func (c *BreakerConfig) Check(ck config.Checker) {
	if c.ConsecutiveFailures > 1000 {
		ck.Errorf("consecutive_failures", "%d is more than 1000: the breaker would never open", c.ConsecutiveFailures)
	}
	if c.FailureRatio < 0 || c.FailureRatio > 1 {
		ck.Errorf("failure_ratio", "%v is not in (0, 1] (0.5 opens the breaker when half the calls fail)", c.FailureRatio)
	}
	config.CheckDuration(ck, "window", c.Window, time.Second, time.Hour)
	config.CheckDuration(ck, "open_timeout", c.OpenTimeout, time.Second, time.Hour)
	if c.HalfOpenProbes > 100 {
		ck.Errorf("half_open_probes", "%d is more than 100", c.HalfOpenProbes)
	}
}

// Policy is the BreakerPolicy the section describes (the function fields keep their defaults).
func (c *BreakerConfig) Policy() BreakerPolicy {
	return BreakerPolicy{
		ConsecutiveFailures: c.ConsecutiveFailures,
		FailureRatio:        c.FailureRatio,
		MinRequests:         c.MinRequests,
		Window:              c.Window.D(),
		OpenTimeout:         c.OpenTimeout.D(),
		HalfOpenProbes:      c.HalfOpenProbes,
	}
}

// RetryConfig is the retry section of an upstream (upstreams.<name>.retry). Only operations the
// adapter marks idempotent are retried, and only after retryable failures. Zero values mean the
// defaults in brackets.
type RetryConfig struct {
	// MaxAttempts bounds the attempts of one call, the first included [3]; 1 disables retries.
	// 1..10.
	MaxAttempts int `yaml:"max_attempts"`
	// BackoffBase and BackoffMax shape the wait between attempts: after attempt n a random wait
	// in [d/2, d] with d = min(backoff_base·2^(n-1), backoff_max) [200ms, 2s].
	BackoffBase config.Duration `yaml:"backoff_base"`
	BackoffMax  config.Duration `yaml:"backoff_max"`
	// MaxRetryAfter is the longest Retry-After of the upstream the gateway waits for before
	// retrying [10s]; an answer asking for longer is returned to the caller at once.
	MaxRetryAfter config.Duration `yaml:"max_retry_after"`
	// BudgetRatio bounds retries to that share of the calls, over time [0.1 = at most 10% extra
	// load], plus BudgetBurst retries in reserve [10]. In (0, 1].
	BudgetRatio float64 `yaml:"budget_ratio"`
	BudgetBurst int     `yaml:"budget_burst"`
}

// Check records every problem with its field.
func (c *RetryConfig) Check(ck config.Checker) {
	if c.MaxAttempts < 0 || c.MaxAttempts > 10 {
		ck.Errorf("max_attempts", "%d is not in 1..10", c.MaxAttempts)
	}
	config.CheckDuration(ck, "backoff_base", c.BackoffBase, time.Millisecond, time.Minute)
	config.CheckDuration(ck, "backoff_max", c.BackoffMax, time.Millisecond, 5*time.Minute)
	if c.BackoffBase > 0 && c.BackoffMax > 0 && c.BackoffMax < c.BackoffBase {
		ck.Errorf("backoff_max", "%s is shorter than backoff_base %s", c.BackoffMax, c.BackoffBase)
	}
	config.CheckDuration(ck, "max_retry_after", c.MaxRetryAfter, time.Second, time.Hour)
	if c.BudgetRatio < 0 || c.BudgetRatio > 1 {
		ck.Errorf("budget_ratio", "%v is not in (0, 1] (0.1 allows retries of at most 10%% of the calls)", c.BudgetRatio)
	}
	if c.BudgetBurst < 0 || c.BudgetBurst > 10000 {
		ck.Errorf("budget_burst", "%d is not in 1..10000", c.BudgetBurst)
	}
}

// Retrier builds the Retrier the section describes, with its own budget.
func (c *RetryConfig) Retrier() *Retrier {
	base, maxWait := c.BackoffBase.D(), c.BackoffMax.D()
	if base == 0 {
		base = DefaultBackoffBase
	}
	if maxWait == 0 {
		maxWait = max(DefaultBackoffMax, base)
	}
	return NewRetrier(RetryPolicy{
		MaxAttempts:   c.MaxAttempts,
		Backoff:       ExponentialBackoff(base, maxWait),
		MaxRetryAfter: c.MaxRetryAfter.D(),
	}, NewRetryBudget(c.BudgetRatio, c.BudgetBurst))
}
