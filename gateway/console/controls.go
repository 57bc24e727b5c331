package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// maxReason bounds an operator's note (shown on the dashboard, in refusals and in the log).
const maxReason = 200

// actionRequest is the body every control accepts; each uses the members it needs.
type actionRequest struct {
	// Reason is the operator's note: who and why ("INPS maintenance, ticket 4711").
	Reason string `json:"reason"`
	// CodiceFiscale is the subject of a cache purge (in the body, never in a URL or a log).
	CodiceFiscale string `json:"codiceFiscale"`
	// RetryAfterSeconds is what a drained replica tells refused callers (default 60).
	RetryAfterSeconds int `json:"retryAfterSeconds"`
}

// actionResult is every control's answer.
type actionResult struct {
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	Result any    `json:"result,omitempty"`
}

func (c *Console) decode(ctx *fiber.Ctx) (actionRequest, error) { return decodeAction(ctx.Body()) }

// decodeAction reads a control's body: empty, or one JSON object with the members of
// actionRequest only. Its errors never quote the body (it may hold a codice fiscale).
func decodeAction(body []byte) (actionRequest, error) {
	var r actionRequest
	if len(strings.TrimSpace(string(body))) == 0 {
		return r, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, problem.New(problem.BadRequest, "the body must be a JSON object with the members reason, codiceFiscale or retryAfterSeconds: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return r, problem.New(problem.BadRequest, "the body must be one JSON object, with nothing after it")
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if len(r.Reason) > maxReason || strings.ContainsAny(r.Reason, "\r\n\t\x00") {
		return r, problem.New(problem.InvalidParameter, "reason: at most %d characters on one line", maxReason)
	}
	return r, nil
}

// jsonProblem describes a decoding error without quoting the body (it may hold a codice fiscale).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("member %q has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "malformed JSON"
}

// done logs the action and answers it.
func (c *Console) done(ctx *fiber.Ctx, action, target, reason string, result any) error {
	c.log.Info("admin action", "action", action, "target", target, "reason", reason, "outcome", "done",
		"request_id", server.RequestID(ctx), "client_ip", ctx.IP())
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	return ctx.JSON(actionResult{Action: action, Target: target, Result: result})
}

// failed logs a refused or failed action and returns its problem.
func (c *Console) failed(ctx *fiber.Ctx, action, target string, err error) error {
	c.log.Warn("admin action", "action", action, "target", target, "outcome", "failed", "err", err,
		"request_id", server.RequestID(ctx), "client_ip", ctx.IP())
	return err
}

func (c *Console) breaker(ctx *fiber.Ctx, action string, apply func(b *resilience.Breaker, reason string)) error {
	name := ctx.Params("name")
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, name, err)
	}
	if c.d.Upstreams == nil {
		return c.failed(ctx, action, name, problem.New(problem.NotFound, "no upstream is configured"))
	}
	b := c.d.Upstreams.Breaker(name)
	if b == nil {
		return c.failed(ctx, action, name, problem.New(problem.NotFound, "no circuit breaker is named %q (see GET /api/state: upstreams[].breakers[].name)", limit(name)))
	}
	apply(b, r.Reason)
	return c.done(ctx, action, name, r.Reason, b.Status())
}

func (c *Console) forceOpen(ctx *fiber.Ctx) error {
	return c.breaker(ctx, "breaker.force-open", func(b *resilience.Breaker, reason string) { b.ForceOpen(reason) })
}

func (c *Console) forceClosed(ctx *fiber.Ctx) error {
	return c.breaker(ctx, "breaker.force-closed", func(b *resilience.Breaker, reason string) { b.ForceClosed(reason) })
}

func (c *Console) resetBreaker(ctx *fiber.Ctx) error {
	return c.breaker(ctx, "breaker.reset", func(b *resilience.Breaker, _ string) { b.Reset() })
}

// purge removes one subject's cached answers from both tiers on every replica (others drop their
// in-process copies within cache.local_ttl).
func (c *Console) purge(ctx *fiber.Ctx) error {
	const action = "cache.purge"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	if c.d.Cache == nil {
		return c.failed(ctx, action, "", problem.New(problem.NotFound, "the cache is not configured"))
	}
	cf := contracts.NormalizeCodiceFiscale(r.CodiceFiscale)
	if cf == "" {
		return c.failed(ctx, action, "", problem.New(problem.InvalidParameter, "codiceFiscale is required: the subject whose cached answers to remove"))
	}
	if err := contracts.ValidateCodiceFiscale(cf); err != nil {
		var ce *contracts.CFError
		detail := "codiceFiscale is not a valid codice fiscale"
		if errors.As(err, &ce) {
			detail += ": " + ce.Detail
		}
		return c.failed(ctx, action, "", problem.New(problem.InvalidParameter, "%s", detail))
	}
	if err := c.d.Cache.Purge(ctx.UserContext(), cf); err != nil {
		return c.failed(ctx, action, "", problem.Wrap(problem.DependencyDown, err, "the shared cache tier could not be purged; nothing is guaranteed removed, retry").WithRetryAfter(5*time.Second))
	}
	// The subject is never logged, not even masked: the log says a purge happened and why.
	return c.done(ctx, action, "one subject", r.Reason, map[string]string{"honouredEverywhereWithin": "cache.local_ttl"})
}

