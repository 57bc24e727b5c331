package prestazioni_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/problem"
)

const cf = "RSSMRA80A01H501U"

func dec(s string) *contracts.Decimal {
	d, err := contracts.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return &d
}

// record is a valid backend prestazione of cf; mod changes it.
func record(id string, mod func(*welfaregov.Prestazione)) welfaregov.Prestazione {
	p := welfaregov.Prestazione{
		ID: id, Ente: welfaregov.Ente{Codice: "L378", Denominazione: "COMUNE DI TRENTO"},
		Beneficiario: welfaregov.Beneficiario{CodiceFiscale: cf, Cognome: "ROSSI", Nome: "MARIO", AnnoNascita: 1980,
			LuogoNascita: "H501", Genere: "1", CodiceCittadinanza: "380", CodiceNazione: "380", CodiceRegione: "04", CodiceComune: "022205"},
		TipoOperazione: "I", PresenzaProvaMezzi: "1", CaratterePrestazione: "1", CodicePrestazione: "A1.16",
		DenominazionePrestazione: "Contributo per il trasporto", ProtocolloDomanda: "P-" + id,
		DataInizioPrestazione: "2026-01-01", DataFinePrestazione: "2026-06-30", ImportoMensile: dec("100.00"),
		NumeroProtocolloDSU: "INPS-ISEE-2026-1", AnnoProtocolloDSU: "2026", DataDSU: "2025-12-15",
		PresaCarico: "1", AreaUtenza: "3", AggiornatoIl: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Cursore: "1",
	}
	if mod != nil {
		mod(&p)
	}
	return p
}

type backend struct {
	list []welfaregov.Prestazione
	err  error
}

func (b backend) Ricerca(context.Context, string) ([]welfaregov.Prestazione, error) {
	return b.list, b.err
}

