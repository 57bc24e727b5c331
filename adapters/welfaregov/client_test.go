package welfaregov_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/gateway/config"
)

// startBackend serves the pasim backend simulator of pop on loopback (faults may be nil) and
// returns a client of it with the right key, and its URL.
func startBackend(t *testing.T, pop *population.Population, faults *fault.Injector) (*welfaregov.Client, string) {
	t.Helper()
	hs := httptest.NewServer(backend.New(backend.Options{Population: pop, Faults: faults}).Handler())
	t.Cleanup(hs.Close)
	c, err := welfaregov.NewClient(hs.URL, backend.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, hs.URL
}

// TestReadsTheWholeBackend: paging the real backend simulator reads every prestazione once, each
// translating into the model; a wrong key and an outage give typed errors.
func TestReadsTheWholeBackend(t *testing.T) {
	pop, faults := population.Build(population.DefaultSeed), fault.New(fault.Options{})
	c, url := startBackend(t, pop, faults)
	seen, cursor := map[string]bool{}, "0"
	for {
		p, err := c.Prestazioni(t.Context(), cursor, 13)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Prestazioni {
			if seen[it.ID] {
				t.Fatalf("%s read twice", it.ID)
			}
			seen[it.ID] = true
			if _, err := welfaregov.Prestazione(it).ToModel(); err != nil {
				t.Fatalf("%s: %v", it.ID, err)
			}
		}
		cursor = p.Cursore
		if !p.AltriDisponibili {
			break
		}
	}
	if len(seen) != len(pop.Prestazioni) {
		t.Fatalf("read %d prestazioni, want %d", len(seen), len(pop.Prestazioni))
	}
	bad, _ := welfaregov.NewClient(url, "wrong", nil)
	var we *welfaregov.Error
	if _, err := bad.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.Unauthorized {
		t.Fatalf("wrong key: %v, want Unauthorized", err)
	}
	_ = faults.Set("backend.prestazioni.elenco", fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	if _, err := c.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.Unavailable {
		t.Fatalf("outage: %v, want Unavailable", err)
	}
	_ = faults.Set("backend.prestazioni.elenco", fault.Spec{TruncateRate: 1, TruncateAt: 40, TruncateHonest: true})
	if _, err := c.Prestazioni(t.Context(), "0", 5); !errors.As(err, &we) || we.Kind != welfaregov.InvalidResponse {
		t.Fatalf("truncated answer: %v, want InvalidResponse", err)
	}
}

func TestParsePage(t *testing.T) {
	for name, body := range map[string]string{
		"fail/not-json":        `x`,
		"fail/no-cursor":       `{"prestazioni":[]}`,
		"fail/item-no-id":      `{"prestazioni":[{"cursore":"1"}],"cursore":"1"}`,
		"fail/cursor-backward": `{"prestazioni":[{"id":"a","cursore":"2"},{"id":"b","cursore":"1"}],"cursore":"1"}`,
		"fail/page-cursor":     `{"prestazioni":[{"id":"a","cursore":"2"}],"cursore":"7"}`,
		"fail/trailing":        `{"prestazioni":[],"cursore":"0"} {}`,
	} {
		if _, err := welfaregov.ParsePage([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if p, err := welfaregov.ParsePage([]byte(`{"prestazioni":[{"id":"a","cursore":"3","nuovo":1}],"cursore":"3","altriDisponibili":true}`)); err != nil || len(p.Prestazioni) != 1 {
		t.Fatalf("ok/unknown-field: %v", err)
	}
}

func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"prestazioni":[{"id":"a","cursore":"3","importoMensile":"1.5"}],"cursore":"3"}`))
	f.Add([]byte(`{"prestazioni":[{"id":"a","cursore":"3","beneficiario":{"annoNascita":2015,"codiceNazione":"380","codiceComune":"022205"},` +
		`"sinba":{"idBeneficiario":"L378-MIN-000001","fasciaEtaBeneficiario":"4","dataPrimaSegnalazione":"2025-03","composizioneFamiglia":["1","3"]}}],"cursore":"3"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := welfaregov.ParsePage(body); err == nil {
			for _, it := range p.Prestazioni {
				_, _ = welfaregov.Prestazione(it).ToModel()
				_, _ = welfaregov.Prestazione(it).ToSINBA()
			}
		}
	})
}

// TestRicerca: the search returns exactly the simulator's prestazioni of one person (codice fiscale
// in the body), an unknown person gets an empty list, and failures are typed.
func TestRicerca(t *testing.T) {
	pop, faults := population.Build(population.DefaultSeed), fault.New(fault.Options{})
	c, _ := startBackend(t, pop, faults)
	want := map[string]int{}
	for _, p := range pop.Prestazioni {
		want[p.Beneficiario.CodiceFiscale]++
	}
	checked := 0
	for cf, n := range want {
		got, err := c.Ricerca(t.Context(), cf)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d prestazioni for one person, want %d", len(got), n)
		}
		for _, p := range got {
			if p.Beneficiario.CodiceFiscale != cf {
				t.Fatal("a prestazione of another person")
			}
		}
		if checked++; checked == 20 {
			break
		}
	}
	if got, err := c.Ricerca(t.Context(), "RSSMRA80A01H501U"); err != nil || len(got) != 0 {
		t.Fatalf("unknown person: %v, %v; want an empty list", got, err)
	}
	var we *welfaregov.Error
	if _, err := c.Ricerca(t.Context(), "not-a-cf"); !errors.As(err, &we) || we.Kind != welfaregov.Rejected {
		t.Fatalf("malformed codice fiscale: %v, want Rejected", err)
	}
	_ = faults.Set("backend.prestazioni.ricerca", fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	if _, err := c.Ricerca(t.Context(), "RSSMRA80A01H501U"); !errors.As(err, &we) || we.Kind != welfaregov.Unavailable {
		t.Fatalf("outage: %v, want Unavailable", err)
	}
}

func TestParseRicerca(t *testing.T) {
	for name, body := range map[string]string{
		"fail/not-json":   `x`,
		"fail/no-list":    `{}`,
		"fail/null-list":  `{"prestazioni":null}`,
		"fail/item-no-id": `{"prestazioni":[{"cursore":"1"}]}`,
		"fail/trailing":   `{"prestazioni":[]} {}`,
	} {
		if _, err := welfaregov.ParseRicerca([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if l, err := welfaregov.ParseRicerca([]byte(`{"prestazioni":[{"id":"a","nuovo":1}]}`)); err != nil || len(l) != 1 {
		t.Fatalf("ok/unknown-field: %v", err)
	}
}

func FuzzParseRicerca(f *testing.F) {
	f.Add([]byte(`{"prestazioni":[{"id":"a","cursore":"3","importoMensile":"1.5","beneficiario":{"codiceFiscale":"X"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if l, err := welfaregov.ParseRicerca(body); err == nil {
			for _, it := range l {
				_, _ = it.ToModel()
			}
		}
	})
}

func TestConfig(t *testing.T) {
	t.Setenv("WGW_TEST_BACKEND_KEY", "k")
	for name, c := range map[string]struct {
		cfg    welfaregov.Config
		fields []string
	}{
		"ok/minimal":        {welfaregov.Config{URL: "http://127.0.0.1:7005", APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}}, nil},
		"fail/no-url":       {welfaregov.Config{APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}}, []string{"url"}},
		"fail/relative-url": {welfaregov.Config{URL: "backend:7005", APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}}, []string{"url"}},
		"fail/credentials":  {welfaregov.Config{URL: "https://u:p@backend", APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}}, []string{"url"}},
		"fail/no-key":       {welfaregov.Config{URL: "https://backend"}, []string{"api_key"}},
		"fail/unset-env":    {welfaregov.Config{URL: "https://backend", APIKey: config.Secret{Env: "WGW_TEST_NO_SUCH_VAR"}}, []string{"api_key.env"}},
		"fail/timeout":      {welfaregov.Config{URL: "https://backend", APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}, Timeout: config.Duration(-1)}, []string{"timeout"}},
		"fail/connections":  {welfaregov.Config{URL: "https://backend", APIKey: config.Secret{Env: "WGW_TEST_BACKEND_KEY"}, MaxConnections: 5000}, []string{"max_connections"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			c.cfg.Check(ck.At("backend"))
			var got []string
			for _, p := range ck.Problems() {
				got = append(got, strings.TrimPrefix(p.Field, "backend."))
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want fields %v", ck.Problems(), c.fields)
			}
			if len(got) == 0 {
				if _, err := c.cfg.NewClient(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestMalformedDateSpoilsOnlyItsRecord: the backend's wire format carries dates as strings, so a
// record with a malformed date (stored through the simulator's lenient admin call; refused by name
// without it) travels in its page, and only that record fails translation, naming the field.
func TestMalformedDateSpoilsOnlyItsRecord(t *testing.T) {
	pop := population.Build(population.DefaultSeed)
	c, url := startBackend(t, pop, nil)
	var periodic *population.Prestazione
	for _, p := range pop.Prestazioni {
		if p.CaratterePrestazione == "1" {
			periodic = p.Clone()
			break
		}
	}
	periodic.ID, periodic.DataInizioPrestazione = "PRS-BAD-DATE", "2025-02-30"
	body, _ := json.Marshal(periodic)
	put := func(query string) *http.Response {
		req, _ := http.NewRequest("PUT", url+"/admin/prestazioni/PRS-BAD-DATE"+query, bytes.NewReader(body))
		req.Header.Set(backend.APIKeyHeader, backend.DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 422 && !strings.Contains(string(b), "dataInizioPrestazione") {
			t.Fatalf("422 without the field named: %s", b)
		}
		return resp
	}
	if r := put(""); r.StatusCode != 422 {
		t.Fatalf("a malformed date: %d, want 422", r.StatusCode)
	}
	if r := put("?lenient=1"); r.StatusCode != 200 {
		t.Fatalf("lenient: %d, want 200", r.StatusCode)
	}
	page, err := c.Prestazioni(t.Context(), strconv.Itoa(len(pop.Prestazioni)-1), 10)
	if err != nil || len(page.Prestazioni) != 2 {
		t.Fatalf("the last population record and the bad one: %d records, %v", len(page.Prestazioni), err)
	}
	if _, err := welfaregov.Prestazione(page.Prestazioni[0]).ToModel(); err != nil {
		t.Fatalf("the good record of the page: %v", err)
	}
	var te *welfaregov.TranslationError
	if _, err := welfaregov.Prestazione(page.Prestazioni[1]).ToModel(); !errors.As(err, &te) || te.Field != "dataInizioPrestazione" || te.ID != "PRS-BAD-DATE" {
		t.Fatalf("the bad record: %v, want a TranslationError on dataInizioPrestazione", err)
	}
}
