// Package telemetry is what the gateway tells the people and systems that watch it: Prometheus
// metrics on one registry (served at /metrics on the admin listener) and OpenTelemetry request spans
// exported over OTLP/HTTP (off by default). It implements the observers of the listeners
// (server.Observer), the upstream runtime (upstream.Observer) and the e-service chain
// (eservice.CallObserver), wraps the audit sink, and reads the components' state (breakers, quotas,
// cache, PDND keys, the store, the SIUSS queues) at each scrape.
//
// Every label value is bounded and non-personal: listener, route patterns, methods, status codes,
// configured upstream, operation, kind, e-service and purpose names, stable problem codes. No
// codice fiscale, no raw path, no token id, no consumer or client id reaches a label: consumer
// ids are counted for the dashboard only (TopConsumers, bounded), never exposed as labels.
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Options configure New.
type Options struct {
	// Version is the gateway's version, exposed as wgw_build_info and on spans.
	Version string
	// Instance names this replica (the audit instance id, the pod name) on spans.
	Instance string
	// Purposes names the PDND purposes operators know (purpose id -> name), configured on the
	// consumer and provider sides: the only purpose values metric labels may carry. Others are
	// "other".
	Purposes map[string]string
	// Traces configures the export of spans; zero: no spans.
	Traces TracesConfig
	// SpanProcessor, when set, receives the spans instead of the OTLP exporter (tests).
	SpanProcessor SpanProcessor
	// Logger receives export errors. Default: discarded.
	Logger *slog.Logger
}

// Telemetry holds the registry, the instruments and the tracer. Safe for concurrent use.
type Telemetry struct {
	reg      *prometheus.Registry
	log      *slog.Logger
	purposes map[string]string

	httpDuration *prometheus.HistogramVec
	httpActive   *prometheus.GaugeVec

	upstreamDuration *prometheus.HistogramVec
	upstreamAttempts *prometheus.CounterVec
	upstreamRetries  *prometheus.CounterVec

	eserviceCalls    *prometheus.CounterVec
	eserviceDuration *prometheus.HistogramVec

	auditDuration prometheus.Histogram
	auditFailures prometheus.Counter

	voucherRequests *prometheus.CounterVec

	// label guards: values come from code and configuration, but a bug must not grow a series
	// without bound.
	routes, operations, outcomes *boundedSet

	tracer   trace.Tracer
	shutdown func(context.Context) error

	enabled bool // spans are exported

	mu        sync.Mutex
	lastError map[string]UpstreamError // per upstream, for the dashboard
	consumers map[string]*topCounter   // per e-service, for the dashboard
}

// Buckets of the HTTP server histogram: the OpenTelemetry semantic conventions' advice for
// http.server.request.duration, in seconds.
var httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Buckets of upstream calls: INPS and ANPR answer in tens of milliseconds to seconds, and the
// attempt timeout defaults to 10s, the call's to 30s.
var upstreamBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30}

// Buckets of audit appends: an fsync costs from tens of microseconds (NVMe) to tens of
// milliseconds (network disks).
var auditBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}

