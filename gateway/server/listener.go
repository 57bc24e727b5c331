package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"

	"github.com/welfaregov/gateway/gateway/logging"
	"github.com/welfaregov/gateway/gateway/problem"
)

// newApp builds one listener's Fiber app with the shared chain, in the order a request meets it:
//
//	unknown method (501) -> request id -> access log + error writer -> panic recovery ->
//	deadline -> /status (and /livez, /readyz on admin) -> routes added by other packages
//
// The body limit is enforced by fasthttp while reading the request, before this chain runs; its
// 413 (like 431 for an oversized head) goes through the same error writer via ErrorHandler.
func (s *Server) newApp(l *listener) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "welfaregov-gateway " + l.name,
		DisableStartupMessage: true,
		BodyLimit:             int(l.cfg.BodyLimit),
		ReadBufferSize:        int(l.cfg.MaxHeaderSize),
		ReadTimeout:           l.cfg.ReadTimeout.D(),
		WriteTimeout:          l.cfg.WriteTimeout.D(),
		IdleTimeout:           l.cfg.IdleTimeout.D(),
		// Paths are case-sensitive (RFC 3986); /Status is not /status.
		CaseSensitive: true,
		ErrorHandler:  l.fiberErrorHandler,
	})
	l.guardMethods(app)
	app.Use(l.requestID)
	app.Use(l.accessLog)
	app.Use(l.recoverPanic)
	app.Use(l.deadline)
	if l.name == EServicesName {
		app.Use(l.maintenanceGate)
	}
	// Naming the shared middleware lets the access log tell "no route answered" from a route.
	app.Name(sharedChainName)
	app.Get("/status", l.status)
	if l.name == AdminName {
		app.Get("/livez", l.livez)
		app.Get("/readyz", l.readyz)
	}
	return app
}

// MethodNotImplemented answers a request method the gateway does not know at all (RFC 9110
// §15.6.2); a known method that a path does not support is 405 method-not-allowed instead.
var MethodNotImplemented = problem.Type{Code: "method-not-implemented", Status: fiber.StatusNotImplemented, Title: "Method not implemented"}

// HeadersTooLarge answers a request whose head exceeds max_header_size.
var HeadersTooLarge = problem.Type{Code: "request-header-fields-too-large", Status: fiber.StatusRequestHeaderFieldsTooLarge, Title: "Request header fields too large"}

// guardMethods answers unknown methods with a problem: Fiber itself would send a text/plain 400
// before any middleware runs.
func (l *listener) guardMethods(app *fiber.App) {
	inner := app.Server().Handler
	methods := app.Config().RequestMethods
	app.Server().Handler = func(fctx *fasthttp.RequestCtx) {
		m := fctx.Method()
		for _, known := range methods {
			if string(m) == known {
				inner(fctx)
				return
			}
		}
		c := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(c)
		_ = l.fiberErrorHandler(c, problem.New(MethodNotImplemented, "the request method is not one the gateway implements"))
	}
}

type localsKey int

const (
	requestIDKey localsKey = iota
	startKey
	problemKey
	listenerKey
	minimalKey
	observedKey
)

// headerCorrelationID carries the request id in both directions; the Italian guidelines
// whitelist it (ModI), and GovWay and PDND probing send it.
const headerCorrelationID = "X-Correlation-ID"

// maxRequestIDLength bounds an accepted incoming id: long enough for a UUID with a prefix or a
// GovWay transaction id, short enough to keep log lines small.
const maxRequestIDLength = 128

// RequestID is the id of the request: the caller's X-Correlation-ID (or X-Request-ID) when it is
// a sane token, else a new UUID. Every response echoes it as X-Correlation-ID, problem bodies
// carry it as requestId, and the access log as request_id.
func RequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey).(string); ok {
		return id
	}
	return ""
}

// SaneRequestID reports whether an incoming id may be adopted: 1 to 128 characters from
// A-Z a-z 0-9 and "-_.:". Anything else (control characters, quotes, markup, overlong values) is
// replaced, so an id can go into logs and headers as it is.
func SaneRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

func (l *listener) requestID(c *fiber.Ctx) error {
	l.assignRequestID(c)
	l.begin(c)
	return c.Next()
}

func (l *listener) assignRequestID(c *fiber.Ctx) string {
	id := ""
	for _, h := range [...]string{headerCorrelationID, "X-Request-ID"} {
		if v := c.Get(h); SaneRequestID(v) {
			id = string([]byte(v)) // copy: fasthttp reuses the header buffer after the request
			break
		}
	}
	if id == "" {
		id = uuid.NewString()
	}
	c.Locals(requestIDKey, id)
	c.Set(headerCorrelationID, id)
	return id
}

