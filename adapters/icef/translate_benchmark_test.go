package icef

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// BenchmarkTranslateIndicatore compares the translation of a four-member indicator (decode, the
// unknown-member scan, decimals, dates, roles, provenance) with a bare encoding/json decode of the
// same bytes into the wire struct. x-baseline is the price of the translation, allocs/op its budget.
func BenchmarkTranslateIndicatore(b *testing.B) {
	body, err := os.ReadFile("testdata/ok.json")
	if err != nil {
		b.Fatal(err)
	}
	m := Meta{Operazione: opRicerca, Ricevuta: ricevuta}
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var w Indicatore
			if err := json.Unmarshal(body, &w); err != nil || len(w.Nucleo) != 4 {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			ind, err := TranslateIndicatore(body, m)
			if err != nil || len(ind.NucleoFamiliare.Componenti) != 4 {
				b.Fatal(err)
			}
		}
	}, 3)
}
