package anpr

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr/anprtest"
	"github.com/welfaregov/gateway/adapters/internal/fixturetest"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
)

// ricevuta is the fixed acquisition time of every fixture translation.
var ricevuta = time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC)

var rif = contracts.MustData(2025, 6, 1)

// fixture is one of our own E002 answers in testdata/, with the HTTP status it comes with.
type fixture struct {
	name    string
	casoUso CasoUso
	status  int
	header  http.Header
	// schema is the component it must validate against ("" for bodies that are not JSON).
	schema string
	// extra names the members the fixture carries on purpose although no spec declares them
	// (unknown-member tolerance): it is then validated as published, and strictly it must fail.
	extra string
}

var fixtures = []fixture{
	{name: "c030_ok", casoUso: C030, status: 200, schema: "RispostaE002OK"},
	{name: "c030_omocodia", casoUso: C030, status: 200, schema: "RispostaE002OK"},
	{name: "c020_residenza", casoUso: C020, status: 200, schema: "RispostaE002OK"},
	{name: "c020_aire", casoUso: C020, status: 200, schema: "RispostaE002OK"},
	{name: "c020_deceduto", casoUso: C020, status: 200, schema: "RispostaE002OK"},
	{name: "c020_anomalie", casoUso: C020, status: 200, schema: "RispostaE002OK"},
	{name: "c019_in_vita", casoUso: C019, status: 200, schema: "RispostaE002OK"},
	{name: "c019_deceduto_v1", casoUso: C019, status: 200, schema: "RispostaE002OK"},
	{name: "c019_data_decesso_info", casoUso: C019, status: 200, schema: "RispostaE002OK"},
	{name: "c015_generalita_parziale", casoUso: C015, status: 200, schema: "RispostaE002OK"},
	{name: "c018_doppia_cittadinanza", casoUso: C018, status: 200, schema: "RispostaE002OK"},
	{name: "c021_famiglia", casoUso: C021, status: 200, schema: "RispostaE002OK"},
	{name: "c021_legame_sconosciuto", casoUso: C021, status: 200, schema: "RispostaE002OK"},
	{name: "c021_minimo", casoUso: C021, status: 200, schema: "RispostaE002OK", extra: "campoFuturo"},
	{name: "en122_404", casoUso: C020, status: 404, schema: "RispostaKO"},
	{name: "en148_400", casoUso: C021, status: 400, schema: "RispostaKO"},
	{name: "ko_400", casoUso: C020, status: 400, schema: "RispostaKO"},
	{name: "ko_500", casoUso: C015, status: 500, schema: "RispostaKO"},
	{name: "govway_400", casoUso: C021, status: 400, schema: "GovWayProblem"},
	{name: "govway_interop_400", casoUso: C030, status: 400, schema: "GovWayProblem"},
	{name: "govway_503", casoUso: C019, status: 503, header: http.Header{"Retry-After": {"30"}}, schema: "GovWayProblem"},
	{name: "quota_429", casoUso: C030, status: 429, header: http.Header{"Retry-After": {"3600"}}},
	{name: "html_502", casoUso: C020, status: 502, header: http.Header{"Content-Type": {"text/html"}}},
	{name: "troncato_200", casoUso: C021, status: 200},
	{name: "tipo_errato_200", casoUso: C021, status: 200},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	return fixturetest.Read(t, filepath.Join("testdata", name+".json"))
}

// outcome is what a golden file holds: the translation, or the error's public parts.
type outcome struct {
	Risultato *Risultato    `json:"risultato,omitempty"`
	Errore    *errorSummary `json:"errore,omitempty"`
}

type errorSummary struct {
	Reason           string     `json:"reason"`
	Class            string     `json:"class"`
	Status           int        `json:"status"`
	Code             string     `json:"code,omitempty"`
	IDOperazioneANPR string     `json:"idOperazioneANPR,omitempty"`
	Errori           []Anomalia `json:"errori,omitempty"`
	GovWay           any        `json:"govway,omitempty"`
	RetryAfter       string     `json:"retryAfter,omitempty"`
	Message          string     `json:"message"`
}

func summarize(t testing.TB, err error) *errorSummary {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *anpr.Error", err)
	}
	s := &errorSummary{Reason: e.Reason.String(), Class: e.Class().String(), Status: e.Status, Code: e.Code(),
		IDOperazioneANPR: e.IDOperazioneANPR, Errori: e.Errori, Message: e.Error()}
	if e.GovWay != nil {
		s.GovWay = e.GovWay
	}
	if e.RetryAfter > 0 {
		s.RetryAfter = e.RetryAfter.String()
	}
	return s
}

