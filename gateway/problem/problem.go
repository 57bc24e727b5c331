// Package problem is the gateway's single vocabulary for errors that reach a client: RFC 9457
// "Problem Details for HTTP APIs" (application/problem+json) with a stable type URI per error class.
//
// Handlers and middleware return a *Error (or wrap one with %w); exactly one function per listener,
// in gateway/server, turns any error into a response with [From]. Nothing else writes error bodies.
//
// Every type URI is BaseURI + Code. The code is stable API: callers switch on it, dashboards count
// it, and the documentation (README.md in this folder) lists every one. Never rename a code; add a
// new one.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// BaseURI prefixes every problem type code. It names documentation, not an endpoint the gateway calls.
const BaseURI = "https://welfaregov.github.io/gateway/problems/"

// ContentType is the media type of every error body.
const ContentType = "application/problem+json"

// Type is an error class: a stable code, the HTTP status it maps to and a short human title that
// does not change from occurrence to occurrence (RFC 9457 §3.1.3).
type Type struct {
	Code   string
	Status int
	Title  string
}

// URI is the problem "type" member for t.
func (t Type) URI() string { return BaseURI + t.Code }

// Generic error classes of every listener. Packages with their own failures (voucher, ModI, upstream
// adapters, e-services) declare their own Types next to the code that detects them.
var (
	BadRequest           = Type{"bad-request", http.StatusBadRequest, "Bad request"}
	Unauthorized         = Type{"unauthorized", http.StatusUnauthorized, "Authentication required"}
	Forbidden            = Type{"forbidden", http.StatusForbidden, "Forbidden"}
	NotFound             = Type{"not-found", http.StatusNotFound, "Not found"}
	MethodNotAllowed     = Type{"method-not-allowed", http.StatusMethodNotAllowed, "Method not allowed"}
	NotAcceptable        = Type{"not-acceptable", http.StatusNotAcceptable, "Not acceptable"}
	RequestTimeout       = Type{"request-timeout", http.StatusRequestTimeout, "Request timeout"}
	PayloadTooLarge      = Type{"payload-too-large", http.StatusRequestEntityTooLarge, "Payload too large"}
	UnsupportedMedia     = Type{"unsupported-media-type", http.StatusUnsupportedMediaType, "Unsupported media type"}
	Unprocessable        = Type{"unprocessable-content", http.StatusUnprocessableEntity, "Unprocessable content"}
	TooManyRequests      = Type{"too-many-requests", http.StatusTooManyRequests, "Too many requests"}
	Internal             = Type{"internal", http.StatusInternalServerError, "Internal error"}
	BadGateway           = Type{"bad-gateway", http.StatusBadGateway, "Bad gateway"}
	ServiceUnavailable   = Type{"service-unavailable", http.StatusServiceUnavailable, "Service unavailable"}
	GatewayTimeout       = Type{"gateway-timeout", http.StatusGatewayTimeout, "Gateway timeout"}
	Healthy              = Type{"healthy", http.StatusOK, "Service is healthy"}
	DependencyDown       = Type{"dependency-unavailable", http.StatusServiceUnavailable, "A dependency is unavailable"}
	InvalidParameter     = Type{"invalid-parameter", http.StatusBadRequest, "Invalid parameter"}
	RecoveredPanic       = Type{"internal-panic", http.StatusInternalServerError, "Internal error"}
	MaintenanceDraining  = Type{"maintenance", http.StatusServiceUnavailable, "Under maintenance"}
	UpstreamUnavailable  = Type{"upstream-unavailable", http.StatusServiceUnavailable, "Upstream unavailable"}
	UpstreamInvalidReply = Type{"upstream-invalid-response", http.StatusBadGateway, "Upstream sent an invalid response"}
)

