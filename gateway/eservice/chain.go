// Package eservice assembles the inbound chain of WelfareGOV's published e-services (DESIGN.md,
// "The two request paths", inbound) and mounts each e-service on the e-service listener:
//
//	request id (listener) -> body limit -> /status and /openapi.yaml without a voucher -> overload
//	-> PDND voucher, purpose and consumer -> INTEGRITY_REST_01/02 -> AUDIT_REST_01/02
//	-> rate limit -> handler -> response signature -> audit record + PDND Tracing counter
//
// Build compiles one e-service's chain once, at start-up, in [Chain.handlers]; a feature the
// e-service does not configure is a pass-through, and a security setting that is configured but
// malformed stops the start-up. The checks themselves live in gateway/modi (Inbound.Verify), the
// rate limit in the shared store (store.RateLimit, one round trip), the trail in gateway/audit and
// the counters in gateway/tracing: this package is the Fiber adapter that runs them in order and
// turns their errors into responses through the listener's one problem writer.
package eservice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// AuditSink stores the record of one call before the gateway answers it (audit.Logger). An error
// means the record is not stored: the call is answered 503 audit-unavailable instead.
type AuditSink interface {
	Append(ctx context.Context, r *audit.Record) error
}

// TracingSink counts one call for the daily PDND Tracing report (tracing.Recorder). An error is
// logged; it never fails the call.
type TracingSink interface {
	Count(ctx context.Context, c tracing.Call) error
}

// Deps are the components every chain shares. Store is required, and Inbound for every e-service
// that does not bring its own Authenticator; a nil Audit or
// Tracing is a pass-through (tests of the chain alone; the application always sets Audit).
type Deps struct {
	Inbound *modi.Inbound
	Store   store.Store
	Audit   AuditSink
	Tracing TracingSink
	Logger  *slog.Logger
	// Observer is told of every call the chain answered (metrics, the dashboard). Default: none.
	Observer CallObserver
	// Now is the clock of the audit records and response signatures (default time.Now).
	Now func() time.Time
}

// CallObserver is told of every e-service call once its answer is final and recorded (not of the
// open endpoints /status and /openapi.yaml). It must be cheap and safe for concurrent use.
type CallObserver interface {
	Served(ctx context.Context, s Served)
}

// Served describes an answered call. Its values are bounded (e-service and operation names,
// problem codes) except ConsumerID and PurposeID, which are the verified voucher's: an observer
// must map them to a bounded set before using them as metric labels.
type Served struct {
	EService  string
	Operation string
	Status    int
	// Outcome is "ok" or the stable problem code that refused or failed the call
	// (voucher.expired, integrity.replay, rate-limited ...).
	Outcome string
	// ConsumerID and PurposeID are the verified voucher's ("" before a voucher verified).
	ConsumerID, PurposeID string
	Elapsed               time.Duration
}

// Authenticator verifies one request of an e-service and says which PDND tenant (producerId) it
// is for. The Result is never nil: after a failure it holds what did verify (modi.Inbound.Verify).
type Authenticator interface {
	Authenticate(ctx context.Context, r *modi.Request) (*modi.Result, Match, error)
}

// Match is who a verified request is for: the PDND tenant (our producerId: PDND Tracing files are
// per tenant) and, for an e-service published for several enti (the SIUSS feed), which one.
type Match struct {
	Tenant  string
	Subject string
}

// Route is one operation of an e-service, relative to its mount path.
type Route struct {
	Method string
	// Path uses Fiber parameters (/estrazioni/:id); the contract writes them {id}.
	Path string
	// OperationID is the contract's operationId: the operation recorded in the audit trail.
	OperationID string
	Handler     fiber.Handler
	// Accepts lists the media types of a request body; another Content-Type gets 415 (RAC_REST_NAME_008).
	Accepts []string
}