func interpret(t testing.TB, f fixture) outcome {
	t.Helper()
	r, err := InterpretResponse(f.casoUso, f.status, f.header, readFixture(t, f.name),
		Meta{IDOperazioneClient: "WGOV2025060108300000000", DataRiferimento: rif, Ricevuta: ricevuta})
	if err != nil {
		return outcome{Errore: summarize(t, err)}
	}
	return outcome{Risultato: r}
}

// TestFixturesMatchGolden translates every fixture and compares the result with its golden file
// (go test -run TestFixturesMatchGolden -update rewrites them; review the diff).
func TestFixturesMatchGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			fixturetest.Golden(t, filepath.Join("testdata", f.name+".golden.json"), interpret(t, f))
		})
	}
}

// TestEveryGoldenHasAFixture keeps testdata tidy: no orphan golden, no untested fixture.
func TestEveryGoldenHasAFixture(t *testing.T) {
	known := map[string]bool{}
	for _, f := range fixtures {
		known[f.name] = true
	}
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".json"), ".golden")
		if !known[name] {
			t.Errorf("%s is not in the fixtures table", p)
		}
	}
}

// TestTranslationsSatisfyTheModel checks every successful translation against the model's own rules
// (contracts Validate) and JSON schema (contracts/openapi): the adapter's output is what WelfareGOV
// will be served.
func TestTranslationsSatisfyTheModel(t *testing.T) {
	v, err := openapi.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		o := interpret(t, f)
		if o.Risultato == nil {
			continue
		}
		for i, p := range o.Risultato.Soggetti {
			if f.casoUso == C021 {
				continue // checked as members of the household below
			}
			if err := p.Validate(); err != nil {
				t.Errorf("%s soggetto %d: %v", f.name, i, err)
			}
			b, _ := json.Marshal(p)
			if err := v.Validate("Persona", b); err != nil {
				t.Errorf("%s soggetto %d: %v", f.name, i, err)
			}
		}
		if n := o.Risultato.NucleoFamiliare; n != nil {
			if err := n.Validate(); err != nil {
				t.Errorf("%s: %v", f.name, err)
			}
			b, _ := json.Marshal(n)
			if err := v.Validate("NucleoFamiliare", b); err != nil {
				t.Errorf("%s: %v", f.name, err)
			}
		}
	}
}

// TestFixturesValidateAgainstRealOpenAPI proves our fixtures have ANPR's shapes: strictly against
// the merged real files plus the sourced supplement, and as published against every real file that
// declares the schema.
func TestFixturesValidateAgainstRealOpenAPI(t *testing.T) {
	v, err := anprtest.NewValidator(anprtest.SamplesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		if f.schema == "" {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			body := readFixture(t, f.name)
			err := v.Validate(f.schema, body)
			switch {
			case f.extra == "" && err != nil:
				t.Fatalf("strict: %v", err)
			case f.extra != "" && (err == nil || !strings.Contains(err.Error(), f.extra)):
				t.Fatalf("strict validation should refuse the undeclared member %q, got %v", f.extra, err)
			}
			for _, file := range anprtest.Files {
				if !v.Has(file, f.schema) {
					continue
				}
				if err := v.ValidateAs(file, f.schema, body); err != nil {
					t.Errorf("as published in %s: %v", file, err)
				}
			}
		})
	}
}

// TestTrimmedC021SpecLacksResidenza documents honestly why the strict check merges the files: the
// real C021 sample carries residenza, which the trimmed C021 spec does not declare (C001 does).
func TestTrimmedC021SpecLacksResidenza(t *testing.T) {
	dir := anprtest.SamplesDir(t)
	v, err := anprtest.NewValidator(dir)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(dir, "anpr", "responses", "C021_stato_famiglia_200_single.json"))
	if err != nil {
		t.Fatal(err)
	}
	const c021 = "C021-servizioAccertamentoStatoFamiglia.idpay.yaml"
	if err := v.ValidateStrictAs(c021, "RispostaE002OK", body); err == nil || !strings.Contains(err.Error(), "'residenza'") {
		t.Fatalf("the trimmed C021 spec should lack residenza only, got %v", err)
	}
	if err := v.Validate("RispostaE002OK", body); err != nil {
		t.Fatalf("merged: %v", err)
	}
}
