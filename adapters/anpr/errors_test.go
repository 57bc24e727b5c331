package anpr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		reason Reason
		class  Class
	}{
		{"EN122 on 404", 404, `{"listaErrori":[{"codiceErroreAnomalia":"EN122"}]}`, ReasonNotFound, ClassBusiness},
		{"EN122 lower case on 400", 400, `{"listaErrori":[{"codiceErroreAnomalia":" en122 "}]}`, ReasonNotFound, ClassBusiness},
		{"EN148 after another code", 400, `{"listaErrori":[{"codiceErroreAnomalia":"EN001"},{"codiceErroreAnomalia":"EN148"}]}`, ReasonDeceased, ClassBusiness},
		{"other code on 404", 404, `{"listaErrori":[{"codiceErroreAnomalia":"EN777"}]}`, ReasonNotFound, ClassBusiness},
		{"other code on 400", 400, `{"listaErrori":[{"codiceErroreAnomalia":"EN777"}]}`, ReasonRejected, ClassPermanent},
		{"RispostaKO on 500", 500, `{"listaErrori":[{"codiceErroreAnomalia":"EN999"}]}`, ReasonUnavailable, ClassRetryable},
		{"GovWay 401", 401, `{"type":"https://govway.org/handling-errors/401/TokenAuthenticationRequired.html","title":"TokenAuthenticationRequired","status":401}`, ReasonGovWay, ClassPermanent},
		{"GovWay 429", 429, `{"title":"LimitExceeded","status":429,"govway_id":"x"}`, ReasonGovWay, ClassRetryable},
		{"GovWay 501", 501, `{"title":"NotImplemented","status":501,"govway_id":"x"}`, ReasonGovWay, ClassPermanent},
		{"429 empty", 429, ``, ReasonQuota, ClassRetryable},
		{"429 {} as in the stub", 429, `{}`, ReasonQuota, ClassRetryable},
		{"503 empty", 503, ``, ReasonUnavailable, ClassRetryable},
		{"501 empty", 501, ``, ReasonUnavailable, ClassPermanent},
		{"400 garbage", 400, `<html>`, ReasonMalformed, ClassRetryable},
		{"404 empty: wrong URL", 404, ``, ReasonUnexpectedStatus, ClassPermanent},
		{"302", 302, ``, ReasonUnexpectedStatus, ClassPermanent},
		{"200 garbage", 200, `nope`, ReasonMalformed, ClassRetryable},
		{"200 array", 200, `[]`, ReasonMalformed, ClassRetryable},
		{"200 two objects", 200, `{} {}`, ReasonMalformed, ClassRetryable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := InterpretResponse(C020, c.status, nil, []byte(c.body), Meta{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v", err)
			}
			if e.Reason != c.reason || e.Class() != c.class || Classify(err) != c.class || !errors.Is(err, ErrANPR) {
				t.Fatalf("got %s/%s, want %s/%s: %v", e.Reason, e.Class(), c.reason, c.class, err)
			}
		})
	}
	if Classify(nil) != 0 || Classify(fmt.Errorf("wrapped: %w", context.DeadlineExceeded)) != ClassRetryable ||
		Classify(context.Canceled) != ClassPermanent {
		t.Error("Classify of plain errors")
	}
	if !IsDeceased(fmt.Errorf("chain: %w", &Error{Reason: ReasonDeceased})) || IsNotFound(errors.New("x")) {
		t.Error("IsDeceased / IsNotFound")
	}
}

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{"120": 2 * time.Minute, "": 0, "-1": 0, "soon": 0,
		"Wed, 21 Oct 2015 07:28:00 GMT": 0, "99999999999": 0} {
		e := ErrorFromResponse(C030, 429, http.Header{"Retry-After": {v}}, nil)
		if e.RetryAfter != want {
			t.Errorf("Retry-After %q → %s, want %s", v, e.RetryAfter, want)
		}
	}
}

