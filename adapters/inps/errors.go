package inps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

// Reason says why an operation failed. The values are stable codes for logs, metrics and the
// gateway's problem mapping; never rename one, add a new one.
type Reason string

const (
	// ReasonRichiestaNonValida: our own input failed validation before anything was sent
	// (Error.Campi names the fields).
	ReasonRichiestaNonValida Reason = "richiesta-non-valida"
	// ReasonTransport: the transport failed (connection refused or reset, TLS, a truncated body).
	ReasonTransport Reason = "trasporto"
	// ReasonTimeout: the context's deadline passed before INPS answered.
	ReasonTimeout Reason = "timeout"
	// ReasonAnnullata: the caller cancelled the context.
	ReasonAnnullata Reason = "annullata"
	// ReasonQuota: HTTP 429, INPS's daily quota (or a rate limit) is exhausted.
	ReasonQuota Reason = "quota-esaurita"
	// ReasonNonDisponibile: HTTP 502, 503 or 504, or a 500 without a SOAP Fault.
	ReasonNonDisponibile Reason = "servizio-non-disponibile"
	// ReasonNonAutorizzata: HTTP 401 or 403, the PDND voucher (or the client's authorisation) was refused.
	ReasonNonAutorizzata Reason = "non-autorizzata"
	// ReasonStatoHTTP: any other HTTP status than 200.
	ReasonStatoHTTP Reason = "stato-http-inatteso"
	// ReasonTroppoGrande: the response exceeds MaxResponseBytes or the payload MaxPayloadBytes.
	ReasonTroppoGrande Reason = "risposta-troppo-grande"
	// ReasonSOAPFault: INPS answered with a SOAP Fault (Error.Fault).
	ReasonSOAPFault Reason = "soap-fault"
	// ReasonEnvelopeMalformato: the SOAP envelope is not XML or lacks the operation's result.
	ReasonEnvelopeMalformato Reason = "envelope-malformato"
	// ReasonPayloadMalformato: the base64 XmlEsito* payload is not base64 or not usable XML.
	ReasonPayloadMalformato Reason = "payload-malformato"
	// ReasonRichiestaInvalida: Esito RICHIESTA_INVALIDA, INPS refused the request as malformed.
	ReasonRichiestaInvalida Reason = "esito-richiesta-invalida"
	// ReasonDatabaseOffline: Esito DATABASE_OFFLINE, INPS's archive is temporarily unavailable.
	ReasonDatabaseOffline Reason = "esito-database-offline"
	// ReasonErroreInterno: Esito ERRORE_INTERNO, INPS failed while answering.
	ReasonErroreInterno Reason = "esito-errore-interno"
	// ReasonRiscontroNonValido: Esito RISCONTRO_NON_VALIDO (only in the PDND wrapper XSD).
	ReasonRiscontroNonValido Reason = "esito-riscontro-non-valido"
	// ReasonEsitoSconosciuto: an Esito value the WSDL does not list.
	ReasonEsitoSconosciuto Reason = "esito-sconosciuto"
	// ReasonRicercaDiversa: the payload echoes a different search than the one sent (another codice
	// fiscale or protocol): the answer is discarded, it may be someone else's data.
	ReasonRicercaDiversa Reason = "ricerca-diversa"

	// Selection reasons (SelezionaISEE): INPS answered, but no indicator applies.

	// ReasonAttestazioneNonValida: the attestation is not valid on the reference date.
	ReasonAttestazioneNonValida Reason = "attestazione-non-valida"
	// ReasonCorrenteScaduta: the ISEE corrente expired (DataScadenzaDSUCorrente) before the reference date.
	ReasonCorrenteScaduta Reason = "corrente-scaduta"
	// ReasonBeneficiarioEstraneo: the beneficiary is not a member of the attestation's households.
	ReasonBeneficiarioEstraneo Reason = "beneficiario-estraneo"
	// ReasonIndicatoreAssente: the attestation carries no indicator that applies (not even the ordinario).
	ReasonIndicatoreAssente Reason = "indicatore-assente"
)

// Class tells the resilience layer (breakers, retries, quota budgets) what an outcome means.
type Class string

const (
	// ClassBusiness: INPS answered and the answer is the result, even when it is "no ISEE"
	// (DATI_NON_TROVATI, a selection that finds nothing). Never a failure for a breaker; never retried.
	ClassBusiness Class = "business"
	// ClassRetryable: INPS, or the way to it, is temporarily unable to answer (DATABASE_OFFLINE,
	// ERRORE_INTERNO, HTTP 429/500/502/503/504, transport errors, timeouts). Counts against the
	// breaker; retry later (after Error.RetryAfter when set).
	ClassRetryable Class = "retryable"
	// ClassPermanent: this request will not succeed as sent (our input, RICHIESTA_INVALIDA,
	// RISCONTRO_NON_VALIDO, a SOAP Client fault, HTTP 401/403/4xx, a cancelled context). INPS is not
	// failing: no breaker count, no retry.
	ClassPermanent Class = "permanent"
	// ClassUpstream: INPS answered with something unusable (malformed envelope or payload, a SOAP
	// Server fault, an unknown Esito, an answer for another search, an oversized body). Counts
	// against the breaker but is not retried automatically: a deterministic failure would burn the
	// daily quota.
	ClassUpstream Class = "upstream"
)

