package xsd_test

import (
	"os"
	"testing"

	"github.com/welfaregov/gateway/adapters/siuss/xsd"
)

// FuzzValidate: the interpreter never panics, whatever the document.
func FuzzValidate(f *testing.F) {
	schema, err := os.ReadFile("../schema/PS_PSA_SINA201812.xsd")
	if err != nil {
		f.Fatal(err)
	}
	s := xsd.MustCompile(schema)
	seed, _ := os.ReadFile("../testdata/sinba_full.xml")
	f.Add(seed)
	f.Add([]byte(`<Flusso xmlns="http://inps.it/Casellario"><IdentificazioneFlusso Nome="x"><Ente Codice="A" Indirizzo="A123" CFOperatore="12345678901"/></IdentificazioneFlusso></Flusso>`))
	f.Add([]byte(`<a:b xmlns:a="u"><![CDATA[x]]></a:b>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		_ = s.Validate(doc)
	})
}

// FuzzCompile: a hostile schema is refused, never a panic.
func FuzzCompile(f *testing.F) {
	schema, _ := os.ReadFile("../schema/SINBA.xsd")
	f.Add(schema)
	f.Fuzz(func(t *testing.T, doc []byte) {
		if s, err := xsd.Compile(doc); err == nil {
			_ = s.Validate([]byte(`<Flusso xmlns="http://inps.it/Casellario"/>`))
		}
	})
}
