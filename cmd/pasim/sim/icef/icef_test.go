package icef

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts/openapi"
	"gopkg.in/yaml.v3"
)

var pop = population.Build(population.DefaultSeed)

// contract is the simulator's own openapi.yaml: every answer the tests get is checked against it.
var contract = func() *openapi.Contract {
	c, err := openapi.NewContract(OpenAPI)
	if err != nil {
		panic(err)
	}
	return c
}()

// call sends a request to the simulator and checks the answer against openapi.yaml (status
// declared, headers, media type, body schema).
func call(t *testing.T, method, url, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url+BasePath+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := contract.CheckResponse(method, path, resp.StatusCode, resp.Header, b); err != nil {
		t.Errorf("%s %s %s: %v\n%s", method, path, body, err, b)
	}
	return resp, b
}

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	return call(t, http.MethodPost, url, "/indicatori/ricerca", body)
}

func TestRicercaServesThePopulation(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{Population: pop}))
	defer srv.Close()
	checked := 0
	for _, h := range pop.Households {
		for _, ind := range h.ICEF {
			applicant := h.Members[len(h.Members)-1] // any member may apply
			resp, b := post(t, srv.URL, `{"codiceFiscale":"`+applicant.CodiceFiscale+`","politica":"`+ind.Politica+`","anno":2025}`)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", h.ID, resp.StatusCode, b)
			}
			var got Risposta
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Valore != ind.Valore.StringFixed(4) || got.Elementi.PesoFamiliare != ind.VF.StringFixed(2) || len(got.Nucleo) != len(ind.Nucleo) {
				t.Fatalf("%s: got %+v, want %s", h.ID, got, ind.Valore)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d indicators served", checked)
	}
}

func TestRicercaRejectsBadInputAndHidesExistence(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{Population: pop}))
	defer srv.Close()
	someone := pop.HouseholdsTagged(population.TagLargeFamily)[0].Members[0].CodiceFiscale
	noICEF := pop.HouseholdsTagged(population.TagOmocodia)[0].Members[0].CodiceFiscale // Roma: no ICEF
	cases := map[string]int{
		`{"codiceFiscale":"` + someone + `","politica":"assegno-unico-provinciale","anno":2025}`:  200,
		`{"codiceFiscale":"` + someone + `","politica":"nessuna","anno":2025}`:                    400,
		`{"codiceFiscale":"XXX","politica":"assegno-unico-provinciale","anno":2025}`:              400,
		`{"codiceFiscale":"` + someone + `","politica":"assegno-unico-provinciale","anno":1}`:     400,
		`{"codiceFiscale":"` + someone + `","politica":"assegno-unico-provinciale","anno":2024}`:  404,
		`{"codiceFiscale":"` + noICEF + `","politica":"assegno-unico-provinciale","anno":2025}`:   404,
		`{"codiceFiscale":"RSSMRA80A01H501U","politica":"assegno-unico-provinciale","anno":2025}`: 404,
		`{"codiceFiscale":"` + someone + `","extra":1}`:                                           400,
		`{`: 400,
	}
	var notFound []string
	for body, want := range cases {
		resp, b := post(t, srv.URL, body)
		if resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", body, resp.StatusCode, b, want)
		}
		if want >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: error is not problem+json", body)
		}
		if want == 404 && strings.Contains(body, "2025") {
			var p struct{ Detail string }
			_ = json.Unmarshal(b, &p)
			notFound = append(notFound, p.Detail)
		}
	}
	if len(notFound) == 2 && notFound[0] != notFound[1] {
		t.Errorf("unknown person and person without ICEF must get the same answer: %q vs %q", notFound[0], notFound[1])
	}
}

func TestSecurityHookAndFaults(t *testing.T) {
	in := fault.New(fault.Options{})
	deny := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	}
	srv := httptest.NewServer(Handler(Options{Population: pop, Faults: in, Security: deny}))
	defer srv.Close()
	// The hook's own answer is the test's (a bare 401), not the simulator's: not contract-checked.
	if resp, err := http.Post(srv.URL+BasePath+"/indicatori/ricerca", "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != 401 {
		t.Fatalf("the security hook was not applied: %v %v", resp, err)
	}
	if resp, _ := call(t, http.MethodGet, srv.URL, "/status", ""); resp.StatusCode != 200 {
		t.Fatalf("/status must bypass the PDND check: %d", resp.StatusCode)
	}
	if err := in.Set("icef.indicatori.ricerca", fault.Spec{ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := post(t, srv.URL, `{}`); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("fault not applied: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestPoliticheAndStatusFollowTheContract: the other operations' answers match openapi.yaml too.
func TestPoliticheAndStatusFollowTheContract(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{Population: pop}))
	defer srv.Close()
	resp, b := call(t, http.MethodGet, srv.URL, "/politiche", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "assegno-unico-provinciale") {
		t.Fatalf("GET /politiche: %d %s", resp.StatusCode, b)
	}
	if resp, _ := call(t, http.MethodGet, srv.URL, "/status", ""); resp.StatusCode != 200 {
		t.Fatalf("GET /status: %d", resp.StatusCode)
	}
}

func TestOpenAPIDescribesTheServedPaths(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	for path, method := range map[string]string{"/indicatori/ricerca": "post", "/politiche": "get", "/status": "get"} {
		if doc.Paths[path][method] == nil {
			t.Errorf("openapi.yaml lacks %s %s", method, path)
		}
	}
}
