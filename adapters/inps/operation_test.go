package inps

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// The runtime's Check classifies every answer exactly as the Client will: an HTTP 200 whose Esito
// is DATABASE_OFFLINE is Retryable (the runtime retries it and counts it), DATI_NON_TROVATI is a
// Business answer, OK is a success.
func TestCheckAnswerClassifiesLikeTheClient(t *testing.T) {
	type want struct {
		class  upstream.Class
		reason Reason
	}
	cases := map[string]want{
		"attestazione_ok.xml":                   {},
		"indicatore_ok.xml":                     {},
		"attestazione_dati_non_trovati.xml":     {upstream.Business, ReasonDatiNonTrovati},
		"indicatore_dati_non_trovati.xml":       {upstream.Business, ReasonDatiNonTrovati},
		"attestazione_database_offline.xml":     {upstream.Retryable, ReasonDatabaseOffline},
		"attestazione_errore_interno.xml":       {upstream.Retryable, ReasonErroreInterno},
		"attestazione_richiesta_invalida.xml":   {upstream.Permanent, ReasonRichiestaInvalida},
		"attestazione_riscontro_non_valido.xml": {upstream.Permanent, ReasonRiscontroNonValido},
		"malformed/payload_non_xml.xml":         {},
		"malformed/base64_invalido.xml":         {upstream.Retryable, ReasonPayloadMalformato},
		"malformed/senza_esito.xml":             {upstream.Retryable, ReasonEnvelopeMalformato},
		"malformed/html.xml":                    {upstream.Retryable, ReasonEnvelopeMalformato},
		"malformed/esito_sconosciuto.xml":       {upstream.Permanent, ReasonEsitoSconosciuto},
	}
	for file, w := range cases {
		t.Run(file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata/risposta", file))
			if err != nil {
				t.Fatal(err)
			}
			op := OpConsultazioneAttestazione
			if strings.HasPrefix(filepath.Base(file), "indicatore") {
				op = OpConsultazioneIndicatore
			}
			err = OperationOf(op).Check(http.StatusOK, http.Header{"Content-Type": {"text/xml"}}, body)
			if file == "malformed/payload_non_xml.xml" {
				// The envelope is fine; the payload is read by the translation, which the Client
				// reports (Retryable) and the runtime cannot judge without the request.
				if err != nil {
					t.Fatalf("envelope-level check: %v", err)
				}
				return
			}
			if w.class == upstream.Unclassified {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if upstream.ClassOf(err) != w.class || ReasonOf(err) != w.reason {
				t.Fatalf("got class %v reason %q (%v), want %v %q", upstream.ClassOf(err), ReasonOf(err), err, w.class, w.reason)
			}
			if w.class == upstream.Business && upstream.IsUpstreamFault(err) {
				t.Fatal("a business answer must not count against the breaker")
			}
		})
	}
}

func TestCheckAnswerStatuses(t *testing.T) {
	ok := readFile(t, "testdata/risposta/attestazione_ok.xml")
	fault := readFile(t, "testdata/risposta/fault_client.xml")
	for name, tc := range map[string]struct {
		status int
		body   []byte
		class  upstream.Class
		reason Reason
		wait   int
	}{
		"fail/429":          {429, nil, upstream.Retryable, ReasonQuota, 30},
		"fail/503":          {503, []byte("<html>down</html>"), upstream.Retryable, ReasonNonDisponibile, 0},
		"fail/401":          {401, fault, upstream.Permanent, ReasonNonAutorizzata, 0},
		"fail/500-client":   {500, fault, upstream.Permanent, ReasonSOAPFault, 0},
		"fail/404":          {404, nil, upstream.Permanent, ReasonStatoHTTP, 0},
		"fail/too-large":    {200, append(ok, make([]byte, MaxResponseBytes)...), upstream.Retryable, ReasonTroppoGrande, 0},
		"fail/500-no-fault": {500, []byte("oops"), upstream.Retryable, ReasonNonDisponibile, 0},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"Retry-After": {"30"}}
			err := CheckAnswer(OpConsultazioneAttestazione)(tc.status, h, tc.body)
			if upstream.ClassOf(err) != tc.class || ReasonOf(err) != tc.reason {
				t.Fatalf("got %v %q (%v), want %v %q", upstream.ClassOf(err), ReasonOf(err), err, tc.class, tc.reason)
			}
			if ra, ok := err.(upstream.RetryAfter); !ok || (tc.wait > 0 && ra.RetryAfterSeconds() != tc.wait) {
				t.Fatalf("Retry-After not carried: %v", err)
			}
		})
	}
}

// The Client tells the runtime which operation each call is.
func TestClientDeclaresItsOperation(t *testing.T) {
	var got []*upstream.Operation
	body := readFile(t, "testdata/risposta/attestazione_dati_non_trovati.xml")
	c := &Client{Identity: testIdentity, Endpoint: "https://inps.example/pdnd/soap/ConsultazioneISEE/v1",
		Transport: TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
			got = append(got, upstream.OperationFrom(ctx))
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(bytes.NewReader(body))}, nil
		})}
	if _, err := c.ConsultazioneAttestazione(context.Background(), RichiestaAttestazione{RicercaCF: &RicercaCF{CodiceFiscale: cfTest("RLNFRU66A01D612")}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != OperationAttestazione || !got[0].Idempotent || got[0].Name != "ConsultazioneAttestazione" {
		t.Fatalf("operations seen: %+v", got)
	}
	if len(Operations()) != 2 || OperationOf("Altro") != nil {
		t.Fatal("Operations/OperationOf")
	}
}
