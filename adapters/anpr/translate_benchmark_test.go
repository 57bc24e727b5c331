package anpr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// BenchmarkTranslateC021 compares the translation of a three-member C021 answer (decode + model
// with roles, partial dates, provenance) with a bare encoding/json decode of the same bytes into
// the wire structs. x-baseline is the price of the translation; allocs/op its allocation budget.
func BenchmarkTranslateC021(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "c021_famiglia.json"))
	if err != nil {
		b.Fatal(err)
	}
	m := Meta{IDOperazioneClient: "B1", DataRiferimento: rif, Ricevuta: ricevuta}
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var r e002.RispostaE002OK
			if err := json.Unmarshal(body, &r); err != nil || len(r.ListaSoggetti.DatiSoggetto) != 3 {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			r, err := ParseRisposta(C021, body, m)
			if err != nil || len(r.NucleoFamiliare.Componenti) != 3 {
				b.Fatal(err)
			}
		}
	}, 1.5)
}
