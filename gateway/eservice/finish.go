package eservice

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// auditTimeout is the deadline of the context the audit record is written with, detached from the
// request's deadline because a call must not go unrecorded for lack of time. A sink that waits on
// the network honours it; the file sink checks it on entry only and then waits for its write (and
// fsync) whatever the time, since giving up later could report as lost an entry it still writes.
const auditTimeout = 5 * time.Second

// finish is the first handler of the chain and the last to act: once the rest of the chain and the
// handler are done, it makes the response final and accounts for it.
func (c *Chain) finish(ctx *fiber.Ctx, next int) (err error) {
	start := c.now()
	defer func() {
		if r := recover(); r != nil {
			// The listener turns the panic into 500 internal-panic; the call is recorded first.
			_ = c.record(ctx, start, http.StatusInternalServerError, problem.RecoveredPanic.Code)
			c.count(ctx, http.StatusInternalServerError, start)
			c.observe(ctx, http.StatusInternalServerError, problem.RecoveredPanic.Code, start)
			panic(r)
		}
	}()
	if err := c.next(ctx, next); err != nil {
		_ = server.WriteError(ctx, c.describe(ctx, err))
	}
	if c.minimal {
		// The listener's own errors after this point (504) must follow the contract too.
		server.UseMinimalProblems(ctx)
	}
	if errors.Is(ctx.UserContext().Err(), context.DeadlineExceeded) {
		// The listener replaces this response with 504 gateway-timeout when the chain returns.
		_ = c.record(ctx, start, http.StatusGatewayTimeout, problem.GatewayTimeout.Code)
		c.count(ctx, http.StatusGatewayTimeout, start)
		c.observe(ctx, http.StatusGatewayTimeout, problem.GatewayTimeout.Code, start)
		return nil
	}
	c.setRateLimitHeaders(ctx)
	if _, open := ctx.Locals(openKey).(bool); !open {
		if err := c.record(ctx, start, ctx.Response().StatusCode(), server.ProblemCode(ctx)); err != nil {
			c.log.Error("audit record not stored: the call is answered 503", "eservice", c.name,
				"request_id", server.RequestID(ctx), "err", err)
			_ = server.WriteError(ctx, audit.Unavailable(err))
			c.setRateLimitHeaders(ctx)
		}
		c.count(ctx, ctx.Response().StatusCode(), start)
		c.observe(ctx, ctx.Response().StatusCode(), server.ProblemCode(ctx), start)
	}
	c.sign(ctx)
	return nil
}

// describe gives a refused call the problem body its contract expects.
func (c *Chain) describe(ctx *fiber.Ctx, err error) error {
	if c.minimal {
		server.UseMinimalProblems(ctx)
	}
	return err
}

// record appends the audit record of the call. outcome is the problem code of a refused or failed
// call, "" for a call the gateway served.
func (c *Chain) record(ctx *fiber.Ctx, start time.Time, status int, outcome string) error {
	caller := CallerOf(ctx)
	if caller == nil {
		caller = &Caller{}
	}
	if c.deps.Audit == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx.UserContext()), auditTimeout)
	defer cancel()
	rec := &audit.Record{
		Time: start, EService: c.name, Operation: c.operation(ctx), Method: strings.Clone(ctx.Method()),
		Status: status, Outcome: outcome, RequestID: server.RequestID(ctx), Latency: c.now().Sub(start),
		RequestBodySHA256: audit.Digest(ctx.Request().Body()), ResponseBodySHA256: audit.Digest(ctx.Response().Body()),
		ClientIP: ctx.IP(),
	}
	if outcome == "" {
		rec.Outcome = audit.OutcomeOK
	}
	if caller.Result != nil {
		if v := caller.Voucher; v != nil {
			rec.ClientID, rec.ConsumerID, rec.PurposeID, rec.VoucherJTI = v.ClientID, v.ConsumerID, v.PurposeID, v.JTI
		}
		if s := caller.Integrity; s != nil {
			rec.SignatureJTI = s.JTI
		}
		if a := caller.Audit; a != nil {
			rec.TrackingJTI = a.JTI
			rec.Tracking.UserID, _ = a.ClaimString("userID")
			rec.Tracking.UserLocation, _ = a.ClaimString("userLocation")
			rec.Tracking.LoA, _ = a.ClaimString("LoA")
		}
	}
	return c.deps.Audit.Append(rctx, rec)
}

