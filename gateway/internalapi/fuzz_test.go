package internalapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/problem"
)

// The body of POST /verifiche comes from WelfareGOV: any bytes give a valid declaration or a
// problem of a client class (400, 413), never a panic, and no problem quotes a codice fiscale of
// the body.
func FuzzDecodeDichiarazione(f *testing.F) {
	cf := "RSSMRA80A01L378" + string(contracts.CFCheckCharacter("RSSMRA80A01L378"))
	for _, s := range []string{
		`{"codiceFiscaleDichiarante":"` + cf + `","componenti":[{"codiceFiscale":"` + cf + `","rapportoConDichiarante":"D"}]}`,
		`{"codiceFiscaleDichiarante":"` + cf + `","dataRiferimento":"2025-06-01","componenti":[],"isee":{"valore":"12254.90","protocolloDSU":"INPS-ISEE-2025-00000001A-00"}}`,
		`{"codiceFiscaleDichiarante":"` + cf + `","componenti":[{"codiceFiscale":"X","rapportoConDichiarante":"Z"}],"isee":{}}`,
		`{"codiceFiscaleDichiarante":"` + cf + `","dataRiferimento":"2025-02-30"}`, `{"a":1}`, `[]`, `{`, `{} {}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeDichiarazione(body)
		if err == nil {
			if len(d.Validate()) != 0 {
				t.Fatal("accepted an invalid declaration")
			}
			return
		}
		var p *problem.Error
		if !errors.As(err, &p) || p.HTTPStatus() >= 500 {
			t.Fatalf("%v is not a client problem", err)
		}
		if strings.Contains(p.Detail, cf) {
			t.Fatalf("the detail quotes a codice fiscale: %s", p.Detail)
		}
		for _, ip := range p.Invalid {
			if strings.Contains(ip.Reason, cf) {
				t.Fatalf("a reason quotes a codice fiscale: %s", ip.Reason)
			}
		}
	})
}
