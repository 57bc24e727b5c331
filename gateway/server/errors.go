package server

import (
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
)

// writeProblem is the one place a listener writes an error response: any error becomes
// problem+json through problem.From, with the request id in the body and X-Correlation-ID. A
// request marked with UseMinimalProblems gets the RFC 9457 members only.
func (l *listener) writeProblem(c *fiber.Ctx, err error) {
	resp := problem.From(l.fromFiber(c, err), RequestID(c))
	c.Response().ResetBody()
	c.Status(resp.Status)
	for k, v := range resp.Header {
		c.Set(k, v)
	}
	c.Set(fiber.HeaderContentType, problem.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(headerCorrelationID, RequestID(c))
	body := resp.Problem
	if minimal, _ := c.Locals(minimalKey).(bool); minimal {
		body = body.Minimal()
	}
	c.Response().SetBodyRaw(body.JSON())
	c.Locals(problemKey, resp.Err)
}

// WriteError writes err as the response now, through the listener's one problem writer (the same
// body, headers and access-log fields as an error returned to the listener), and returns nil. It
// is for middleware that must see the final response before it is sent: the e-service chain signs
// and records every response, problems included. Outside a listener's chain it returns err.
func WriteError(c *fiber.Ctx, err error) error {
	l, ok := c.Locals(listenerKey).(*listener)
	if !ok {
		return err
	}
	l.writeProblem(c, err)
	return nil
}

// UseMinimalProblems marks the request so that its problem body carries only the RFC 9457 members
// (type, title, status, detail, instance): for contracts whose Problem schema forbids extension
// members, as INPS's SIUSS contract does (additionalProperties: false). The request id stays in the
// X-Correlation-ID header.
func UseMinimalProblems(c *fiber.Ctx) { c.Locals(minimalKey, true) }

// ProblemCode is the stable code of the problem written for this request ("" when none was), for
// middleware that records outcomes after WriteError.
func ProblemCode(c *fiber.Ctx) string {
	if pe, ok := c.Locals(problemKey).(*problem.Error); ok {
		return pe.CodeOrType()
	}
	return ""
}

// fromFiber turns Fiber's own errors (routing, fasthttp read failures) into problems with
// specific details; other errors pass unchanged. Details never echo the path or raw request
// bytes: they may hold personal data or markup.
func (l *listener) fromFiber(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return err
	}
	switch fe.Code {
	case fiber.StatusNotFound:
		return problem.New(problem.NotFound, "no resource at this path; the paths this listener serves are in its OpenAPI contract")
	case fiber.StatusMethodNotAllowed:
		allow := string(c.Response().Header.Peek(fiber.HeaderAllow))
		return problem.New(problem.MethodNotAllowed, "%s is not supported on this path; allowed: %s", c.Method(), allow)
	case fiber.StatusRequestEntityTooLarge:
		return problem.New(problem.PayloadTooLarge, "the request body exceeds this listener's limit of %s (%d bytes)",
			l.cfg.BodyLimit, l.cfg.BodyLimit.Bytes())
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return problem.New(HeadersTooLarge, "the request line and headers exceed this listener's limit of %s", l.cfg.MaxHeaderSize)
	case fiber.StatusRequestTimeout:
		return problem.Wrap(problem.RequestTimeout, err, "the request was not received within %s", l.cfg.ReadTimeout)
	case fiber.StatusBadRequest:
		return problem.Wrap(problem.BadRequest, err, "malformed HTTP request")
	}
	t := problem.BadRequest
	if fe.Code >= 500 {
		t = problem.Internal
	}
	return &problem.Error{Type: t, Status: fe.Code, Detail: http.StatusText(fe.Code), Cause: err}
}

// RequireContentType returns middleware for routes that take a request body: a request with a
// body (or a POST, PUT or PATCH) whose Content-Type media type is not one of mediaTypes gets 415
// unsupported-media-type (RAC_REST_NAME_008), naming what is accepted. Parameters such as
// charset are ignored; media types compare case-insensitively.
func RequireContentType(mediaTypes ...string) fiber.Handler {
	accepted := make([]string, len(mediaTypes))
	for i, m := range mediaTypes {
		accepted[i] = strings.ToLower(m)
	}
	list := strings.Join(mediaTypes, ", ")
	return func(c *fiber.Ctx) error {
		m := c.Method()
		if len(c.Body()) == 0 && m != fiber.MethodPost && m != fiber.MethodPut && m != fiber.MethodPatch {
			return c.Next()
		}
		raw := c.Get(fiber.HeaderContentType)
		if raw == "" {
			return problem.New(problem.UnsupportedMedia, "Content-Type is missing; send %s", list)
		}
		mt, _, err := mime.ParseMediaType(raw)
		if err != nil || !slices.Contains(accepted, mt) {
			return problem.New(problem.UnsupportedMedia, "Content-Type %q is not supported here; send %s", limitText(raw, 64), list)
		}
		return c.Next()
	}
}

func limitText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
