package inps

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// someone returns a person of the population with a DSU (the first declarant).
func someone(t *testing.T) string {
	t.Helper()
	return testPopulation().DSUs[0].Dichiarante.CodiceFiscale
}

func rawPost(t *testing.T, url, action, contentType, auth, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if action != "" {
		req.Header.Set("SOAPAction", action)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// request builds a valid ConsultazioneAttestazione envelope for cf with the adapter, then lets the
// test alter it to something the adapter would refuse to send.
func request(t *testing.T, cf string, alter func(string) string) string {
	t.Helper()
	b, err := adapter.BuildConsultazioneAttestazione(adapter.Identity{UserID: "80012345678", CodiceUfficio: "001"},
		adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
	if err != nil {
		t.Fatal(err)
	}
	if alter != nil {
		return alter(string(b))
	}
	return string(b)
}

// TestEsiti reaches every Esito and every failure the simulator can produce, through the gateway's
// adapter where it can send the request, and with raw requests where the adapter would refuse to.
func TestEsiti(t *testing.T) {
	ctx := context.Background()
	cf := someone(t)
	senzaDSU := testPopulation().HouseholdsTagged(population.TagNoDSU)[0].Members[0].CodiceFiscale
	attestazione := func(h *harness, cf string) error {
		_, err := h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
		return err
	}
	indicatore := func(h *harness, cf string) error {
		_, err := h.client.ConsultazioneIndicatore(ctx, adapter.RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: adapter.RicercaCF{CodiceFiscale: cf}})
		return err
	}
	t.Run("ok/OK_and_DATI_NON_TROVATI", func(t *testing.T) {
		h := newHarness(t, Options{})
		res, err := h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
		if err != nil || res.Esito != adapter.EsitoOK || !res.Trovata() {
			t.Fatalf("%v %v", res, err)
		}
		res, err = h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: senzaDSU}})
		if err != nil || res.Esito != adapter.EsitoDatiNonTrovati || res.Trovata() {
			t.Fatalf("%v %v", res, err)
		}
		// A date outside every DSU's validity finds nothing either.
		res, err = h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf, DataValidita: contracts.MustData(2026, 3, 1)}})
		if err != nil || res.Esito != adapter.EsitoDatiNonTrovati {
			t.Fatalf("DataValidita 2026-03-01: %v %v", res, err)
		}
		// The DSU protocol of someone else's household finds nothing for this beneficiary.
		other := testPopulation().DSUs[1]
		res, err = h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaProtDSU: &adapter.RicercaProtDSU{ProtocolloDSU: other.Protocollo, CodiceFiscaleBeneficiario: cf}})
		if err != nil || res.Esito != adapter.EsitoDatiNonTrovati {
			t.Fatalf("foreign protocol: %v %v", res, err)
		}
	})
	for _, c := range []struct {
		semantic string
		reason   adapter.Reason
		class    adapter.Class
	}{
		{SemanticDatabaseOffline, adapter.ReasonDatabaseOffline, adapter.ClassRetryable},
		{SemanticErroreInterno, adapter.ReasonErroreInterno, adapter.ClassRetryable},
		{SemanticRiscontroNonValido, adapter.ReasonRiscontroNonValido, adapter.ClassPermanent},
		{SemanticRichiestaInvalida, adapter.ReasonRichiestaInvalida, adapter.ClassPermanent},
		{SemanticSOAPFault, adapter.ReasonSOAPFault, adapter.ClassRetryable},
		{"sconosciuto", adapter.ReasonSOAPFault, adapter.ClassRetryable},
	} {
		t.Run("fail/semantic_"+c.semantic, func(t *testing.T) {
			h := newHarness(t, Options{})
			for _, ep := range []string{EndpointAttestazione, EndpointIndicatore} {
				if err := h.faults.Set(ep, fault.Spec{Semantic: c.semantic}); err != nil {
					t.Fatal(err)
				}
			}
			for _, call := range []func(*harness, string) error{attestazione, indicatore} {
				err := call(h, cf)
				if adapter.ReasonOf(err) != c.reason || upstream.ClassOf(err) != c.class {
					t.Errorf("got %v (%s)", err, upstream.ClassOf(err))
				}
			}
		})
	}
	t.Run("ok/oggi", func(t *testing.T) {
		// With "today" after every DSU's validity, nothing is found without an explicit DataValidita.
		h := newHarness(t, Options{Oggi: population.D(2026, 2, 1)})
		res, err := h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
		if err != nil || res.Esito != adapter.EsitoDatiNonTrovati {
			t.Fatalf("%v %v", res, err)
		}
		res, err = h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf, DataValidita: contracts.MustData(2025, 7, 1)}})
		if err != nil || !res.Trovata() {
			t.Fatalf("DataValidita 2025-07-01: %v %v", res, err)
		}
	})
	t.Run("ok/semantic_dati_non_trovati", func(t *testing.T) {
		h := newHarness(t, Options{})
		_ = h.faults.Set(EndpointAttestazione, fault.Spec{Semantic: SemanticDatiNonTrovati})
		res, err := h.client.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
		if err != nil || res.Esito != adapter.EsitoDatiNonTrovati {
			t.Fatalf("%v %v", res, err)
		}
	})
	t.Run("fail/quota", func(t *testing.T) {
		h := newHarness(t, Options{})
		_ = h.faults.Set(EndpointAttestazione, fault.Spec{DailyQuota: 1})
		if err := attestazione(h, cf); err != nil {
			t.Fatal(err)
		}
		err := attestazione(h, cf)
		var e *adapter.Error
		if !errors.As(err, &e) || e.Reason != adapter.ReasonQuota || e.HTTPStatus != 429 || e.RetryAfterSeconds() <= 0 || e.Class() != adapter.ClassRetryable {
			t.Fatalf("second call over a quota of 1: %v", err)
		}
	})
	for _, c := range []struct {
		status int
		reason adapter.Reason
		class  adapter.Class
	}{
		{503, adapter.ReasonNonDisponibile, adapter.ClassRetryable},
		{500, adapter.ReasonSOAPFault, adapter.ClassRetryable},
		{429, adapter.ReasonQuota, adapter.ClassRetryable},
	} {
		t.Run("fail/http_"+http.StatusText(c.status), func(t *testing.T) {
			h := newHarness(t, Options{})
			_ = h.faults.Set(EndpointIndicatore, fault.Spec{ErrorRate: 1, ErrorStatus: c.status})
			err := indicatore(h, cf)
			if adapter.ReasonOf(err) != c.reason || upstream.ClassOf(err) != c.class {
				t.Errorf("got %v", err)
			}
		})
	}
	t.Run("fail/malformed", func(t *testing.T) {
		h := newHarness(t, Options{})
		_ = h.faults.Set(EndpointAttestazione, fault.Spec{MalformedRate: 1})
		first, second := attestazione(h, cf), attestazione(h, cf)
		if adapter.ReasonOf(first) != adapter.ReasonPayloadMalformato || adapter.ReasonOf(second) != adapter.ReasonEnvelopeMalformato {
			t.Errorf("malformed answers: %v / %v", first, second)
		}
	})
	t.Run("fail/no_voucher", func(t *testing.T) {
		h := newHarness(t, Options{})
		resp, body := rawPost(t, h.url, adapter.OpConsultazioneAttestazione.SOAPActionHeader(), adapter.ContentType, "", request(t, cf, nil))
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_request"` || !strings.Contains(body, "<faultcode>s:Client</faultcode>") {
			t.Errorf("%d %v %s", resp.StatusCode, resp.Header, body)
		}
		resp, _ = rawPost(t, h.url, adapter.OpConsultazioneAttestazione.SOAPActionHeader(), adapter.ContentType, "Basic dXNlcjpwYXNz", request(t, cf, nil))
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("Basic credentials: %d %v", resp.StatusCode, resp.Header)
		}
		// Through the adapter the 401 is a permanent, non-breaker failure.
		c := *h.client
		c.Transport = adapter.HTTPClient(nil)
		_, err := c.ConsultazioneAttestazione(ctx, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
		if adapter.ReasonOf(err) != adapter.ReasonNonAutorizzata || adapter.BreakerFailure(err) {
			t.Errorf("adapter: %v", err)
		}
	})
	t.Run("ok/security_hook", func(t *testing.T) {
		called := false
		h := newHarness(t, Options{Security: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				if r.Header.Get("Authorization") != "Bearer voucher-di-prova" {
					Unauthorized(w, "invalid_token", "voucher rifiutato")
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
		if err := attestazione(h, cf); err != nil || !called {
			t.Fatalf("%v, hook called %v", err, called)
		}
	})
	const action = `"http://inps.it/ConsultazioneISEE/ISvcConsultazione/ConsultazioneAttestazione"`
	raw := []struct {
		name, action, contentType, body string
		status                          int
		esito                           adapter.Esito // "" for a Fault
		contains                        string
	}{
		{"fail/cf_malformed", action, adapter.ContentType, request(t, cf, func(s string) string { return strings.Replace(s, cf, "RSSMRA80A01", 1) }), 200, adapter.EsitoRichiestaInvalida, "CodiceFiscale"},
		{"fail/cf_check_character", action, adapter.ContentType, request(t, cf, func(s string) string { return strings.Replace(s, cf, cf[:15]+other(cf[15]), 1) }), 200, adapter.EsitoRichiestaInvalida, "check character"},
		{"fail/no_identity", action, adapter.ContentType, request(t, cf, func(s string) string { return strings.Replace(s, "<CodiceUfficio>001</CodiceUfficio>", "", 1) }), 200, adapter.EsitoRichiestaInvalida, "inps:Identity"},
		{"fail/no_header", action, adapter.ContentType, request(t, cf, func(s string) string {
			i, j := strings.Index(s, "<soap:Header>"), strings.Index(s, "</soap:Header>")
			return s[:i] + s[j+len("</soap:Header>"):]
		}), 200, adapter.EsitoRichiestaInvalida, "inps:Identity"},
		{"fail/bad_date", action, adapter.ContentType, request(t, cf, func(s string) string {
			return strings.Replace(s, "</con:CodiceFiscale>", "</con:CodiceFiscale><con:DataValidita>2025-02-30</con:DataValidita>", 1)
		}), 200, adapter.EsitoRichiestaInvalida, "DataValidita"},
		{"fail/bad_prestazione", action, adapter.ContentType, request(t, cf, func(s string) string {
			return strings.Replace(s, "</con:CodiceFiscale>", "</con:CodiceFiscale><con:PrestazioneDaErogare>B1.01</con:PrestazioneDaErogare>", 1)
		}), 200, adapter.EsitoRichiestaInvalida, "PrestazioneDaErogare"},
		{"fail/no_filter", action, adapter.ContentType, request(t, cf, func(s string) string {
			i, j := strings.Index(s, "<con:RicercaCF>"), strings.Index(s, "</con:RicercaCF>")
			return s[:i] + s[j+len("</con:RicercaCF>"):]
		}), 200, adapter.EsitoRichiestaInvalida, "RicercaCF"},
		{"fail/not_xml", action, adapter.ContentType, "<soap:Envelope", 500, "", "XML"},
		{"fail/not_soap", action, adapter.ContentType, "<Envelope/>", 500, "", "SOAP 1.1"},
		{"fail/doctype", action, adapter.ContentType, `<!DOCTYPE x [<!ENTITY a "b">]>` + request(t, cf, nil)[len(`<?xml version="1.0" encoding="utf-8"?>`):], 500, "", "DTD"},
		{"fail/action_body_mismatch", `"http://inps.it/ConsultazioneISEE/ISvcConsultazione/ConsultazioneIndicatore"`, adapter.ContentType, request(t, cf, nil), 500, "", "SOAPAction"},
		{"fail/unknown_action", `"urn:altro"`, adapter.ContentType, request(t, cf, nil), 500, "", "urn:altro"},
		{"fail/no_action", "", adapter.ContentType, request(t, cf, nil), 500, "", "Action"},
		{"fail/content_type", action, "application/soap+xml", request(t, cf, nil), 415, "", "text/xml"},
		{"fail/too_large", action, adapter.ContentType, strings.Repeat(" ", maxRequestBytes+1), 413, "", "byte"},
	}
	h := newHarness(t, Options{})
	for _, c := range raw {
		t.Run(c.name, func(t *testing.T) {
			resp, body := rawPost(t, h.url, c.action, c.contentType, "Bearer x", c.body)
			if resp.StatusCode != c.status || !strings.Contains(body, c.contains) {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c.esito == "" {
				if _, err := adapter.ParseRisposta(adapter.OpConsultazioneAttestazione, []byte(body)); adapter.ReasonOf(err) != adapter.ReasonSOAPFault {
					t.Errorf("want a SOAP Fault, the adapter reads %v", err)
				}
				return
			}
			r, err := adapter.ParseRisposta(adapter.OpConsultazioneAttestazione, []byte(body))
			if err != nil || r.Esito != c.esito {
				t.Errorf("%v %v", r, err)
			}
		})
	}
	t.Run("fail/get", func(t *testing.T) {
		resp, err := http.Get(h.url)
		if err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	})
	t.Run("xsd", func(t *testing.T) {
		// Every answer above that is a SOAP message, fault or Esito, validates against the schemas.
		docs := map[string][]byte{}
		for _, c := range raw {
			if c.status == 415 || c.status == 413 {
				continue
			}
			_, body := rawPost(t, h.url, c.action, c.contentType, "Bearer x", c.body)
			docs[strings.TrimPrefix(c.name, "fail/")] = []byte(body)
		}
		_, body := rawPost(t, h.url, action, adapter.ContentType, "", request(t, cf, nil))
		docs["no_voucher"] = []byte(body)
		inpsxsd.New(t).MustValidate(inpsxsd.Envelope, docs)
	})
}

// other returns a check character different from c.
func other(c byte) string { return string(rune('A' + (c-'A'+1)%26)) }
