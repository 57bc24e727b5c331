package openapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/contracts/openapi"
)

const contractDoc = `
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths:
  /jobs/{id}:
    get:
      parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          headers:
            X-RateLimit-Remaining: {$ref: '#/components/headers/Remaining'}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Job'}
        '303':
          description: done
          headers:
            Location: {required: true, schema: {type: string, format: uri}}
        default:
          $ref: '#/components/responses/Problem'
components:
  headers:
    Remaining: {required: true, schema: {type: integer, minimum: 0}}
  responses:
    Problem:
      description: problem
      content:
        application/problem+json:
          schema: {type: object, required: [status], properties: {status: {type: integer}}}
  schemas:
    Job:
      type: object
      additionalProperties: false
      required: [status]
      properties:
        status: {type: string, enum: [processing, done]}
`

func TestContractCheckResponse(t *testing.T) {
	c, err := openapi.NewContract([]byte(contractDoc))
	if err != nil {
		t.Fatal(err)
	}
	json := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Ratelimit-Remaining": {"3"}}
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	for name, tc := range map[string]struct {
		path   string
		status int
		header http.Header
		body   string
		want   string // "" = accepted; else a fragment of the error
	}{
		"ok/200":                {"/jobs/7", 200, json, `{"status":"processing"}`, ""},
		"ok/303":                {"/jobs/7", 303, http.Header{"Location": {"https://x.example/jobs/7/r"}}, ``, ""},
		"ok/default":            {"/jobs/7", 500, problem, `{"status":500}`, ""},
		"fail/no-path":          {"/other", 200, json, `{}`, "no path"},
		"fail/empty-param":      {"/jobs/", 200, json, `{}`, "no path"},
		"fail/body-schema":      {"/jobs/7", 200, json, `{"status":"lost"}`, "body"},
		"fail/extra-member":     {"/jobs/7", 200, json, `{"status":"done","x":1}`, "body"},
		"fail/not-json":         {"/jobs/7", 200, json, `{`, "not JSON"},
		"fail/media-type":       {"/jobs/7", 200, http.Header{"Content-Type": {"text/plain"}, "X-Ratelimit-Remaining": {"1"}}, `x`, "media type text/plain"},
		"fail/missing-header":   {"/jobs/7", 200, http.Header{"Content-Type": {"application/json"}}, `{"status":"done"}`, "X-RateLimit-Remaining is missing"},
		"fail/header-schema":    {"/jobs/7", 200, http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Remaining": {"-1"}}, `{"status":"done"}`, "header X-RateLimit-Remaining"},
		"fail/header-not-int":   {"/jobs/7", 200, http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Remaining": {"many"}}, `{"status":"done"}`, "not a number"},
		"fail/303-no-location":  {"/jobs/7", 303, http.Header{}, ``, "Location is missing"},
		"fail/303-bad-location": {"/jobs/7", 303, http.Header{"Location": {"::"}}, ``, "header Location"},
		"fail/body-undeclared":  {"/jobs/7", 303, http.Header{"Location": {"https://x.example/"}}, `{}`, "declares no content"},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.CheckResponse("GET", tc.path, tc.status, tc.header, []byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if err := c.CheckResponse("POST", "/jobs/7", 200, json, nil); err == nil || !strings.Contains(err.Error(), "not an operation") {
		t.Fatalf("undeclared method: %v", err)
	}
	if err := c.CheckDefinedResponse(500, problem, []byte(`{"status":500}`)); err == nil || !strings.Contains(err.Error(), "no response for status 500") {
		t.Fatalf("a status without a reusable response: %v", err)
	}
}

func TestContractCheckDefinedResponse(t *testing.T) {
	doc := strings.Replace(contractDoc, "  responses:\n    Problem:", "  responses:\n    401Unauthorized:\n      description: u\n      headers:\n        WWW-Authenticate: {required: true, schema: {type: string}}\n      content:\n        application/problem+json:\n          schema: {type: object, required: [status]}\n    Problem:", 1)
	c, err := openapi.NewContract([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/problem+json"}, "Www-Authenticate": {"Bearer"}}
	if err := c.CheckDefinedResponse(401, h, []byte(`{"status":401}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckDefinedResponse(401, http.Header{"Content-Type": {"application/problem+json"}}, []byte(`{"status":401}`)); err == nil {
		t.Fatal("a missing required header passed")
	}
	if err := c.CheckDefinedResponse(401, h, []byte(`{}`)); err == nil {
		t.Fatal("a body without status passed")
	}
}

// TestEServiceContractsCompile: every schema the e-service contracts reference compiles.
func TestEServiceContractsCompile(t *testing.T) {
	for _, f := range []string{"prestazioni-sociali-agevolate.yaml", "estrazione-prestazioni.yaml"} {
		doc, err := openapi.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openapi.NewValidatorFor(doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := openapi.NewContract(doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