func date(s string) contracts.Data {
	d, err := contracts.ParseData(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestGrantedRule: the reference-date rule, the means-tested filter and cancellations, case by case.
func TestGrantedRule(t *testing.T) {
	periodic := func(start, end string) func(*welfaregov.Prestazione) {
		return func(p *welfaregov.Prestazione) { p.DataInizioPrestazione, p.DataFinePrestazione = start, end }
	}
	oneOff := func(paid string) func(*welfaregov.Prestazione) {
		return func(p *welfaregov.Prestazione) {
			p.CaratterePrestazione, p.DataInizioPrestazione, p.DataFinePrestazione, p.ImportoMensile = "2", "", "", nil
			p.DataErogazionePrestazione, p.ImportoPrestazione = paid, dec("300.00")
		}
	}
	for name, c := range map[string]struct {
		records []welfaregov.Prestazione
		on      string
		want    []string // protocolloDomanda of the prestazioni returned, in order
	}{
		"ok/periodic-running":           {[]welfaregov.Prestazione{record("a", nil)}, "2026-03-01", []string{"P-a"}},
		"ok/periodic-first-day":         {[]welfaregov.Prestazione{record("a", nil)}, "2026-01-01", []string{"P-a"}},
		"ok/periodic-last-day":          {[]welfaregov.Prestazione{record("a", nil)}, "2026-06-30", []string{"P-a"}},
		"ok/periodic-open-ended":        {[]welfaregov.Prestazione{record("a", periodic("2026-01-01", ""))}, "2027-05-01", []string{"P-a"}},
		"fail/periodic-before-start":    {[]welfaregov.Prestazione{record("a", nil)}, "2025-12-31", nil},
		"fail/periodic-after-end":       {[]welfaregov.Prestazione{record("a", nil)}, "2026-07-01", nil},
		"ok/one-off-same-year":          {[]welfaregov.Prestazione{record("a", oneOff("2026-02-10"))}, "2026-12-31", []string{"P-a"}},
		"fail/one-off-later":            {[]welfaregov.Prestazione{record("a", oneOff("2026-02-10"))}, "2026-02-09", nil},
		"fail/one-off-last-year":        {[]welfaregov.Prestazione{record("a", oneOff("2025-12-31"))}, "2026-01-01", nil},
		"fail/not-means-tested":         {[]welfaregov.Prestazione{record("a", func(p *welfaregov.Prestazione) { p.PresenzaProvaMezzi = "4" })}, "2026-03-01", nil},
		"ok/other-means-test":           {[]welfaregov.Prestazione{record("a", func(p *welfaregov.Prestazione) { p.PresenzaProvaMezzi = "2" })}, "2026-03-01", []string{"P-a"}},
		"ok/isee-exempt":                {[]welfaregov.Prestazione{record("a", func(p *welfaregov.Prestazione) { p.PresenzaProvaMezzi = "3" })}, "2026-03-01", []string{"P-a"}},
		"fail/cancelled":                {[]welfaregov.Prestazione{record("a", nil), record("c", func(p *welfaregov.Prestazione) { p.TipoOperazione, p.AnnullaID = "C", "a" })}, "2026-03-01", nil},
		"fail/another-persons-record":   {[]welfaregov.Prestazione{record("a", func(p *welfaregov.Prestazione) { p.Beneficiario.CodiceFiscale = "BNCLRA85M41F205X" })}, "2026-03-01", nil},
		"ok/sorted-by-ente-code-date":   {[]welfaregov.Prestazione{record("b", func(p *welfaregov.Prestazione) { p.DataInizioPrestazione = "2026-02-01" }), record("z", func(p *welfaregov.Prestazione) { p.Ente.Codice = "H612" }), record("a", nil)}, "2026-03-01", []string{"P-z", "P-a", "P-b"}},
		"ok/cancellation-of-other-kept": {[]welfaregov.Prestazione{record("a", nil), record("c", func(p *welfaregov.Prestazione) { p.TipoOperazione, p.AnnullaID = "C", "x" })}, "2026-03-01", []string{"P-a"}},
	} {
		t.Run(name, func(t *testing.T) {
			svc := &prestazioni.Service{Backend: backend{list: c.records}}
			got, err := svc.Granted(t.Context(), cf, date(c.on))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range got {
				ids = append(ids, p.ProtocolloDomanda)
			}
			if !slices.Equal(ids, c.want) {
				t.Fatalf("got %v, want %v", ids, c.want)
			}
		})
	}
}

func TestGrantedErrors(t *testing.T) {
	for name, c := range map[string]struct {
		b      backend
		status int
		code   string
	}{
		"backend-down":      {backend{err: &welfaregov.Error{Kind: welfaregov.Unavailable, Op: "ricerca", RetryAfter: 7 * time.Second}}, 503, "upstream-unavailable"},
		"backend-timeout":   {backend{err: context.DeadlineExceeded}, 503, "upstream-unavailable"},
		"backend-refuses":   {backend{err: &welfaregov.Error{Kind: welfaregov.Unauthorized, Op: "ricerca"}}, 502, "upstream-invalid-response"},
		"unreadable-record": {backend{list: []welfaregov.Prestazione{record("a", func(p *welfaregov.Prestazione) { p.CaratterePrestazione = "9" })}}, 502, "upstream-invalid-response"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := (&prestazioni.Service{Backend: c.b}).Granted(t.Context(), cf, date("2026-03-01"))
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.HTTPStatus() != c.status || pe.CodeOrType() != c.code {
				t.Fatalf("%v, want %d %s", err, c.status, c.code)
			}
			if name == "backend-down" && pe.RetryAfter != 7*time.Second {
				t.Fatalf("Retry-After %v, want the backend's 7s", pe.RetryAfter)
			}
		})
	}
}

// TestFieldSet: a field set keeps exactly its members, and the JSON has nothing else.
func TestFieldSet(t *testing.T) {
	svc := &prestazioni.Service{Backend: backend{list: []welfaregov.Prestazione{record("a", nil)}}}
	list, err := svc.Granted(t.Context(), cf, date("2026-03-01"))
	if err != nil || len(list) != 1 {
		t.Fatal(err)
	}
	full, _ := json.Marshal(list[0])
	var all map[string]any
	_ = json.Unmarshal(full, &all)
	for _, names := range [][]string{{"codicePrestazione"}, {"ente", "importoMensile", "dsu"}, prestazioni.FieldNames()} {
		fs, err := prestazioni.NewFieldSet(names)
		if err != nil {
			t.Fatal(err)
		}
		p := list[0]
		fs.Apply(&p)
		b, _ := json.Marshal(p)
		var got map[string]any
		_ = json.Unmarshal(b, &got)
		for k := range got {
			if !slices.Contains(names, k) {
				t.Fatalf("field set %v let %q through: %s", names, k, b)
			}
		}
		for _, n := range names {
			if _, ok := all[n]; ok {
				if _, kept := got[n]; !kept {
					t.Fatalf("field set %v dropped %q", names, n)
				}
			}
		}
	}
	if _, err := prestazioni.NewFieldSet([]string{"codiceFiscale"}); err == nil || !strings.Contains(err.Error(), "codiceFiscale") {
		t.Fatalf("an unknown field: %v", err)
	}
	var none prestazioni.FieldSet
	p := list[0]
	none.Apply(&p)
	if b, _ := json.Marshal(p); string(b) != "{}" {
		t.Fatalf("the zero field set shows %s", b)
	}
}

func TestParseRicerca(t *testing.T) {
	for name, c := range map[string]struct {
		body   string
		status int
		params []string
	}{
		"ok/valid":              {`{"codiceFiscale":"rssmra80a01h501u","dataRiferimento":"2026-03-01"}`, 0, nil},
		"ok/numeric-cf":         {`{"codiceFiscale":"00355870221","dataRiferimento":"2026-03-01"}`, 0, nil},
		"fail/empty":            {``, 400, nil},
		"fail/not-object":       {`[]`, 400, nil},
		"fail/unknown-member":   {`{"codiceFiscale":"RSSMRA80A01H501U","dataRiferimento":"2026-03-01","x":1}`, 400, nil},
		"fail/trailing":         {`{"codiceFiscale":"RSSMRA80A01H501U","dataRiferimento":"2026-03-01"} {}`, 400, nil},
		"fail/cf-check-char":    {`{"codiceFiscale":"RSSMRA80A01H501X","dataRiferimento":"2026-03-01"}`, 400, []string{"codiceFiscale"}},
		"fail/no-date":          {`{"codiceFiscale":"RSSMRA80A01H501U"}`, 400, []string{"dataRiferimento"}},
		"fail/partial-date":     {`{"codiceFiscale":"RSSMRA80A01H501U","dataRiferimento":"2026-03"}`, 400, []string{"dataRiferimento"}},
		"fail/both":             {`{"codiceFiscale":"X","dataRiferimento":"ieri"}`, 400, []string{"codiceFiscale", "dataRiferimento"}},
		"fail/number-for-cf":    {`{"codiceFiscale":7,"dataRiferimento":"2026-03-01"}`, 400, nil},
		"fail/too-large":        {`{"codiceFiscale":"` + strings.Repeat("A", 5000) + `"}`, 413, nil},
		"fail/no-echo-of-value": {`{"codiceFiscale":"RSSMRA80A01H501X","dataRiferimento":"2026-03-01"}`, 400, []string{"codiceFiscale"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, on, perr := prestazioni.ParseRicerca([]byte(c.body))
			if c.status == 0 {
				if perr != nil || got != cfOf(c.body) || on.IsZero() {
					t.Fatalf("%q %v %v", got, on, perr)
				}
				return
			}
			if perr == nil || perr.HTTPStatus() != c.status {
				t.Fatalf("%v, want %d", perr, c.status)
			}
			var names []string
			for _, p := range perr.Invalid {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, c.params) {
				t.Fatalf("invalidParams %v, want %v", names, c.params)
			}
			if strings.Contains(perr.Detail, "RSSMRA80A01H501X") {
				t.Fatal("the detail repeats the codice fiscale")
			}
		})
	}
}

func cfOf(body string) string {
	var r prestazioni.Ricerca
	_ = json.Unmarshal([]byte(body), &r)
	return strings.ToUpper(r.CodiceFiscale)
}

func FuzzParseRicerca(f *testing.F) {
	f.Add([]byte(`{"codiceFiscale":"RSSMRA80A01H501U","dataRiferimento":"2026-03-01"}`))
	f.Add([]byte(`{"codiceFiscale":"00355870221","dataRiferimento":"2026-02-29"}`))
	f.Add([]byte(`{"codiceFiscale":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cf, on, perr := prestazioni.ParseRicerca(body)
		if perr == nil {
			if contracts.ValidateCodiceFiscale(cf) != nil || on.Precision() != contracts.PrecisionDay {
				t.Fatalf("accepted %q %v", cf, on)
			}
			return
		}
		if perr.HTTPStatus() != 400 && perr.HTTPStatus() != 413 {
			t.Fatalf("status %d", perr.HTTPStatus())
		}
	})
}

func TestCheckPurposes(t *testing.T) {
	const p1, p2 = "66666666-6666-4666-8666-000000000001", "66666666-6666-4666-8666-000000000002"
	for name, c := range map[string]struct {
		purposes  map[string][]string
		allowList []string
		fields    []string
	}{
		"ok/one":               {map[string][]string{p1: {"codicePrestazione"}}, nil, nil},
		"ok/allow-list-subset": {map[string][]string{p1: {"ente"}, p2: {"ente"}}, []string{p1}, nil},
		"fail/none":            {nil, nil, []string{"purposes"}},
		"fail/not-uuid":        {map[string][]string{"finalita-1": {"ente"}}, nil, []string{"purposes.finalita-1"}},
		"fail/no-fields":       {map[string][]string{p1: {}}, nil, []string{"purposes." + p1}},
		"fail/unknown-field":   {map[string][]string{p1: {"ente", "codiceFiscale"}}, nil, []string{"purposes." + p1 + "[1]"}},
		"fail/duplicate-field": {map[string][]string{p1: {"ente", "ente"}}, nil, []string{"purposes." + p1 + "[1]"}},
		"fail/allow-list-more": {map[string][]string{p1: {"ente"}}, []string{p1, p2}, []string{"security.id_auth.allowed_purposes[1]"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			prestazioni.CheckPurposes(ck, c.purposes, c.allowList)
			got := ck.Fields()
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want %v", ck.Problems(), c.fields)
			}
		})
	}
}
