package icef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// ErrorFromResponse classifies a non-200 answer of operation op (an operationId): 404 with the
// contract's problem is the Business "no indicator" answer; 400 a refusal of our request with its
// invalidParams; 401/403 a refused voucher or signature; 429 the quota (Retry-After kept); 5xx
// (501, 505 excepted) unavailability; anything else a status the contract does not document.
func ErrorFromResponse(op string, status int, header http.Header, body []byte) *Error {
	e := &Error{Operazione: op, Status: status}
	if d, ok := upstream.ParseRetryAfter(header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	p, isProblem := readProblem(header, body)
	if isProblem {
		e.ProblemCode, e.Campi = limit(p.Code, 64), p.InvalidParams
		if e.ProblemCode == "" {
			e.ProblemCode = limit(p.Type, 128)
		}
		for i := range e.Campi {
			e.Campi[i] = InvalidParam{Name: limit(e.Campi[i].Name, 64), Reason: maskText(e.Campi[i].Reason)}
		}
		if len(e.Campi) > 20 {
			e.Campi = e.Campi[:20]
		}
	}
	switch {
	case status == http.StatusNotFound && isProblem:
		e.Reason, e.Detail = ReasonNonTrovato, "ICEF holds no indicator for this applicant, policy and year"
	case status == http.StatusBadRequest:
		e.Reason, e.Detail = ReasonRifiutata, "ICEF refused the request"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Reason, e.Detail = ReasonNonAutorizzata, fmt.Sprintf("ICEF refused the PDND voucher or the ModI signature (HTTP %d)", status)
	case status == http.StatusTooManyRequests:
		e.Reason, e.Detail = ReasonQuota, "ICEF refused the call with HTTP 429: the quota is exhausted"
	case status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported:
		e.Reason, e.Detail = ReasonNonDisponibile, fmt.Sprintf("ICEF is unavailable (HTTP %d)", status)
	default:
		e.Reason, e.Detail = ReasonStatoHTTP, fmt.Sprintf("ICEF answered with HTTP %d, which its contract does not document (a wrong base URL?)", status)
	}
	if isProblem && p.Detail != "" && e.Reason != ReasonNonTrovato {
		e.Detail += ": " + maskText(p.Detail)
	}
	return e
}

// readProblem reads an RFC 9457 body (application/problem+json, or JSON with a type or title).
func readProblem(header http.Header, body []byte) (Problem, bool) {
	var p Problem
	if len(body) > MaxErrorBodyBytes {
		return p, false
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &p) != nil {
		return Problem{}, false
	}
	return p, mt == "application/problem+json" || p.Type != "" || p.Title != ""
}

// correlationID is the upstream's id of the exchange, when its answer carries one.
func correlationID(h http.Header) string {
	for _, name := range []string{"X-Correlation-ID", "GovWay-Transaction-ID"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" && len(v) <= 128 {
			return v
		}
	}
	return ""
}
