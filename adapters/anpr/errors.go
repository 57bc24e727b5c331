package anpr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/adapters/upstream"
)

// Reason says what kind of failure an *Error is.
type Reason int

const (
	// ReasonNotFound: ANPR found no subject (EN122, HTTP 404). A business answer.
	ReasonNotFound Reason = iota + 1
	// ReasonDeceased: ANPR refused the use case because the subject is dead (EN148). A business
	// answer: the adapter returns it as an error because ANPR sends no data with it.
	ReasonDeceased
	// ReasonRejected: ANPR refused the request with other listaErrori codes (HTTP 400): the request
	// or the subject's data does not allow the answer. Not retryable.
	ReasonRejected
	// ReasonGovWay: ANPR's GovWay front end refused the request (schema validation, ModI profile,
	// voucher, authorization, its own rate limits) with a GovWay problem.
	ReasonGovWay
	// ReasonQuota: HTTP 429, the daily quota of the PDND purpose is exhausted (ANPR sends no body).
	ReasonQuota
	// ReasonUnavailable: HTTP 5xx (RispostaKO or not).
	ReasonUnavailable
	// ReasonMalformed: a body that is not JSON or not the shape the status implies.
	ReasonMalformed
	// ReasonTooLarge: a body or a list over the adapter's bounds (MaxResponseBytes, MaxSoggetti).
	ReasonTooLarge
	// ReasonUnexpectedStatus: a status ANPR does not document (3xx, a bare 401/403/404 ...).
	ReasonUnexpectedStatus
	// ReasonTransport: the Transport failed before an answer arrived.
	ReasonTransport
)

var reasonNames = map[Reason]string{
	ReasonNotFound: "not_found", ReasonDeceased: "deceased", ReasonRejected: "rejected",
	ReasonGovWay: "govway", ReasonQuota: "quota", ReasonUnavailable: "unavailable",
	ReasonMalformed: "malformed", ReasonTooLarge: "too_large", ReasonUnexpectedStatus: "unexpected_status",
	ReasonTransport: "transport",
}

func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return "unknown"
}

// Class tells the resilience layer what to do with a failure: the shared vocabulary of
// adapters/upstream, so the runtime reads every adapter's errors the same way.
type Class = upstream.Class

const (
	// ClassBusiness is an answer about the citizen (not found, deceased): cache it like a result,
	// never retry it, never count it against a circuit breaker.
	ClassBusiness = upstream.Business
	// ClassRetryable is a failure of the upstream or the network (5xx, 429, timeouts, garbled
	// answers): retry with backoff, count it against the breaker.
	ClassRetryable = upstream.Retryable
	// ClassPermanent is a failure that repeating the same request cannot fix (an invalid request, a
	// refused ModI profile or voucher, a wrong URL): report it, do not retry, do not trip the breaker.
	ClassPermanent = upstream.Permanent
)

// Codes ANPR is known to send (payloads.md §2.5). Other codes are kept as they come.
const (
	CodiceNonTrovato = "EN122" // "La richiesta effettuata non produce alcun risultato"
	CodiceDeceduto   = "EN148" // the subject is deceased (RegioneER/ScERPA handles it on HTTP 400)
)

// Anomalia is one ANPR error or warning (TipoErroriAnomalia), kept verbatim.
type Anomalia struct {
	Codice  string `json:"codice,omitempty"`
	Tipo    string `json:"tipo,omitempty"`
	Testo   string `json:"testo,omitempty"`
	Oggetto string `json:"oggetto,omitempty"`
	Campo   string `json:"campo,omitempty"`
	// Valore is the offending value; it may be personal data (a codice fiscale): never log it.
	Valore string `json:"valore,omitempty"`
}

func anomalia(a e002.TipoErroriAnomalia) Anomalia {
	return Anomalia{a.CodiceErroreAnomalia, a.TipoErroreAnomalia, a.TestoErroreAnomalia,
		a.OggettoErroreAnomalia, a.CampoErroreAnomalia, a.ValoreErroreAnomalia}
}

