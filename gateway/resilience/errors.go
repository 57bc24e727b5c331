package resilience

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Problem types of the upstream runtime (listed in gateway/problem/README.md). Failures that
// already have a generic type use it: a transport failure is problem.UpstreamUnavailable, an
// unusable answer problem.UpstreamInvalidReply.
var (
	// UpstreamCircuitOpen: the circuit breaker of the operation is open (or forced open, or
	// half-open with its probes already in flight); Retry-After says when it will probe again.
	UpstreamCircuitOpen = problem.Type{Code: "upstream-circuit-open", Status: http.StatusServiceUnavailable, Title: "Upstream circuit open"}
	// UpstreamBusy: the upstream's bulkhead (its limit of calls in flight) is full.
	UpstreamBusy = problem.Type{Code: "upstream-busy", Status: http.StatusServiceUnavailable, Title: "Upstream concurrency limit reached"}
	// UpstreamQuotaExhausted: the daily budget of calls to the upstream e-service is spent;
	// Retry-After says when it resets.
	UpstreamQuotaExhausted = problem.Type{Code: "upstream-quota-exhausted", Status: http.StatusTooManyRequests, Title: "Upstream daily quota exhausted"}
	// UpstreamTimeout: the upstream did not answer within the operation's timeout.
	UpstreamTimeout = problem.Type{Code: "upstream-timeout", Status: http.StatusGatewayTimeout, Title: "Upstream timeout"}
	// UpstreamCredentials: the credentials for the call (PDND voucher, ModI signature) could not
	// be prepared; nothing was sent.
	UpstreamCredentials = problem.Type{Code: "upstream-credentials", Status: http.StatusServiceUnavailable, Title: "Upstream credentials unavailable"}
)

// Reason says why the runtime refused or failed a call.
type Reason int

const (
	// ReasonCircuitOpen: the breaker refused the call without sending it.
	ReasonCircuitOpen Reason = iota + 1
	// ReasonBulkheadFull: too many calls to the upstream are in flight.
	ReasonBulkheadFull
	// ReasonQuotaExhausted: the daily budget is spent; ResetAt says when the next one opens.
	ReasonQuotaExhausted
	// ReasonTimeout: no complete answer within the attempt's timeout.
	ReasonTimeout
	// ReasonTransport: the connection failed (refused, reset, closed mid-answer).
	ReasonTransport
	// ReasonTLS: the upstream's certificate did not verify.
	ReasonTLS
	// ReasonResponseTooLarge: the answer exceeded the upstream's max_response_size.
	ReasonResponseTooLarge
	// ReasonCredentials: the Authorizer could not prepare the call.
	ReasonCredentials
	// ReasonRequest: the request cannot be sent as built (a bug of the caller: URL outside the
	// upstream's base_url, body too large or unreadable).
	ReasonRequest
)

var reasonNames = map[Reason]string{
	ReasonCircuitOpen:      "circuit-open",
	ReasonBulkheadFull:     "bulkhead-full",
	ReasonQuotaExhausted:   "quota-exhausted",
	ReasonTimeout:          "timeout",
	ReasonTransport:        "transport",
	ReasonTLS:              "tls",
	ReasonResponseTooLarge: "response-too-large",
	ReasonCredentials:      "credentials",
	ReasonRequest:          "request",
}

func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Error is a call the runtime refused or that failed without a usable answer. errors.As finds it
// by Reason; it also converts itself to a *problem.Error for the listeners' error mapper (see As),
// so a handler can return it, or an adapter error wrapping it, unchanged.
type Error struct {
	Reason Reason
	// Operation is "<upstream>.<operation>" ("anpr.C021"), or the upstream alone for bulkheads
	// and shared quotas.
	Operation string
	// Detail is the specific, public explanation ("open since 12:03:10Z after 5 consecutive
	// failures (last: HTTP 503)"). It never holds personal data or internal addresses.
	Detail string
	// RetryAfter is how long until the refusal may end (the breaker probes again, the quota
	// resets); 0 when unknown.
	RetryAfter time.Duration
	// Attempts is how many attempts were sent (0 when refused before sending).
	Attempts int
	// Cause is the underlying error, for logs only.
	Cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "resilience: %s: %s", e.Operation, e.Reason)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// UpstreamClass makes the runtime's failures read like an adapter's: refusals, timeouts,
