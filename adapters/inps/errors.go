package inps

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
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
	// ReasonDatiNonTrovati: Esito DATI_NON_TROVATI as CheckAnswer reports it to the runtime, a
	// Business answer (never retried, never counted by a breaker). The Client itself returns
	// DATI_NON_TROVATI as a result, not an error.
	ReasonDatiNonTrovati Reason = "esito-dati-non-trovati"
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

// Class is the shared vocabulary of adapters/upstream that tells the gateway's runtime what a
// failure means: Business (an answer), Retryable (retry with backoff, counts against the breaker),
// Permanent (do not retry; counts against the breaker only when UpstreamFault says so).
type Class = upstream.Class

const (
	// ClassBusiness: INPS answered and the answer is the result, e.g. a selection that finds no
	// applicable ISEE. (DATI_NON_TROVATI is not even an error: the client returns it as a result.)
	ClassBusiness = upstream.Business
	// ClassRetryable: INPS, or the way to it, is temporarily unable to answer or answered garbage
	// (DATABASE_OFFLINE, ERRORE_INTERNO, HTTP 429/500/502/503/504, a SOAP Server fault, a malformed or
	// oversized answer, transport errors, timeouts). Retry later, after Error.RetryAfter when set.
	ClassRetryable = upstream.Retryable
	// ClassPermanent: this request will not succeed as sent (our input, RICHIESTA_INVALIDA,
	// RISCONTRO_NON_VALIDO, a SOAP Client fault, HTTP 401/403/4xx, a cancelled context), or INPS
	// answered something no retry will change (an unknown Esito, an answer for another search: then
	// UpstreamFault is true).
	ClassPermanent = upstream.Permanent
)

var classByReason = map[Reason]Class{
	ReasonRichiestaNonValida:    ClassPermanent,
	ReasonTransport:             ClassRetryable,
	ReasonTimeout:               ClassRetryable,
	ReasonAnnullata:             ClassPermanent,
	ReasonQuota:                 ClassRetryable,
	ReasonNonDisponibile:        ClassRetryable,
	ReasonNonAutorizzata:        ClassPermanent,
	ReasonStatoHTTP:             ClassPermanent,
	ReasonTroppoGrande:          ClassRetryable,
	ReasonSOAPFault:             ClassRetryable, // a Client fault is Permanent, see Error.Class
	ReasonEnvelopeMalformato:    ClassRetryable,
	ReasonPayloadMalformato:     ClassRetryable,
	ReasonRichiestaInvalida:     ClassPermanent,
	ReasonDatabaseOffline:       ClassRetryable,
	ReasonErroreInterno:         ClassRetryable,
	ReasonRiscontroNonValido:    ClassPermanent,
	ReasonEsitoSconosciuto:      ClassPermanent,
	ReasonRicercaDiversa:        ClassPermanent,
	ReasonDatiNonTrovati:        ClassBusiness,
	ReasonAttestazioneNonValida: ClassBusiness,
	ReasonCorrenteScaduta:       ClassBusiness,
	ReasonBeneficiarioEstraneo:  ClassBusiness,
	ReasonIndicatoreAssente:     ClassBusiness,
}

// upstreamFaults are the Permanent reasons that are INPS's fault, not the caller's.
var upstreamFaults = map[Reason]bool{ReasonEsitoSconosciuto: true, ReasonRicercaDiversa: true}

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
// message was malformed or incomplete) is Permanent; other faults are Retryable.
func (e *Error) Class() Class {
	if e.Reason == ReasonSOAPFault && e.Fault != nil && e.Fault.IsClient() {
		return ClassPermanent
	}
	if c, ok := classByReason[e.Reason]; ok {
		return c
	}
	return ClassRetryable
}

// UpstreamClass implements upstream.Classified.
func (e *Error) UpstreamClass() upstream.Class { return e.Class() }

// UpstreamFault reports whether the failure is INPS's (or the network's) rather than the caller's:
// every Retryable failure, and the Permanent ones INPS causes (an unknown Esito, an answer for
// another search). A circuit breaker counts exactly these.
func (e *Error) UpstreamFault() bool { return e.Class() == ClassRetryable || upstreamFaults[e.Reason] }

// RetryAfterSeconds implements upstream.RetryAfter: INPS's Retry-After advice in whole seconds,
// rounded up, 0 when it gave none.
func (e *Error) RetryAfterSeconds() int { return upstream.CeilSeconds(e.RetryAfter) }

var (
	_ upstream.Classified = (*Error)(nil)
	_ upstream.Faulted    = (*Error)(nil)
	_ upstream.RetryAfter = (*Error)(nil)
)

// BreakerFailure reports whether an outcome should count against a circuit breaker; it is
// upstream.IsUpstreamFault, kept under this name for readers of this package: a nil error (an answer,
// DATI_NON_TROVATI included) never counts; an *Error counts when UpstreamFault says so.
func BreakerFailure(err error) bool { return upstream.IsUpstreamFault(err) }

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

// maxDescrizioneErrore bounds the DescrizioneErrore kept in errors: INPS's messages are one line;
// a longer one is noise (or an HTML page) and must not flood logs.
const maxDescrizioneErrore = 512

// maskText masks every codice fiscale in upstream free text and bounds its length, so it can go
// into errors and logs.
func maskText(s string) string { return upstream.FreeText(s, maxDescrizioneErrore) }
