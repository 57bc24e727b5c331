package siussfeed_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// backendEsiti lists what the backend simulator stored.
func backendEsiti(t *testing.T, url string) []map[string]any {
	t.Helper()
	a := call(t, "GET", url+"/esiti", nil, map[string]string{"X-Api-Key": "pasim-backend-demo-key"})
	var out struct {
		Esiti []map[string]any `json:"esiti"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil {
		t.Fatalf("backend GET /esiti: %d %s", a.status, a.body)
	}
	return out.Esiti
}

// TestEsiti: INPS's esiti are taken (204) whatever their content, forwarded once to the backend,
// and flagged for operators when they need it; a backend outage answers 503 with Retry-After and
// the same batch later gets 204 with exactly one copy at the backend.
func TestEsiti(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		st, _ := newPair(t)
		feed := newFeed(t, st, nil)
		faults := fault.New(fault.Options{})
		_, client := backendSim(t, faults)
		fl, err := feed.Publish(t.Context(), trento.Codice, siuss.TipoPS, "test", readValidFlow(t))
		if err != nil {
			t.Fatal(err)
		}
		base := serve(t, &siussfeed.Handlers{Feed: feed, Sink: client, Ente: siussfeed.SingleEnte(trento.Codice)})
		backendURL := clientURL(t, client)

		ok := fmt.Sprintf(`{"elenco_esiti":[{"id_flusso":%q,"tipo":"PS_PSA_SINA","ts_flusso":%q,"ts_acquisizione":"2026-01-16T08:00:00.000Z","codice_esito":"OK","codice_siuss":"22738","codice_ente":"L378","denominazione_ente":"x"}]}`, fl.IDFlusso, fl.TsFlusso)
		// The backend is down: 503 with Retry-After, nothing forwarded.
		if err := faults.Set("backend.esiti", fault.Spec{ErrorRate: 1, ErrorStatus: 503}); err != nil {
			t.Fatal(err)
		}
		a := call(t, "POST", base+"/esiti", []byte(ok), nil) // no Content-Type, as in INPS's example
		checkProblem(t, a, 503)
		if a.header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
		_ = faults.Clear("backend.esiti")
		for range 2 { // the same batch, then a duplicate delivery
			if a := call(t, "POST", base+"/esiti", []byte(ok), map[string]string{"Content-Type": "application/json"}); a.status != 204 || len(a.body) != 0 {
				t.Fatalf("POST /esiti = %d %s, want 204 without body", a.status, a.body)
			}
		}
		got := backendEsiti(t, backendURL)
		if len(got) != 1 || got[0]["idAcquisizioneSiuss"] != "22738" || got[0]["idFlusso"] != fl.IDFlusso {
			t.Fatalf("backend esiti = %v, want exactly one copy with codice_siuss as idAcquisizioneSiuss", got)
		}
		if att, _, err := feed.Attenzioni(t.Context(), trento.Codice, 0, 100); err != nil || len(att) != 0 {
			t.Fatalf("an OK esito for a known flow needs no operator: %v, %v", att, err)
		}

		// Content INPS cannot fix is taken (204), stored and flagged.
		bad := fmt.Sprintf(`{"elenco_esiti":[
 {"id_flusso":"L378.PS.20200101.0000009","tipo":"PS_PSA_SINA","ts_flusso":"2026-01-16T08:00:00.000Z","ts_acquisizione":"2026-01-16T08:00:00.000Z","codice_esito":"OK"},
 {"id_flusso":%q,"tipo":"PS_PSA_SINA","ts_flusso":"2020-01-01T00:00:00.000Z","ts_acquisizione":"2026-01-16T08:00:01.000Z","codice_esito":"DATI_NON_TROVATI","descrizione_esito":"x"},
 {"id_flusso":%q,"tipo":"PS_PSA_SINA","ts_flusso":%q,"ts_acquisizione":"2026-01-16T08:00:02.000Z","codice_esito":"FORSE"},
 {"tipo":"SINBA","codice_esito":"ERRORE_GENERICO","extra":{"a":[1,2]}}]}`, fl.IDFlusso, fl.IDFlusso, fl.TsFlusso)
		if a := call(t, "POST", base+"/esiti", []byte(bad), nil); a.status != 204 {
			t.Fatalf("POST /esiti with unfixable content = %d %s, want 204", a.status, a.body)
		}
		att, _, err := feed.Attenzioni(t.Context(), trento.Codice, 0, 100)
		if err != nil || len(att) != 4 {
			t.Fatalf("attention queue: %d items, %v; want 4", len(att), err)
		}
		want := [][]siussfeed.Motivo{
			{siussfeed.MotivoIDSconosciuto},
			{siussfeed.MotivoDatiNonTrovati, siussfeed.MotivoTsDiverso},
			{siussfeed.MotivoCodiceSconosciuto},
			{siussfeed.MotivoDatiIncompleti, siussfeed.MotivoErroreGenerico},
		}
		for i, w := range want {
			if fmt.Sprint(att[i].Motivi) != fmt.Sprint(w) {
				t.Errorf("esito %d: motivi %v, want %v", i, att[i].Motivi, w)
			}
		}
		if got := backendEsiti(t, backendURL); len(got) != 3 {
			t.Fatalf("backend holds %d esiti, want 3 (the unknown code and the incomplete one stay with the operators)", len(got))
		}

		// Bodies that are not an ElencoEsiti at all: 400, a Problem of the SIUSS schema.
		many := `{"elenco_esiti":[` + strings.TrimSuffix(strings.Repeat(`{},`, 101), ",") + `]}`
		for _, body := range []string{"", "[]", "null", `{"elenco_esiti":{}}`, `{"elenco_esiti":[1]}`, many, `{"elenco_esiti":[]} x`} {
			checkProblem(t, call(t, "POST", base+"/esiti", []byte(body), nil), 400)
		}
		if a := call(t, "POST", base+"/esiti", []byte(`{"elenco_esiti":[]}`), nil); a.status != 204 {
			t.Fatalf("an empty list = %d, want 204", a.status)
		}
	})
}

func clientURL(t *testing.T, c any) string {
	t.Helper()
	backendURLsMu.Lock()
	defer backendURLsMu.Unlock()
	return backendURLs[c]
}

var backendURLs = map[any]string{}
var backendURLsMu sync.Mutex

// TestStoreDown: with the store unreachable, /status, GET /flussi and POST /esiti answer 503 with
// Retry-After and a SIUSS Problem; with it up, /status is 200 problem+json.
func TestStoreDown(t *testing.T) {
	up := serve(t, &siussfeed.Handlers{Feed: newFeed(t, redisStore(t), nil), Ente: siussfeed.SingleEnte(trento.Codice)})
	a := call(t, "GET", up+"/status", nil, nil)
	checkProblem(t, a, 200)
	down, err := redisstore.New(redisstore.Options{URL: "redis://127.0.0.1:1/0", DialTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = down.Close() })
	base := serve(t, &siussfeed.Handlers{Feed: newFeed(t, down, nil), Ente: siussfeed.SingleEnte(trento.Codice)})
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/status", ""},
		{"GET", "/flussi?since=0", ""},
		{"POST", "/esiti", `{"elenco_esiti":[{"id_flusso":"L378.PS.20260101.0000001","tipo":"PS_PSA_SINA","ts_flusso":"2026-01-01T00:00:00.000Z","ts_acquisizione":"2026-01-02T00:00:00.000Z","codice_esito":"OK"}]}`},
	} {
		a := call(t, c.method, base+c.path, []byte(c.body), nil)
		checkProblem(t, a, 503)
		if a.header.Get("Retry-After") == "" {
			t.Fatalf("%s %s: 503 without Retry-After", c.method, c.path)
		}
	}
}