// count adds the call to the day's PDND Tracing counters when its voucher verified for this
// e-service (pdnd-tracing.md §7: forged or foreign vouchers would put the day in ERROR).
func (c *Chain) count(ctx *fiber.Ctx, status int, start time.Time) {
	caller := CallerOf(ctx)
	if c.deps.Tracing == nil || caller == nil || caller.Result == nil || caller.Voucher == nil || caller.Tenant == "" {
		return
	}
	v := caller.Voucher
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx.UserContext()), auditTimeout)
	defer cancel()
	err := c.deps.Tracing.Count(cctx, tracing.Call{Tenant: caller.Tenant, PurposeID: v.PurposeID, TokenID: v.JTI,
		Status: tracing.NormalizeStatus(status), Time: start})
	if err != nil {
		c.log.Warn("call not counted for PDND Tracing", "eservice", c.name, "request_id", server.RequestID(ctx), "err", err)
	}
}

// observe tells the observer about the answered call. outcome is the problem code, "" for a call
// the gateway served.
func (c *Chain) observe(ctx *fiber.Ctx, status int, outcome string, start time.Time) {
	if c.deps.Observer == nil {
		return
	}
	if outcome == "" {
		outcome = audit.OutcomeOK
	}
	s := Served{EService: c.name, Operation: c.operation(ctx), Status: status, Outcome: outcome, Elapsed: c.now().Sub(start)}
	if cl := CallerOf(ctx); cl != nil && cl.Result != nil && cl.Voucher != nil {
		s.ConsumerID, s.PurposeID = cl.Voucher.ConsumerID, cl.Voucher.PurposeID
		if s.ConsumerID == "" {
			s.ConsumerID = "client:" + cl.Voucher.ClientID
		}
	}
	c.deps.Observer.Served(ctx.UserContext(), s)
}

// operation names the call in the audit trail: the operationId of the route the method and path
// match, else the method and the mount path (never the raw path: it may carry personal data).
func (c *Chain) operation(ctx *fiber.Ctx) string {
	rel := strings.TrimPrefix(ctx.Path(), c.mount)
	if _, open := ctx.Locals(openKey).(bool); open {
		return ctx.Method() + " " + rel
	}
	for _, rt := range c.routes {
		if rt.Method == ctx.Method() && matchPath(rt.Path, rel) {
			return rt.OperationID
		}
	}
	return ctx.Method() + " " + c.mount + "/*"
}

// matchPath matches a route path with Fiber parameters (/estrazioni/:id) against a request path.
func matchPath(pattern, path string) bool {
	// Segment by segment without splitting: this runs for the audit record of every call.
	for {
		p, pattern0, pmore := strings.Cut(pattern, "/")
		q, path0, qmore := strings.Cut(path, "/")
		switch {
		case strings.HasPrefix(p, ":"):
			if q == "" {
				return false
			}
		case p != q:
			return false
		}
		if pmore != qmore {
			return false
		}
		if !pmore {
			return true
		}
		pattern, path = pattern0, path0
	}
}

// sign adds Digest and Agid-JWT-Signature to the response (INTEGRITY_REST_02 on responses), with
// aud the calling client when known.
func (c *Chain) sign(ctx *fiber.Ctx) {
	if c.signer == nil {
		return
	}
	resp := &ctx.Response().Header
	h := http.Header{}
	for _, name := range []string{fiber.HeaderContentType, fiber.HeaderContentEncoding, "X-Correlation-ID"} {
		if v := resp.Peek(name); len(v) > 0 {
			h.Set(name, string(v))
		}
	}
	aud := ""
	if cl := CallerOf(ctx); cl != nil && cl.Result != nil && cl.Voucher != nil {
		aud = cl.Voucher.ClientID
	}
	if err := c.signer.SignResponse(h, ctx.Response().Body(), aud, c.now()); err != nil {
		// The key is loaded at start; a signing failure is a programming or HSM error. The
		// response goes out unsigned and the operator is told.
		c.log.Error("response not signed", "eservice", c.name, "request_id", server.RequestID(ctx), "err", err)
		return
	}
	ctx.Set(modi.DigestHeader, h.Get(modi.DigestHeader))
	ctx.Set(modi.SignatureHeader, h.Get(modi.SignatureHeader))
}
