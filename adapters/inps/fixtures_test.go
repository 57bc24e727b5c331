package inps

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/inps/inpsxsd"
	"github.com/welfaregov/gateway/adapters/internal/fixturetest"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
)

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
	base := filepath.Join("testdata", dir)
	for _, p := range fixturetest.Files(t, base, "*.xml", "lenient/*.xml") {
		name := strings.TrimSuffix(strings.TrimPrefix(p, base+string(filepath.Separator)), ".xml")
		out = append(out, fixture{name: name, path: p, lenient: strings.HasPrefix(name, "lenient")})
	}
	return out
}

// readFile reads a fixture or fails the test.
func readFile(t testing.TB, path string) []byte { t.Helper(); return fixturetest.Read(t, path) }

// golden compares v's indented JSON with path's .golden.json (or rewrites it with -update).
func golden(t *testing.T, path string, v any) []byte {
	t.Helper()
	return fixturetest.Golden(t, strings.TrimSuffix(path, ".xml")+".golden.json", v)
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
