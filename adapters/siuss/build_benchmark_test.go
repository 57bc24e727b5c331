package siuss_test

import (
	"testing"

	"github.com/beevik/etree"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// BenchmarkBuildAndValidate: building and validating (XSD + rules) one flow, against a plain etree
// serialisation of the same document.
func BenchmarkBuildAndValidate(b *testing.B) {
	f := populationFlows(b)[0]
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(f.xml); err != nil {
		b.Fatal(err)
	}
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			if _, err := doc.WriteToBytes(); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			x, err := siuss.BuildPS(f.id, testEnte, f.model)
			if err != nil {
				b.Fatal(err)
			}
			if err := siuss.Validate(siuss.TipoPS, f.id, testEnte.Codice, x); err != nil {
				b.Fatal(err)
			}
		}
	}, 0)
}
