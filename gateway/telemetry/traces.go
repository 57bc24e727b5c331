package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/welfaregov/gateway/gateway/config"
)

// TracesConfig is the telemetry.traces section: OpenTelemetry spans exported over OTLP/HTTP.
//
//	telemetry:
//	  traces:
//	    enabled: true
//	    endpoint: https://otel-collector.monitoring:4318/v1/traces
//	    sampling: 0.25
//	    headers: {Authorization: {file: /run/secrets/otel-authorization}}
type TracesConfig struct {
	// Enabled turns span export on. Default false: no span is recorded or sent.
	Enabled bool `yaml:"enabled"`
	// Endpoint is the full OTLP/HTTP traces URL of the collector (http or https, usually ending in
	// /v1/traces). Required when enabled.
	Endpoint string `yaml:"endpoint"`
	// Sampling is the fraction (0 to 1) of traces started here that are kept; a request that
	// arrives with a sampled W3C traceparent from WelfareGOV follows its caller's decision.
	// Default 1.
	Sampling *float64 `yaml:"sampling"`
	// Headers are sent with every export (a collector's Authorization): each a secret.
	Headers map[string]config.Secret `yaml:"headers"`
	// Timeout bounds one export. Default 10s.
	Timeout config.Duration `yaml:"timeout"`
	// ServiceName is the service.name resource attribute. Default welfaregov-gateway.
	ServiceName string `yaml:"service_name"`
}

// Config is the telemetry section.
type Config struct {
	// Traces configures OpenTelemetry spans. Default off.
	Traces TracesConfig `yaml:"traces"`
}

// Check records every problem of the section.
func (c *Config) Check(ck config.Checker) {
	c.Traces.Check(ck.At("traces"))
}

// Check records every problem of the traces section.
func (c *TracesConfig) Check(ck config.Checker) {
	if c.Sampling != nil && (*c.Sampling < 0 || *c.Sampling > 1) {
		ck.Errorf("sampling", "%v is not a fraction: use a number from 0 (nothing) to 1 (every trace)", *c.Sampling)
	}
	if c.Timeout < 0 || c.Timeout.D() > time.Minute {
		ck.Errorf("timeout", "%s: use a duration from 1ms to 1m", c.Timeout)
	}
	for name, s := range c.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n\t") {
			ck.Errorf("headers", "%q is not an HTTP header name", name)
			continue
		}
		s.Check(ck.At("headers"), name, true)
	}
	if !c.Enabled {
		return
	}
	u, err := url.Parse(c.Endpoint)
	switch {
	case c.Endpoint == "":
		ck.Errorf("endpoint", "required when traces are enabled: the collector's OTLP/HTTP traces URL, such as http://otel-collector:4318/v1/traces")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		ck.Errorf("endpoint", "%q is not an http(s) URL", c.Endpoint)
	case u.User != nil:
		ck.Errorf("endpoint", "must not carry credentials: put them in headers (a secret)")
	}
}

// SpanProcessor receives ended spans (sdktrace.SpanProcessor): tests pass an in-memory one.
type SpanProcessor = sdktrace.SpanProcessor

// propagator reads and writes W3C traceparent and tracestate.
var propagator = propagation.TraceContext{}

// startTraces builds the tracer provider: parent-based ratio sampling, the OTLP/HTTP exporter in a
// batch processor (spans leave in the background; a collector that is down costs dropped spans,
// never a slower request), resource attributes naming the service, its version and the replica.
func (t *Telemetry) startTraces(o Options) error {
	c := o.Traces
	ratio := 1.0
	if c.Sampling != nil {
		ratio = *c.Sampling
	}
	name := c.ServiceName
	if name == "" {
		name = "welfaregov-gateway"
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", name),
		attribute.String("service.version", o.Version),
		attribute.String("service.instance.id", o.Instance),
	)
	popts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}
	if o.SpanProcessor != nil {
		popts = append(popts, sdktrace.WithSpanProcessor(o.SpanProcessor))
	} else {
		exp, err := newExporter(c)
		if err != nil {
			return err
		}
		popts = append(popts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(popts...)
	t.tracer = tp.Tracer("github.com/welfaregov/gateway")
	t.shutdown = tp.Shutdown
	t.enabled = true
	return nil
}

func newExporter(c TracesConfig) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry: traces.endpoint: %w", err)
	}
	headers := map[string]string{}
	for name, s := range c.Headers {
		v, err := s.Value()
		if err != nil {
			return nil, fmt.Errorf("telemetry: traces.headers.%s: %w", name, err)
		}
		headers[name] = strings.TrimSpace(string(v))
	}
	timeout := c.Timeout.D()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(u.String()), otlptracehttp.WithHeaders(headers), otlptracehttp.WithTimeout(timeout),
	}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	// New does not connect: the first export does, in the batch processor's goroutine.
	exp, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("telemetry: traces exporter: %w", err)
	}
	return exp, nil
}
