package lookup

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// Problem types of the lookups (listed in gateway/problem/README.md). The runtime's own (circuit
// open, busy, quota, timeout, credentials) come from gateway/resilience.
var (
	// SubjectNotFound: ANPR holds no subject with this codice fiscale at the reference date (EN122).
	SubjectNotFound = problem.Type{Code: "subject-not-found", Status: http.StatusNotFound, Title: "Subject not found in ANPR"}
	// SubjectDeceased: ANPR refuses the use case because the subject is deceased (EN148): there is
	// no household or citizenship to give; the subject's registry data show the death.
	SubjectDeceased = problem.Type{Code: "subject-deceased", Status: http.StatusNotFound, Title: "Subject deceased"}
	// ISEENotAvailable: INPS holds no valid ISEE for the question, or none of the attestation's
	// indicators applies (the code says which).
	ISEENotAvailable = problem.Type{Code: "isee-not-available", Status: http.StatusNotFound, Title: "No valid ISEE"}
	// ICEFNotAvailable: ICEF holds no indicator for this applicant, policy and year.
	ICEFNotAvailable = problem.Type{Code: "icef-not-available", Status: http.StatusNotFound, Title: "No ICEF indicator"}
	// UpstreamRejected: the upstream refused the gateway's request or credentials (a voucher,
	// signature or request it does not accept): an integration or configuration problem that a
	// retry will not fix. The detail names the upstream's reason.
	UpstreamRejected = problem.Type{Code: "upstream-rejected", Status: http.StatusBadGateway, Title: "Upstream rejected the request"}
	// UpstreamNotConfigured: the gateway has no upstream configured for the question.
	UpstreamNotConfigured = problem.Type{Code: "upstream-not-configured", Status: http.StatusServiceUnavailable, Title: "Upstream not configured"}
)

