package inps

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/welfaregov/gateway/contracts"
)

// Native fuzz targets of every parser of INPS's bytes, seeded from testdata. They check that nothing
// panics, that every failure is an *Error, and that whatever is accepted can be marshalled.

func seed(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		paths, _ := filepath.Glob(filepath.Join("testdata", p))
		for _, path := range paths {
			f.Add(readFile(f, path))
		}
	}
}

func mustBeError(t *testing.T, err error) {
	if err != nil && ReasonOf(err) == "" {
		t.Fatalf("not an *Error: %v", err)
	}
}

func FuzzParseRisposta(f *testing.F) {
	seed(f, "risposta/*.xml", "risposta/*/*.xml")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, op := range []Operazione{OpConsultazioneAttestazione, OpConsultazioneIndicatore} {
			r, err := ParseRisposta(op, body)
			mustBeError(t, err)
			if err == nil {
				mustBeError(t, r.Err())
				if r.Esito == EsitoOK && len(r.Payload) == 0 {
					t.Fatal("OK without payload accepted")
				}
			}
		}
	})
}

// FuzzDecodePayload covers the base64 and charset layer: an XmlEsito* element's text, decoded and
// read as XML in whatever encoding it declares.
func FuzzDecodePayload(f *testing.F) {
	f.Add("PD94bWwgdmVyc2lvbj0iMS4wIj8+PGEvPg==")
	f.Add("PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iSVNPLTg4NTktMSI/PjxhIGI9IkTSIi8+")
	f.Add(" PD94\nbWwg ")
	f.Fuzz(func(t *testing.T, text string) {
		var n notes
		b, err := decodeBase64(text, &n)
		if err != nil {
			return
		}
		if root, err := readXML(b, &n); err == nil && root == nil {
			t.Fatal("nil root without error")
		}
	})
}

func FuzzTranslateAttestazione(f *testing.F) {
	seed(f, "attestazione/*.xml", "attestazione/lenient/*.xml")
	f.Fuzz(func(t *testing.T, payload []byte) {
		e, err := TranslateAttestazione(payload, fixtureMeta)
		mustBeError(t, err)
		if err != nil {
			return
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("accepted but not marshallable: %v", err)
		}
		if a := e.Attestazione; a != nil {
			_, _ = SelezionaISEE(*a, RichiestaSelezione{CodiceFiscaleBeneficiario: a.CodiceFiscaleDichiarante, CodicePrestazione: "A1.14"})
		}
	})
}

func FuzzTranslateIndicatore(f *testing.F) {
	seed(f, "indicatore/*.xml", "indicatore/lenient/*.xml")
	f.Fuzz(func(t *testing.T, payload []byte) {
		sel, err := TranslateIndicatore(payload, fixtureMeta, contracts.ISEEMinorenni, "RSSMRA80A01L378S")
		mustBeError(t, err)
		if err != nil {
			return
		}
		if sel.Indicatore.Valori == nil {
			t.Fatal("an accepted indicator without values")
		}
		if _, err := json.Marshal(sel); err != nil {
			t.Fatalf("accepted but not marshallable: %v", err)
		}
	})
}
