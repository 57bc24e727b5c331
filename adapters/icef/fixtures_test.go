package icef

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/internal/fixturetest"
	"github.com/welfaregov/gateway/contracts/openapi"
)

// ricevuta is the fixed acquisition time of every fixture translation.
var ricevuta = time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC)

// contractFile is the provisional contract the simulator serves and this adapter is written against.
const contractFile = "../../cmd/pasim/sim/icef/openapi.yaml"

// fixtureOutcome is what a golden file holds: the translation, or the error's public parts.
type fixtureOutcome struct {
	Indicatore any           `json:"indicatore,omitempty"`
	Errore     *errorSummary `json:"errore,omitempty"`
}

type errorSummary struct {
	Reason      Reason         `json:"reason"`
	Class       string         `json:"class"`
	Fault       bool           `json:"fault"`
	Status      int            `json:"status"`
	ProblemCode string         `json:"problemCode,omitempty"`
	Campi       []InvalidParam `json:"campi,omitempty"`
	RetryAfter  int            `json:"retryAfterSeconds,omitempty"`
	Message     string         `json:"message"`
}

func summarize(t testing.TB, err error) *errorSummary {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *icef.Error", err)
	}
	return &errorSummary{Reason: e.Reason, Class: e.UpstreamClass().String(), Fault: e.UpstreamFault(), Status: e.Status,
		ProblemCode: e.ProblemCode, Campi: e.Campi, RetryAfter: e.RetryAfterSeconds(), Message: e.Error()}
}

// fixtureFiles lists testdata/<dir>/*.json without the goldens.
func fixtureFiles(t testing.TB, dir string) []string {
	t.Helper()
	return fixturetest.Files(t, filepath.Join("testdata", dir), "*.json")
}

// statusOf reads the status an error fixture comes with from its name (not_found_404.json).
func statusOf(t testing.TB, file string) int {
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	s, err := strconv.Atoi(base[strings.LastIndexByte(base, '_')+1:])
	if err != nil {
		t.Fatalf("%s: the name must end with _<status>", file)
	}
	return s
}

func outcomeOf(t testing.TB, file string) (fixtureOutcome, error) {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(file, "errori") {
		h := http.Header{"Content-Type": {"application/problem+json"}}
		if strings.Contains(file, "html") {
			h.Set("Content-Type", "text/html")
		}
		if strings.Contains(file, "429") {
			h.Set("Retry-After", "120")
		}
		err := ErrorFromResponse(opRicerca, statusOf(t, file), h, body)
		return fixtureOutcome{Errore: summarize(t, err)}, err
	}
	ind, err := TranslateIndicatore(body, Meta{Operazione: opRicerca, IDOperazione: "corr-1", Ricevuta: ricevuta})
	if err != nil {
		return fixtureOutcome{Errore: summarize(t, err)}, err
	}
	return fixtureOutcome{Indicatore: ind}, nil
}

// Every fixture against its reviewed golden: the translation (or the error's public parts).
func TestFixturesMatchGolden(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "lenient", "malformed", "errori"} {
		files = append(files, fixtureFiles(t, dir)...)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			out, _ := outcomeOf(t, f)
			got := fixturetest.Golden(t, strings.TrimSuffix(f, ".json")+".golden.json", out)
			if strings.Contains(string(got), "BRTLCU80A01L378B") && out.Errore != nil {
				t.Fatal("an error message quotes a codice fiscale in clear")
			}
		})
	}
}

// The good fixtures are valid instances of the provisional contract; the lenient ones are not
// (they exercise tolerance) and still translate; every translation is a valid model instance.
func TestFixturesAgainstTheContracts(t *testing.T) {
	doc, err := os.ReadFile(contractFile)
	if err != nil {
		t.Fatal(err)
	}
	contract, err := openapi.NewValidatorFor(doc)
	if err != nil {
		t.Fatal(err)
	}
	model, err := openapi.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{".", "lenient"} {
		for _, f := range fixtureFiles(t, dir) {
			body, _ := os.ReadFile(f)
			err := contract.Validate("Indicatore", body)
			if dir == "." && err != nil {
				t.Errorf("%s does not match the contract: %v", f, err)
			}
			if dir == "lenient" && err == nil {
				t.Errorf("%s matches the contract; lenient fixtures must not", f)
			}
			out, err := outcomeOf(t, f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			b, _ := json.Marshal(out.Indicatore)
			if err := model.Validate("IndicatoreICEF", b); err != nil {
				t.Errorf("%s: the translation is not a valid model instance: %v", f, err)
			}
		}
	}
	for _, f := range fixtureFiles(t, "errori") {
		body, _ := os.ReadFile(f)
		if strings.Contains(f, "html") || len(body) == 0 {
			continue
		}
		if err := contract.Validate("Problem", body); err != nil {
			t.Errorf("%s is not the contract's Problem: %v", f, err)
		}
	}
}
