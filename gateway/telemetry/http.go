package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/welfaregov/gateway/gateway/server"
)

// The listeners' Observer: one histogram observation and one span per request.
var _ server.Observer = (*Telemetry)(nil)

type spanKey struct{}

// requestState is what Begin hands to End through the context.
type requestState struct {
	method string
	span   trace.Span
}

// Begin counts the request as active and, with traces on, starts its server span. On the
// e-service listener (other administrations) a caller's traceparent is not adopted as parent (a
// foreign trace must not decide our sampling or nest our spans in it): the span starts a new trace
// and links to the caller's. On the internal and admin listeners (WelfareGOV, operators) it is the
// parent, so a WelfareGOV trace continues through the gateway to INPS and ANPR.
func (t *Telemetry) Begin(parent context.Context, listener string, c *fiber.Ctx) context.Context {
	st := &requestState{method: methodLabel(c.Method())}
	t.httpActive.WithLabelValues(listener, st.method).Inc()
	if t.enabled {
		remote := propagator.Extract(context.Background(), fiberCarrier{c})
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", st.method),
			attribute.String("url.scheme", c.Protocol()),
			attribute.String("wgw.listener", listener),
			attribute.String("wgw.request_id", server.RequestID(c)),
		)}
		ctx := parent
		if rsc := trace.SpanContextFromContext(remote); rsc.IsValid() {
			if listener == server.EServicesName {
				opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: rsc}))
			} else {
				ctx = trace.ContextWithRemoteSpanContext(parent, rsc)
			}
		}
		ctx, st.span = t.tracer.Start(ctx, st.method, opts...)
		parent = ctx
	}
	return context.WithValue(parent, spanKey{}, st)
}

// End records the request's duration and ends its span, named "{method} {route}" per the semantic
// conventions (the route pattern, never the raw path: a codice fiscale in a URL stays out).
func (t *Telemetry) End(ctx context.Context, listener string, _ *fiber.Ctx, route string, status int, elapsed time.Duration) {
	st, _ := ctx.Value(spanKey{}).(*requestState)
	if st == nil {
		return
	}
	t.httpActive.WithLabelValues(listener, st.method).Dec()
	route = t.routes.value(route)
	t.httpDuration.WithLabelValues(listener, st.method, route, strconv.Itoa(status)).Observe(elapsed.Seconds())
	if st.span == nil {
		return
	}
	if route != "" {
		st.span.SetName(st.method + " " + route)
		st.span.SetAttributes(attribute.String("http.route", route))
	}
	st.span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		st.span.SetStatus(codes.Error, http.StatusText(status))
	}
	st.span.End()
}

// fiberCarrier reads W3C trace headers from a Fiber request.
type fiberCarrier struct{ c *fiber.Ctx }

func (f fiberCarrier) Get(key string) string { return f.c.Get(key) }
func (f fiberCarrier) Set(string, string)    {}
func (f fiberCarrier) Keys() []string        { return []string{"traceparent", "tracestate"} }

var _ propagation.TextMapCarrier = fiberCarrier{}