// New builds the registry (with the Go runtime and process collectors, never the global default
// registry) and, when Traces is enabled, the OTLP exporter. It opens no connection: spans are sent
// in the background as they are ended.
func New(o Options) (*Telemetry, error) {
	t := &Telemetry{
		reg: prometheus.NewRegistry(), log: o.Logger, purposes: o.Purposes,
		routes: newBoundedSet(256), operations: newBoundedSet(256), outcomes: newBoundedSet(256),
		lastError: map[string]UpstreamError{}, consumers: map[string]*topCounter{},
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_server_request_duration_seconds",
		Help:    "Duration of HTTP server requests (OpenTelemetry http.server.request.duration), per listener, method, route pattern and status.",
		Buckets: httpBuckets,
	}, []string{"listener", "http_request_method", "http_route", "http_response_status_code"})
	t.httpActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "http_server_active_requests",
		Help: "HTTP server requests in flight (OpenTelemetry http.server.active_requests), per listener and method.",
	}, []string{"listener", "http_request_method"})
	t.upstreamDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wgw_upstream_call_duration_seconds",
		Help:    "Duration of calls to upstream e-services (retries and waits included), per upstream, operation and outcome (ok, business, rejected, failed, canceled, or the runtime's reason: circuit-open, bulkhead-full, quota-exhausted, timeout, transport, tls, response-too-large, credentials, request).",
		Buckets: upstreamBuckets,
	}, []string{"upstream", "operation", "outcome"})
	t.upstreamAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wgw_upstream_attempts_total",
		Help: "Attempts sent to upstream e-services (a retry is another attempt), per upstream, operation and outcome.",
	}, []string{"upstream", "operation", "outcome"})
	t.upstreamRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wgw_upstream_retries_total",
		Help: "Attempts beyond the first of a call, per upstream and operation.",
	}, []string{"upstream", "operation"})
	t.eserviceCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wgw_eservice_calls_total",
		Help: "Calls to WelfareGOV's e-services, per e-service, operation, purpose (configured names, else other) and outcome (ok, or the stable problem code that refused or failed the call: voucher.expired, integrity.replay, rate-limited ...).",
	}, []string{"eservice", "operation", "purpose", "outcome"})
	t.eserviceDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wgw_eservice_call_duration_seconds",
		Help:    "Duration of e-service calls from arrival to the recorded answer, per e-service.",
		Buckets: httpBuckets,
	}, []string{"eservice"})
	t.auditDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wgw_audit_append_duration_seconds",
		Help:    "Time to store one audit record (written and synced per audit.fsync), successful or not.",
		Buckets: auditBuckets,
	})
	t.auditFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wgw_audit_append_failures_total",
		Help: "Audit records that could not be stored: each such call was answered 503 audit-unavailable.",
	})
	t.voucherRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wgw_pdnd_voucher_requests_total",
		Help: "Vouchers requested from the PDND token endpoint for calls to upstream e-services, per purpose (configured names, else other) and outcome (ok, rejected, unavailable).",
	}, []string{"purpose", "outcome"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wgw_build_info",
		Help: "1, with the gateway's version and Go version as labels.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(o.Version, runtime.Version()).Set(1)
	for _, c := range []prometheus.Collector{
		t.httpDuration, t.httpActive, t.upstreamDuration, t.upstreamAttempts, t.upstreamRetries,
		t.eserviceCalls, t.eserviceDuration, t.auditDuration, t.auditFailures, t.voucherRequests, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := t.reg.Register(c); err != nil {
			return nil, err
		}
	}
	t.tracer, t.shutdown = noop.NewTracerProvider().Tracer(""), func(context.Context) error { return nil }
	if o.Traces.Enabled || o.SpanProcessor != nil {
		if err := t.startTraces(o); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Registry is the gateway's one registry: components register their collectors on it.
func (t *Telemetry) Registry() *prometheus.Registry { return t.reg }

// Register adds a collector (the PDND Tracing reporter's, the component readers of this package).
func (t *Telemetry) Register(c prometheus.Collector) error { return t.reg.Register(c) }

// Handler serves the registry in the Prometheus exposition formats (GET /metrics). A collector
// that fails is reported in the answer and the rest is served.
func (t *Telemetry) Handler() fiber.Handler {
	h := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, Registry: t.reg, EnableOpenMetrics: true,
	}))
	return func(c *fiber.Ctx) error {
		h(c.Context())
		return nil
	}
}

// Close flushes the spans still queued (within ctx) and stops the exporter.
func (t *Telemetry) Close(ctx context.Context) error {
	if err := t.shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// TracesEnabled reports whether spans are exported.
func (t *Telemetry) TracesEnabled() bool { return t.enabled }

// purpose names a purpose id for a label: its configured name, else "other" ("" when none).
func (t *Telemetry) purpose(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := t.purposes[id]; ok {
		return n
	}
	return "other"
}
