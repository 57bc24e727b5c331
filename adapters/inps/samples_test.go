package inps

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// TestRealSamples runs the adapter over the shared samples (not committed: licence unclear): the
// hand-made valid ones and idpay's WireMock stubs with their lenient placeholders.
func TestRealSamples(t *testing.T) {
	dir := inpsxsd.Dir(t)
	read := func(rel string) []byte { return readFile(t, filepath.Join(dir, rel)) }

	t.Run("synthetic/EsitoAttestazione_ordinario_3componenti", func(t *testing.T) {
		e, err := TranslateAttestazione(read("synthetic/EsitoAttestazione_ordinario_3componenti.xml"), fixtureMeta)
		if err != nil {
			t.Fatal(err)
		}
		checkSyntheticAttestazione(t, e)
	})
	t.Run("synthetic/ConsultazioneAttestazione_response_envelope", func(t *testing.T) {
		r, err := ParseRisposta(OpConsultazioneAttestazione, read("synthetic/ConsultazioneAttestazione_response_envelope.xml"))
		if err != nil || r.Err() != nil || r.IDRichiesta != "123456" || r.Esito != EsitoOK || len(r.Anomalie) != 0 {
			t.Fatalf("%+v %v", r, err)
		}
		e, err := TranslateAttestazione(r.Payload, fixtureMeta)
		if err != nil {
			t.Fatal(err)
		}
		checkSyntheticAttestazione(t, e)
	})
	t.Run("synthetic/EsitoIndicatore_ordinario", func(t *testing.T) {
		sel, err := TranslateIndicatore(read("synthetic/EsitoIndicatore_ordinario.xml"), fixtureMeta, contracts.ISEEOrdinario, "RSSMRA80A01L378S")
		if err != nil {
			t.Fatal(err)
		}
		v := sel.Indicatore.Valori
		if sel.Indicatore.Tipo != contracts.ISEEOrdinario || v.ISEE.String() != "12254.90" || v.ScalaEquivalenza.String() != "2.04" ||
			sel.ProtocolloDSU != "INPS-ISEE-2025-00012345A-00" || sel.DataPresentazione.String() != "2025-02-10" ||
			sel.CodiceFiscaleBeneficiario != "RSSMRA80A01L378S" || sel.Provenienza.Incompleto || len(sel.Incongruenze) != 0 {
			t.Errorf("%+v", sel)
		}
	})
	for _, c := range []struct{ file, isee string }{
		{"responses/ConsultazioneIndicatore_OK_response.xml", "10000.00"},
		{"responses/ConsultazioneIndicatore_OK2_response.xml", "15000.00"},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := ParseRisposta(OpConsultazioneIndicatore, read(c.file))
			if err != nil || r.Err() != nil || r.IDRichiesta != "?999?" {
				t.Fatalf("%+v %v", r, err)
			}
			if !slices.Contains(r.Anomalie, `IdRichiesta "?999?" is not an xs:int`) {
				t.Errorf("anomalies %v", r.Anomalie)
			}
			sel, err := TranslateIndicatore(r.Payload, Meta{IDRichiesta: r.IDRichiesta, Anomalie: r.Anomalie}, contracts.ISEEOrdinario, "RSSMRA80A01H501U")
			if err != nil {
				t.Fatal(err)
			}
			if sel.Indicatore.Valori.ISEE.String() != c.isee || !sel.Provenienza.Incompleto || sel.Indicatore.Tipo != contracts.ISEEOrdinario {
				t.Errorf("stub: %+v", sel)
			}
			decoded := read(c.file[:len(c.file)-len("_response.xml")] + "_XmlEsitoIndicatore_decoded.xml")
			again, err := TranslateIndicatore(decoded, Meta{}, contracts.ISEEOrdinario, "")
			if err != nil || again.Indicatore.Valori.ISEE.String() != c.isee {
				t.Errorf("decoded stub: %v %+v", err, again)
			}
		})
	}
	for _, c := range []struct {
		file   string
		esito  Esito
		reason Reason
		class  Class
	}{
		{"responses/ConsultazioneIndicatore_DATABASE_OFFLINE_response.xml", EsitoDatabaseOffline, ReasonDatabaseOffline, ClassRetryable},
		{"responses/ConsultazioneIndicatore_DATI_NON_TROVATI_response.xml", EsitoDatiNonTrovati, "", upstream.Unclassified},
		{"responses/ConsultazioneIndicatore_RICHIESTA_INVALIDA_response.xml", EsitoRichiestaInvalida, ReasonRichiestaInvalida, ClassPermanent},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := ParseRisposta(OpConsultazioneIndicatore, read(c.file))
			if err != nil {
				t.Fatal(err)
			}
			err = r.Err()
			if r.Esito != c.esito || ReasonOf(err) != c.reason || upstream.ClassOf(err) != c.class {
				t.Errorf("esito %s, %v (%s)", r.Esito, err, upstream.ClassOf(err))
			}
		})
	}
	t.Run("responses/SOAP_Fault_response", func(t *testing.T) {
		_, err := ParseRisposta(OpConsultazioneIndicatore, read("responses/SOAP_Fault_response.xml"))
		var e *Error
		if !errors.As(err, &e) || e.Reason != ReasonSOAPFault || e.Fault.Code != "SOAP-ENV:Server" ||
			e.Fault.String != "Request service/operation version not supported" || e.Fault.Actor != "Server" || e.Class() != ClassRetryable {
			t.Fatalf("%v %+v", err, e)
		}
		if e.Fault.Detail != "InternalCode01 Request service/operation version not supported" {
			t.Errorf("detail %q", e.Fault.Detail)
		}
	})
	t.Run("responses/ConsultazioneIndicatore_request", func(t *testing.T) {
		got, err := BuildConsultazioneIndicatore(Identity{UserID: "OperationBatchIDPay", CodiceUfficio: "001"}, RichiestaIndicatore{
			Tipo: contracts.ISEEOrdinario, RicercaCF: RicercaCF{CodiceFiscale: "RSSMRA80A01H501U", Prestazione: Prestazione{
				PrestazioneDaErogare: "A1.01", ProtocolloDomandaEnteErogatore: "Protocol", StatodomandaPrestazione: StatoDaErogare}}})
		if err != nil {
			t.Fatal(err)
		}
		if a, b := canonical(t, read("responses/ConsultazioneIndicatore_request.xml")), canonical(t, got); !slices.Equal(a, b) {
			t.Errorf("idpay's request and ours differ:\n%v\n%v", a, b)
		}
	})
}