// Problem turns any error of a lookup into its public form: the runtime's problems as they are
// (breaker open, quota, timeout...), the adapters' failures by their reason, business answers as
// the 404 of their kind. Details name the upstream and its reason, never a codice fiscale, an
// address or a token. Nil stays nil.
func Problem(err error) *problem.Error {
	if err == nil {
		return nil
	}
	var pe *problem.Error
	if errors.As(err, &pe) { // our own, and the runtime's (resilience.Error converts itself)
		return pe
	}
	var (
		ie *inps.Error
		ae *anpr.Error
		ce *icef.Error
		re *anpr.RequestError
	)
	switch {
	case errors.As(err, &ie):
		return inpsProblem(ie, err)
	case errors.As(err, &ae):
		return anprProblem(ae, err)
	case errors.As(err, &ce):
		return icefProblem(ce, err)
	case errors.As(err, &re):
		return problem.Wrap(problem.Unprocessable, err, "ANPR cannot be asked this: %s", re.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return problem.Wrap(resilience.UpstreamTimeout, err, "the upstream did not answer in time")
	}
	return problem.Wrap(problem.Internal, err, "the lookup failed; quote the requestId to the operator")
}

// byClass is the problem of an upstream failure that has no more specific one: the upstream down
// or overloaded (503, with its Retry-After), or it answered something unusable (502).
func byClass(err error, system, detail string) *problem.Error {
	t := UpstreamRejected
	if adapter.ClassOf(err) == adapter.Retryable {
		t = problem.UpstreamUnavailable
	}
	p := problem.Wrap(t, err, "%s: %s", system, detail)
	var ra adapter.RetryAfter
	if errors.As(err, &ra) && ra.RetryAfterSeconds() > 0 {
		p.RetryAfter = time.Duration(ra.RetryAfterSeconds()) * time.Second
	}
	return p
}

func inpsProblem(e *inps.Error, err error) *problem.Error {
	detail := string(e.Reason) + ": " + e.Detail
	switch e.Reason {
	case inps.ReasonDatiNonTrovati, inps.ReasonAttestazioneNonValida, inps.ReasonCorrenteScaduta,
		inps.ReasonBeneficiarioEstraneo, inps.ReasonIndicatoreAssente:
		return problem.Wrap(ISEENotAvailable, err, "%s", e.Detail).WithCode("isee." + strings.TrimPrefix(string(e.Reason), "esito-"))
	case inps.ReasonQuota:
		return withRetry(problem.Wrap(resilience.UpstreamQuotaExhausted, err, "INPS: %s", detail), e.RetryAfter)
	case inps.ReasonTimeout:
		return problem.Wrap(resilience.UpstreamTimeout, err, "INPS: %s", detail)
	case inps.ReasonEnvelopeMalformato, inps.ReasonPayloadMalformato, inps.ReasonTroppoGrande,
		inps.ReasonRicercaDiversa, inps.ReasonEsitoSconosciuto:
		return problem.Wrap(problem.UpstreamInvalidReply, err, "INPS: %s", detail)
	case inps.ReasonRichiestaNonValida:
		p := problem.Wrap(problem.Unprocessable, err, "INPS cannot be asked this: %s", e.Detail)
		for _, c := range e.Campi {
			p.Invalid = append(p.Invalid, problem.InvalidParam{Name: c.Campo, Reason: c.Dettaglio})
		}
		return p
	case inps.ReasonAnnullata:
		return problem.Wrap(problem.GatewayTimeout, err, "the request ended before INPS answered")
	}
	return byClass(err, "INPS", detail)
}

func anprProblem(e *anpr.Error, err error) *problem.Error {
	detail := e.Reason.String()
	if code := e.Code(); code != "" {
		detail += " " + code
	}
	if e.GovWay != nil && e.GovWay.Detail != "" {
		detail += ": " + adapter.FreeText(e.GovWay.Detail, maxGovWayDetail)
	}
	switch e.Reason {
	case anpr.ReasonNotFound:
		return problem.Wrap(SubjectNotFound, err, "ANPR holds no subject with this codice fiscale at the reference date (%s)", e.Code()).WithCode("anpr.not-found")
	case anpr.ReasonDeceased:
		return problem.Wrap(SubjectDeceased, err, "ANPR gives no %s for a deceased subject (%s); the subject's registry data show the death", e.CasoUso, e.Code()).WithCode("anpr.deceased")
	case anpr.ReasonQuota:
		return withRetry(problem.Wrap(resilience.UpstreamQuotaExhausted, err, "ANPR %s: %s", e.CasoUso, detail), e.RetryAfter)
	case anpr.ReasonMalformed, anpr.ReasonTooLarge:
		return problem.Wrap(problem.UpstreamInvalidReply, err, "ANPR %s: %s", e.CasoUso, detail)
	case anpr.ReasonTransport:
		if errors.Is(e.Cause, context.DeadlineExceeded) {
			return problem.Wrap(resilience.UpstreamTimeout, err, "ANPR %s did not answer in time", e.CasoUso)
		}
	}
	return byClass(err, "ANPR "+string(e.CasoUso), detail)
}

func icefProblem(e *icef.Error, err error) *problem.Error {
	detail := string(e.Reason) + ": " + e.Detail
	switch e.Reason {
	case icef.ReasonNonTrovato:
		return problem.Wrap(ICEFNotAvailable, err, "%s", e.Detail).WithCode("icef.non-trovato")
	case icef.ReasonQuota:
		return withRetry(problem.Wrap(resilience.UpstreamQuotaExhausted, err, "ICEF: %s", detail), e.RetryAfter)
	case icef.ReasonMalformata, icef.ReasonTroppoGrande, icef.ReasonRicercaDiversa:
		return problem.Wrap(problem.UpstreamInvalidReply, err, "ICEF: %s", detail)
	case icef.ReasonRichiestaNonValida:
		p := problem.Wrap(problem.Unprocessable, err, "ICEF cannot be asked this")
		for _, c := range e.Campi {
			p.Invalid = append(p.Invalid, problem.InvalidParam{Name: c.Name, Reason: c.Reason})
		}
		return p
	case icef.ReasonTransport:
		if errors.Is(e.Cause, context.DeadlineExceeded) {
			return problem.Wrap(resilience.UpstreamTimeout, err, "ICEF did not answer in time")
		}
	}
	return byClass(err, "ICEF", detail)
}

func withRetry(p *problem.Error, d time.Duration) *problem.Error {
	if d > 0 {
		p.RetryAfter = d
	}
	return p
}

// maxGovWayDetail bounds the GovWay detail quoted in a problem's detail, in characters.
const maxGovWayDetail = 300

// notConfigured is the problem of a question whose upstream the gateway does not call.
func notConfigured(system string) *problem.Error {
	return problem.New(UpstreamNotConfigured, "the gateway is not configured to call %s (upstreams.%s)", system, strings.ToLower(system))
}

// businessOf turns a cached business answer (cache.BusinessAnswer, which keeps only the upstream's
// code and message) back into the problem of its kind.
func businessOf(t problem.Type, code, detail string, err error) *problem.Error {
	return problem.Wrap(t, err, "%s", detail).WithCode(code)
}
