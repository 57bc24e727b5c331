package inps

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
)

// update rewrites the golden files from the current translation. Review every diff before committing:
// a golden is the expected model, not a snapshot.
var update = flag.Bool("update", false, "rewrite testdata/**/*.golden.json from the translation (review the diff!)")

// fixtureMeta is the provenance given to every fixture translation.
var fixtureMeta = Meta{IDRichiesta: "4242", Acquisizione: time.Date(2025, 6, 1, 10, 30, 0, 0, time.UTC)}

// fixture is one testdata file: its case name, path and whether it is deliberately invalid
// against the XSD (the lenient/ folders).
type fixture struct {
	name, path string
	lenient    bool
}

func fixtures(t *testing.T, dir string) []fixture {
	t.Helper()
	var out []fixture
	for _, pattern := range []string{"*.xml", "lenient/*.xml"} {
		paths, err := filepath.Glob(filepath.Join("testdata", dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			name := strings.TrimSuffix(strings.TrimPrefix(p, filepath.Join("testdata", dir)+string(filepath.Separator)), ".xml")
			out = append(out, fixture{name: name, path: p, lenient: strings.HasPrefix(name, "lenient")})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares v's indented JSON with path+".golden.json" (or rewrites it with -update).
func golden(t *testing.T, path string, v any) []byte {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got = append(got, '\n')
	gp := strings.TrimSuffix(path, ".xml") + ".golden.json"
	if *update {
		if err := os.WriteFile(gp, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(gp)
	if err != nil {
		t.Fatalf("missing golden (run go test -run %s -update and review it): %v", t.Name(), err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("translation differs from %s:\n%s", gp, diffLines(string(want), string(got)))
	}
	return got
}

// diffLines shows the first differing lines of two texts.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 12; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

var modelValidator = func() func(t *testing.T) *openapi.Validator {
	var v *openapi.Validator
	return func(t *testing.T) *openapi.Validator {
		t.Helper()
		if v == nil {
			var err error
			if v, err = openapi.NewValidator(); err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
}()

// TestTranslateAttestazioneFixtures translates every attestation fixture and compares it with its
// golden model. Valid fixtures must give a model that passes contracts' Validate and the model's JSON
// Schema, complete and (but for the two that test it) without anomalies; lenient ones must be noted.
func TestTranslateAttestazioneFixtures(t *testing.T) {
	withAnomalies := map[string]bool{"cf_errato": true, "incongruente": true}
	for _, f := range fixtures(t, "attestazione") {
		t.Run(f.name, func(t *testing.T) {
			esito, err := TranslateAttestazione(readFile(t, f.path), fixtureMeta)
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			golden(t, f.path, esito)
			p := esito.Provenienza
			if f.lenient {
				if len(p.Anomalie) == 0 {
					t.Error("a lenient fixture must produce anomalies")
				}
				return
			}
			if p.Incompleto {
				t.Errorf("a valid fixture is marked incomplete: %v", p.Anomalie)
			}
			if withAnomalies[f.name] != (len(p.Anomalie) > 0) {
				t.Errorf("anomalies %v (expected some: %v)", p.Anomalie, withAnomalies[f.name])
			}
			if esito.Ricerca == nil {
				t.Error("no Ricerca")
			}
			if a := esito.Attestazione; a != nil {
				if err := a.Validate(); err != nil {
					t.Errorf("the translated attestation is not a valid model: %v", err)
				}
				b, _ := json.Marshal(a)
				if err := modelValidator(t).Validate("AttestazioneISEE", b); err != nil {
					t.Errorf("the translated attestation fails the model's JSON Schema: %v", err)
				}
			}
		})
	}
}

// TestTranslateIndicatoreFixtures does the same for ConsultazioneIndicatore payloads.
func TestTranslateIndicatoreFixtures(t *testing.T) {
	requested := map[string]contracts.TipoISEE{"ordinario": contracts.ISEEOrdinario, "minorenne": contracts.ISEEMinorenni,
		"dottorato": contracts.ISEEDottorato, "lenient/solo_isee": contracts.ISEEOrdinario}
	for _, f := range fixtures(t, "indicatore") {
		t.Run(f.name, func(t *testing.T) {
			tipo, ok := requested[f.name]
			if !ok {
				t.Fatalf("no requested tipo for fixture %s", f.name)
			}
			sel, err := TranslateIndicatore(readFile(t, f.path), fixtureMeta, tipo, "")
			if err != nil {
				t.Fatalf("translate: %v", err)
			}
			golden(t, f.path, sel)
			if f.lenient != sel.Provenienza.Incompleto {
				t.Errorf("incompleto %v for a fixture with lenient %v", sel.Provenienza.Incompleto, f.lenient)
			}
			if err := sel.Validate(); err != nil {
				t.Errorf("the selection is not a valid model: %v", err)
			}
			b, _ := json.Marshal(sel)
			if err := modelValidator(t).Validate("SelezioneISEE", b); err != nil {
				t.Errorf("the selection fails the model's JSON Schema: %v", err)
			}
		})
	}
}

// TestFixturesAgainstXSD validates every committed fixture against INPS's real schemas: valid ones
// must pass, lenient ones must fail (or they would not test leniency).
func TestFixturesAgainstXSD(t *testing.T) {
	v := inpsxsd.New(t)
	for _, c := range []struct {
		dir    string
		schema inpsxsd.Schema
	}{{"attestazione", inpsxsd.Attestazione}, {"indicatore", inpsxsd.Indicatore}} {
		docs := map[string][]byte{}
		lenient := map[string]bool{}
		for _, f := range fixtures(t, c.dir) {
			docs[f.name] = readFile(t, f.path)
			lenient[f.name] = f.lenient
		}
		failures := v.Validate(c.schema, docs)
		for name := range docs {
			msg, failed := failures[name]
			switch {
			case lenient[name] && !failed:
				t.Errorf("%s/%s validates against %s but is in a lenient folder", c.dir, name, c.schema)
			case !lenient[name] && failed:
				t.Errorf("%s/%s does not validate against %s:\n%s", c.dir, name, c.schema, msg)
			}
		}
	}
}