// accessLog writes one line per request and turns an error from the rest of the chain into the
// response, so the line records the status actually sent.
func (l *listener) accessLog(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		l.writeProblem(c, err)
	}
	l.logAccess(c)
	return nil
}

func (l *listener) logAccess(c *fiber.Ctx) {
	status := c.Response().StatusCode()
	var latency time.Duration
	if start, ok := c.Locals(startKey).(time.Time); ok {
		latency = time.Since(start)
	}
	level := slog.LevelInfo
	pe, _ := c.Locals(problemKey).(*problem.Error)
	if pe != nil && status >= 500 {
		level = slog.LevelError
	}
	if h := l.srv.log.Handler(); h.Enabled(context.Background(), level) {
		// The record is built here rather than with Logger.LogAttrs, which captures the caller's
		// program counter (runtime.Callers, about a microsecond per request) for a source the
		// handler never logs.
		r := slog.NewRecord(time.Now(), level, "request", 0)
		r.AddAttrs(
			slog.String("listener", l.name),
			slog.String("method", c.Method()),
			slog.String("route", routePattern(c)),
			slog.Int("status", status),
			slog.Float64("latency_ms", logging.Millis(latency)),
			slog.String("request_id", RequestID(c)),
			slog.String("client_ip", c.IP()),
			slog.Int("bytes_out", len(c.Response().Body())),
		)
		if pe != nil {
			r.AddAttrs(slog.String("problem", pe.CodeOrType()))
			if level == slog.LevelError && pe.Cause != nil {
				r.AddAttrs(slog.String("cause", pe.Cause.Error()))
			}
		}
		_ = h.Handle(context.Background(), r) // as Logger does: a failed write has nowhere to be reported
	}
	l.end(c, status, latency)
}

// sharedChainName names the routes of the shared middleware.
const sharedChainName = "wgw.shared-chain"

// routePattern is the pattern of the route that answered ("/anagrafe/:cf"), never the raw path,
// so no identifier in a URL reaches the log. "-" means no route answered (404, 405, or a failure
// in the shared chain or before it). A middleware added with Use that rejects a request is logged
// with its own mount pattern.
func routePattern(c *fiber.Ctx) string {
	r := c.Route()
	// Fiber returns a stand-in route without handlers (and the raw path) when none was matched.
	if r == nil || r.Name == sharedChainName || len(r.Handlers) == 0 {
		return "-"
	}
	return r.Path
}

// recoverPanic turns a panic into a 500 internal-panic problem; the stack goes to the log only.
func (l *listener) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		l.srv.log.Error("panic recovered", "listener", l.name, "request_id", RequestID(c),
			"route", routePattern(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		err = problem.Wrap(problem.RecoveredPanic, fmt.Errorf("panic: %v", r),
			"the gateway failed unexpectedly; quote the requestId to the operator")
	}()
	return c.Next()
}

// deadline gives the handler a context that ends after request_timeout (or when the grace period
// of a shutdown is over). A request that outlives it gets 504 gateway-timeout whatever the
// handler wrote: 504 rather than 503 because the time is almost always spent waiting on an
// upstream (INPS, ANPR, PDND), which is what 504 means; 503 is kept for "not available now,
// retry later" (a critical dependency down, a shutdown). Handlers must pass c.UserContext() to
// everything that can block; one that ignores it still holds its connection until it returns.
func (l *listener) deadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(l.requestContext(c), l.cfg.RequestTimeout.D())
	defer cancel()
	c.SetUserContext(ctx)
	err := c.Next()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		c.Response().Reset() // drop whatever the late handler wrote
		c.Set(headerCorrelationID, RequestID(c))
		return problem.Wrap(problem.GatewayTimeout, err, "the request did not complete within %s", l.cfg.RequestTimeout)
	case errors.Is(ctx.Err(), context.Canceled) && l.srv.draining.Load():
		c.Response().Reset()
		c.Set(headerCorrelationID, RequestID(c))
		return problem.Wrap(problem.MaintenanceDraining, err, "the gateway is shutting down; retry").WithRetryAfter(time.Second)
	}
	return err
}

// fiberErrorHandler is the listener's Fiber ErrorHandler. Errors from the chain reach
// writeProblem through accessLog; this catches what fasthttp reports before the chain runs (body
// over the limit, oversized head, read timeouts, malformed requests) and writes and logs it the
// same way.
func (l *listener) fiberErrorHandler(c *fiber.Ctx, err error) error {
	chainRan := RequestID(c) != ""
	if !chainRan {
		l.assignRequestID(c)
		l.begin(c)
	}
	l.writeProblem(c, err)
	if !chainRan {
		l.logAccess(c)
	}
	return nil
}
