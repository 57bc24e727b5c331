// Package upstream is the vocabulary every adapter shares with the gateway's upstream runtime
// (vouchers, ModI signing, circuit breakers, retries, caching): the transport an adapter's client
// calls, how an adapter classifies a failure so the runtime knows whether to retry it, count it
// against the circuit breaker, or treat it as an answer, the Operation an adapter declares for each
// kind of call (its name, whether it is idempotent, how to check its answers), the Caller (the
// operator and the case) that travels in the context, and how upstream free text becomes fit for
// errors and logs (FreeText; contracts.MaskCodiciFiscaliInText masks without bounding).
//
// Adapters import this package; they never import the runtime. The runtime (gateway/...) implements
// Transport and reads Class.
package upstream

import (
	"context"
	"errors"
	"net/http"
)

// Transport sends one HTTP request to an upstream. The gateway's implementation adds the PDND
// voucher and ModI headers, applies the timeout, the bulkhead and the circuit breaker. Like
// http.RoundTripper it returns a nil error whenever it obtained a response, whatever its status;
// the caller closes the body. Implementations are safe for concurrent use.
type Transport interface {
	Do(ctx context.Context, req *http.Request) (*http.Response, error)
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, req *http.Request) (*http.Response, error)

// Do calls f.
func (f TransportFunc) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	return f(ctx, req)
}

// Class says what a failed upstream call means for the runtime.
type Class int

const (
	// Unclassified is the zero value: the error did not say. ClassOf treats it as Retryable when
	// it comes from the network or a deadline, else Permanent.
	Unclassified Class = iota
	// Business is an answer about the subject (not found, no valid ISEE, deceased): it is cached
	// like a result, never retried, and never counted as an upstream failure by a circuit breaker.
	Business
	// Retryable is a failure of the upstream or the network (5xx, 429, timeouts, garbled replies,
	// DATABASE_OFFLINE): an idempotent call may be retried with backoff, and it counts against the
	// breaker.
	Retryable
	// Permanent is a failure that repeating the same request cannot fix (an invalid request, a
	// rejected credential): never retried; it counts against the breaker only when it is the
	// upstream's fault (see Faulted).
	Permanent
)

func (c Class) String() string {
	switch c {
	case Business:
		return "business"
	case Retryable:
		return "retryable"
	case Permanent:
		return "permanent"
	}
	return "unclassified"
}

// Classified is implemented by adapter errors that know their class.
type Classified interface {
	error
	UpstreamClass() Class
}

// ClassOf returns the class of err: the first Classified in its chain, else Retryable for
// deadlines and network errors, else Permanent. A nil error has no class (Unclassified).
func ClassOf(err error) Class {
	if err == nil {
		return Unclassified
	}
	var c Classified
	if errors.As(err, &c) {
		if cl := c.UpstreamClass(); cl != Unclassified {
			return cl
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Retryable
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return Retryable
	}
	return Permanent
}

// Faulted is implemented by adapter errors that can say whether the failure is the upstream's (or
// the network's) rather than the caller's. A Permanent failure caused by the upstream (an unknown
// outcome code, an answer about another subject) must open a circuit breaker; one caused by the
// caller (an invalid request) must not.
type Faulted interface {
	error
	UpstreamFault() bool
}

// IsUpstreamFault reports whether a circuit breaker should count err as a failure of the
// upstream: never for nil, a Business answer or the caller's own cancellation; as the error says
// when it implements Faulted; otherwise when its class is Retryable.
func IsUpstreamFault(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	class := ClassOf(err)
	if class == Business {
		return false
	}
	var f Faulted
	if errors.As(err, &f) {
		return f.UpstreamFault()
	}
	return class == Retryable
}

// RetryAfter is implemented by errors that carry the upstream's Retry-After advice.
type RetryAfter interface {
	RetryAfterSeconds() int
}
