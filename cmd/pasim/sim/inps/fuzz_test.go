package inps

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/contracts"
)

// FuzzOperation feeds arbitrary bodies to both operations: the simulator must always answer with a
// SOAP message the gateway's adapter can read (an Esito or a Fault), never panic or hang.
func FuzzOperation(f *testing.F) {
	id := adapter.Identity{UserID: "80012345678", CodiceUfficio: "001"}
	cf := testPopulation().DSUs[0].Dichiarante.CodiceFiscale
	a, _ := adapter.BuildConsultazioneAttestazione(id, adapter.RichiestaAttestazione{RicercaCF: &adapter.RicercaCF{CodiceFiscale: cf}})
	i, _ := adapter.BuildConsultazioneIndicatore(id, adapter.RichiestaIndicatore{Tipo: contracts.ISEEMinorenni, RicercaCF: adapter.RicercaCF{CodiceFiscale: cf}})
	f.Add(a, true)
	f.Add(i, false)
	f.Add([]byte("<soap:Envelope/>"), true)
	h := Handler(Options{Population: testPopulation()})
	f.Fuzz(func(t *testing.T, body []byte, attestazione bool) {
		op := adapter.OpConsultazioneIndicatore
		if attestazione {
			op = adapter.OpConsultazioneAttestazione
		}
		req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		req.Header.Set("SOAPAction", op.SOAPActionHeader())
		req.Header.Set("Content-Type", adapter.ContentType)
		req.Header.Set("Authorization", "Bearer x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusRequestEntityTooLarge {
			return
		}
		r, err := adapter.ParseRisposta(op, rec.Body.Bytes())
		if err != nil && adapter.ReasonOf(err) != adapter.ReasonSOAPFault {
			t.Fatalf("status %d: the adapter cannot read the answer: %v\n%s", rec.Code, err, rec.Body.Bytes())
		}
		if err == nil && r.Esito == adapter.EsitoOK {
			if _, err := adapter.TranslateAttestazione(r.Payload, adapter.Meta{}); op == adapter.OpConsultazioneAttestazione && err != nil {
				t.Fatalf("an OK answer with an unusable payload: %v", err)
			}
		}
	})
}