func checkSyntheticAttestazione(t *testing.T, e *EsitoAttestazione) {
	t.Helper()
	a := e.Attestazione
	if a == nil || a.ProtocolloDSU != "INPS-ISEE-2025-00012345A-00" || a.ProtocolloMittente != "CAF-TN-2025-000999" ||
		a.CodiceFiscaleDichiarante != "RSSMRA80A01L378S" || a.DataValidita.String() != "2025-12-31" {
		t.Fatalf("attestation %+v", a)
	}
	var names []string
	for _, c := range a.NucleoFamiliare.Componenti {
		names = append(names, c.RapportoConDichiarante+":"+c.Persona.Nome+" "+c.Persona.Cognome)
	}
	if !slices.Equal(names, []string{"D:MARIO ROSSI", "C:ANNA BIANCHI", "F:LUCA ROSSI"}) {
		t.Errorf("nucleo %v", names)
	}
	if len(a.Indicatori) != 2 {
		t.Fatalf("indicators %+v", a.Indicatori)
	}
	ord, min := a.Indicatori[0], a.Indicatori[1]
	if ord.Valori.ISEE.String() != "12254.90" || ord.ModalitaCalcolo.Detrazioni.String() != "4150.00" {
		t.Errorf("ordinario %+v", ord.Valori)
	}
	if min.Tipo != contracts.ISEEMinorenni || min.CodiceFiscaleBeneficiario != "RSSLCU15C01L378Y" || min.Valori.ISEE.String() != "12254.90" {
		t.Errorf("minorenni %+v", min)
	}
	if len(a.Difformita) != 1 || a.Difformita[0].Rapporti[0].Saldo3112.String() != "1200.00" || !a.Difforme() {
		t.Errorf("difformita %+v", a.Difformita)
	}
	if e.Ricerca.PrestazioneDaErogare != "A1.07" || len(e.Incongruenze) != 0 || len(e.Provenienza.Anomalie) != 0 {
		t.Errorf("ricerca %+v, incongruenze %v, anomalie %v", e.Ricerca, e.Incongruenze, e.Provenienza.Anomalie)
	}
}
