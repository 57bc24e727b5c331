package eservice

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/store"
)

// Problem types of the chain (README.md lists them, with gateway/problem/README.md).
var (
	// RateLimited: the consumer used up its rate limit for this purpose; Retry-After says when the
	// next call is admitted.
	RateLimited = problem.Type{Code: "rate-limited", Status: http.StatusTooManyRequests, Title: "Rate limit exceeded"}
	// RateLimitUnavailable: the shared store that keeps the limits does not answer, so the limit
	// cannot be enforced; the call is refused rather than served unmetered.
	RateLimitUnavailable = problem.Type{Code: "rate-limit-unavailable", Status: http.StatusServiceUnavailable, Title: "Rate limit unavailable"}
	// Overloaded: the e-service is serving as many requests as it may at once on this instance.
	Overloaded = problem.Type{Code: "overloaded", Status: http.StatusServiceUnavailable, Title: "Service overloaded"}
)

// Rate-limit response headers (RAC_ROBUSTEZZA_001): the limit per window, what is left, and the
// seconds until the full limit is available again.
const (
	HeaderLimit     = "X-RateLimit-Limit"
	HeaderRemaining = "X-RateLimit-Remaining"
	HeaderReset     = "X-RateLimit-Reset"
)

// rateLimitRetryAfter is the Retry-After when the limits' store does not answer.
const rateLimitRetryAfter = 5 * time.Second

// rateLimit admits the call under the consumer's limit for its purpose: one atomic GCRA step in the
// shared store (store.RateLimit), so the limit holds across replicas.
func (c *Chain) rateLimit(ctx *fiber.Ctx, next int) error {
	if c.limit == nil {
		return c.next(ctx, next)
	}
	key := "rl:" + c.name + ":" + CallerOf(ctx).ConsumerKey()
	d, err := c.deps.Store.RateLimit(ctx.UserContext(), key, c.limit.Requests, c.limit.Period.D())
	if err != nil {
		return problem.Wrap(RateLimitUnavailable, err, "the rate limit of this e-service cannot be checked now; retry later").
			WithRetryAfter(rateLimitRetryAfter)
	}
	ctx.Locals(decisionKey, &d)
	if !d.Allowed {
		return problem.New(RateLimited, "this consumer has used its %d calls per %s for this purpose; the next is admitted in %ss",
			c.limit.Requests, c.limit.Period, ceilSeconds(d.RetryAfter)).WithRetryAfter(d.RetryAfter)
	}
	return c.next(ctx, next)
}

// setRateLimitHeaders puts X-RateLimit-* on the response. A call that reached the limiter reports
// its consumer's bucket; any other (refused before it, /status, the contract) counted against no
// bucket, so it reports the full limit, available now.
func (c *Chain) setRateLimitHeaders(ctx *fiber.Ctx) {
	if c.limit == nil {
		return
	}
	d, ok := ctx.Locals(decisionKey).(*store.RateLimitResult)
	if !ok {
		d = &store.RateLimitResult{Limit: c.limit.Requests, Remaining: c.limit.Requests}
	}
	ctx.Set(HeaderLimit, strconv.FormatInt(d.Limit, 10))
	ctx.Set(HeaderRemaining, strconv.FormatInt(d.Remaining, 10))
	ctx.Set(HeaderReset, ceilSeconds(d.ResetAfter))
}

// ceilSeconds writes d in whole seconds, rounded up ("0" for zero).
func ceilSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