// Error is a failed E002 exchange. Errori keeps ANPR's listaErrori, GovWay the GovWay problem. The
// message never contains Valore fields, and codici fiscali in upstream texts are masked.
type Error struct {
	Reason           Reason
	CasoUso          CasoUso
	Status           int // HTTP status; 0 for transport failures
	IDOperazioneANPR string
	Errori           []Anomalia
	GovWay           *e002.GovWayProblem
	// RetryAfter is the upstream's Retry-After, when it sent one.
	RetryAfter time.Duration
	Cause      error
}

// ErrANPR matches every *Error with errors.Is.
var ErrANPR = errors.New("anpr: upstream error")

// Is lets errors.Is(err, ErrANPR) match.
func (e *Error) Is(target error) bool { return target == ErrANPR }

func (e *Error) Unwrap() error { return e.Cause }

// Code is the most specific upstream code: the first listaErrori code, else the GovWay title.
func (e *Error) Code() string {
	if len(e.Errori) > 0 {
		return e.Errori[0].Codice
	}
	if e.GovWay != nil {
		return e.GovWay.Title
	}
	return ""
}

// UpstreamClass implements upstream.Classified.
func (e *Error) UpstreamClass() upstream.Class { return e.Class() }

// Class is the error's class (see the Class constants).
func (e *Error) Class() Class {
	switch e.Reason {
	case ReasonNotFound, ReasonDeceased:
		return ClassBusiness
	case ReasonQuota, ReasonMalformed:
		return ClassRetryable
	case ReasonUnavailable, ReasonGovWay:
		if e.Status == 429 || (e.Status >= 500 && e.Status != 501) {
			return ClassRetryable
		}
		return ClassPermanent
	case ReasonTransport:
		if errors.Is(e.Cause, context.Canceled) {
			return ClassPermanent // the caller gave up: nothing to retry, nothing wrong upstream
		}
		return ClassRetryable
	}
	return ClassPermanent
}

// maxQuotedText bounds, in characters, each text of ANPR or GovWay that Error quotes: the error
// goes into logs and problem details, and the upstream decides how long its texts are.
const maxQuotedText = 300

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "anpr: %s", e.CasoUso)
	if e.Status != 0 {
		fmt.Fprintf(&b, " HTTP %d", e.Status)
	}
	fmt.Fprintf(&b, ": %s", e.Reason)
	for _, a := range e.Errori {
		fmt.Fprintf(&b, "; %s", a.Codice)
		if a.Testo != "" {
			fmt.Fprintf(&b, " %q", upstream.FreeText(a.Testo, maxQuotedText))
		}
		if a.Campo != "" {
			fmt.Fprintf(&b, " (campo %s)", upstream.FreeText(a.Campo, maxQuotedText))
		}
	}
	if g := e.GovWay; g != nil {
		fmt.Fprintf(&b, "; GovWay %s", g.Title)
		if g.Detail != "" {
			fmt.Fprintf(&b, ": %s", upstream.FreeText(g.Detail, maxQuotedText))
		}
		if g.GovWayID != "" {
			fmt.Fprintf(&b, " (govway_id %s)", g.GovWayID)
		}
	}
	if e.IDOperazioneANPR != "" {
		fmt.Fprintf(&b, " [idOperazioneANPR %s]", e.IDOperazioneANPR)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " [retry after %s]", e.RetryAfter)
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Classify classifies any error the Client returns: *Error by its Class, a *RequestError as
// permanent (the request is wrong), a cancelled context as permanent, anything else as retryable.
func Classify(err error) Class {
	var e *Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Class()
	case errors.Is(err, ErrInvalidRequest), errors.Is(err, context.Canceled):
		return ClassPermanent
	}
	return ClassRetryable
}

// IsNotFound reports whether err is ANPR's "no subject" answer.
func IsNotFound(err error) bool { return hasReason(err, ReasonNotFound) }

// IsDeceased reports whether err is ANPR's "subject deceased" answer (EN148).
func IsDeceased(err error) bool { return hasReason(err, ReasonDeceased) }

func hasReason(err error, r Reason) bool {
	var e *Error
	return errors.As(err, &e) && e.Reason == r
}

var _ upstream.Classified = (*Error)(nil)
