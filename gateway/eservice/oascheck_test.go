package eservice_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/eservice"
)

// oasChecker finds the Italian OAS checker: $OAS_CHECK, or shared/tools/oas-check beside the
// repository (../shared/tools, DESIGN.md) or above it.
func oasChecker(t *testing.T) string {
	if p := os.Getenv("OAS_CHECK"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..")
	for range 4 {
		dir = filepath.Dir(dir)
		if p := filepath.Join(dir, "shared", "tools", "oas-check"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestContractsPassOASChecker runs the Italian OAS checker (Spectral, "Italian Guidelines Full")
// on every contract as the gateway serves it (servers set to an installation's https URL): our
// two contracts must have no error and no warning; INPS's SIUSS contract, which we serve unchanged
// but for servers, no error and only the five warnings INPS's own file has (reusable responses it
// wires to no path). `make oas-check` runs this test alone, verbosely. It needs node: without it
// the test is skipped, saying so.
func TestContractsPassOASChecker(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the contracts were NOT checked with oas-check (run make oas-check where node is)")
	}
	tool := oasChecker(t)
	if tool == "" {
		t.Skip("oas-check not found (set OAS_CHECK, or put shared/tools beside the repository): the contracts were NOT checked")
	}
	dir := t.TempDir()
	read := func(f string) []byte {
		b, err := openapi.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	docs := map[string]struct {
		doc      []byte
		warnings []string // the warnings allowed, by code and path
	}{
		"prestazioni-sociali-agevolate.yaml": {read("prestazioni-sociali-agevolate.yaml"), nil},
		"estrazione-prestazioni.yaml":        {read("estrazione-prestazioni.yaml"), nil},
		"internal-api.yaml":                  {read("internal-api.yaml"), nil}, // WelfareGOV's internal API (gateway/internalapi)
		"siuss-waas.yaml": {siuss.OpenAPI(), []string{
			"oas3-unused-component components.responses.401Unauthorized", "oas3-unused-component components.responses.403Forbidden",
			"oas3-unused-component components.responses.409Conflict", "oas3-unused-component components.responses.429TooManyRequests",
			"oas3-unused-component components.responses.503ServiceUnavailable"}},
	}
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name)
			if err := os.WriteFile(file, eservice.WithServer(d.doc, "https://api.welfaregov.example/x"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(tool, "-f", "json", "-q", file).Output()
			var results []struct {
				Code     string   `json:"code"`
				Path     []string `json:"path"`
				Message  string   `json:"message"`
				Severity int      `json:"severity"`
			}
			if jerr := json.Unmarshal(out, &results); jerr != nil {
				t.Fatalf("oas-check: %v (%v)\n%s", jerr, err, out)
			}
			var warnings []string
			for _, r := range results {
				where := r.Code + " " + joinPath(r.Path)
				switch r.Severity {
				case 0:
					t.Errorf("error %s: %s", where, r.Message)
				case 1:
					warnings = append(warnings, where)
					if !slices.Contains(d.warnings, where) {
						t.Errorf("warning %s: %s", where, r.Message)
					}
				default:
					t.Logf("hint %s: %s", where, r.Message)
				}
			}
			t.Logf("%s: %d results, %d warnings (allowed: %d)", name, len(results), len(warnings), len(d.warnings))
		})
	}
}

func joinPath(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += "."
		}
		out += s
	}
	return out
}
