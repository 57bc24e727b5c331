package telemetry

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/upstream"
)

var _ upstream.Observer = (*Telemetry)(nil)

// UpstreamError is the last failed call of an upstream, for the dashboard: when, which operation,
// its outcome and the public detail an operator would read in the problem (no personal data, no
// internal address: resilience details and summaries are public by contract).
type UpstreamError struct {
	At        time.Time `json:"at"`
	Operation string    `json:"operation"`
	Outcome   string    `json:"outcome"`
	Detail    string    `json:"detail"`
	// Problem is the problem code the caller received ("upstream-unavailable" ...), when the
	// runtime refused or failed the call.
	Problem string `json:"problem,omitempty"`
}

// failedOutcome reports whether an outcome is a failure an operator should see (not a business
// answer, not our own rejected request, not the caller leaving).
func failedOutcome(o string) bool {
	switch o {
	case upstream.OutcomeOK, upstream.OutcomeBusiness, upstream.OutcomeCanceled:
		return false
	}
	return true
}

// StartCall starts the call's span and measures the call.
func (t *Telemetry) StartCall(ctx context.Context, c upstream.Call) (context.Context, func(upstream.CallResult)) {
	start := time.Now()
	op := t.operations.value(c.Operation)
	var span trace.Span
	if t.enabled {
		name := c.Upstream
		if op != "" {
			name += "." + op
		}
		ctx, span = t.tracer.Start(ctx, "upstream "+name, trace.WithAttributes(
			attribute.String("wgw.upstream", c.Upstream), attribute.String("wgw.upstream.operation", op)))
	}
	return ctx, func(r upstream.CallResult) {
		d := time.Since(start)
		t.upstreamDuration.WithLabelValues(c.Upstream, op, r.Outcome).Observe(d.Seconds())
		if r.Attempts > 1 {
			t.upstreamRetries.WithLabelValues(c.Upstream, op).Add(float64(r.Attempts - 1))
		}
		if failedOutcome(r.Outcome) && r.Outcome != upstream.OutcomeRejected {
			t.noteUpstreamError(c.Upstream, op, r)
		}
		if span != nil {
			span.SetAttributes(attribute.String("wgw.outcome", r.Outcome), attribute.Int("wgw.upstream.attempts", r.Attempts))
			if r.Status != 0 {
				span.SetAttributes(attribute.Int("http.response.status_code", r.Status))
			}
			if failedOutcome(r.Outcome) {
				span.SetStatus(codes.Error, r.Outcome)
			}
			span.End()
		}
	}
}

// StartAttempt starts the attempt's client span, puts its W3C traceparent on the request, and
// counts the attempt.
func (t *Telemetry) StartAttempt(ctx context.Context, c upstream.Call, attempt int, req *http.Request) (context.Context, func(string)) {
	op := t.operations.value(c.Operation)
	var span trace.Span
	if t.enabled {
		ctx, span = t.tracer.Start(ctx, c.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("http.request.method", c.Method),
			attribute.String("server.address", req.URL.Hostname()),
			attribute.String("wgw.upstream", c.Upstream), attribute.String("wgw.upstream.operation", op),
			attribute.Int("http.request.resend_count", attempt-1),
		))
		propagator.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	return ctx, func(outcome string) {
		t.upstreamAttempts.WithLabelValues(c.Upstream, op, outcome).Inc()
		if span != nil {
			span.SetAttributes(attribute.String("wgw.outcome", outcome))
			if failedOutcome(outcome) {
				span.SetStatus(codes.Error, outcome)
			}
			span.End()
		}
	}
}

func (t *Telemetry) noteUpstreamError(up, op string, r upstream.CallResult) {
	e := UpstreamError{At: time.Now(), Operation: op, Outcome: r.Outcome}
	var pe *problem.Error
	switch {
	case r.Err != nil && errors.As(r.Err, &pe):
		e.Problem, e.Detail = pe.CodeOrType(), pe.Detail
	case r.Err != nil:
		e.Detail = resilience.Summary(r.Err)
	default:
		e.Detail = resilience.Summary(r.Check)
	}
	t.mu.Lock()
	t.lastError[up] = e
	t.mu.Unlock()
}

// LastUpstreamErrors returns the last failed call of each upstream that had one.
func (t *Telemetry) LastUpstreamErrors() map[string]UpstreamError {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]UpstreamError, len(t.lastError))
	for k, v := range t.lastError {
		out[k] = v
	}
	return out
}
