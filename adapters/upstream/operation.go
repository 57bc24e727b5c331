package upstream

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Operation tells the runtime what kind of call a request is. An adapter declares one per
// upstream operation (a package-level variable) and puts it in the context it passes to
// Transport.Do with WithOperation. The runtime keys its circuit breaker, timeout and quota on
// Name, retries only Idempotent operations, and classifies each answer with Check.
type Operation struct {
	// Name identifies the operation within its upstream ("ConsultazioneAttestazione", "C021").
	// The runtime names breakers and metrics "<upstream>.<Name>". Keep it short, stable and free of
	// personal data: it becomes a metric label.
	Name string
	// Idempotent says that sending the request twice has the effect of sending it once (every
	// consultation: INPS ConsultazioneISEE, ANPR accertamenti). Only idempotent operations are
	// retried; others are sent exactly once whatever happens.
	Idempotent bool
	// Check classifies a complete answer: nil when the call succeeded, else an error whose Class
	// (ClassOf) says what it means (a Business answer such as "not found", a Retryable failure such
	// as INPS DATABASE_OFFLINE inside an HTTP 200, a Permanent one). It must be a pure function of
	// its arguments. Nil means CheckStatus.
	Check func(status int, header http.Header, body []byte) error
}

type operationKey struct{}

// WithOperation returns a context that tells the runtime which operation a call is.
func WithOperation(ctx context.Context, op *Operation) context.Context {
	return context.WithValue(ctx, operationKey{}, op)
}

// OperationFrom returns the operation WithOperation put in ctx, or nil.
func OperationFrom(ctx context.Context) *Operation {
	op, _ := ctx.Value(operationKey{}).(*Operation)
	return op
}

// CheckStatus is the Check of operations that declare none: any 2xx is a success, anything else a
// *StatusError.
func CheckStatus(status int, header http.Header, _ []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &StatusError{Status: status}
	if d, ok := ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	return e
}

// StatusError is an answer whose HTTP status says the call failed.
type StatusError struct {
	Status int
	// RetryAfter is the upstream's Retry-After advice; 0 when it gave none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("upstream answered HTTP %d", e.Status)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (Retry-After %s)", e.RetryAfter)
	}
	return s
}

// UpstreamClass is Retryable for 408, 429 and 5xx except 501 and 505 (an overloaded or failing
// upstream may answer next time); Permanent otherwise (our request is wrong, or the upstream does
// not implement it).
func (e *StatusError) UpstreamClass() Class {
	switch {
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return Retryable
	case e.Status == http.StatusNotImplemented, e.Status == http.StatusHTTPVersionNotSupported:
		return Permanent
	case e.Status >= 500:
		return Retryable
	}
	return Permanent
}

// UpstreamFault (Faulted) is true for 5xx, for 408 and 429 (the upstream is overloaded or
// rationing us) and for unexpected 1xx/3xx answers (the upstream broke the protocol); false for
// the other 4xx (the upstream judged our request).
func (e *StatusError) UpstreamFault() bool {
	return e.Status >= 500 || e.Status < 400 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up.
func (e *StatusError) RetryAfterSeconds() int { return CeilSeconds(e.RetryAfter) }

// maxRetryAfterText bounds the Retry-After value parsed: an HTTP-date is 29 characters.
const maxRetryAfterText = 64

// ParseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): a number of seconds, or an
// HTTP-date, which is turned into a delay from now (0 when it is in the past). ok is false for an
// empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxRetryAfterText {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
