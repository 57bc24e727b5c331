package siussfeed_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// redisDB is this package's database on the shared test Redis.
const redisDB = 8

// The two configured enti; the population's prestazioni of other comuni are skipped.
var (
	trento   = siuss.Ente{Codice: "L378", Denominazione: "COMUNE DI TRENTO", Indirizzo: "L378", CFOperatore: numericCF("0035587022")}
	rovereto = siuss.Ente{Codice: "H612", Denominazione: "COMUNE DI ROVERETO", Indirizzo: "H612", CFOperatore: numericCF("0012539022")}
)

func numericCF(first10 string) string {
	return first10 + string(contracts.NumericCFCheckDigit(first10))
}

// redisStore returns a store on the real Redis (REDIS_URL, database 8) with a random key prefix,
// deleting its keys at the end. It fails, never skips, without Redis.
func redisStore(t testing.TB) store.Store {
	a, _ := redisPair(t)
	return a
}

// redisPair returns two stores with separate clients over the same keys: two replicas.
func redisPair(t testing.TB) (store.Store, store.Store) {
	t.Helper()
	url, prefix := redistest.Shared(t, redisDB)
	return redistest.Store(t, url, prefix), redistest.Store(t, url, prefix)
}

func memStore(t testing.TB) store.Store {
	s, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// stores runs f against the memory store and the real Redis; newPair gives two replicas' views
// of one state (the same memory store twice, or two Redis clients).
func stores(t *testing.T, f func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store))) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(t testing.TB) (store.Store, store.Store) { s := memStore(t); return s, s })
	})
	t.Run("redis", func(t *testing.T) { f(t, redisPair) })
}

