// Package openapi embeds the OpenAPI 3.0.3 documents of the contracts package and validates JSON
// instances against their component schemas.
//
// model.yaml holds the component schemas of the internal model (package contracts); the internal API
// contract references them. A test in package contracts keeps the schemas and the Go types in step.
package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// FS holds the OpenAPI documents, read-only.
//
//go:embed *.yaml
var FS embed.FS

// ModelFile is the name of the model document in FS.
const ModelFile = "model.yaml"

// InternalAPIFile is the contract of the internal API WelfareGOV calls (self-contained: the model
// schemas it uses are copied in, kept equal to model.yaml by a test).
const InternalAPIFile = "internal-api.yaml"

// InternalAPI returns a copy of the internal API contract (OpenAPI 3.0.3, YAML).
func InternalAPI() []byte {
	b, err := FS.ReadFile(InternalAPIFile)
	if err != nil { // embedded at build time: cannot happen
		panic(err)
	}
	return b
}

// Model returns a copy of the model document (OpenAPI 3.0.3, YAML).
func Model() []byte {
	b, err := FS.ReadFile(ModelFile)
	if err != nil { // embedded at build time: cannot happen
		panic(err)
	}
	return b
}

// Schemas returns the model's components.schemas as plain JSON values (map[string]any,
// []any, string, float64, bool), keyed by schema name.
func Schemas() (map[string]any, error) {
	doc, err := decodeYAML(Model())
	if err != nil {
		return nil, err
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, ok := comps["schemas"].(map[string]any)
	if !ok {
		return nil, errors.New("openapi: model.yaml has no components.schemas")
	}
	return schemas, nil
}

// decodeYAML turns YAML into the value encoding/json would produce from the equivalent JSON, so
// that the result can be handed to JSON tools (numbers become float64, keys strings).
func decodeYAML(b []byte) (map[string]any, error) {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("openapi: parsing YAML: %w", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("openapi: converting YAML to JSON: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(j, &doc); err != nil {
		return nil, fmt.Errorf("openapi: converting YAML to JSON: %w", err)
	}
	return doc, nil
}

// Validator validates JSON instances against the model's component schemas (JSON Schema 2020-12
// semantics, formats asserted). It is safe for concurrent use.
type Validator struct {
	schemas map[string]*jsonschema.Schema
}

// NewValidator compiles every component schema of the model.
func NewValidator() (*Validator, error) {
	schemas, err := Schemas()
	if err != nil {
		return nil, err
	}
	return compileComponents(schemas, "urn:welfaregov:contracts:model.json")
}

// NewValidatorFor compiles the components.schemas of another OpenAPI 3.0 document (YAML or JSON),
// for instance a foreign contract whose answers a test checks (the SIUSS WaaS api-comuni.yaml).
func NewValidatorFor(document []byte) (*Validator, error) {
	doc, err := decodeYAML(document)
	if err != nil {
		return nil, err
	}
	comps, _ := doc["components"].(map[string]any)
	raw, _ := comps["schemas"].(map[string]any)
	if len(raw) == 0 {
		return nil, fmt.Errorf("openapi: the document has no components.schemas")
	}
	return compileComponents(raw, "urn:welfaregov:openapi:document.json")
}

func compileComponents(schemas map[string]any, loc string) (*Validator, error) {
	converted := make(map[string]any, len(schemas))
	for name, s := range schemas {
		converted[name] = toJSONSchema(s)
	}
	doc := map[string]any{"components": map[string]any{"schemas": converted}}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("openapi: adding the model: %w", err)
	}
	v := &Validator{schemas: make(map[string]*jsonschema.Schema, len(schemas))}
	for name := range schemas {
		sch, err := c.Compile(loc + "#/components/schemas/" + name)
		if err != nil {
			return nil, fmt.Errorf("openapi: compiling schema %s: %w", name, err)
		}
		v.schemas[name] = sch
	}
	return v, nil
}

// Names returns the schema names, sorted.
func (v *Validator) Names() []string {
	names := make([]string, 0, len(v.schemas))
	for n := range v.schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks a JSON document against the named schema. The error lists every violation with
// its location in the instance, and may quote the offending values (a malformed codice fiscale, for
// one): mask or drop it before logging instances that carry personal data.
func (v *Validator) Validate(schema string, instance []byte) error {
	sch, ok := v.schemas[schema]
	if !ok {
		return fmt.Errorf("openapi: no schema %q in the model", schema)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(instance))
	if err != nil {
		return fmt.Errorf("openapi: instance is not JSON: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("openapi: instance does not match %s: %w", schema, err)
	}
	return nil
}

// toJSONSchema converts an OpenAPI 3.0 schema object to JSON Schema 2020-12: "nullable: true"
// adds "null" to the type, and the boolean exclusiveMinimum/exclusiveMaximum of OpenAPI 3.0 become
// the numeric ones. Everything else is shared by the two languages (unknown keywords such as
// "example" are annotations in JSON Schema).
func toJSONSchema(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJSONSchema(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toJSONSchema(e)
		}
		if n, _ := out["nullable"].(bool); n {
			if t, ok := out["type"].(string); ok {
				out["type"] = []any{t, "null"}
			}
			if e, ok := out["enum"].([]any); ok && !slices.Contains(e, nil) {
				out["enum"] = append(e, nil)
			}
		}
		delete(out, "nullable")
		for bound, excl := range map[string]string{"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"} {
			if b, ok := out[excl].(bool); ok {
				delete(out, excl)
				if b {
					out[excl] = out[bound]
					delete(out, bound)
				}
			}
		}
		return out
	}
	return v
}