// Spec describes one e-service to Build.
type Spec struct {
	// Name identifies the e-service in the audit trail, replay records and rate-limit keys.
	Name     string
	Settings Settings
	// DefaultMount applies when Settings.Mount is empty; PublicBase is eservices.public_base_url.
	DefaultMount, PublicBase string
	// Authenticator overrides the default (modi.Inbound.Verify with Settings.Security compiled,
	// tenant Settings.Security.IDAuth.ProducerID): the SIUSS feed routes by the voucher's audience.
	Authenticator Authenticator
	// Contract is the OpenAPI document served at {mount}/openapi.yaml with its servers set to the
	// public URL.
	Contract []byte
	// MinimalProblems writes problem bodies without extension members (contracts that forbid them).
	MinimalProblems bool
	Routes          []Route
	// CompileOptions are passed to modi.Policy.Compile (trust pools and clocks in tests).
	CompileOptions []modi.CompileOption
}

// Chain is one e-service's compiled chain. Immutable after Build; safe for concurrent use.
type Chain struct {
	name      string
	mount     string
	publicURL string
	deps      Deps
	auth      Authenticator
	contract  []byte
	minimal   bool
	routes    []Route
	bodyLimit int64
	limit     *RateLimit // nil: no rate limit
	inflight  *atomic.Int64
	maxFlight int64
	signer    *modi.MessageSigner // nil: responses are not signed
	steps     []step
	log       *slog.Logger
	now       func() time.Time
}

// Build compiles spec's chain. Errors name the configuration field (a malformed security policy, a
// signing key that cannot be loaded): the start-up stops.
func Build(spec Spec, deps Deps) (*Chain, error) {
	if deps.Store == nil || (deps.Inbound == nil && spec.Authenticator == nil) {
		return nil, errors.New("eservice: Build needs Deps.Store, and Deps.Inbound unless the spec brings its Authenticator")
	}
	s := spec.Settings
	c := &Chain{name: spec.Name, deps: deps, auth: spec.Authenticator, minimal: spec.MinimalProblems,
		routes: spec.Routes, bodyLimit: s.BodyLimit.Bytes(), log: deps.Logger, now: deps.Now}
	c.mount, c.publicURL = s.Resolved(spec.DefaultMount, spec.PublicBase)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.auth == nil {
		p, err := s.Security.Compile(spec.Name, spec.CompileOptions...)
		if err != nil {
			return nil, fmt.Errorf("eservice %s: security: %w", spec.Name, err)
		}
		c.auth = &ProfileAuthenticator{Inbound: deps.Inbound, Profile: p, Tenant: s.Security.IDAuth.ProducerID}
	}
	if s.RateLimit.Requests > 0 {
		rl := s.RateLimit
		c.limit = &rl
	}
	if s.Concurrency > 0 {
		c.inflight, c.maxFlight = new(atomic.Int64), int64(s.Concurrency)
	}
	if rs := s.ResponseSigning; rs != nil {
		key, err := rs.Key.Load()
		if err != nil {
			return nil, fmt.Errorf("eservice %s: response_signing.key: %w", spec.Name, err)
		}
		issuer := rs.Issuer
		if issuer == "" {
			issuer = s.Security.Audience
		}
		c.signer = &modi.MessageSigner{Signer: key, Issuer: issuer}
	}
	if spec.Contract != nil {
		c.contract = WithServer(spec.Contract, c.publicURL)
	}
	return c, nil
}

// ResponseSigner is the key that signs the e-service's responses (nil when they are not signed):
// the admin controls rotate it (jose.KeyConfig.Reload) without a restart.
func (c *Chain) ResponseSigner() *jose.Signer {
	if c.signer == nil {
		return nil
	}
	return c.signer.Signer
}

// Mount path and public URL of the e-service.
func (c *Chain) Mount() string     { return c.mount }
func (c *Chain) PublicURL() string { return c.publicURL }

// Register mounts the e-service on r (the e-service listener's router): its chain for every path
// under the mount path, then its routes.
func (c *Chain) Register(r fiber.Router) {
	c.steps = c.handlers()
	r.Use(c.mount, c.enter)
	for _, rt := range c.routes {
		if len(rt.Accepts) > 0 {
			r.Add(rt.Method, c.mount+rt.Path, server.RequireContentType(rt.Accepts...), rt.Handler)
			continue
		}
		r.Add(rt.Method, c.mount+rt.Path, rt.Handler)
	}
}

