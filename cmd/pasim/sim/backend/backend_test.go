package backend

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

var pop = population.Build(population.DefaultSeed)

type client struct {
	t   *testing.T
	url string
	key string
}

func start(t *testing.T, faults *fault.Injector) (*Server, *client) {
	t.Helper()
	s := New(Options{Population: pop, Faults: faults})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, &client{t, srv.URL, DefaultAPIKey}
}

func (c *client) do(method, path, body string, out any) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set(APIKeyHeader, c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp
}

func TestAPIKeyRequired(t *testing.T) {
	_, c := start(t, nil)
	c.key = ""
	if r := c.do("GET", "/prestazioni", "", nil); r.StatusCode != 401 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("no key: %d", r.StatusCode)
	}
	c.key = "wrong"
	if r := c.do("GET", "/prestazioni", "", nil); r.StatusCode != 401 {
		t.Fatalf("wrong key: %d", r.StatusCode)
	}
	if r := c.do("GET", "/status", "", nil); r.StatusCode != 200 {
		t.Fatalf("/status must be open: %d", r.StatusCode)
	}
}

func TestPagingReturnsEveryPrestazioneOnceInOrder(t *testing.T) {
	_, c := start(t, nil)
	seen := map[string]bool{}
	since, last := "0", int64(0)
	for {
		var page wire.Page
		c.do("GET", "/prestazioni?since="+since+"&limit=7", "", &page)
		for _, it := range page.Prestazioni {
			var cur int64
			fmt.Sscan(it.Cursore, &cur)
			if cur <= last || seen[it.ID] {
				t.Fatalf("cursor %d after %d, or %s repeated", cur, last, it.ID)
			}
			last, seen[it.ID] = cur, true
		}
		since = page.Cursore
		if !page.AltriDisponibili {
			break
		}
	}
	if len(seen) != len(pop.Prestazioni) {
		t.Fatalf("paged %d prestazioni, the population has %d", len(seen), len(pop.Prestazioni))
	}
	var empty wire.Page
	c.do("GET", "/prestazioni?since="+since, "", &empty)
	if len(empty.Prestazioni) != 0 || empty.Cursore != since {
		t.Fatalf("past the end: %+v", empty)
	}
}

func TestBadQueryAndCodiceFiscaleInURL(t *testing.T) {
	_, c := start(t, nil)
	for _, q := range []string{"since=-1", "since=abc", "limit=0", "limit=501", "codiceFiscale=" + pop.People[0].CodiceFiscale} {
		if r := c.do("GET", "/prestazioni?"+q, "", nil); r.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", q, r.StatusCode)
		}
	}
}

func TestRicerca(t *testing.T) {
	_, c := start(t, nil)
	cf := pop.Prestazioni[0].Beneficiario.CodiceFiscale
	var out wire.RicercaRisposta
	if r := c.do("POST", "/prestazioni/ricerca", `{"codiceFiscale":"`+strings.ToLower(cf)+`"}`, &out); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	if want := len(pop.PrestazioniOf(cf)); len(out.Prestazioni) != want || want == 0 {
		t.Fatalf("got %d prestazioni, want %d", len(out.Prestazioni), want)
	}
	for _, it := range out.Prestazioni {
		if it.Beneficiario.CodiceFiscale != cf {
			t.Fatalf("foreign prestazione %s", it.ID)
		}
	}
	for body, want := range map[string]int{`{"codiceFiscale":"RSSMRA80A01H501X"}`: 400, `{"cf":"x"}`: 400, `not json`: 400, ``: 400} {
		if r := c.do("POST", "/prestazioni/ricerca", body, nil); r.StatusCode != want {
			t.Errorf("%q: %d, want %d", body, r.StatusCode, want)
		}
	}
	var none wire.RicercaRisposta
	c.do("POST", "/prestazioni/ricerca", `{"codiceFiscale":"RSSMRA80A01H501U"}`, &none)
	if none.Prestazioni == nil || len(none.Prestazioni) != 0 {
		t.Fatalf("unknown person: want an empty list, got %+v", none)
	}
}

