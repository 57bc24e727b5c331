package anpr

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/anpr/anprtest"
	"github.com/welfaregov/gateway/contracts"
)

func TestNewRichiestaE002(t *testing.T) {
	ok := Richiesta{MotivoRichiesta: "WGOV-2025-000123", DataRiferimento: rif}
	withCF := func(cf string) Richiesta { r := ok; r.CodiceFiscale = cf; return r }
	withID := func(id string) Richiesta { r := ok; r.IDANPR = id; return r }
	type tc struct {
		uc     CasoUso
		r      Richiesta
		id     string
		fields []string // expected problem fields; nil means success
	}
	cases := map[string]tc{
		"ok/C030 by codice fiscale":           {C030, withCF(" vrdgpp75c15l378n "), "WGOV1", nil},
		"ok/C030 wrong check character":       {C030, withCF("VRDGPP75C15L378A"), "WGOV1", nil},
		"ok/C021 by idANPR":                   {C021, withID("kt48213pw"), "WGOV1", nil},
		"ok/C019 by idANPR":                   {C019, withID("KT48213PW"), "1234567890", nil},
		"fail/empty motivoRichiesta":          {C021, Richiesta{IDANPR: "KT48213PW", MotivoRichiesta: "  ", DataRiferimento: rif}, "X1", []string{"datiRichiesta.motivoRichiesta"}},
		"fail/motivoRichiesta too long":       {C021, Richiesta{IDANPR: "KT48213PW", MotivoRichiesta: strings.Repeat("x", MaxMotivoRichiesta+1), DataRiferimento: rif}, "X1", []string{"datiRichiesta.motivoRichiesta"}},
		"fail/motivoRichiesta control chars":  {C021, Richiesta{IDANPR: "KT48213PW", MotivoRichiesta: "a\nb", DataRiferimento: rif}, "X1", []string{"datiRichiesta.motivoRichiesta"}},
		"fail/partial reference date":         {C021, Richiesta{IDANPR: "KT48213PW", MotivoRichiesta: "P1", DataRiferimento: contracts.Data{}}, "X1", []string{"datiRichiesta.dataRiferimentoRichiesta"}},
		"fail/C021 by codice fiscale":         {C021, withCF("VRDGPP75C15L378N"), "X1", []string{"criteriRicerca.codiceFiscale", "criteriRicerca.idANPR"}},
		"fail/C030 with idANPR":               {C030, Richiesta{CodiceFiscale: "VRDGPP75C15L378N", IDANPR: "KT48213PW", MotivoRichiesta: "P1", DataRiferimento: rif}, "X1", []string{"criteriRicerca.idANPR"}},
		"fail/C030 malformed codice fiscale":  {C030, withCF("VRDGPP75C15"), "X1", []string{"criteriRicerca.codiceFiscale"}},
		"fail/idANPR shape":                   {C020, withID("KT48213P-"), "X1", []string{"criteriRicerca.idANPR"}},
		"fail/idOperazioneClient missing":     {C020, withID("KT48213PW"), "", []string{"idOperazioneClient"}},
		"fail/idOperazioneClient not alnum":   {C020, withID("KT48213PW"), "WGOV-1", []string{"idOperazioneClient"}},
		"fail/idOperazioneClient too long":    {C020, withID("KT48213PW"), strings.Repeat("1", 31), []string{"idOperazioneClient"}},
		"fail/unsupported use case":           {CasoUso("C999"), withID("KT48213PW"), "X1", []string{"datiRichiesta.casoUso"}},
		"fail/everything wrong reported once": {C021, Richiesta{}, "", []string{"idOperazioneClient", "criteriRicerca.idANPR", "datiRichiesta.motivoRichiesta", "datiRichiesta.dataRiferimentoRichiesta"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := NewRichiestaE002(c.uc, c.r, c.id)
			if c.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if req.DatiRichiesta.CasoUso != string(c.uc) || req.DatiRichiesta.DataRiferimentoRichiesta != "2025-06-01" || req.IDOperazioneClient != c.id {
					t.Fatalf("got %+v", req)
				}
				if c.uc == C030 && req.CriteriRicerca.CodiceFiscale != contracts.NormalizeCodiceFiscale(c.r.CodiceFiscale) {
					t.Fatalf("codice fiscale not normalised: %q", req.CriteriRicerca.CodiceFiscale)
				}
				if c.uc != C030 && req.CriteriRicerca.IDANPR != strings.ToUpper(c.r.IDANPR) {
					t.Fatalf("idANPR not normalised: %q", req.CriteriRicerca.IDANPR)
				}
				return
			}
			var re *RequestError
			if !errors.As(err, &re) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("want *RequestError, got %v", err)
			}
			if len(re.Problems) != len(c.fields) {
				t.Fatalf("problems %+v, want fields %v", re.Problems, c.fields)
			}
			for _, f := range c.fields {
				if !re.Has(f) {
					t.Errorf("no problem for %s in %v", f, err)
				}
			}
			if strings.Contains(err.Error(), "VRDGPP75C15L378N") {
				t.Errorf("the error quotes the codice fiscale: %v", err)
			}
			if Classify(err) != ClassPermanent {
				t.Errorf("an invalid request must be permanent")
			}
		})
	}
}

// TestRequestBodyHasANPRShape checks the exact JSON of a request (member names and nesting) and
// validates it against RichiestaE002 in every real file.
func TestRequestBodyHasANPRShape(t *testing.T) {
	body, err := BuildRichiesta(C021, Richiesta{IDANPR: "KT48213PW", MotivoRichiesta: "WGOV-2025-000123", DataRiferimento: rif}, "WGOV2025060110150000001")
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"idOperazioneClient":"WGOV2025060110150000001","criteriRicerca":{"idANPR":"KT48213PW"},` +
		`"datiRichiesta":{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"WGOV-2025-000123","casoUso":"C021"}}`
	if string(body) != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	dir := anprtest.SamplesDir(t)
	v, err := anprtest.NewValidator(dir)
	if err != nil {
		t.Fatal(err)
	}
	c030, _ := BuildRichiesta(C030, Richiesta{CodiceFiscale: "VRDGPP75C15L378N", MotivoRichiesta: "P-1", DataRiferimento: rif}, "1")
	for _, b := range [][]byte{body, c030} {
		if err := v.Validate("RichiestaE002", b); err != nil {
			t.Errorf("strict: %v", err)
		}
		for _, f := range anprtest.Files {
			if err := v.ValidateAs(f, "RichiestaE002", b); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	// The hand-made request in the samples has the same members at both levels.
	sample, err := os.ReadFile(filepath.Join(dir, "anpr", "synthetic", "E002_request_C021.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs struct {
		Top           map[string]json.RawMessage
		DatiRichiesta map[string]any `json:"datiRichiesta"`
	}
	if err := json.Unmarshal(body, &ours.Top); err != nil || json.Unmarshal(body, &ours) != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sample, &theirs.Top); err != nil || json.Unmarshal(sample, &theirs) != nil {
		t.Fatal(err)
	}
	for k := range theirs.Top {
		if _, ok := ours.Top[k]; !ok {
			t.Errorf("our request lacks member %q of the sample", k)
		}
	}
	for k := range theirs.DatiRichiesta {
		if _, ok := ours.DatiRichiesta[k]; !ok {
			t.Errorf("our datiRichiesta lacks %q of the sample", k)
		}
	}
}
