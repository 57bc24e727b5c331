package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
)

// counting adds a huge daily quota to spec, so the simulator counts every request the endpoint
// receives (fault.EndpointState.QuotaUsed) without ever refusing one for it.
func counting(spec fault.Spec) fault.Spec {
	spec.DailyQuota = 1 << 40
	return spec
}

func (w *world) calls(t testing.TB, endpoint string) int64 {
	t.Helper()
	for _, e := range w.sim.Faults.Endpoints() {
		if e.Name == endpoint {
			return e.QuotaUsed
		}
	}
	t.Fatalf("no endpoint %s", endpoint)
	return 0
}

func (w *world) setFault(t testing.TB, endpoint string, spec fault.Spec) {
	t.Helper()
	if err := w.sim.Faults.Set(endpoint, counting(spec)); err != nil {
		t.Fatal(err)
	}
}

// dsuHolders are distinct living declarants (each a cache miss of its own).
func dsuHolders(p *population.Population, n int) []*population.Person {
	var out []*population.Person
	for _, d := range p.DSUs {
		if !d.Dichiarante.Deceduto() && len(out) < n {
			out = append(out, d.Dichiarante)
		}
	}
	return out
}

// The circuit breaker of INPS ConsultazioneAttestazione: it opens after two failures, then refuses
// at once without calling INPS (503 upstream-circuit-open with Retry-After), lets one probe through
// after open_timeout, and closes when it succeeds.
func TestBreakerOpensFailsFastHalfOpensAndCloses(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_UPSTREAMS__INPS__BREAKER__CONSECUTIVE_FAILURES=2", "WGW_UPSTREAMS__INPS__BREAKER__OPEN_TIMEOUT=1s",
		"WGW_UPSTREAMS__INPS__RETRY__MAX_ATTEMPTS=1")
	people := dsuHolders(w.pop, 5)
	isee := func(p *population.Person) answer {
		return g.get("/api/v1/soggetti/" + p.CodiceFiscale + "/isee?dataValidita=" + rif)
	}
	w.setFault(t, inps.EndpointAttestazione, fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	for i := range 2 {
		if a := isee(people[i]); a.status != 503 || a.code(t) != "upstream-unavailable" {
			t.Fatalf("failure %d: %d %s", i, a.status, a.body)
		}
	}
	before := w.calls(t, inps.EndpointAttestazione)
	a := isee(people[2])
	if a.status != 503 || a.code(t) != "upstream-circuit-open" || a.header.Get("Retry-After") == "" {
		t.Fatalf("open breaker: %d %s %v", a.status, a.body, a.header)
	}
	if n := w.calls(t, inps.EndpointAttestazione); n != before {
		t.Fatalf("the open breaker let %d calls reach INPS", n-before)
	}
	br := g.app.Upstreams().Breaker("inps.ConsultazioneAttestazione")
	if st := br.Status(); st.State != "open" {
		t.Fatalf("breaker %+v", st)
	}
	w.setFault(t, inps.EndpointAttestazione, fault.Spec{})
	time.Sleep(1100 * time.Millisecond) // past open_timeout: the next call is the probe
	if a := isee(people[3]); a.status != 200 {
		t.Fatalf("probe: %d %s", a.status, a.body)
	}
	if st := br.Status(); st.State != "closed" {
		t.Fatalf("after a successful probe the breaker is %+v", st)
	}
	if a := isee(people[4]); a.status != 200 {
		t.Fatalf("closed: %d %s", a.status, a.body)
	}
}

