package icef

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// Reason says why an ICEF call failed. The values are stable codes for logs and the problem
// mapping; never rename one, add a new one.
type Reason string

const (
	// ReasonRichiestaNonValida: our own input failed validation; nothing was sent.
	ReasonRichiestaNonValida Reason = "richiesta-non-valida"
	// ReasonNonTrovato: 404 icef-not-found, no indicator for this applicant, policy and year (the
	// contract gives the same answer for an unknown person). A Business answer.
	ReasonNonTrovato Reason = "non-trovato"
	// ReasonRifiutata: 400, the service refused the request (Error.Campi names the fields).
	ReasonRifiutata Reason = "rifiutata"
	// ReasonNonAutorizzata: 401 or 403, the voucher or the ModI signature was refused.
	ReasonNonAutorizzata Reason = "non-autorizzata"
	// ReasonQuota: 429, the quota is exhausted.
	ReasonQuota Reason = "quota-esaurita"
	// ReasonNonDisponibile: 5xx (501 and 505 excepted), the service is down or overloaded.
	ReasonNonDisponibile Reason = "servizio-non-disponibile"
	// ReasonStatoHTTP: a status the contract does not document.
	ReasonStatoHTTP Reason = "stato-http-inatteso"
	// ReasonMalformata: a 200 whose body is not the contract's Indicatore (not JSON, wrong types,
	// required data missing or unreadable).
	ReasonMalformata Reason = "risposta-malformata"
	// ReasonTroppoGrande: the answer exceeds MaxResponseBytes.
	ReasonTroppoGrande Reason = "risposta-troppo-grande"
	// ReasonRicercaDiversa: the answer is about another applicant, policy or year than the one
	// asked: discarded, it may be someone else's data.
	ReasonRicercaDiversa Reason = "ricerca-diversa"
	// ReasonTransport: the transport failed before an answer arrived.
	ReasonTransport Reason = "trasporto"
)

var classByReason = map[Reason]upstream.Class{
	ReasonRichiestaNonValida: upstream.Permanent,
	ReasonNonTrovato:         upstream.Business,
	ReasonRifiutata:          upstream.Permanent,
	ReasonNonAutorizzata:     upstream.Permanent,
	ReasonQuota:              upstream.Retryable,
	ReasonNonDisponibile:     upstream.Retryable,
	ReasonStatoHTTP:          upstream.Permanent,
	ReasonMalformata:         upstream.Retryable,
	ReasonTroppoGrande:       upstream.Permanent,
	ReasonRicercaDiversa:     upstream.Permanent,
	ReasonTransport:          upstream.Retryable,
}

// upstreamFaults are the Permanent reasons that are ICEF's doing, not the caller's: a circuit
// breaker counts them, a cache may answer them with a stale value.
var upstreamFaults = map[Reason]bool{ReasonStatoHTTP: true, ReasonTroppoGrande: true, ReasonRicercaDiversa: true}

// Error is every failure of this package. Its message never holds a codice fiscale in clear.
type Error struct {
	Reason Reason
	// Operazione is the contract's operationId ("ricercaIndicatore").
	Operazione string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// ProblemCode is the problem's code (or type) when the service sent one ("icef-not-found").
	ProblemCode string
	// Campi lists the fields the service (or our validation) refused.
	Campi []InvalidParam
	// RetryAfter is the service's Retry-After advice.
	RetryAfter time.Duration
	Detail     string
	Cause      error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "icef: %s", e.Operazione)
	if e.Status != 0 {
		fmt.Fprintf(&b, " HTTP %d", e.Status)
	}
	fmt.Fprintf(&b, ": %s: %s", e.Reason, e.Detail)
	for _, c := range e.Campi {
		fmt.Fprintf(&b, "; %s: %s", c.Name, c.Reason)
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// UpstreamClass implements upstream.Classified; a transport failure caused by the caller's own
// cancellation is Permanent (nothing to retry, nothing wrong upstream).
func (e *Error) UpstreamClass() upstream.Class {
	if e.Reason == ReasonTransport && errors.Is(e.Cause, context.Canceled) {
		return upstream.Permanent
	}
	if c, ok := classByReason[e.Reason]; ok {
		return c
	}
	return upstream.Permanent
}

// UpstreamFault implements upstream.Faulted: every Retryable failure, and the Permanent ones ICEF
// causes.
func (e *Error) UpstreamFault() bool {
	return e.UpstreamClass() == upstream.Retryable || upstreamFaults[e.Reason]
}

// RetryAfterSeconds implements upstream.RetryAfter.
func (e *Error) RetryAfterSeconds() int { return upstream.CeilSeconds(e.RetryAfter) }

// Code is the service's problem code, kept with a cached business answer.
func (e *Error) Code() string { return e.ProblemCode }

var (
	_ upstream.Classified = (*Error)(nil)
	_ upstream.Faulted    = (*Error)(nil)
	_ upstream.RetryAfter = (*Error)(nil)
)

// ReasonOf returns the Reason of the *Error in err's chain, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// IsNotFound reports whether err is the service's "no indicator" answer.
func IsNotFound(err error) bool { return ReasonOf(err) == ReasonNonTrovato }

// maxText bounds upstream free text kept in errors.
const maxText = 300

// maskText masks codici fiscali in upstream free text and bounds it.
func maskText(s string) string { return upstream.FreeText(s, maxText) }
