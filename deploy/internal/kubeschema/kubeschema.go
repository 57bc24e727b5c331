// Package kubeschema validates Kubernetes objects against the OpenAPI schemas the Kubernetes API
// server publishes, offline, the way kubeconform does with -strict: every field must be declared
// by the schema (a misspelt field is an error, not silently dropped by the server), types and
// required fields are checked, and an object of an unknown apiVersion or kind is an error.
//
// The schemas are the OpenAPI v3 documents of Kubernetes' built-in types (one per group-version,
// as served at /openapi/v3/apis/<group>/<version>), embedded in the Go module
// sigs.k8s.io/kubectl-validate for that tool's offline mode. Fetch them with [Download]: the Go
// module proxy serves them, the module cache keeps them, and [ModuleSum] pins their content.
package kubeschema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// english prints the validator's messages.
var english = message.NewPrinter(language.English)

// The module that carries the schemas, and the Kubernetes release whose schemas are used: the
// newest one that module version embeds. Fields added to Kubernetes after it are refused as
// unknown; raise both together.
const (
	Module            = "sigs.k8s.io/kubectl-validate"
	ModuleVersion     = "v0.0.4"
	ModuleSum         = "h1:tGKuv0awYHn11Cb6KPsZKxUmHgavF46K3NvVH0Nse9U="
	KubernetesVersion = "1.30"
)

// Download makes sure the schema module is in the Go module cache (fetching it through the Go
// module proxy if needed), checks its hash against ModuleSum, and returns the directory of the
// KubernetesVersion schemas. goCmd is the go command ("go" when empty).
func Download(ctx context.Context, goCmd string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", Module+"@"+ModuleVersion)
	cmd.Dir = os.TempDir() // outside any module: nothing's go.mod or go.sum is touched
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || err != nil || info.Error != "" {
		return "", fmt.Errorf("kubeschema: go mod download %s@%s: %v %s %s", Module, ModuleVersion, err, info.Error, strings.TrimSpace(stderr.String()))
	}
	if info.Sum != ModuleSum {
		return "", fmt.Errorf("kubeschema: %s@%s has hash %s, want %s", Module, ModuleVersion, info.Sum, ModuleSum)
	}
	dir := filepath.Join(info.Dir, "pkg", "openapiclient", "builtins", KubernetesVersion)
	if _, err := os.Stat(filepath.Join(dir, "api", "v1.json")); err != nil {
		return "", fmt.Errorf("kubeschema: no Kubernetes %s schemas in %s: %w", KubernetesVersion, info.Dir, err)
	}
	return dir, nil
}

// Problem is one way an object does not match its schema.
type Problem struct {
	// Object names the object: "Deployment/welfaregov-gateway".
	Object string
	// Path is the JSON pointer of the offending value inside the object ("" for the object).
	Path string
	// Message says what is wrong.
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Object + ": " + p.Message
	}
	return p.Object + ": " + p.Path + ": " + p.Message
}

// Validator validates objects against the schemas in a directory laid out as the API server's
// OpenAPI v3 discovery: api/v1.json, apis/<group>/<version>.json. Safe for concurrent use.
type Validator struct {
	dir string

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	docs     map[string]*document // by apiVersion
}

type document struct {
	url     string
	schemas map[string]string // kind -> schema name in components/schemas
	err     error
	byKind  map[string]*jsonschema.Schema
}

// New returns a Validator reading the schemas in dir (see [Download]).
func New(dir string) *Validator {
	return &Validator{dir: dir, compiler: jsonschema.NewCompiler(), docs: map[string]*document{}}
}

// Validate checks one object (as decoded from YAML or JSON) and returns every problem found;
// none means it is valid. Null values are dropped first, as the API server treats them as unset.
func (v *Validator) Validate(obj map[string]any) []Problem {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	name := kind + "/" + nameOf(obj)
	if apiVersion == "" || kind == "" {
		return []Problem{{Object: name, Message: "apiVersion and kind are required"}}
	}
	schema, err := v.schema(apiVersion, kind)
	if err != nil {
		return []Problem{{Object: name, Message: err.Error()}}
	}
	inst, err := jsonValue(dropNulls(obj))
	if err != nil {
		return []Problem{{Object: name, Message: err.Error()}}
	}
	err = schema.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &ve) {
		return []Problem{{Object: name, Message: err.Error()}}
	}
	var problems []Problem
	for _, leaf := range leaves(ve) {
		problems = append(problems, Problem{Object: name, Path: pointer(leaf.InstanceLocation), Message: leaf.ErrorKind.LocalizedString(english)})
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].String() < problems[j].String() })
	return problems
}

func nameOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	n, _ := meta["name"].(string)
	if n == "" {
		n, _ = meta["generateName"].(string)
	}
	return n
}

// leaves returns the innermost errors: the ones that name the offending field.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func pointer(loc []string) string {
	if len(loc) == 0 {
		return ""
	}
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, s := range loc {
		b.WriteString("/" + esc.Replace(s))
	}
	return b.String()
}

// schema returns the compiled schema of a kind, loading its group-version's document once.
func (v *Validator) schema(apiVersion, kind string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	doc, ok := v.docs[apiVersion]
	if !ok {
		doc = v.load(apiVersion)
		v.docs[apiVersion] = doc
	}
	if doc.err != nil {
		return nil, doc.err
	}
	if s, ok := doc.byKind[kind]; ok {
		return s, nil
	}
	ref, ok := doc.schemas[kind]
	if !ok {
		return nil, fmt.Errorf("no schema for kind %s in %s (Kubernetes %s)", kind, apiVersion, KubernetesVersion)
	}
	s, err := v.compiler.Compile(doc.url + "#/components/schemas/" + ref)
	if err != nil {
		return nil, fmt.Errorf("kubeschema: compiling the %s %s schema: %w", apiVersion, kind, err)
	}
	doc.byKind[kind] = s
	return s, nil
}

func (v *Validator) load(apiVersion string) *document {
	rel := filepath.Join("api", apiVersion+".json") // core group: "v1"
	if group, version, ok := strings.Cut(apiVersion, "/"); ok {
		rel = filepath.Join("apis", group, version+".json")
	}
	doc := &document{url: "file:///kubernetes/" + filepath.ToSlash(rel), schemas: map[string]string{}, byKind: map[string]*jsonschema.Schema{}}
	raw, err := os.ReadFile(filepath.Join(v.dir, rel))
	if err != nil {
		doc.err = fmt.Errorf("no schema for apiVersion %s (Kubernetes %s): %v", apiVersion, KubernetesVersion, err)
		return doc
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		doc.err = fmt.Errorf("kubeschema: %s: %w", rel, err)
		return doc
	}
	root, _ := parsed.(map[string]any)
	components, _ := root["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	for name, s := range schemas {
		m, _ := s.(map[string]any)
		strict(m)
		gvks, _ := m["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			k, _ := gvk["kind"].(string)
			gv := version
			if group != "" {
				gv = group + "/" + version
			}
			if gv == apiVersion {
				doc.schemas[k] = name
			}
		}
	}
	if err := v.compiler.AddResource(doc.url, root); err != nil {
		doc.err = fmt.Errorf("kubeschema: %s: %w", rel, err)
	}
	return doc
}

// strict closes every object schema that lists its properties, as kubeconform -strict does: the
// API server drops (or, with strict field validation, refuses) a field its schema lacks, so a
// misspelt field in a manifest is always a mistake. Schemas that keep unknown fields on purpose
// (x-kubernetes-preserve-unknown-fields) or declare additionalProperties stay open.
func strict(schema map[string]any) {
	if schema == nil {
		return
	}
	props, hasProps := schema["properties"].(map[string]any)
	_, hasAdditional := schema["additionalProperties"]
	preserve, _ := schema["x-kubernetes-preserve-unknown-fields"].(bool)
	if hasProps && !hasAdditional && !preserve {
		schema["additionalProperties"] = false
	}
	for _, p := range props {
		sub, _ := p.(map[string]any)
		strict(sub)
	}
	for _, key := range []string{"items", "additionalProperties", "not"} {
		sub, _ := schema[key].(map[string]any)
		strict(sub)
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := schema[key].([]any)
		for _, item := range list {
			sub, _ := item.(map[string]any)
			strict(sub)
		}
	}
}

// dropNulls removes null members recursively (a YAML "key:" with no value).
func dropNulls(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, child := range n {
			if child != nil {
				out[k] = dropNulls(child)
			}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, child := range n {
			out[i] = dropNulls(child)
		}
		return out
	}
	return node
}

// jsonValue converts a decoded YAML value to the form the validator expects (json.Number for
// numbers), through a JSON round trip.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("kubeschema: the object is not representable as JSON: %w", err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}