// TestErrorsNeverLeakPersonalData: valoreErroreAnomalia is never printed and codici fiscali in
// texts (omocodic ones included) are masked.
func TestErrorsNeverLeakPersonalData(t *testing.T) {
	omocode, _ := contracts.Omocode("VRDGPP75C15L378N", 2)
	body := `{"listaErrori":[{"codiceErroreAnomalia":"EN001","testoErroreAnomalia":"CF VRDGPP75C15L378N e ` + strings.ToLower(omocode) +
		`","campoErroreAnomalia":"codiceFiscale","valoreErroreAnomalia":"SECRET-VALUE"}]}`
	err := ErrorFromResponse(C030, 400, nil, []byte(body))
	msg := err.Error()
	if strings.Contains(msg, "SECRET-VALUE") || strings.Contains(msg, "L378N") || strings.Contains(strings.ToUpper(msg), omocode[6:]) {
		t.Fatalf("leak: %s", msg)
	}
	if !strings.Contains(msg, "VRDGPP**********") || err.Errori[0].Valore != "SECRET-VALUE" {
		t.Fatalf("the value must stay in the struct and the text be masked: %s", msg)
	}
	g := ErrorFromResponse(C030, 400, nil, []byte(`{"title":"InvalidRequestContent","status":400,"detail":"body.criteriRicerca.codiceFiscale: RSSMRA80A01H501U is too long"}`))
	if strings.Contains(g.Error(), "RSSMRA80A01H501U") {
		t.Fatalf("GovWay detail leaks: %s", g)
	}
}

// TestErrorBodiesAreBounded: a huge error body is read only up to MaxErrorBodyBytes.
func TestErrorBodiesAreBounded(t *testing.T) {
	body := `{"listaErrori":[{"codiceErroreAnomalia":"EN122","testoErroreAnomalia":"` + strings.Repeat("x", MaxErrorBodyBytes) + `"}]}`
	e := ErrorFromResponse(C020, 404, nil, []byte(body))
	if e.Reason != ReasonMalformed || e.Cause == nil {
		t.Fatalf("a cut error body must be reported as unreadable, got %v", e)
	}
	many := `{"listaAnomalie":[` + strings.Repeat(`{"codiceErroreAnomalia":"W1"},`, MaxAnomalie+5) + `{"codiceErroreAnomalia":"W1"}],"listaSoggetti":{"datiSoggetto":[{"identificativi":{"idANPR":"KT48213PW"}}]}}`
	r, err := ParseRisposta(C030, []byte(many), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Anomalie) != MaxAnomalie || !strings.Contains(strings.Join(r.Provenienza.Anomalie, "\n"), "6 more entries dropped") {
		t.Fatalf("anomalie %d, notes %v", len(r.Anomalie), r.Provenienza.Anomalie[len(r.Provenienza.Anomalie)-1])
	}
	soggetti := `{"listaSoggetti":{"datiSoggetto":[` + strings.Repeat(`{},`, MaxSoggetti) + `{}]}}`
	if _, err := ParseRisposta(C021, []byte(soggetti), Meta{}); !hasReason(err, ReasonTooLarge) {
		t.Fatalf("%d subjects: %v", MaxSoggetti+1, err)
	}
}

// TestErrorTextQuotesAreBounded: ANPR's and GovWay's texts go into logs and problems, so each is cut
// (between characters, after masking) however long the upstream made it.
func TestErrorTextQuotesAreBounded(t *testing.T) {
	long := strings.Repeat("è", 2000) + " RSSMRA80A01H501U"
	e := &Error{Reason: ReasonRejected, CasoUso: C030, Status: 400,
		Errori: []Anomalia{{Codice: "EN001", Testo: long, Campo: long}},
		GovWay: &e002.GovWayProblem{Title: "InvalidRequestContent", Detail: long}}
	msg := e.Error()
	if n := utf8.RuneCountInString(msg); n > 3*(maxQuotedText+1)+200 || !utf8.ValidString(msg) {
		t.Fatalf("%d characters (valid UTF-8: %v): each quoted text must be cut at %d", n, utf8.ValidString(msg), maxQuotedText)
	}
	if strings.Count(msg, "…") != 3 || strings.Contains(msg, "RSSMRA80A01H501U") {
		t.Fatalf("every text cut once, no code shown: %.200s", msg)
	}
}

func TestErrorsReadByTheSharedClassifier(t *testing.T) {
	// The runtime only knows adapters/upstream: an ANPR "not found" wrapped by a caller must still
	// read as a business answer there, and a 503 as retryable.
	notFound := fmt.Errorf("lookup: %w", &Error{Reason: ReasonNotFound})
	if got := upstream.ClassOf(notFound); got != upstream.Business {
		t.Fatalf("ClassOf(EN122) = %v, want business", got)
	}
	unavailable := &Error{Reason: ReasonUnavailable, Status: 503}
	if got := upstream.ClassOf(unavailable); got != upstream.Retryable {
		t.Fatalf("ClassOf(503) = %v, want retryable", got)
	}
}