// handlers is the chain, in the order a request meets it (the listener has already assigned the
// request id, enforced its own body limit, and deadlines the request):
//
//  1. finish: runs last on the way out. It writes an error through the listener's one problem
//     writer, adds X-RateLimit-* to every response, records the call in the audit trail (answering
//     503 when it cannot), signs the response, and counts it for PDND Tracing.
//  2. limitBody: the e-service's body_limit.
//  3. open: GET /status and GET /openapi.yaml answer here, without a voucher (PDND probes /status).
//  4. admit: the e-service's concurrency bound.
//  5. authenticate: PDND voucher (and DPoP), purpose and consumer, INTEGRITY_REST_01/02,
//     AUDIT_REST_01/02 (modi.Inbound.Verify); the verified claims go into the request context.
//  6. rateLimit: per consumer and purpose, cluster-wide.
//
// then the route's handler. Features the e-service does not configure are pass-throughs.
func (c *Chain) handlers() []step {
	return []step{
		c.finish,
		c.limitBody,
		c.open,
		c.admit,
		c.authenticate,
		c.rateLimit,
	}
}

// step is one link of the chain: it does its part and calls c.next(ctx, next) to go on, or
// returns without calling it to answer or refuse. (Fiber's own Use matches a mount path as a bare
// string prefix, /waas/v1 matching /waas/v10, so the chain is entered once, at a path boundary,
// and runs its steps itself.)
type step func(c *fiber.Ctx, next int) error

// enter runs the chain for requests at or under the mount path.
func (c *Chain) enter(ctx *fiber.Ctx) error {
	if p := ctx.Path(); len(p) > len(c.mount) && p[len(c.mount)] != '/' {
		return ctx.Next()
	}
	return c.next(ctx, 0)
}

// next runs step i, or the route's handler after the last step.
func (c *Chain) next(ctx *fiber.Ctx, i int) error {
	if i == len(c.steps) {
		return ctx.Next()
	}
	return c.steps[i](ctx, i+1)
}

type localsKey int

const (
	callerKey localsKey = iota
	decisionKey
	openKey
)

// Caller is what the chain verified about a request: the tokens (modi.Result: voucher, DPoP proof,
// integrity and audit tokens) and the tenant and subject it is for.
type Caller struct {
	*modi.Result
	Match
}

type callerCtxKey struct{}

// CallerOf returns the verified caller of a request that passed the chain (nil before it).
func CallerOf(c *fiber.Ctx) *Caller {
	v, _ := c.Locals(callerKey).(*Caller)
	return v
}

// CallerFrom returns the verified caller from a handler's context (c.UserContext()).
func CallerFrom(ctx context.Context) *Caller {
	v, _ := ctx.Value(callerCtxKey{}).(*Caller)
	return v
}

// ConsumerKey is an opaque, fixed-length key of the caller's consumer and purpose: rate limits and
// job ownership use it. It is empty for a request without a verified voucher.
func (cl *Caller) ConsumerKey() string {
	if cl == nil || cl.Voucher == nil {
		return ""
	}
	v := cl.Voucher
	consumer := v.ConsumerID
	if consumer == "" {
		consumer = "client:" + v.ClientID // PDND puts consumerId behind a feature flag (§9.5)
	}
	sum := sha256.Sum256([]byte(consumer + "\x00" + v.PurposeID))
	return hex.EncodeToString(sum[:16])
}

// limitBody refuses a body over the e-service's body_limit.
func (c *Chain) limitBody(ctx *fiber.Ctx, next int) error {
	if c.bodyLimit > 0 && int64(len(ctx.Request().Body())) > c.bodyLimit {
		return problem.New(problem.PayloadTooLarge, "the request body has %d bytes; this e-service accepts at most %d",
			len(ctx.Request().Body()), c.bodyLimit)
	}
	return c.next(ctx, next)
}

// open answers GET /status (the listener's health, RAC_REST_NAME_011) and GET /openapi.yaml (the
// contract) under the mount path, before any authentication.
func (c *Chain) open(ctx *fiber.Ctx, next int) error {
	if ctx.Method() != fiber.MethodGet {
		return c.next(ctx, next)
	}
	switch strings.TrimPrefix(ctx.Path(), c.mount) {
	case "/status":
		ctx.Locals(openKey, true)
		return server.Status(ctx)
	case "/openapi.yaml":
		if c.contract == nil {
			return c.next(ctx, next)
		}
		ctx.Locals(openKey, true)
		ctx.Set(fiber.HeaderContentType, ContractMediaType)
		return ctx.Send(c.contract)
	}
	return c.next(ctx, next)
}

