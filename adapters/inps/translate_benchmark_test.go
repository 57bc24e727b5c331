package inps

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// The baseline: encoding/xml unmarshalling the same three-member attestation into plain structs that
// mirror the XSD (strings, no validation, no model, no checks). The subject does everything the
// gateway needs: charset, lenient reading, codici fiscali, decimals, dates, rinvii, consistency checks.

type plainValori struct {
	ISE, ScalaEquivalenza, ISEE, ISR, ISP string `xml:",attr"`
}

type plainModalita struct {
	SommaRedditiComponenti, RedditoFigurativoPatrimonioMobiliare, Detrazioni, ISR, PatrimonioMobiliare string `xml:",attr"`
	DetrazionePatrimonioMobiliare, PatrimonioImmobiliare, DetrazionePatrimonioImmobiliare, ISP, ISE    string `xml:",attr"`
	ParametroNucleo, Maggiorazioni, ScalaEquivalenza                                                   string `xml:",attr"`
}

type plainEsito struct {
	Attestazione struct {
		CodiceFiscaleDichiarante, NumeroProtocolloDSU, DataPresentazione, DataValidita, ProtocolloMittente string `xml:",attr"`
		Ordinario                                                                                          struct {
			Componenti []struct {
				RapportoConDichiarante, Cognome, Nome, CodiceFiscale string `xml:",attr"`
			} `xml:"NucleoFamiliare>ComponenteNucleo"`
			ISEEOrdinario struct {
				DataRilascio string        `xml:",attr"`
				Valori       plainValori   `xml:"Valori"`
				Modalita     plainModalita `xml:"ModalitaCalcoloISEEOrdinario"`
			}
			Minorenni []struct {
				Cognome, Nome, CodiceFiscale, ISEE string `xml:",attr"`
				ISEEOrd                            *struct{}
			} `xml:"ISEEMin>ComponenteMinorenne"`
		}
	}
	Ricerca struct {
		RicercaCF struct {
			CodiceFiscale, DataValidita, PrestazioneDaErogare, ProtocolloDomandaEnteErogatore, StatodomandaPrestazione string `xml:",attr"`
		}
	}
}

func BenchmarkTranslateAttestazione(b *testing.B) {
	payload := readFile(b, "testdata/attestazione/ordinario.xml") // three members, ISO-8859-1
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var v plainEsito
			dec := xml.NewDecoder(bytes.NewReader(payload))
			dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return &latin1Reader{r: r}, nil }
			if err := dec.Decode(&v); err != nil || len(v.Attestazione.Ordinario.Componenti) != 3 {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			e, err := TranslateAttestazione(payload, fixtureMeta)
			if err != nil || len(e.Attestazione.NucleoFamiliare.Componenti) != 3 {
				b.Fatal(err)
			}
		}
	}, 3)
}