// BreakerFailure reports whether an outcome of class c should count as a failure of INPS.
func (c Class) BreakerFailure() bool { return c == ClassRetryable || c == ClassUpstream }

// Retryable reports whether the same request may succeed later.
func (c Class) Retryable() bool { return c == ClassRetryable }

var classByReason = map[Reason]Class{
	ReasonRichiestaNonValida:    ClassPermanent,
	ReasonTransport:             ClassRetryable,
	ReasonTimeout:               ClassRetryable,
	ReasonAnnullata:             ClassPermanent,
	ReasonQuota:                 ClassRetryable,
	ReasonNonDisponibile:        ClassRetryable,
	ReasonNonAutorizzata:        ClassPermanent,
	ReasonStatoHTTP:             ClassUpstream,
	ReasonTroppoGrande:          ClassUpstream,
	ReasonSOAPFault:             ClassUpstream, // refined by the fault code, see Error.Class
	ReasonEnvelopeMalformato:    ClassUpstream,
	ReasonPayloadMalformato:     ClassUpstream,
	ReasonRichiestaInvalida:     ClassPermanent,
	ReasonDatabaseOffline:       ClassRetryable,
	ReasonErroreInterno:         ClassRetryable,
	ReasonRiscontroNonValido:    ClassPermanent,
	ReasonEsitoSconosciuto:      ClassUpstream,
	ReasonRicercaDiversa:        ClassUpstream,
	ReasonAttestazioneNonValida: ClassBusiness,
	ReasonCorrenteScaduta:       ClassBusiness,
	ReasonBeneficiarioEstraneo:  ClassBusiness,
	ReasonIndicatoreAssente:     ClassBusiness,
}

// FieldProblem is one invalid input field: its path in the request ("RicercaCF/CodiceFiscale",
// "Identity/UserId") and what is wrong. It never quotes a codice fiscale.
type FieldProblem struct {
	Campo     string
	Dettaglio string
}

// Error is every failure of this package. Callers switch on Reason (errors.As) and ask Class what
// to do; Error() is for logs and never contains a codice fiscale in clear.
type Error struct {
	Reason     Reason
	Operazione Operazione
	// Campi lists the invalid input fields (ReasonRichiestaNonValida).
	Campi []FieldProblem
	// HTTPStatus is the status INPS (or the path to it) answered, when one was received.
	HTTPStatus int
	// RetryAfter is the wait INPS asked for (Retry-After), zero when it did not say.
	RetryAfter time.Duration
	// IDRichiesta, Esito and DescrizioneErrore come from the answer's result element. Codici fiscali
	// in DescrizioneErrore are masked.
	IDRichiesta       string
	Esito             Esito
	DescrizioneErrore string
	// Fault is the SOAP Fault (ReasonSOAPFault).
	Fault *Fault
	// Detail explains the failure in words.
	Detail string
	Cause  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("inps: ")
	if e.Operazione != "" {
		b.WriteString(string(e.Operazione))
		b.WriteString(": ")
	}
	b.WriteString(e.Detail)
	for i, c := range e.Campi {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(c.Campo + ": " + c.Dettaglio)
	}
	if e.IDRichiesta != "" {
		b.WriteString(" (IdRichiesta " + e.IDRichiesta + ")")
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Class is the resilience class of e. A SOAP Fault whose faultcode is Client (SOAP 1.1 §4.4.1: the
// message was malformed or incomplete) is Permanent; other faults are Upstream.
func (e *Error) Class() Class {
	if e.Reason == ReasonSOAPFault && e.Fault != nil && e.Fault.IsClient() {
		return ClassPermanent
	}
	if c, ok := classByReason[e.Reason]; ok {
		return c
	}
	return ClassUpstream
}

// Classify returns the class of an outcome: nil (an answer, including DATI_NON_TROVATI) is
// Business; an *Error anywhere in the chain gives its Class; a bare context error is Permanent
// (cancelled) or Retryable (deadline); anything else (e.g. an error of the caller's transport) is
// Retryable.
func Classify(err error) Class {
	if err == nil {
		return ClassBusiness
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class()
	}
	if errors.Is(err, context.Canceled) {
		return ClassPermanent
	}
	return ClassRetryable
}

// ReasonOf returns the Reason of the *Error in err's chain, or "" when there is none.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func newError(op Operazione, r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Operazione: op, Detail: fmt.Sprintf(format, args...)}
}

// cfInText finds codici fiscali (personal, 16 characters) in free text such as DescrizioneErrore.
var cfInText = regexp.MustCompile(`(?i)\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b`)

// maxDescrizioneErrore bounds the DescrizioneErrore kept in errors: INPS's messages are one line;
// a longer one is noise (or an HTML page) and must not flood logs.
const maxDescrizioneErrore = 512

// maskText masks every codice fiscale in s (contracts.MaskCodiceFiscale) and bounds its length, so
// upstream free text can go into errors and logs.
func maskText(s string) string {
	s = cfInText.ReplaceAllStringFunc(s, func(cf string) string {
		return contracts.MaskCodiceFiscale(strings.ToUpper(cf))
	})
	return truncate(strings.TrimSpace(s), maxDescrizioneErrore)
}
