// Package anprtest validates E002 JSON against ANPR's real OpenAPI files, for the tests of the
// adapter (adapters/anpr) and of the simulator (cmd/pasim/sim/anpr). The files' licences do not let
// us commit them: they are read from $WGW_SAMPLES_DIR/anpr/openapi at test time.
//
// Two checks are offered:
//
//   - ValidateAs(file, schema, json): against one real file as published (OpenAPI 3.0 semantics:
//     unknown members allowed). Proves types, required members and enumerations.
//   - Validate(schema, json): strict. The component schemas of every real file are merged (a schema
//     gets the union of the properties the files give it), supplement.yaml adds the members ANPR
//     sends that no public file declares (each with its source), and every object refuses unknown
//     members. Proves that no field name is misspelt or invented.
package anprtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// Files are the real OpenAPI documents under $WGW_SAMPLES_DIR/anpr/openapi.
var Files = []string{
	"C001-servizioNotifica.pn-national-registries.yaml", // EUPL-1.2, full residence types
	"C001-consultazioneANPR.idpay.yaml",
	"C021-servizioAccertamentoStatoFamiglia.idpay.yaml", // legameSoggetto, datiDecesso
}

//go:embed supplement.yaml
var supplement []byte

// SamplesDir returns $WGW_SAMPLES_DIR, or skips the test with a message saying what is skipped.
func SamplesDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("WGW_SAMPLES_DIR")
	if d == "" {
		t.Skip("WGW_SAMPLES_DIR is not set: skipping the checks against ANPR's real OpenAPI files and samples (set it to ../shared/samples)")
	}
	return d
}

// Validator holds the compiled schemas. It is safe for concurrent use.
type Validator struct {
	strict  map[string]*jsonschema.Schema
	perFile map[string]map[string]*jsonschema.Schema
	// strictPerFile holds the strict schemas of each file alone, without the union and supplement.
	strictPerFile map[string]map[string]*jsonschema.Schema
}

// NewValidator reads every file in Files from samplesDir/anpr/openapi; a missing file is an error.
func NewValidator(samplesDir string) (*Validator, error) {
	v := &Validator{perFile: map[string]map[string]*jsonschema.Schema{}, strictPerFile: map[string]map[string]*jsonschema.Schema{}}
	union := map[string]any{}
	for _, f := range Files {
		b, err := os.ReadFile(filepath.Join(samplesDir, "anpr", "openapi", f))
		if err != nil {
			return nil, fmt.Errorf("anprtest: %w", err)
		}
		schemas, err := componentSchemas(b)
		if err != nil {
			return nil, fmt.Errorf("anprtest: %s: %w", f, err)
		}
		if v.perFile[f], err = compile("urn:anpr:"+f, schemas, false); err != nil {
			return nil, err
		}
		if v.strictPerFile[f], err = compile("urn:anpr:strict:"+f, schemas, true); err != nil {
			return nil, err
		}
		if err := merge(union, schemas, f); err != nil {
			return nil, err
		}
	}
	sup, err := componentSchemas(supplement)
	if err != nil {
		return nil, fmt.Errorf("anprtest: supplement.yaml: %w", err)
	}
	if err := merge(union, sup, "supplement.yaml"); err != nil {
		return nil, err
	}
	if v.strict, err = compile("urn:anpr:union", union, true); err != nil {
		return nil, err
	}
	return v, nil
}

// Validate checks instance strictly against the merged schema (see the package comment).
func (v *Validator) Validate(schema string, instance []byte) error {
	return validate(v.strict, schema, instance)
}

// ValidateAs checks instance against schema as published in file (unknown members allowed).
func (v *Validator) ValidateAs(file, schema string, instance []byte) error {
	return validate(v.perFile[file], schema, instance)
}

// ValidateStrictAs checks instance against file alone, refusing members file does not declare.
func (v *Validator) ValidateStrictAs(file, schema string, instance []byte) error {
	return validate(v.strictPerFile[file], schema, instance)
}

// Has reports whether file declares schema.
func (v *Validator) Has(file, schema string) bool { return v.perFile[file][schema] != nil }

