package jose_test

import (
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/jose"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4In0.c2ln",
		"eyJhbGciOiJub25lIn0.e30.",
		"e30.e30.e30.e30.e30",
		"eyJjcml0IjpbImV4cCJdfQ.e30.c2ln",
		"eyJ4NWMiOiIxIn0.e30.c2ln",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := jose.Parse(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(raw, tok.SigningInput()+".") || len(tok.Signature) == 0 {
			t.Fatalf("signing input %q of %q", tok.SigningInput(), raw)
		}
		var c struct {
			jose.TimeClaims
			Aud jose.Audience `json:"aud"`
		}
		_ = jose.DecodeClaims(tok.Payload, &c)
	})
}