func TestEsitiAreIdempotent(t *testing.T) {
	_, c := start(t, nil)
	batch := `{"elencoEsiti":[{"idFlusso":"L378.PS.20250601.0000001","tipo":"PS_PSA_SINA","tsFlusso":"2025-06-01T10:00:00.123Z",
		"tsAcquisizione":"2025-06-01T11:00:00Z","codiceEsito":"OK","idAcquisizioneSiuss":"22738"},
		{"idFlusso":"L378.PS.20250601.0000002","tipo":"PS_PSA_SINA","tsFlusso":"2025-06-01T10:00:00.124Z",
		"tsAcquisizione":"2025-06-01T11:00:00Z","codiceEsito":"RICHIESTA_INVALIDA","descrizioneEsito":"due prestazioni"}]}`
	var first, again json.RawMessage
	if r := c.do("POST", "/esiti", batch, &first); r.StatusCode != 200 {
		t.Fatalf("first: %d %s", r.StatusCode, first)
	}
	if r := c.do("PUT", "/esiti", batch, &again); r.StatusCode != 200 || string(again) != string(first) {
		t.Fatalf("repeat: %d %s, want the same answer %s", r.StatusCode, again, first)
	}
	var stored struct{ Esiti []Esito }
	c.do("GET", "/esiti", "", &stored)
	if len(stored.Esiti) != 2 {
		t.Fatalf("%d esiti stored, want 2", len(stored.Esiti))
	}
	conflict := strings.Replace(batch, `"codiceEsito":"OK"`, `"codiceEsito":"ERRORE_GENERICO"`, 1)
	conflict = strings.Replace(conflict, "0000002", "0000003", 1)
	if r := c.do("POST", "/esiti", conflict, nil); r.StatusCode != 409 {
		t.Fatalf("changed esito under the same key: %d, want 409", r.StatusCode)
	}
	c.do("GET", "/esiti", "", &stored)
	if len(stored.Esiti) != 2 {
		t.Fatalf("a rejected batch stored something: %d esiti", len(stored.Esiti))
	}
	if r := c.do("POST", "/esiti", `{"elencoEsiti":[{"idFlusso":"","tipo":"X","codiceEsito":"BOH"}]}`, nil); r.StatusCode != 400 {
		t.Fatalf("invalid esito: %d", r.StatusCode)
	}
}

func TestAdminUpsertValidatesAndPublishes(t *testing.T) {
	_, c := start(t, nil)
	var tail wire.Page
	c.do("GET", "/prestazioni?since=0&limit=500", "", &tail)
	p := pop.Prestazioni[0].Clone()
	p.ID, p.AggiornatoIl = "PRS-TEST-000001", time.Time{}
	b, _ := json.Marshal(p)
	var created wire.Prestazione
	if r := c.do("POST", "/admin/prestazioni", string(b), &created); r.StatusCode != 200 || created.Cursore == "" {
		t.Fatalf("create: %d", r.StatusCode)
	}
	var page wire.Page
	c.do("GET", "/prestazioni?since="+tail.Cursore, "", &page)
	if len(page.Prestazioni) != 1 || page.Prestazioni[0].ID != "PRS-TEST-000001" {
		t.Fatalf("the new prestazione is not after the old cursor: %+v", page)
	}
	p.ImportoQuotaEnte = contracts.DecimalPtr("0.01") // quotas no longer add up
	b, _ = json.Marshal(p)
	if r := c.do("PUT", "/admin/prestazioni/PRS-TEST-000001", string(b), nil); r.StatusCode != 422 {
		t.Fatalf("invalid prestazione: %d, want 422", r.StatusCode)
	}
	if r := c.do("PUT", "/admin/prestazioni/PRS-TEST-000001?lenient=1", string(b), nil); r.StatusCode != 200 {
		t.Fatalf("lenient: %d", r.StatusCode)
	}
	c.do("GET", "/prestazioni?since="+tail.Cursore, "", &page)
	if len(page.Prestazioni) != 1 || page.Prestazioni[0].ImportoQuotaEnte.StringFixed(2) != "0.01" {
		t.Fatalf("an update must move the prestazione after the cursor once: %+v", page)
	}
}

// TestCursorNeverSkipsUnderConcurrentInserts runs writers and a paging reader at once over HTTP: the
// reader must see every prestazione exactly once.
func TestCursorNeverSkipsUnderConcurrentInserts(t *testing.T) {
	_, c := start(t, nil)
	const writers, each = 4, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := pop.Prestazioni[i%len(pop.Prestazioni)].Clone()
				p.ID = fmt.Sprintf("PRS-CONC-%d-%03d", w, i)
				b, _ := json.Marshal(p)
				req, _ := http.NewRequest("POST", c.url+"/admin/prestazioni", strings.NewReader(string(b)))
				req.Header.Set(APIKeyHeader, c.key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("insert: %v %v", err, resp)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	since := "0"
	read := func() {
		var page wire.Page
		c.do("GET", "/prestazioni?since="+since+"&limit=13", "", &page)
		for _, it := range page.Prestazioni {
			seen[it.ID]++
		}
		since = page.Cursore
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			read()
		}
	}
	for i := 0; i < 100; i++ { // drain what was written after the last read
		read()
	}
	if want := len(pop.Prestazioni) + writers*each; len(seen) != want {
		t.Fatalf("reader saw %d distinct prestazioni, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
	}
}

func TestFaultsApplyToEveryEndpoint(t *testing.T) {
	in := fault.New(fault.Options{})
	_, c := start(t, in)
	names := map[string]bool{}
	for _, e := range in.Endpoints() {
		names[e.Name] = true
		if err := in.Set(e.Name, fault.Spec{ErrorRate: 1, ErrorStatus: 503}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"backend.prestazioni.elenco", "backend.prestazioni.ricerca", "backend.esiti", "backend.status"} {
		if !names[n] {
			t.Errorf("endpoint %s not registered for faults", n)
		}
	}
	if r := c.do("GET", "/prestazioni", "", nil); r.StatusCode != 503 {
		t.Fatalf("fault not applied: %d", r.StatusCode)
	}
	if r := c.do("POST", "/esiti", `{"elencoEsiti":[]}`, nil); r.StatusCode != 503 {
		t.Fatalf("fault not applied to esiti: %d", r.StatusCode)
	}
}
