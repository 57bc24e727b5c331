package inps

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// answer wraps a payload in a WCF-style SOAP answer of op.
func answer(op Operazione, id, esito string, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<s:Envelope xmlns:s="%s"><s:Body><%s xmlns="%s"><%s><IdRichiesta>%s</IdRichiesta><Esito>%s</Esito>`,
		NamespaceSOAP, op.ResponseElement(), NamespaceServizio, op.ResultElement(), id, esito)
	if payload != nil {
		fmt.Fprintf(&b, "<%s>%s</%s>", op.PayloadElement(), base64.StdEncoding.EncodeToString(payload), op.PayloadElement())
	}
	fmt.Fprintf(&b, "</%s></%s></s:Body></s:Envelope>", op.ResultElement(), op.ResponseElement())
	return b.Bytes()
}

// fixture CFs (testdata/attestazione/ordinario.xml, indicatore/ordinario.xml).
var (
	cfNicolo    = cfTest("DNNNCL15C10L378")
	cfDannunzio = cfTest("DNNGRL80A12L378")
	clientNow   = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
)

// seen records what the server received.
type seen struct {
	method, contentType, soapAction, authorization string
	body                                           []byte
}

func newClient(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*Client, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.method, s.contentType, s.soapAction, s.authorization = r.Method, r.Header.Get("Content-Type"), r.Header.Get("SOAPAction"), r.Header.Get("Authorization")
		s.body, _ = io.ReadAll(r.Body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	hc := srv.Client()
	// The gateway's transport adds the PDND voucher; here a fixed one shows it passes through.
	tr := TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
		req.Header.Set("Authorization", "Bearer test-voucher")
		return HTTPClient(hc).Do(ctx, req)
	})
	return &Client{Transport: tr, Identity: testIdentity, Endpoint: srv.URL + "/pdnd/soap/ConsultazioneISEE/v1", Now: func() time.Time { return clientNow }}, s
}

func reply(status int, body []byte, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func TestClientAttestazioneOK(t *testing.T) {
	payload := readFile(t, "testdata/attestazione/ordinario.xml")
	c, s := newClient(t, reply(200, answer(OpConsultazioneAttestazione, "9001", "OK", payload)))
	res, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfNicolo}})
	if err != nil {
		t.Fatal(err)
	}
	if s.method != http.MethodPost || s.contentType != ContentType || s.soapAction != `"http://inps.it/ConsultazioneISEE/ISvcConsultazione/ConsultazioneAttestazione"` || s.authorization != "Bearer test-voucher" {
		t.Errorf("request headers: %+v", s)
	}
	if !bytes.Contains(s.body, []byte("<con:CodiceFiscale>"+cfNicolo+"</con:CodiceFiscale>")) || !bytes.Contains(s.body, []byte("<UserId>80012345678</UserId>")) {
		t.Errorf("request body: %s", s.body)
	}
	if !res.Trovata() || res.Esito != EsitoOK || res.IDRichiesta != "9001" || !bytes.Equal(res.Payload, payload) {
		t.Fatalf("result: %+v", res)
	}
	a := res.Attestazione
	if a.ProtocolloDSU != "INPS-ISEE-2025-00010001A-00" || a.Provenienza.IDOperazione != "9001" || !a.Provenienza.DataOraAcquisizione.Equal(clientNow) ||
		a.Provenienza.Operazione != "ConsultazioneAttestazione" {
		t.Errorf("attestation: %s %+v", a.ProtocolloDSU, a.Provenienza)
	}
	if got := a.NucleoFamiliare.Componenti[2].Persona.Nome; got != "NICOLÒ" {
		t.Errorf("ISO-8859-1 name read as %q", got)
	}
}

func TestClientIndicatoreOK(t *testing.T) {
	payload := readFile(t, "testdata/indicatore/ordinario.xml")
	c, s := newClient(t, reply(200, answer(OpConsultazioneIndicatore, "9002", "OK", payload)))
	res, err := c.ConsultazioneIndicatore(context.Background(), RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: RicercaCF{CodiceFiscale: cfDannunzio}})
	if err != nil {
		t.Fatal(err)
	}
	if s.soapAction != OpConsultazioneIndicatore.SOAPActionHeader() || !bytes.Contains(s.body, []byte("<con:TipoIndicatore>Ordinario</con:TipoIndicatore>")) {
		t.Errorf("request: %s %s", s.soapAction, s.body)
	}
	sel := res.Selezione
	if sel == nil || sel.Indicatore.Valori.ISEE.String() != "8882.35" || sel.CodiceFiscaleBeneficiario != cfDannunzio || sel.Provenienza.IDOperazione != "9002" {
		t.Fatalf("selection: %+v", sel)
	}
}

func TestClientDatiNonTrovati(t *testing.T) {
	// The answer's payload echoes a search for this person (testdata/attestazione/solo_ricerca.xml).
	searched := cfTest("RLNFRU66A01D612")
	c, _ := newClient(t, reply(200, readFile(t, "testdata/risposta/attestazione_dati_non_trovati.xml")))
	res, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: searched}})
	if err != nil || BreakerFailure(err) {
		t.Fatalf("DATI_NON_TROVATI must be a result, got %v", err)
	}
	if res.Trovata() || res.Esito != EsitoDatiNonTrovati || res.DescrizioneErrore == "" || res.Provenienza.IDOperazione != "7002" ||
		res.Ricerca == nil || res.Ricerca.CodiceFiscale != searched {
		t.Errorf("result: %+v", res)
	}
	// The same answer to a search for someone else is not trusted.
	if _, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario}}); ReasonOf(err) != ReasonRicercaDiversa {
		t.Errorf("a DATI_NON_TROVATI echoing another search: %v", err)
	}
	c, _ = newClient(t, reply(200, readFile(t, "testdata/risposta/indicatore_dati_non_trovati.xml")))
	ri, err := c.ConsultazioneIndicatore(context.Background(), RichiestaIndicatore{Tipo: contracts.ISEEMinorenni, RicercaCF: RicercaCF{CodiceFiscale: cfMario}})
	if err != nil || ri.Selezione != nil || ri.Esito != EsitoDatiNonTrovati {
		t.Fatalf("indicator DATI_NON_TROVATI: %+v %v", ri, err)
	}
}

func TestClientFailures(t *testing.T) {
	ord := readFile(t, "testdata/attestazione/ordinario.xml")
	// The ordinario fixture with its echo changed to a person who is not in the household.
	stranger := cfTest("VRDGPP70A01H501")
	foreign := bytes.Replace(ord, []byte(`RicercaCF CodiceFiscale="`+cfNicolo+`"`), []byte(`RicercaCF CodiceFiscale="`+stranger+`"`), 1)
	faultServer := readFile(t, "testdata/risposta/fault_server.xml")
	faultClient := readFile(t, "testdata/risposta/fault_client.xml")
	cases := map[string]struct {
		handler    func(http.ResponseWriter, *http.Request)
		cf         string
		reason     Reason
		class      Class
		retryAfter time.Duration
	}{
		"fail/database_offline":   {reply(200, readFile(t, "testdata/risposta/attestazione_database_offline.xml")), cfNicolo, ReasonDatabaseOffline, ClassRetryable, 0},
		"fail/errore_interno":     {reply(200, readFile(t, "testdata/risposta/attestazione_errore_interno.xml")), cfNicolo, ReasonErroreInterno, ClassRetryable, 0},
		"fail/richiesta_invalida": {reply(200, readFile(t, "testdata/risposta/attestazione_richiesta_invalida.xml")), cfNicolo, ReasonRichiestaInvalida, ClassPermanent, 0},
		"fail/riscontro":          {reply(200, readFile(t, "testdata/risposta/attestazione_riscontro_non_valido.xml")), cfNicolo, ReasonRiscontroNonValido, ClassPermanent, 0},
		"fail/http_429":           {reply(429, nil, "Retry-After", "120"), cfNicolo, ReasonQuota, ClassRetryable, 2 * time.Minute},
		"fail/http_429_date": {reply(429, nil, "Retry-After", "Mon, 02 Jun 2025 22:00:00 GMT", "Date", "Mon, 02 Jun 2025 21:30:00 GMT"),
			cfNicolo, ReasonQuota, ClassRetryable, 30 * time.Minute},
		"fail/http_503":              {reply(503, []byte("Service Unavailable"), "Content-Type", "text/plain", "Retry-After", "5"), cfNicolo, ReasonNonDisponibile, ClassRetryable, 5 * time.Second},
		"fail/http_500_plain":        {reply(500, []byte("oops"), "Content-Type", "text/plain"), cfNicolo, ReasonNonDisponibile, ClassRetryable, 0},
		"fail/http_500_fault":        {reply(500, faultServer), cfNicolo, ReasonSOAPFault, ClassRetryable, 0},
		"fail/http_500_fault_client": {reply(500, faultClient), cfNicolo, ReasonSOAPFault, ClassPermanent, 0},
		"fail/http_401":              {reply(401, nil, "WWW-Authenticate", `Bearer error="invalid_token"`), cfNicolo, ReasonNonAutorizzata, ClassPermanent, 0},
		"fail/http_401_fault":        {reply(401, faultClient, "WWW-Authenticate", `Bearer error="invalid_request"`), cfNicolo, ReasonNonAutorizzata, ClassPermanent, 0},
		"fail/http_404":              {reply(404, []byte("not found"), "Content-Type", "text/plain"), cfNicolo, ReasonStatoHTTP, ClassPermanent, 0},
		"fail/html_200":              {reply(200, []byte("<html><body>portale</body></html>"), "Content-Type", "text/html"), cfNicolo, ReasonEnvelopeMalformato, ClassRetryable, 0},
		"fail/too_large":             {reply(200, bytes.Repeat([]byte("x"), MaxResponseBytes+10)), cfNicolo, ReasonTroppoGrande, ClassRetryable, 0},
		"fail/payload_not_xml":       {reply(200, answer(OpConsultazioneAttestazione, "1", "OK", []byte("<EsitoAttestazione"))), cfNicolo, ReasonPayloadMalformato, ClassRetryable, 0},
		// INPS echoes a search for NICOLÒ, the request was for his father.
		"fail/echo_other_cf": {reply(200, answer(OpConsultazioneAttestazione, "1", "OK", ord)), cfDannunzio, ReasonRicercaDiversa, ClassPermanent, 0},
		// The echo matches the request, but the attestation does not include that person.
		"fail/not_a_member": {reply(200, answer(OpConsultazioneAttestazione, "1", "OK", foreign)), stranger, ReasonRicercaDiversa, ClassPermanent, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cl, _ := newClient(t, c.handler)
			_, err := cl.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: c.cf}})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %v", err)
			}
			if e.Reason != c.reason || upstream.ClassOf(err) != c.class || e.RetryAfter != c.retryAfter {
				t.Errorf("reason %s class %s retry %v, want %s %s %v: %v", e.Reason, upstream.ClassOf(err), e.RetryAfter, c.reason, c.class, c.retryAfter, err)
			}
			// The caller's mistakes never count against the breaker; INPS's always do.
			callers := c.class == ClassPermanent && c.reason != ReasonRicercaDiversa
			if BreakerFailure(err) == callers {
				t.Errorf("BreakerFailure %v for %s", BreakerFailure(err), e.Reason)
			}
			if e.Operazione != OpConsultazioneAttestazione {
				t.Errorf("operation %q", e.Operazione)
			}
			for _, cf := range []string{cfNicolo, cfDannunzio, stranger, cfMario} {
				if strings.Contains(err.Error(), cf) {
					t.Errorf("the error quotes a codice fiscale in clear: %v", err)
				}
			}
		})
	}
}

func TestClientIndicatoreEchoMismatch(t *testing.T) {
	c, _ := newClient(t, reply(200, answer(OpConsultazioneIndicatore, "5", "OK", readFile(t, "testdata/indicatore/ordinario.xml"))))
	_, err := c.ConsultazioneIndicatore(context.Background(), RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: RicercaCF{CodiceFiscale: cfMario}})
	if ReasonOf(err) != ReasonRicercaDiversa {
		t.Fatalf("an answer for another person must be refused, got %v", err)
	}
}

func TestClientTransportFailures(t *testing.T) {
	t.Run("fail/connection_refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := &Client{Transport: HTTPClient(nil), Identity: testIdentity, Endpoint: url}
		_, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario}})
		if ReasonOf(err) != ReasonTransport || upstream.ClassOf(err) != ClassRetryable {
			t.Errorf("got %v", err)
		}
	})
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	t.Run("fail/deadline", func(t *testing.T) {
		c, _ := newClient(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.ConsultazioneAttestazione(ctx, RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario}})
		if ReasonOf(err) != ReasonTimeout || upstream.ClassOf(err) != ClassRetryable || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("fail/cancelled", func(t *testing.T) {
		c, _ := newClient(t, hang)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := c.ConsultazioneIndicatore(ctx, RichiestaIndicatore{Tipo: contracts.ISEEOrdinario, RicercaCF: RicercaCF{CodiceFiscale: cfMario}})
		if ReasonOf(err) != ReasonAnnullata || upstream.ClassOf(err) != ClassPermanent || BreakerFailure(err) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("fail/no_transport", func(t *testing.T) {
		_, err := (&Client{Identity: testIdentity}).ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfMario}})
		if ReasonOf(err) != ReasonRichiestaNonValida {
			t.Errorf("got %v", err)
		}
	})
	t.Run("fail/invalid_request_not_sent", func(t *testing.T) {
		c, s := newClient(t, reply(200, nil))
		_, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{})
		if ReasonOf(err) != ReasonRichiestaNonValida || s.method != "" {
			t.Errorf("got %v, server saw %q", err, s.method)
		}
	})
}

func TestClassOf(t *testing.T) {
	for _, c := range []struct {
		err     error
		class   Class
		breaker bool
	}{
		{nil, upstream.Unclassified, false},
		{&Error{Reason: ReasonDatabaseOffline}, ClassRetryable, true},
		{fmt.Errorf("wrapped: %w", &Error{Reason: ReasonRichiestaInvalida}), ClassPermanent, false},
		{&Error{Reason: ReasonEnvelopeMalformato}, ClassRetryable, true},
		{&Error{Reason: ReasonEsitoSconosciuto}, ClassPermanent, true},
		{&Error{Reason: ReasonIndicatoreAssente}, ClassBusiness, false},
		{&Error{Reason: ReasonSOAPFault, Fault: &Fault{Code: "s:Client.Auth"}}, ClassPermanent, false},
		{&Error{Reason: ReasonSOAPFault, Fault: &Fault{Code: "Server"}}, ClassRetryable, true},
		{context.Canceled, ClassPermanent, false},
		{context.DeadlineExceeded, ClassRetryable, true},
	} {
		if got := upstream.ClassOf(c.err); got != c.class || BreakerFailure(c.err) != c.breaker {
			t.Errorf("%v: %s (breaker %v)", c.err, got, BreakerFailure(c.err))
		}
	}
	for r := range classByReason {
		if (&Error{Reason: r}).Class() == upstream.Unclassified {
			t.Errorf("%s has no class", r)
		}
	}
	if s := (&Error{RetryAfter: 1500 * time.Millisecond}).RetryAfterSeconds(); s != 2 {
		t.Errorf("RetryAfterSeconds %d", s)
	}
}