// Error is a failure that becomes a problem response. Detail is public and must be specific and
// actionable (which claim, expected versus received) without revealing key material, internals or
// whether a citizen exists. Cause is internal: it is logged, never sent.
type Error struct {
	Type   Type
	Detail string
	// Code refines Type.Code for the "code" extension member when one class has several reasons
	// (for example type "voucher-invalid" with code "voucher.expired"). Empty means Type.Code.
	Code string
	// Status overrides Type.Status when non-zero.
	Status int
	// RetryAfter, when positive, becomes a Retry-After header (whole seconds, rounded up).
	RetryAfter time.Duration
	// Header holds extra response headers (for example WWW-Authenticate).
	Header map[string]string
	// Invalid lists offending request fields, for validation failures.
	Invalid []InvalidParam
	Cause   error
}

// InvalidParam names one offending input and why (an RFC 9457 §3.2 extension member).
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// New returns an error of class t with a formatted public detail.
func New(t Type, format string, args ...any) *Error {
	return &Error{Type: t, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of class t whose internal cause is err.
func Wrap(t Type, err error, format string, args ...any) *Error {
	return &Error{Type: t, Detail: fmt.Sprintf(format, args...), Cause: err}
}

func (e *Error) Error() string {
	code := e.CodeOrType()
	if e.Cause != nil {
		return code + ": " + e.Detail + ": " + e.Cause.Error()
	}
	return code + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Cause }

// HTTPStatus is the status the response carries.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if e.Type.Status != 0 {
		return e.Type.Status
	}
	return http.StatusInternalServerError
}

// CodeOrType is the stable machine code of this occurrence.
func (e *Error) CodeOrType() string {
	if e.Code != "" {
		return e.Code
	}
	return e.Type.Code
}

// WithRetryAfter sets RetryAfter and returns e, for chaining.
func (e *Error) WithRetryAfter(d time.Duration) *Error { e.RetryAfter = d; return e }

// WithCode sets the refined code and returns e, for chaining.
func (e *Error) WithCode(code string) *Error { e.Code = code; return e }

// Problem is the RFC 9457 body. Code, RequestID and Invalid are extension members; contracts that
// forbid extensions (additionalProperties: false, as in INPS's SIUSS contract) are served with
// [Problem.Minimal].
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Invalid   []InvalidParam `json:"invalidParams,omitempty"`
}

// Minimal drops the extension members.
func (p Problem) Minimal() Problem {
	return Problem{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail, Instance: p.Instance}
}

// JSON encodes p. Encoding a Problem cannot fail; the error path exists only to satisfy the encoder.
func (p Problem) JSON() []byte {
	b, err := json.Marshal(p)
	if err != nil {
		return []byte(`{"type":"` + Internal.URI() + `","title":"Internal error","status":500}`)
	}
	return b
}

// Response is everything a listener needs to write an error: status, headers and body.
type Response struct {
	Status  int
	Header  map[string]string
	Problem Problem
	// Err is the *Error the response was built from, for logging (code, cause).
	Err *Error
}

// From maps any error to a response. A *Error found with errors.As keeps its class; anything else is
// an internal error whose text is not disclosed. requestID is echoed in the body so a caller can
// quote it to an operator.
func From(err error, requestID string) Response {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Type: Internal, Detail: "the gateway failed to process the request; quote the requestId to the operator", Cause: err}
	}
	status := e.HTTPStatus()
	p := Problem{
		Type:      e.Type.URI(),
		Title:     e.Type.Title,
		Status:    status,
		Detail:    e.Detail,
		Code:      e.CodeOrType(),
		RequestID: requestID,
		Invalid:   e.Invalid,
	}
	h := make(map[string]string, len(e.Header)+1)
	for k, v := range e.Header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h["Retry-After"] = RetryAfterSeconds(e.RetryAfter)
	}
	return Response{Status: status, Header: h, Problem: p, Err: e}
}

// WriteHTTP writes err with net/http (the Fiber listeners have their own writer): the status,
// headers and body From maps it to, as application/problem+json with Cache-Control: no-store
// (a problem may name what was asked about). No request id: net/http users (the modi middleware,
// the pasim simulators) have none.
func WriteHTTP(w http.ResponseWriter, err error) {
	resp := From(err, "")
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Problem.JSON())
}

// RetryAfterSeconds formats d as a Retry-After delay in whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}