// A stale answer is served, and marked STALE with its age, while ANPR fails; the C030 answer that
// is still fresh is a HIT beside it. An upstream's business answer is never served stale.
func TestStaleAnswerServedAndMarked(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_CACHE__KINDS__ANPR_FAMIGLIA__TTL=1s", "WGW_UPSTREAMS__ANPR__RETRY__MAX_ATTEMPTS=1")
	who := withDSUAndICEF(t, w.pop)
	path := "/api/v1/soggetti/" + who.CodiceFiscale + "/famiglia?dataRiferimento=" + rif
	if a := g.get(path); a.status != 200 || provenienze(t, a)[1].Cache != contracts.CacheMiss {
		t.Fatalf("%d %s", a.status, a.body)
	}
	w.setFault(t, "anpr.c021", fault.Spec{ErrorRate: 1, ErrorStatus: 503})
	time.Sleep(2100 * time.Millisecond) // past the 1s freshness, and the age is at least 2s
	a := g.get(path)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	p := provenienze(t, a)
	if p[0].Cache != contracts.CacheHit || p[1].Cache != contracts.CacheStale || p[1].EtaSecondi < 2 || p[1].Operazione != "C021" {
		t.Fatalf("provenienze %+v", p)
	}
	if w.calls(t, "anpr.c021") == 0 {
		t.Fatal("the stale answer was served without trying ANPR first")
	}
	unknown := unknownCF(t, w.pop)
	w.setFault(t, "anpr.c030", fault.Spec{})
	if a := g.get("/api/v1/soggetti/" + unknown + "?dataRiferimento=" + rif); a.status != 404 {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

// The daily quota of an upstream is respected cluster-wide: past it, 429 before anything is sent.
func TestQuotaRespected(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_UPSTREAMS__ICEF__DAILY_QUOTA=1")
	who := withDSUAndICEF(t, w.pop)
	inds := w.pop.HouseholdOf(who).ICEF
	w.setFault(t, "icef.indicatori.ricerca", fault.Spec{})
	path := func(i int) string {
		return "/api/v1/soggetti/" + who.CodiceFiscale + "/icef?politica=" + inds[i].Politica + "&anno=" + strconv.Itoa(inds[i].Anno)
	}
	if a := g.get(path(0)); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	a := g.get(path(1))
	if a.status != 429 || a.code(t) != "upstream-quota-exhausted" || a.header.Get("Retry-After") == "" {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if n := w.calls(t, "icef.indicatori.ricerca"); n != 1 {
		t.Fatalf("ICEF received %d calls, want 1: the one past the quota must not be sent", n)
	}
	if a := g.get(path(0)); a.status != 200 || provenienze(t, a)[0].Cache != contracts.CacheHit {
		t.Fatalf("a cached answer needs no quota: %d %s", a.status, a.body)
	}
}

// A hanging upstream costs at most the configured timeouts: 504 upstream-timeout long before the
// simulator gives up on its hang.
func TestTimeoutsBounded(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_UPSTREAMS__ICEF__TIMEOUT=300ms", "WGW_UPSTREAMS__ICEF__CALL_TIMEOUT=700ms", "WGW_UPSTREAMS__ICEF__RETRY__MAX_ATTEMPTS=2")
	who := withDSUAndICEF(t, w.pop)
	ind := w.pop.HouseholdOf(who).ICEF[0]
	w.setFault(t, "icef.indicatori.ricerca", fault.Spec{HangRate: 1, HangMax: fault.Duration(10 * time.Second)})
	start := time.Now()
	a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/icef?politica=" + ind.Politica + "&anno=" + strconv.Itoa(ind.Anno))
	if a.status != 504 || a.code(t) != "upstream-timeout" {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("the call took %s: it was not bounded by the 700ms call timeout", elapsed)
	}
}

// Malformed payloads are clear problems, never a panic or a half-translated answer; INPS's
// DATABASE_OFFLINE inside an HTTP 200 is retried by the runtime (Retryable), DATI_NON_TROVATI is not.
func TestMalformedPayloadsAndRetriedEsiti(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, "", "WGW_UPSTREAMS__INPS__RETRY__MAX_ATTEMPTS=3", "WGW_UPSTREAMS__INPS__RETRY__BACKOFF_BASE=10ms",
		"WGW_UPSTREAMS__INPS__BREAKER__CONSECUTIVE_FAILURES=50", "WGW_UPSTREAMS__ANPR__RETRY__MAX_ATTEMPTS=1")
	people := dsuHolders(w.pop, 4)
	isee := func(p *population.Person) answer {
		return g.get("/api/v1/soggetti/" + p.CodiceFiscale + "/isee?dataValidita=" + rif)
	}

	w.setFault(t, inps.EndpointAttestazione, fault.Spec{MalformedRate: 1})
	a := isee(people[0])
	if a.status != 502 || a.code(t) != "upstream-invalid-response" {
		t.Fatalf("malformed INPS answer: %d %s", a.status, a.body)
	}

	w.setFault(t, inps.EndpointAttestazione, fault.Spec{Semantic: "database-offline"})
	before := w.calls(t, inps.EndpointAttestazione)
	a = isee(people[1])
	if a.status != 503 || a.code(t) != "upstream-unavailable" {
		t.Fatalf("DATABASE_OFFLINE: %d %s", a.status, a.body)
	}
	if n := w.calls(t, inps.EndpointAttestazione) - before; n != 3 {
		t.Fatalf("DATABASE_OFFLINE in an HTTP 200 was sent %d times, want 3 (retried as Retryable)", n)
	}

	w.setFault(t, inps.EndpointAttestazione, fault.Spec{Semantic: "dati-non-trovati"})
	before = w.calls(t, inps.EndpointAttestazione)
	if a := isee(people[2]); a.status != 404 || a.code(t) != "isee.dati-non-trovati" {
		t.Fatalf("DATI_NON_TROVATI: %d %s", a.status, a.body)
	}
	if n := w.calls(t, inps.EndpointAttestazione) - before; n != 1 {
		t.Fatalf("DATI_NON_TROVATI was sent %d times: a business answer is never retried", n)
	}

	w.setFault(t, "anpr.c030", fault.Spec{MalformedRate: 1})
	a = g.get("/api/v1/soggetti/" + people[3].CodiceFiscale + "/famiglia?dataRiferimento=" + rif)
	if a.status != 502 || a.code(t) != "upstream-invalid-response" {
		t.Fatalf("malformed ANPR answer: %d %s", a.status, a.body)
	}
	w.setFault(t, "anpr.c030", fault.Spec{TruncateRate: 1, TruncateAt: 40})
	a = g.get("/api/v1/soggetti/" + people[3].CodiceFiscale + "/famiglia?dataRiferimento=" + rif)
	if a.status != 503 || a.code(t) != "upstream-unavailable" {
		t.Fatalf("truncated ANPR answer (the connection closed mid-body): %d %s", a.status, a.body)
	}
}
