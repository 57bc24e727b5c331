package icef

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/upstream"
)

func seedFixtures(f *testing.F) {
	for _, dir := range []string{".", "lenient", "malformed", "errori"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil && !strings.HasSuffix(file, ".golden.json") {
				f.Add(b)
			}
		}
	}
}

// Any body: no panic; a translation is either an *Error or an indicator that passes the model's
// validation with a plausible applicant.
func FuzzTranslateIndicatore(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ind, err := TranslateIndicatore(body, Meta{Operazione: opRicerca, Ricevuta: ricevuta})
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if err := ind.Validate(); err != nil {
			t.Fatalf("translation does not validate: %v", err)
		}
	})
}

// Any status and body: the Check and ErrorFromResponse never panic, always classify, and never
// call an answer other than 200 a success.
func FuzzCheckAnswer(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 400, 404, 429, 503} {
			err := OperationRicerca.Check(status, http.Header{"Content-Type": {"application/problem+json"}}, body)
			if status != 200 && err == nil {
				t.Fatalf("HTTP %d accepted", status)
			}
			if err != nil && upstream.ClassOf(err) == upstream.Unclassified {
				t.Fatalf("unclassified: %v", err)
			}
		}
	})
}