func validate(set map[string]*jsonschema.Schema, schema string, instance []byte) error {
	s := set[schema]
	if s == nil {
		return fmt.Errorf("anprtest: no schema %q", schema)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(instance))
	if err != nil {
		return fmt.Errorf("anprtest: not JSON: %w", err)
	}
	return s.Validate(doc)
}

func componentSchemas(b []byte) (map[string]any, error) {
	var y any
	if err := yaml.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	j, err := json.Marshal(y) // YAML → the values encoding/json produces (string keys, float64 numbers)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	if len(doc.Components.Schemas) == 0 {
		return nil, errors.New("no components.schemas")
	}
	return doc.Components.Schemas, nil
}

// merge adds src's schemas to dst: new schemas are copied, schemas both have get the union of their
// properties and required lists. A property declared differently by two sources is an error, so a
// conflict between ANPR's files cannot go unnoticed.
func merge(dst, src map[string]any, from string) error {
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s, _ := src[name].(map[string]any)
		d, ok := dst[name].(map[string]any)
		if !ok {
			dst[name] = s
			continue
		}
		dp, _ := d["properties"].(map[string]any)
		if dp == nil {
			dp = map[string]any{}
			d["properties"] = dp
		}
		sp, _ := s["properties"].(map[string]any)
		for p, ps := range sp {
			if old, ok := dp[p]; ok && !sameShape(old, ps) {
				return fmt.Errorf("anprtest: %s.%s is declared differently in %s", name, p, from)
			}
			dp[p] = ps
		}
		req, _ := d["required"].([]any)
		for _, r := range asSlice(s["required"]) {
			if !contains(req, r) {
				req = append(req, r)
			}
		}
		if len(req) > 0 {
			d["required"] = req
		}
	}
	return nil
}

// sameShape compares two property schemas ignoring documentation-only members.
func sameShape(a, b any) bool { return reflect.DeepEqual(shape(a), shape(b)) }

func shape(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, e := range m {
		switch {
		case k == "description" || k == "example" || k == "x-field-extra-annotation":
			continue // documentation
		case k == "format" && e == "password":
			continue // pn-national-registries marks fields to mask in logs, not a value format
		}
		out[k] = shape(e)
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func contains(s []any, v any) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// compile compiles every schema of a set; strict adds additionalProperties: false to every object.
func compile(loc string, schemas map[string]any, strict bool) (map[string]*jsonschema.Schema, error) {
	conv := map[string]any{}
	for n, s := range schemas {
		conv[n] = convert(s, strict)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.RegisterFormat(&jsonschema.Format{Name: "YYYY-MM-DD", Validate: fullDate})
	c.AssertFormat()
	if err := c.AddResource(loc, map[string]any{"components": map[string]any{"schemas": conv}}); err != nil {
		return nil, fmt.Errorf("anprtest: %s: %w", loc, err)
	}
	out := map[string]*jsonschema.Schema{}
	for n := range schemas {
		s, err := c.Compile(loc + "#/components/schemas/" + n)
		if err != nil {
			return nil, fmt.Errorf("anprtest: compiling %s in %s: %w", n, loc, err)
		}
		out[n] = s
	}
	return out, nil
}

// convert deep-copies an OpenAPI 3.0 schema as JSON Schema 2020-12. The ANPR files use only the
// common subset (type, properties, required, items, enum, $ref, format), so no keyword changes
// meaning. "format: password" marks fields for masking, not a value format, and is dropped.
func convert(v any, strict bool) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = convert(e, strict)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x)+1)
		for k, e := range x {
			if k == "properties" { // keys are member names, not keywords
				props := map[string]any{}
				for pn, ps := range e.(map[string]any) {
					props[pn] = convert(ps, strict)
				}
				out[k] = props
				continue
			}
			out[k] = convert(e, strict)
		}
		if out["format"] == "password" {
			delete(out, "format")
		}
		if _, ok := out["properties"]; ok && strict {
			out["additionalProperties"] = false
		}
		return out
	}
	return v
}

func fullDate(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("%q is not a YYYY-MM-DD date", s)
	}
	return nil
}
