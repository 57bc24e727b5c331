package lookup

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/adapters/inps"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/resilience"
)

func d(y, m, day int) contracts.Data { return contracts.MustData(y, m, day) }

func TestMinorAt(t *testing.T) {
	month, _ := contracts.NewDataMonth(2007, 6)
	year, _ := contracts.NewDataYear(2007)
	for name, tc := range map[string]struct {
		nascita, date contracts.Data
		minor, exact  bool
	}{
		"ok/day-before-18":       {d(2007, 6, 2), d(2025, 6, 1), true, true},
		"ok/18th-birthday":       {d(2007, 6, 1), d(2025, 6, 1), false, true},
		"ok/29-february":         {d(2008, 2, 29), d(2026, 2, 28), false, true},
		"ok/month-undecided":     {month, d(2025, 6, 15), false, false},
		"ok/month-decided-adult": {month, d(2025, 7, 1), false, true},
		"ok/year-undecided":      {year, d(2025, 6, 1), false, false},
		"ok/year-decided-minor":  {year, d(2024, 6, 1), true, true},
		"fail/no-birth-date":     {contracts.Data{}, d(2025, 6, 1), false, false},
	} {
		t.Run(name, func(t *testing.T) {
			minor, exact := minorAt(tc.nascita, tc.date)
			if minor != tc.minor || exact != tc.exact {
				t.Fatalf("minorAt(%s, %s) = %v, %v; want %v, %v", tc.nascita, tc.date, minor, exact, tc.minor, tc.exact)
			}
		})
	}
}

// The RapportoConDichiarante an ANPR relationship implies when the declarant is the intestatario,
// and what a declaration may say instead.
func TestExpectedRapportoAndCompatible(t *testing.T) {
	rif := d(2025, 6, 1)
	child, adult := d(2015, 1, 1), d(2000, 1, 1)
	for _, tc := range []struct {
		legame  string
		nascita contracts.Data
		want    string
	}{{"1", adult, "D"}, {"2", adult, "C"}, {"28", adult, "C"}, {"3", child, "F"}, {"03", adult, "FC"}, {"80", child, "F"},
		{"23", adult, "P"}, {"6", adult, "P"}, {"99", adult, "P"}} {
		if got := expectedRapporto(tc.legame, tc.nascita, rif); got != tc.want {
			t.Errorf("codiceLegame %s: %s, want %s", tc.legame, got, tc.want)
		}
	}
	year, _ := contracts.NewDataYear(2007)
	for _, tc := range []struct {
		declared, expected string
		nascita            contracts.Data
		ok                 bool
	}{{"C", "C", adult, true}, {"C", "P", adult, false}, {"MA", "F", child, true}, {"FC", "F", child, false},
		{"FC", "F", year, true}, {"F", "FC", year, true}, {"P", "F", child, false}} {
		if got := compatible(tc.declared, tc.expected, tc.nascita, rif); got != tc.ok {
			t.Errorf("declared %s for %s (born %s): %v, want %v", tc.declared, tc.expected, tc.nascita, got, tc.ok)
		}
	}
}

