package openapi

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Contract checks real HTTP responses against the operations of an OpenAPI 3.0 document: that the
// status is declared for the operation (or covered by default), that every required header is
// there and every declared header that is there matches its schema, that the media type is one the
// response declares and that the body matches its schema (JSON bodies; a response declared without
// content must have none). Tests use it on what the gateway really answered. Safe for concurrent
// use.
type Contract struct {
	doc      map[string]any
	loc      string
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

// NewContract reads an OpenAPI 3.0 document (YAML or JSON).
func NewContract(document []byte) (*Contract, error) {
	doc, err := decodeYAML(document)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		return nil, errors.New("openapi: the document has no paths")
	}
	const loc = "urn:welfaregov:openapi:contract.json"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(loc, toJSONSchema(doc)); err != nil {
		return nil, fmt.Errorf("openapi: adding the document: %w", err)
	}
	return &Contract{doc: doc, loc: loc, compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

// CheckResponse checks one response of the operation method + path, where path is the request path
// relative to the server URL (/estrazioni/5f0c...; matched against the templates, /estrazioni/{id}).
// The error lists every problem found.
func (c *Contract) CheckResponse(method, path string, status int, header http.Header, body []byte) error {
	tmpl, ok := c.matchPath(path)
	if !ok {
		return fmt.Errorf("openapi: no path of the contract matches %s", path)
	}
	opPtr := "/paths/" + escape(tmpl) + "/" + strings.ToLower(method)
	if _, ok := c.at(opPtr).(map[string]any); !ok {
		return fmt.Errorf("openapi: %s %s is not an operation of the contract", method, tmpl)
	}
	respPtr := opPtr + "/responses/" + strconv.Itoa(status)
	if c.at(respPtr) == nil {
		respPtr = opPtr + "/responses/default"
		if c.at(respPtr) == nil {
			return fmt.Errorf("openapi: %s %s does not declare status %d (nor default)", method, tmpl, status)
		}
	}
	respPtr = c.deref(respPtr)
	resp, _ := c.at(respPtr).(map[string]any)
	var problems []string
	problems = append(problems, c.checkHeaders(respPtr, resp, header)...)
	problems = append(problems, c.checkBody(respPtr, resp, header, body)...)
	if len(problems) > 0 {
		return fmt.Errorf("openapi: %s %s answered %d against the contract: %s", method, tmpl, status, strings.Join(problems, "; "))
	}
	return nil
}

// CheckDefinedResponse checks a response against the reusable response the document defines for
// status (a components.responses key starting with the status code, as "401Unauthorized"), for
// statuses a contract defines but wires to no operation (INPS's SIUSS contract defines 401, 403,
// 429 and 503 that way).
func (c *Contract) CheckDefinedResponse(status int, header http.Header, body []byte) error {
	comps, _ := c.at("/components/responses").(map[string]any)
	code := strconv.Itoa(status)
	for _, name := range sortedKeys(comps) {
		if !strings.HasPrefix(name, code) {
			continue
		}
		ptr := c.deref("/components/responses/" + escape(name))
		resp, _ := c.at(ptr).(map[string]any)
		problems := append(c.checkHeaders(ptr, resp, header), c.checkBody(ptr, resp, header, body)...)
		if len(problems) > 0 {
			return fmt.Errorf("openapi: the %d answer does not match components.responses.%s: %s", status, name, strings.Join(problems, "; "))
		}
		return nil
	}
	return fmt.Errorf("openapi: the contract defines no response for status %d", status)
}

func (c *Contract) checkHeaders(respPtr string, resp map[string]any, header http.Header) []string {
	hs, _ := resp["headers"].(map[string]any)
	var out []string
	for _, name := range sortedKeys(hs) {
		hPtr := c.deref(respPtr + "/headers/" + escape(name))
		h, _ := c.at(hPtr).(map[string]any)
		v, present := header[http.CanonicalHeaderKey(name)]
		if !present {
			if req, _ := h["required"].(bool); req {
				out = append(out, "required header "+name+" is missing")
			}
			continue
		}
		sch, _ := h["schema"].(map[string]any)
		var inst any = v[0]
		if t, _ := sch["type"].(string); t == "integer" || t == "number" {
			n, err := strconv.ParseFloat(v[0], 64)
			if err != nil {
				out = append(out, fmt.Sprintf("header %s %q is not a number", name, v[0]))
				continue
			}
			inst = n
		}
		if err := c.validate(hPtr+"/schema", inst); err != nil {
			out = append(out, fmt.Sprintf("header %s: %v", name, err))
		}
	}
	return out
}

func (c *Contract) checkBody(respPtr string, resp map[string]any, header http.Header, body []byte) []string {
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			return []string{fmt.Sprintf("the response declares no content but has a %d-byte body", len(body))}
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return []string{fmt.Sprintf("Content-Type %q is not a media type", header.Get("Content-Type"))}
	}
	if _, ok := content[mt]; !ok {
		return []string{fmt.Sprintf("media type %s is not declared (declared: %s)", mt, strings.Join(sortedKeys(content), ", "))}
	}
	if !strings.HasSuffix(mt, "json") {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{"the body is not JSON: " + err.Error()}
	}
	if err := c.validate(respPtr+"/content/"+escape(mt)+"/schema", inst); err != nil {
		return []string{"body: " + err.Error()}
	}
	return nil
}

// validate checks inst against the schema at ptr, compiling it once.
func (c *Contract) validate(ptr string, inst any) error {
	c.mu.Lock()
	sch, ok := c.compiled[ptr]
	if !ok {
		var err error
		if sch, err = c.compiler.Compile(c.loc + "#" + ptr); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("compiling %s: %w", ptr, err)
		}
		c.compiled[ptr] = sch
	}
	c.mu.Unlock()
	return sch.Validate(inst)
}

// matchPath finds the path template (/estrazioni/{id}) a concrete path matches; a path written
// literally in the document wins over templates.
func (c *Contract) matchPath(path string) (string, bool) {
	paths, _ := c.doc["paths"].(map[string]any)
	if _, ok := paths[path]; ok {
		return path, true
	}
	segs := strings.Split(path, "/")
	for _, tmpl := range sortedKeys(paths) {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		match := true
		for i := range ts {
			param := strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}")
			if (param && segs[i] == "") || (!param && ts[i] != segs[i]) {
				match = false
				break
			}
		}
		if match {
			return tmpl, true
		}
	}
	return "", false
}

// at returns the value at a JSON pointer of the document (nil when absent).
func (c *Contract) at(ptr string) any {
	var v any = c.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	return v
}

// deref follows $ref chains within the document.
func (c *Contract) deref(ptr string) string {
	for range 16 {
		m, ok := c.at(ptr).(map[string]any)
		if !ok {
			return ptr
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return ptr
		}
		ptr = strings.TrimPrefix(ref, "#")
	}
	return ptr
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
