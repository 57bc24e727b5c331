package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// Observer is told of every call and every attempt the runtime makes: the gateway's upstream
// metrics and spans hang on it. Implementations must be safe for concurrent use and cheap.
type Observer interface {
	// StartCall is called when Do starts a call. The context it returns (carrying the call's span)
	// is the parent of the call's attempts; end is called once, when Do returns.
	StartCall(ctx context.Context, c Call) (context.Context, func(CallResult))
	// StartAttempt is called for each attempt that is about to be sent, after the breaker, the
	// bulkhead and the quota let it through and before the Authorizer signs req: an observer may
	// add headers to req (W3C traceparent) and return the context the attempt runs in. end is
	// called once with the attempt's outcome.
	StartAttempt(ctx context.Context, c Call, attempt int, req *http.Request) (context.Context, func(outcome string))
}

// Call names a call for observers: bounded, non-personal values only.
type Call struct {
	// Upstream is the configured upstream ("anpr").
	Upstream string
	// Operation is the adapter's operation name ("C021"), "other" past the runtime's bound on
	// breakers, or "" for a call that declared none.
	Operation string
	// Method is the HTTP method of the request.
	Method string
}

// CallResult is how a call ended.
type CallResult struct {
	// Outcome is OutcomeOf the call's final answer or error.
	Outcome string
	// Attempts is how many attempts were sent (0: refused before sending).
	Attempts int
	// Status is the HTTP status of the final answer (0: none).
	Status int
	// Err is the call's error (nil with an answer, whatever its Check said).
	Err error
	// Check is the operation's Check verdict on the final answer (nil: passed, or no answer).
	Check error
}

// Outcomes of a call or attempt, as OutcomeOf names them. The set is closed: metrics use it as a
// label.
const (
	OutcomeOK       = "ok"       // the answer passed the operation's Check
	OutcomeBusiness = "business" // an answer about the subject (not found, no valid ISEE)
	OutcomeRejected = "rejected" // the upstream refused our request (4xx that is not its fault)
	OutcomeFailed   = "failed"   // an answer that is the upstream's fault (5xx, 429, garbled, DATABASE_OFFLINE)
	OutcomeCanceled = "canceled" // the caller went away
)

// OutcomeOf classifies what an attempt or a call produced: check is the operation's Check verdict
// on the answer (nil when there was none or it passed), err the runtime's error when there was no
// answer. Refusals and failures without an answer are the resilience reason ("circuit-open",
// "bulkhead-full", "quota-exhausted", "timeout", "transport", "tls", "response-too-large",
// "credentials", "request").
func OutcomeOf(check, err error) string {
	if err == nil {
		err = check
	}
	if err == nil {
		return OutcomeOK
	}
	var re *resilience.Error
	switch {
	case errors.Is(err, resilience.ErrCallerGone) || errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.As(err, &re):
		return re.Reason.String()
	case adapter.ClassOf(err) == adapter.Business:
		return OutcomeBusiness
	case adapter.IsUpstreamFault(err):
		return OutcomeFailed
	}
	return OutcomeRejected
}

// observed is a call's view for its observer.
func (c *call) observed() Call {
	op := strings.TrimPrefix(c.breaker.Name(), c.u.name)
	return Call{Upstream: c.u.name, Operation: strings.TrimPrefix(op, "."), Method: c.req.Method}
}

// noObserver observes nothing.
type noObserver struct{}

func (noObserver) StartCall(ctx context.Context, _ Call) (context.Context, func(CallResult)) {
	return ctx, func(CallResult) {}
}

func (noObserver) StartAttempt(ctx context.Context, _ Call, _ int, _ *http.Request) (context.Context, func(string)) {
	return ctx, func(string) {}
}