func (c *Console) refreshJWKS(ctx *fiber.Ctx) error {
	const action = "pdnd.jwks.refresh"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	if c.d.JWKS == nil {
		return c.failed(ctx, action, "", problem.New(problem.NotFound, "no PDND JWKS is configured (no e-service is published)"))
	}
	if err := c.d.JWKS.Refresh(ctx.UserContext()); err != nil {
		return c.failed(ctx, action, c.d.JWKS.Status().URL, problem.Wrap(problem.DependencyDown, err,
			"the PDND JWKS could not be fetched; the last good key set stays in use").WithRetryAfter(10*time.Second))
	}
	st := c.d.JWKS.Status()
	return c.done(ctx, action, st.URL, r.Reason, st)
}

func (c *Console) refreshKeys(ctx *fiber.Ctx) error {
	const action = "pdnd.keys.refresh"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	if c.d.KeyStore == nil {
		return c.failed(ctx, action, "", problem.New(problem.NotFound, "no PDND key lookups are configured (pdnd.api_client)"))
	}
	n := c.d.KeyStore.InvalidateAll()
	return c.done(ctx, action, "", r.Reason, map[string]int{"forgotten": n})
}

// keyReload is one key's outcome.
type keyReload struct {
	Name   string `json:"name"`
	OldKid string `json:"oldKid"`
	Kid    string `json:"kid"`
	Error  string `json:"error,omitempty"`
}

// reloadKeys reads every signing key's files again and swaps each signer atomically: calls in
// flight finish with the old key, the next ones sign with the new. A key whose files do not load
// keeps its old key and is reported; the answer is then 409 with every key's outcome.
func (c *Console) reloadKeys(ctx *fiber.Ctx) error {
	const action = "keys.reload"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	if len(c.d.Keys) == 0 {
		return c.failed(ctx, action, "", problem.New(problem.NotFound, "no signing key is configured"))
	}
	out := make([]keyReload, 0, len(c.d.Keys))
	var failed []string
	for _, k := range c.d.Keys {
		kr := keyReload{Name: k.Name, OldKid: k.Signer.Kid()}
		if err := k.Config.Reload(k.Signer); err != nil {
			kr.Error = err.Error()
			failed = append(failed, k.Name)
		}
		kr.Kid = k.Signer.Kid()
		c.log.Info("signing key reloaded", "key", k.Name, "old_kid", kr.OldKid, "kid", kr.Kid, "error", kr.Error)
		out = append(out, kr)
	}
	if len(failed) > 0 {
		body, _ := json.Marshal(out)
		return c.failed(ctx, action, strings.Join(failed, ", "), problem.New(Conflict,
			"%s could not be reloaded and keep their previous key; the others were rotated: %s", strings.Join(failed, ", "), body))
	}
	return c.done(ctx, action, "", r.Reason, out)
}

// Conflict answers a control that could not be applied as asked (a key file that does not load).
var Conflict = problem.Type{Code: "admin-conflict", Status: fiber.StatusConflict, Title: "The control could not be applied"}

func (c *Console) drain(ctx *fiber.Ctx) error {
	const action = "maintenance.drain"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	if r.RetryAfterSeconds < 0 || r.RetryAfterSeconds > 86400 {
		return c.failed(ctx, action, "", problem.New(problem.InvalidParameter, "retryAfterSeconds: from 1 to 86400 (0: the default, 60)"))
	}
	m := c.d.Server.Drain(r.Reason, time.Duration(r.RetryAfterSeconds)*time.Second)
	return c.done(ctx, action, c.d.Instance, r.Reason, map[string]any{"since": m.Since, "retryAfterSeconds": int(m.RetryAfter / time.Second)})
}

func (c *Console) undrain(ctx *fiber.Ctx) error {
	const action = "maintenance.undrain"
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, "", err)
	}
	was := c.d.Server.Undrain()
	return c.done(ctx, action, c.d.Instance, r.Reason, map[string]bool{"wasDrained": was})
}

// resetTracingDay hands a PDND Tracing day back to the reporter (after a FAILED or FOREIGN day was
// looked at): the next run uploads the gateway's file for it.
func (c *Console) resetTracingDay(ctx *fiber.Ctx) error {
	const action = "tracing.reset-day"
	target := ctx.Params("tenant") + "/" + ctx.Params("day")
	r, err := c.decode(ctx)
	if err != nil {
		return c.failed(ctx, action, limit(target), err)
	}
	if c.d.Tracing == nil {
		return c.failed(ctx, action, limit(target), problem.New(problem.NotFound, "PDND Tracing is not enabled"))
	}
	if err := c.d.Tracing.Reset(ctx.UserContext(), ctx.Params("tenant"), tracing.Day(ctx.Params("day"))); err != nil {
		return c.failed(ctx, action, limit(target), problem.Wrap(problem.InvalidParameter, err, "%s", err.Error()))
	}
	return c.done(ctx, action, target, r.Reason, nil)
}

// limit cuts a value from a URL before it is quoted.
func limit(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