func newFeed(t testing.TB, st store.Store, now func() time.Time) *siussfeed.Feed {
	t.Helper()
	f, err := siussfeed.NewFeed(st, []siuss.Ente{trento, rovereto}, siussfeed.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// backendSim starts the pasim backend on loopback with the default population.
func backendSim(t testing.TB, faults *fault.Injector) (*backend.Server, *welfaregov.Client) {
	t.Helper()
	srv := backend.New(backend.Options{Population: population.Build(population.DefaultSeed), Faults: faults})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c, err := welfaregov.NewClient(hs.URL, backend.DefaultAPIKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	backendURLsMu.Lock()
	backendURLs[c] = hs.URL
	backendURLsMu.Unlock()
	return srv, c
}

// serve mounts the handlers on a real Fiber listener on loopback and returns its base URL.
func serve(t testing.TB, h *siussfeed.Handlers) string {
	t.Helper()
	app := fiber.New(fiber.Config{ErrorHandler: siussfeed.MinimalErrorHandler, DisableStartupMessage: true})
	h.Mount(app.Group("/waas/v1"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/waas/v1"
}

// oas validates answers against the real WaaS OpenAPI schemas.
var oas = func() *openapi.Validator {
	v, err := openapi.NewValidatorFor(siuss.OpenAPI())
	if err != nil {
		panic(err)
	}
	return v
}()

var tsPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t testing.TB, method, url string, body []byte, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// checkProblem asserts a problem+json answer matching the SIUSS Problem schema.
func checkProblem(t testing.TB, a answer, status int) {
	t.Helper()
	if a.status != status || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("answer %d %s %s, want %d application/problem+json", a.status, a.header.Get("Content-Type"), a.body, status)
	}
	if err := oas.Validate("Problem", a.body); err != nil {
		t.Fatalf("problem body %s: %v", a.body, err)
	}
}

// checkEntries asserts a 200 Entries answer valid against the OAS, and returns its flows.
func checkEntries(t testing.TB, a answer) []siussfeed.Flusso {
	t.Helper()
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /flussi: %d %s %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	if err := oas.Validate("Entries", a.body); err != nil {
		t.Fatalf("GET /flussi body does not match Entries: %v", err)
	}
	var e struct {
		ElencoFlussi []siussfeed.Flusso `json:"elenco_flussi"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil || e.ElencoFlussi == nil {
		t.Fatalf("GET /flussi body %s: %v (elenco_flussi must be an array, never null)", a.body, err)
	}
	for _, f := range e.ElencoFlussi {
		if !tsPattern.MatchString(f.TsFlusso) {
			t.Fatalf("ts_flusso %q is not RFC 3339 UTC with milliseconds", f.TsFlusso)
		}
		x, err := base64.StdEncoding.Strict().DecodeString(f.Flusso)
		if err != nil || strings.ContainsAny(f.Flusso, "\r\n") {
			t.Fatalf("flusso of %s is not single-line standard base64: %v", f.IDFlusso, err)
		}
		if err := siuss.Validate(f.Tipo, f.IDFlusso, f.CodiceEnte, x); err != nil {
			t.Fatalf("served flow %s is invalid: %v", f.IDFlusso, err)
		}
	}
	return e.ElencoFlussi
}

func tsMillis(t testing.TB, ts string) int64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatal(err)
	}
	return v.UnixMilli()
}

// publishAll runs the publisher until the backend has nothing more.
func publishAll(t testing.TB, p *siussfeed.Publisher) (published, rejected int) {
	t.Helper()
	for {
		r, err := p.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		published += r.Published
		rejected += r.Rejected
		if !r.More {
			return
		}
	}
}

// expected counts the flows the population's prestazioni of the configured enti make: one
// PS_PSA_SINA flow each, and a SINBA flow for each insertion about a minor in care.
func expected() map[string]int {
	m := map[string]int{}
	for _, p := range population.Build(population.DefaultSeed).Prestazioni {
		if p.Ente.Codice == trento.Codice || p.Ente.Codice == rovereto.Codice {
			m[p.Ente.Codice] += flowsOf(p)
		}
	}
	return m
}

// flowsOf is the test's own statement of how many flows a backend record makes.
func flowsOf(p *population.Prestazione) int {
	if p.SINBA != nil && p.TipoOperazione == "I" {
		return 2
	}
	return 1
}

// TestPublishThenPage: the publisher moves every prestazione of the configured enti from the real
// backend simulator into their logs (other comuni skipped, nothing refused), and INPS paging GET
// /flussi over loopback gets each flow exactly once, ascending, every answer valid against the
// real OpenAPI, every flow valid against the real XSD and the rules.
func TestPublishThenPage(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		st, _ := newPair(t)
		feed := newFeed(t, st, nil)
		_, client := backendSim(t, nil)
		published, rejected := publishAll(t, siussfeed.NewPublisher(feed, client, siussfeed.PublisherOptions{PageSize: 17}))
		want := expected()
		if rejected != 0 || published != want[trento.Codice]+want[rovereto.Codice] {
			t.Fatalf("published %d, refused %d; want %d and 0", published, rejected, want[trento.Codice]+want[rovereto.Codice])
		}
		if again, _ := publishAll(t, siussfeed.NewPublisher(feed, client, siussfeed.PublisherOptions{})); again != 0 {
			t.Fatalf("a second publisher republished %d records: the backend cursor was not kept", again)
		}
		for _, ente := range []siuss.Ente{trento, rovereto} {
			base := serve(t, &siussfeed.Handlers{Feed: feed, Ente: siussfeed.SingleEnte(ente.Codice)})
			var since int64
			seen, tipi := map[string]bool{}, map[siuss.Tipo]int{}
			for {
				a := call(t, "GET", fmt.Sprintf("%s/flussi?since=%d&limit=4", base, since), nil, nil)
				if a.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("GET /flussi without Cache-Control: no-store")
				}
				page := checkEntries(t, a)
				if len(page) == 0 {
					if string(a.body) != `{"elenco_flussi":[]}` {
						t.Fatalf("empty page = %s", a.body)
					}
					break
				}
				for _, f := range page {
					ts := tsMillis(t, f.TsFlusso)
					if ts <= since || seen[f.IDFlusso] || f.CodiceEnte != ente.Codice || f.DenominazioneEnte != ente.Denominazione {
						t.Fatalf("flow %+v after since %d: out of order, repeated or of another ente", f, since)
					}
					seen[f.IDFlusso], since = true, ts
					tipi[f.Tipo]++
				}
			}
			if len(seen) != want[ente.Codice] {
				t.Fatalf("ente %s: INPS acquired %d flows, want %d", ente.Codice, len(seen), want[ente.Codice])
			}
			if ente == trento && tipi[siuss.TipoSINBA] == 0 {
				t.Fatalf("Trento's feed has no SINBA flow: %v", tipi)
			}
			// GET is a pure read: the same since gives the same page; a since in the future is empty.
			a1 := call(t, "GET", base+"/flussi?since=0&max_entries=3", nil, nil)
			a2 := call(t, "GET", base+"/flussi?since=0&max_entries=3", nil, nil)
			if len(checkEntries(t, a1)) != 3 || !bytes.Equal(a1.body, a2.body) {
				t.Fatalf("max_entries=3 twice: %d flows, same bytes %v", len(checkEntries(t, a1)), bytes.Equal(a1.body, a2.body))
			}
			if len(checkEntries(t, call(t, "GET", base+"/flussi?since=0", nil, nil))) != min(10, want[ente.Codice]) {
				t.Fatalf("no limit: want the default of 10")
			}
			if n := len(checkEntries(t, call(t, "GET", base+"/flussi?since=99999999999999999999", nil, nil))); n != 0 {
				t.Fatalf("since past int64 but within the OAS maximum: %d flows, want none", n)
			}
		}
	})
}

// TestQueryErrors: bad since/limit get 400 with a Problem the SIUSS schema accepts.
func TestQueryErrors(t *testing.T) {
	base := serve(t, &siussfeed.Handlers{Feed: newFeed(t, memStore(t), nil), Ente: siussfeed.SingleEnte(trento.Codice)})
	for _, q := range []string{"", "?limit=5", "?since=", "?since=abc", "?since=-1", "?since=1.5", "?since=1e3", "?since=100000000000000000001",
		"?since=0&limit=101", "?since=0&limit=-1", "?since=0&limit=x", "?since=0&max_entries=1000", "?since=1490000000&limit=1.0"} {
		a := call(t, "GET", base+"/flussi"+q, nil, nil)
		checkProblem(t, a, 400)
		if !strings.Contains(string(a.body), "since") && !strings.Contains(string(a.body), "limit") && !strings.Contains(string(a.body), "max_entries") {
			t.Fatalf("%s: the problem does not name the parameter: %s", q, a.body)
		}
	}
	for _, q := range []string{"?since=0", "?since=0&limit=0", "?since=0&limit=100", "?since=1490000000000", "?since=0&max_entries=5"} {
		checkEntries(t, call(t, "GET", base+"/flussi"+q, nil, nil))
	}
}

// TestReaderSeesEveryFlowOnceWhileReplicasPublish: two replicas (separate Redis clients) publish
// concurrently while INPS pages over HTTP through a third: every flow is seen exactly once, in
// order, and ts_flusso values are unique even when published in the same millisecond.
func TestReaderSeesEveryFlowOnceWhileReplicasPublish(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		a, b := newPair(t)
		feeds := []*siussfeed.Feed{newFeed(t, a, nil), newFeed(t, b, nil)}
		flow := readValidFlow(t)
		const writers, each = 4, 15
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if _, err := feeds[w%2].Publish(t.Context(), trento.Codice, siuss.TipoPS, "test", flow); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		base := serve(t, &siussfeed.Handlers{Feed: feeds[0], Ente: siussfeed.SingleEnte(trento.Codice)})
		seen := map[string]bool{}
		var since int64
		read := func() int {
			page := checkEntries(t, call(t, "GET", fmt.Sprintf("%s/flussi?since=%d&limit=3", base, since), nil, nil))
			for _, f := range page {
				ts := tsMillis(t, f.TsFlusso)
				if ts <= since || seen[f.IDFlusso] {
					t.Fatalf("flow %s at %d after %d: repeated or out of order", f.IDFlusso, ts, since)
				}
				seen[f.IDFlusso], since = true, ts
			}
			return len(page)
		}
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
				read()
			}
		}
		for read() > 0 {
		}
		if len(seen) != writers*each {
			t.Fatalf("INPS saw %d flows, want %d", len(seen), writers*each)
		}
	})
}

// readValidFlow returns a build function producing a valid flow for any id (a population record).
func readValidFlow(t testing.TB) func(id string) ([]byte, error) {
	t.Helper()
	for _, p := range population.Build(population.DefaultSeed).Prestazioni {
		m, err := welfaregov.Prestazione(*p).ToModel()
		if err != nil {
			continue
		}
		return func(id string) ([]byte, error) { return siuss.BuildPS(id, trento, m) }
	}
	t.Fatal("no prestazione in the population")
	return nil
}