// connection failures and credentials that could not be obtained (PDND down) are Retryable
// (later they may work; a cache may serve a stale answer meanwhile); a bad certificate, an
// oversized answer and a malformed request are Permanent.
func (e *Error) UpstreamClass() upstream.Class {
	switch e.Reason {
	case ReasonCircuitOpen, ReasonBulkheadFull, ReasonQuotaExhausted, ReasonTimeout, ReasonTransport, ReasonCredentials:
		return upstream.Retryable
	}
	return upstream.Permanent
}

// UpstreamFault (adapters/upstream.Faulted) is false only for a request the caller built wrong:
// every other failure here is the upstream's (or the path to it: PDND, the network) and not the
// caller's, so a cache may answer it with a stale value. Breakers never see the refusals (circuit
// open, bulkhead full, quota spent, credentials unavailable) as outcomes: the runtime reports them
// as ErrNotSent.
func (e *Error) UpstreamFault() bool { return e.Reason != ReasonRequest }

// RetryAfterSeconds implements upstream.RetryAfter.
func (e *Error) RetryAfterSeconds() int { return int((e.RetryAfter + time.Second - 1) / time.Second) }

// Problem is the public form of e.
func (e *Error) Problem() *problem.Error {
	t := problem.Internal
	switch e.Reason {
	case ReasonCircuitOpen:
		t = UpstreamCircuitOpen
	case ReasonBulkheadFull:
		t = UpstreamBusy
	case ReasonQuotaExhausted:
		t = UpstreamQuotaExhausted
	case ReasonTimeout:
		t = UpstreamTimeout
	case ReasonTransport, ReasonTLS:
		t = problem.UpstreamUnavailable
	case ReasonResponseTooLarge:
		t = problem.UpstreamInvalidReply
	case ReasonCredentials:
		t = UpstreamCredentials
	}
	detail := e.Operation + ": " + e.Detail
	if e.Detail == "" {
		detail = e.Operation + ": " + e.Reason.String()
	}
	return &problem.Error{Type: t, Detail: detail, RetryAfter: e.RetryAfter, Cause: e}
}

// As lets errors.As(err, &p) with p a *problem.Error find e's public form anywhere in a chain,
// so the listeners' single error mapper needs no knowledge of this package.
func (e *Error) As(target any) bool {
	if p, ok := target.(**problem.Error); ok {
		*p = e.Problem()
		return true
	}
	return false
}

// ErrCallerGone marks an attempt abandoned because the caller's own context ended (cancelled, or
// its deadline passed). Breakers exclude it: it says nothing about the upstream.
var ErrCallerGone = errors.New("resilience: the caller's context ended")

// ErrNotSent is the outcome given to a breaker for an attempt it allowed but that was refused
// later, before anything was sent (bulkhead full, quota spent, credentials unavailable). Breakers
// exclude it, which also frees a half-open probe slot.
var ErrNotSent = errors.New("resilience: the attempt was not sent")

// Summary describes err in a few public words for problem details and the breaker's dashboard:
// "HTTP 503", "timeout", "connection failed"... It never returns addresses or personal data from
// transport errors; adapter errors contribute their own message (adapters mask personal data).
func Summary(err error) string {
	var re *Error
	var se *upstream.StatusError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return fmt.Sprintf("HTTP %d", se.Status)
	case errors.As(err, &re):
		switch re.Reason {
		case ReasonTimeout, ReasonTransport, ReasonTLS, ReasonResponseTooLarge:
			if re.Detail != "" {
				return re.Detail // short and address-free: "connection refused", "no complete answer within 10s"
			}
		}
		return re.Reason.String()
	}
	const maxSummary = 160
	s := err.Error()
	if len(s) > maxSummary {
		s = s[:maxSummary] + "…"
	}
	return s
}