// ContractMediaType is the media type of the served OpenAPI document (YAML).
const ContractMediaType = "application/vnd.oai.openapi;charset=utf-8"

// overloadRetryAfter is the Retry-After of a 503 overloaded: long enough for a burst to drain.
const overloadRetryAfter = time.Second

// admit enforces the concurrency bound.
func (c *Chain) admit(ctx *fiber.Ctx, next int) error {
	if c.inflight == nil {
		return c.next(ctx, next)
	}
	if n := c.inflight.Add(1); n > c.maxFlight {
		c.inflight.Add(-1)
		return problem.New(Overloaded, "this e-service is serving %d requests, its limit on this instance; retry after the Retry-After delay", c.maxFlight).
			WithRetryAfter(overloadRetryAfter)
	}
	defer c.inflight.Add(-1)
	return c.next(ctx, next)
}

// authenticate runs the PDND/ModI checklist and puts the verified caller in the request context.
func (c *Chain) authenticate(ctx *fiber.Ctx, next int) error {
	req := &modi.Request{Method: strings.Clone(ctx.Method()), URL: c.addressed(ctx), Header: headersOf(ctx), Body: ctx.Request().Body()}
	res, match, err := c.auth.Authenticate(ctx.UserContext(), req)
	caller := &Caller{Result: res, Match: match}
	ctx.Locals(callerKey, caller) // also after a failure: the audit record names what did verify
	if err != nil {
		return err
	}
	ctx.SetUserContext(context.WithValue(ctx.UserContext(), callerCtxKey{}, caller))
	return c.next(ctx, next)
}

// addressed is the URL the consumer addressed: the public URL, the path below the mount path, and
// the query. DPoP htu and request_url audiences are compared with it.
func (c *Chain) addressed(ctx *fiber.Ctx) string {
	u := c.publicURL + strings.TrimPrefix(string(ctx.Request().URI().Path()), c.mount)
	if q := ctx.Request().URI().QueryString(); len(q) > 0 {
		u += "?" + string(q)
	}
	return u
}

// headersOf copies the request headers (fasthttp reuses its buffers after the handler returns).
// It runs on every call, so it copies them all into one string and slices names and values from
// it, with one backing array for the values, as net/textproto does: a handful of allocations
// instead of three or four per header.
func headersOf(ctx *fiber.Ctx) http.Header {
	hdr := &ctx.Request().Header
	n, size := 0, 0
	hdr.VisitAll(func(k, v []byte) { n, size = n+1, size+len(k)+len(v) })
	var b strings.Builder // one copy, into memory not zeroed first
	b.Grow(size)
	hdr.VisitAll(func(k, v []byte) { b.Write(k); b.Write(v) })
	all := b.String()
	h := make(http.Header, n)
	values := make([]string, n)
	off, i := 0, 0
	hdr.VisitAll(func(k, v []byte) {
		name := textproto.CanonicalMIMEHeaderKey(all[off : off+len(k)]) // no copy when already canonical
		off += len(k)
		value := all[off : off+len(v)]
		off += len(v)
		if prev, ok := h[name]; ok {
			h[name] = append(prev, value) // a repeated header: rare, its own array
			return
		}
		values[i] = value
		h[name] = values[i : i+1 : i+1]
		i++
	})
	return h
}

// ProfileAuthenticator verifies requests against one compiled profile: the default Authenticator.
type ProfileAuthenticator struct {
	Inbound *modi.Inbound
	Profile *modi.Profile
	// Tenant is our PDND producerId for this e-service ("" when not configured: not traced).
	Tenant string
}

// Authenticate implements Authenticator.
func (a *ProfileAuthenticator) Authenticate(ctx context.Context, r *modi.Request) (*modi.Result, Match, error) {
	res, err := a.Inbound.Verify(ctx, r, a.Profile)
	return res, Match{Tenant: a.Tenant}, err
}
