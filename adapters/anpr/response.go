package anpr

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
)

// MaxErrorBodyBytes bounds the body of a non-200 answer: a RispostaKO or a GovWay problem is a few
// hundred bytes; anything larger is read only this far.
const MaxErrorBodyBytes = 64 << 10

// InterpretResponse turns one E002 answer into a Risultato (HTTP 200) or an *Error:
//
//   - 200: ParseRisposta.
//   - RispostaKO (listaErrori): EN122 → ReasonNotFound, EN148 → ReasonDeceased, other codes by status
//     (404 not found, 5xx unavailable, others rejected).
//   - GovWay problem (title, govway_id): ReasonGovWay, retryable for 429 and 5xx.
//   - 429 without a GovWay problem: ReasonQuota (ANPR sends an empty body), with Retry-After.
//   - 5xx: ReasonUnavailable; anything else: ReasonUnexpectedStatus.
//
// It is a pure function of its arguments. header may be nil.
func InterpretResponse(c CasoUso, status int, header http.Header, body []byte, m Meta) (*Risultato, error) {
	if status == http.StatusOK {
		return ParseRisposta(c, body, m)
	}
	return nil, ErrorFromResponse(c, status, header, body)
}

// ErrorFromResponse builds the *Error of a non-200 answer (see InterpretResponse).
func ErrorFromResponse(c CasoUso, status int, header http.Header, body []byte) *Error {
	e := &Error{CasoUso: c, Status: status, RetryAfter: retryAfter(header)}
	if len(body) > MaxErrorBodyBytes {
		body = body[:MaxErrorBodyBytes]
	}
	var parsed struct {
		e002.RispostaKO
		e002.GovWayProblem
	}
	parseErr := error(nil)
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 {
		parseErr = decodeObject(trimmed, &parsed)
	}
	if parseErr == nil && len(parsed.ListaErrori) > 0 {
		e.IDOperazioneANPR = parsed.IDOperazioneANPR
		t := &translator{}
		e.Errori = t.anomalie("listaErrori", parsed.ListaErrori)
		e.Reason = reasonFromCodes(e.Errori, status)
		return e
	}
	if parseErr == nil && isGovWay(&parsed.GovWayProblem) {
		g := parsed.GovWayProblem
		e.GovWay, e.Reason = &g, ReasonGovWay
		return e
	}
	switch {
	case status == http.StatusTooManyRequests:
		e.Reason = ReasonQuota // the body, if any, is ignored: ANPR's is empty
		return e
	case status >= 500:
		e.Reason = ReasonUnavailable
	case parseErr != nil && (status == http.StatusBadRequest || status == http.StatusNotFound):
		e.Reason = ReasonMalformed // ANPR documents a RispostaKO body for 400 and 404
	default:
		e.Reason = ReasonUnexpectedStatus
	}
	if parseErr != nil {
		e.Cause = fmt.Errorf("unreadable %s body: %w", contentType(header), parseErr)
	} else if e.Reason == ReasonUnexpectedStatus {
		e.Cause = fmt.Errorf("HTTP %d without a RispostaKO or GovWay problem (wrong base URL?)", status)
	}
	return e
}

func reasonFromCodes(errori []Anomalia, status int) Reason {
	for _, a := range errori {
		switch strings.ToUpper(strings.TrimSpace(a.Codice)) {
		case CodiceNonTrovato:
			return ReasonNotFound
		case CodiceDeceduto:
			return ReasonDeceased
		}
	}
	switch {
	case status == http.StatusNotFound:
		return ReasonNotFound
	case status >= 500:
		return ReasonUnavailable
	}
	return ReasonRejected
}

func isGovWay(p *e002.GovWayProblem) bool {
	return p.GovWayID != "" || strings.HasPrefix(p.Type, e002.GovWayTypeBase) || (p.Title != "" && p.Status != 0)
}

func contentType(h http.Header) string {
	if ct := h.Get("Content-Type"); ct != "" {
		return strconv.Quote(truncate(ct))
	}
	return "untyped"
}

// retryAfter reads Retry-After in seconds (HTTP dates are not used by ANPR's GovWay); 0 when absent
// or malformed.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
