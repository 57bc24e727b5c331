// Package gcra holds the arithmetic of the Generic Cell Rate Algorithm behind store.RateLimit, in
// integer microseconds, so the in-memory store and the Redis script decide identically: memory calls
// Decide; the Redis script performs the same comparison and update on the server and hands back the
// delay it saw, from which Result builds the same RateLimitResult.
//
// The state of one limiter is its theoretical arrival time (TAT): the instant at which the limiter is
// back to a full burst. With T the emission interval and τ = (limit−1)·T the tolerance, a request at
// now sees delay = max(TAT−now, 0); it is admitted iff delay <= τ, and then TAT becomes now+delay+T.
package gcra

import (
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// Limit is one validated rate limit. The zero value is not usable; build it with New.
type Limit struct {
	limit     int64
	interval  int64 // T, microseconds between admissions at the sustained rate
	tolerance int64 // τ = (limit-1)·T, how far ahead of now the TAT may be for a request to pass
}

// New validates limit and period (store.ErrInvalidLimit, store.ErrInvalidTTL) and derives the
// emission interval, rounded up to a whole microsecond so rounding never admits more than limit per
// period at the sustained rate.
func New(limit int64, period time.Duration) (Limit, error) {
	if period <= 0 {
		return Limit{}, store.ErrInvalidTTL
	}
	if limit < 1 || limit > store.MaxRateLimit {
		return Limit{}, store.ErrInvalidLimit
	}
	periodMicros := (int64(period) + int64(time.Microsecond) - 1) / int64(time.Microsecond)
	interval := (periodMicros + limit - 1) / limit
	return Limit{limit: limit, interval: interval, tolerance: (limit - 1) * interval}, nil
}

// Interval is the emission interval T in microseconds.
func (l Limit) Interval() int64 { return l.interval }

// Tolerance is τ = (limit−1)·T in microseconds.
func (l Limit) Tolerance() int64 { return l.tolerance }

// Decide admits or refuses one request at now given the stored TAT (any value <= now, including 0,
// means no debt). When admitted it returns the TAT to store; the state may be dropped once the
// clock reaches it, since a TAT <= now is the same as no state. When refused newTAT is tat unchanged.
func (l Limit) Decide(tat, now int64) (res store.RateLimitResult, newTAT int64) {
	delay := max(tat-now, 0)
	if delay > l.tolerance {
		return l.Result(false, delay), tat
	}
	return l.Result(true, delay), now + delay + l.interval
}

// Result is the decision for a request that found the given delay (max(TAT−now, 0) before it).
func (l Limit) Result(allowed bool, delay int64) store.RateLimitResult {
	if !allowed {
		return store.RateLimitResult{
			Allowed:    false,
			Limit:      l.limit,
			RetryAfter: micros(delay - l.tolerance),
			ResetAfter: micros(delay),
		}
	}
	return store.RateLimitResult{
		Allowed:    true,
		Limit:      l.limit,
		Remaining:  (l.tolerance - delay) / l.interval,
		ResetAfter: micros(delay + l.interval),
	}
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