func TestDichiarazioneValidate(t *testing.T) {
	cf := func(base string) string { return base + string(contracts.CFCheckCharacter(base)) }
	dich, figlio := cf("RSSMRA80A01L378"), cf("RSSLCU12C10L378")
	valore := contracts.MustDecimal("12000.50")
	neg := contracts.MustDecimal("-1")
	ok := Dichiarazione{CodiceFiscaleDichiarante: dich, Componenti: []ComponenteDichiarato{{dich, "D"}, {figlio, "F"}},
		ISEE: &ISEEDichiarato{Valore: &valore, ProtocolloDSU: "INPS-ISEE-2025-00000001A-00"}}
	for name, tc := range map[string]struct {
		mutate func(*Dichiarazione)
		fields []string
	}{
		"ok/full": {func(*Dichiarazione) {}, nil},
		"ok/lower-case-codes": {func(x *Dichiarazione) {
			x.Componenti[1].RapportoConDichiarante = "f"
			x.Componenti[1].CodiceFiscale = strings.ToLower(figlio)
		}, nil},
		"fail/declarant-cf":  {func(x *Dichiarazione) { x.CodiceFiscaleDichiarante = dich[:15] + "X" }, []string{"codiceFiscaleDichiarante", "componenti/0/rapportoConDichiarante"}},
		"fail/unknown-code":  {func(x *Dichiarazione) { x.Componenti[1].RapportoConDichiarante = "Z" }, []string{"componenti/1/rapportoConDichiarante"}},
		"fail/d-for-another": {func(x *Dichiarazione) { x.Componenti[1].RapportoConDichiarante = "D" }, []string{"componenti/1/rapportoConDichiarante"}},
		"fail/duplicate": {func(x *Dichiarazione) {
			x.Componenti[1].CodiceFiscale = dich
			x.Componenti[1].RapportoConDichiarante = "D"
		}, []string{"componenti/1/codiceFiscale"}},
		"fail/isee-empty": {func(x *Dichiarazione) { x.ISEE = &ISEEDichiarato{} }, []string{"isee"}},
		"fail/isee-values": {func(x *Dichiarazione) {
			x.ISEE = &ISEEDichiarato{Valore: &neg, ProtocolloDSU: "X", Tipo: "DOTTORATO", CodicePrestazione: "B9.99", CodiceFiscaleBeneficiario: "X"}
		}, []string{"isee/valore", "isee/protocolloDSU", "isee/tipo", "isee/codicePrestazione", "isee/codiceFiscaleBeneficiario"}},
		"fail/partial-date": {func(x *Dichiarazione) { x.DataRiferimento, _ = contracts.NewDataYear(2025) }, []string{"dataRiferimento"}},
		"fail/too-many": {func(x *Dichiarazione) {
			for i := range MaxComponenti {
				x.Componenti = append(x.Componenti, ComponenteDichiarato{cf(fmt.Sprintf("RSSLCU12C%02dL378", i%28+1)), "P"})
			}
		}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			x := ok
			x.Componenti = append([]ComponenteDichiarato(nil), ok.Componenti...)
			tc.mutate(&x)
			var got []string
			for _, p := range x.Validate() {
				got = append(got, p.Name)
				if strings.Contains(p.Reason, dich) {
					t.Fatalf("a reason quotes a codice fiscale: %s", p.Reason)
				}
			}
			if name == "fail/too-many" {
				if len(got) == 0 || got[0] != "componenti" {
					t.Fatalf("%v", got)
				}
				return
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("problems %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestCompareISEE(t *testing.T) {
	cf := "RSSMRA80A01L378" + string(contracts.CFCheckCharacter("RSSMRA80A01L378"))
	a := contracts.AttestazioneISEE{ProtocolloDSU: "INPS-ISEE-2025-00000001A-00", CodiceFiscaleDichiarante: cf,
		DataPresentazione: d(2025, 1, 10), DataValidita: d(2025, 12, 31),
		NucleoFamiliare: &contracts.NucleoFamiliare{Origine: contracts.NucleoISEE, Componenti: []contracts.Componente{{Persona: contracts.Persona{CodiceFiscale: cf}, RapportoConDichiarante: "D", Ruolo: contracts.RuoloIntestatarioDichiarante}}},
		Indicatori: []contracts.IndicatoreISEE{{Tipo: contracts.ISEEOrdinario, Variante: contracts.VarianteOrdinario, Stato: contracts.IndicatoreCalcolato, DataRilascio: d(2025, 1, 12),
			Valori: &contracts.ValoriISEE{ISEE: contracts.MustDecimal("12254.90"), ISE: contracts.MustDecimal("25000.00"), ISR: contracts.MustDecimal("25000.00"), ISP: contracts.MustDecimal("0.00"), ScalaEquivalenza: contracts.MustDecimal("2.04")}}},
	}
	same, other := contracts.MustDecimal("12254.9"), contracts.MustDecimal("12254.91")
	if v := compareISEE(cf, d(2025, 6, 1), ISEEDichiarato{Valore: &same, ProtocolloDSU: a.ProtocolloDSU}, a); v.Esito != ISEEConforme || v.Tipo != contracts.ISEEOrdinario {
		t.Fatalf("%+v", v)
	}
	v := compareISEE(cf, d(2025, 6, 1), ISEEDichiarato{Valore: &other, ProtocolloDSU: "INPS-ISEE-2025-00000002B-00"}, a)
	if v.Esito != ISEEDifforme || !strings.Contains(v.Motivo, "12254.91") || !strings.Contains(v.Motivo, "00000002B") || v.ValoreAttestato.String() != "12254.90" {
		t.Fatalf("%+v", v)
	}
}

// Every adapter and runtime failure becomes the problem its class calls for, never an internal
// error, and never with a codice fiscale in the detail.
func TestProblem(t *testing.T) {
	cf := "RSSMRA80A01H501U"
	for name, tc := range map[string]struct {
		err    error
		status int
		code   string
	}{
		"runtime/circuit-open":   {&resilience.Error{Reason: resilience.ReasonCircuitOpen, Operation: "inps.ConsultazioneAttestazione", RetryAfter: time.Second}, 503, "upstream-circuit-open"},
		"runtime/through-inps":   {&inps.Error{Reason: inps.ReasonTransport, Cause: &resilience.Error{Reason: resilience.ReasonTimeout}}, 504, "upstream-timeout"},
		"inps/dnt":               {&inps.Error{Reason: inps.ReasonDatiNonTrovati}, 404, "isee.dati-non-trovati"},
		"inps/selection":         {&inps.Error{Reason: inps.ReasonBeneficiarioEstraneo, Detail: "x"}, 404, "isee.beneficiario-estraneo"},
		"inps/quota":             {&inps.Error{Reason: inps.ReasonQuota, RetryAfter: time.Minute}, 429, "upstream-quota-exhausted"},
		"inps/db-offline":        {&inps.Error{Reason: inps.ReasonDatabaseOffline}, 503, "upstream-unavailable"},
		"inps/malformed":         {&inps.Error{Reason: inps.ReasonPayloadMalformato}, 502, "upstream-invalid-response"},
		"inps/refused-voucher":   {&inps.Error{Reason: inps.ReasonNonAutorizzata}, 502, "upstream-rejected"},
		"inps/our-request":       {&inps.Error{Reason: inps.ReasonRichiestaNonValida, Campi: []inps.FieldProblem{{Campo: "RicercaCF/CodiceFiscale", Dettaglio: "x"}}}, 422, "unprocessable-content"},
		"anpr/not-found":         {&anpr.Error{Reason: anpr.ReasonNotFound, CasoUso: anpr.C030, Errori: []anpr.Anomalia{{Codice: "EN122", Testo: "nessun risultato per " + cf}}}, 404, "anpr.not-found"},
		"anpr/deceased":          {&anpr.Error{Reason: anpr.ReasonDeceased, CasoUso: anpr.C021, Errori: []anpr.Anomalia{{Codice: "EN148"}}}, 404, "anpr.deceased"},
		"anpr/govway-refusal":    {&anpr.Error{Reason: anpr.ReasonGovWay, CasoUso: anpr.C021, Status: 400}, 502, "upstream-rejected"},
		"anpr/govway-overloaded": {&anpr.Error{Reason: anpr.ReasonGovWay, CasoUso: anpr.C021, Status: 503}, 503, "upstream-unavailable"},
		"anpr/transport-timeout": {&anpr.Error{Reason: anpr.ReasonTransport, CasoUso: anpr.C020, Cause: context.DeadlineExceeded}, 504, "upstream-timeout"},
		"icef/not-found":         {&icef.Error{Reason: icef.ReasonNonTrovato}, 404, "icef.non-trovato"},
		"icef/other-applicant":   {&icef.Error{Reason: icef.ReasonRicercaDiversa}, 502, "upstream-invalid-response"},
		"own/already-a-problem":  {problem.New(SubjectNotFound, "x"), 404, "subject-not-found"},
		"other/unknown":          {errors.New("boom " + cf), 500, "internal"},
	} {
		t.Run(name, func(t *testing.T) {
			p := Problem(tc.err)
			if p.HTTPStatus() != tc.status || p.CodeOrType() != tc.code {
				t.Fatalf("%d %s (%s), want %d %s", p.HTTPStatus(), p.CodeOrType(), p.Detail, tc.status, tc.code)
			}
			if strings.Contains(p.Detail, cf) {
				t.Fatalf("the detail quotes a codice fiscale: %s", p.Detail)
			}
			if tc.status == http.StatusTooManyRequests && p.RetryAfter == 0 {
				t.Fatal("the quota's Retry-After is lost")
			}
		})
	}
	if Problem(nil) != nil {
		t.Fatal("nil")
	}
}

// TestProblemGovWayDetail: GovWay's free-text detail is quoted masked and bounded to
// maxGovWayDetail characters, the cut falling between characters (the detail is valid UTF-8, a
// multi-byte character is never split) and after the masking (a code the cut crosses shows as
// the start of its mask, never as a part of the code).
func TestProblemGovWayDetail(t *testing.T) {
	const cf = "RSSMRA80A01H501U"
	problemOf := func(detail string) string {
		t.Helper()
		p := Problem(&anpr.Error{Reason: anpr.ReasonGovWay, CasoUso: anpr.C021, Status: 400,
			GovWay: &e002.GovWayProblem{Title: "InvalidRequestContent", Status: 400, Detail: detail}})
		if !utf8.ValidString(p.Detail) {
			t.Fatalf("the detail is not UTF-8: %q", p.Detail)
		}
		return p.Detail
	}
	// 292 characters (581 bytes: byte 300 falls inside an "è") before the code, which the cut at
	// character 300 crosses.
	long := "x" + strings.Repeat("è", 290) + " " + cf + " non valido"
	got := problemOf(long)
	if want := ": x" + strings.Repeat("è", 290) + " RSSMRA**…"; !strings.HasSuffix(got, want) {
		t.Fatalf("detail %q, want it to end with %q", got, want)
	}
	if got := problemOf("  soggetto " + strings.ToLower(cf) + "non valido  "); !strings.HasSuffix(got, ": soggetto RSSMRA**********non valido") {
		t.Fatalf("a short detail is quoted %q", got)
	}
}

// The memo of answers: the same question on the same entries in the same state and second is one
// answer; another state, second or entry is another; the memo is bounded.
func TestAnswersMemo(t *testing.T) {
	var a answers
	data := []byte("x")
	r := cache.Result{Data: data, State: contracts.CacheHit, Age: 1500 * time.Millisecond}
	builds := 0
	build := func() (*Famiglia, error) { builds++; return &Famiglia{enc: &encoding{}}, nil }
	f1, _ := memoized(&a, "q", []cache.Result{r}, build)
	f2, _ := memoized(&a, "q", []cache.Result{r}, build)
	r2 := r
	r2.Age = 2 * time.Second
	f3, _ := memoized(&a, "q", []cache.Result{r2}, build)
	r3 := r
	r3.State = contracts.CacheStale
	_, _ = memoized(&a, "q", []cache.Result{r3}, build)
	_, _ = memoized(&a, "q2", []cache.Result{r}, build)
	if f1 != f2 || f1 == f3 || builds != 4 {
		t.Fatalf("builds %d", builds)
	}
	b1, _ := f1.JSON()
	b2, _ := f1.JSON()
	if &b1[0] != &b2[0] {
		t.Fatal("the encoding is computed twice")
	}
	for i := range maxAnswers + 1 {
		_, _ = memoized(&a, fmt.Sprint("q", i), []cache.Result{r}, build)
	}
	if len(a.m) > maxAnswers {
		t.Fatalf("%d memoized answers", len(a.m))
	}
	if _, err := memoized(&a, "bad", nil, func() (*Famiglia, error) { return nil, errors.New("no") }); err == nil || a.m[memoKey("bad", nil)].v != nil {
		t.Fatal("a failure must not be memoized")
	}
}
