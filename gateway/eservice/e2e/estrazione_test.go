package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

type stato struct {
	Status string `json:"status"`
	ID     string `json:"id"`
}

type esito struct {
	ID              string `json:"id"`
	DataRiferimento string `json:"dataRiferimento"`
	Risultati       []struct {
		CodiceFiscale string           `json:"codiceFiscale"`
		Esito         string           `json:"esito"`
		Prestazioni   []map[string]any `json:"prestazioni"`
	} `json:"risultati"`
}

// estrazioneBody asks for cfs on date on.
func estrazioneBody(cfs []string, on population.Date) []byte {
	b, _ := json.Marshal(map[string]any{"codiciFiscali": cfs, "dataRiferimento": on.String()})
	return b
}

// relative turns an absolute Location (on the public URL) into a path below the mount path.
func relative(t testing.TB, location, mount string) string {
	t.Helper()
	prefix := publicBase + mount
	if !strings.HasPrefix(location, prefix) {
		t.Fatalf("Location %q is not under the e-service's public URL %s", location, prefix)
	}
	return strings.TrimPrefix(location, prefix)
}

// someCFs returns n codici fiscali: the subject, people with benefits, one without and one unknown.
func someCFs(t testing.TB, pop *population.Population, n int) []string {
	t.Helper()
	cf, _ := subject(t, pop)
	out := []string{cf, personWithout(t, pop), "RSSMRA80A01H501U"}
	for _, p := range pop.Prestazioni {
		if len(out) >= n {
			break
		}
		out = append(out, p.Beneficiario.CodiceFiscale)
	}
	return out[:n]
}

// pollUntilDone polls the status URL until it answers 303, checking each answer.
func pollUntilDone(t testing.TB, g *gateway, c *consumer, statusPath string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		a := c.call(t, g, "GET", statusPath, nil)
		checkContract(t, mountEstr, a)
		switch a.status {
		case 303:
			return relative(t, a.header.Get("Location"), mountEstr)
		case 200:
			if s := decode[stato](t, a.body); s.Status != "processing" {
				t.Fatalf("200 with status %q", s.Status)
			}
		default:
			t.Fatalf("status poll: %d %s", a.status, a.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the extraction did not finish within %s", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkEsito compares a result with the population: one entry per code, in order, OK, with the
// benefits in force and only the fields of the purpose.
func checkEsito(t testing.TB, pop *population.Population, body []byte, cfs []string, on population.Date) {
	t.Helper()
	e := decode[esito](t, body)
	if len(e.Risultati) != len(cfs) || e.DataRiferimento != on.String() {
		t.Fatalf("%d risultati on %s, want %d on %s", len(e.Risultati), e.DataRiferimento, len(cfs), on)
	}
	allowed := map[string]bool{"ente": true, "codicePrestazione": true, "carattere": true, "dataInizio": true, "dataFine": true,
		"importoMensile": true, "dataErogazione": true, "importo": true}
	for i, r := range e.Risultati {
		if r.CodiceFiscale != cfs[i] || r.Esito != "OK" || len(r.Prestazioni) != len(inForce(pop, cfs[i], on)) {
			t.Fatalf("risultato %d: esito %s, %d prestazioni; want OK and %d", i, r.Esito, len(r.Prestazioni), len(inForce(pop, cfs[i], on)))
		}
		for _, p := range r.Prestazioni {
			for k := range p {
				if !allowed[k] {
					t.Fatalf("field %q is not in the purpose's field set", k)
				}
			}
		}
	}
}

// TestEstrazione: NONBLOCK_PULL_REST end to end: 202 with the status Location, 200 processing
// while the job runs (409 for the result meanwhile), 303 to the result, the result; another client
// of the same consumer, an unknown id and a malformed one all get 404; an over-long list 400. Every
// answer matches the contract.
func TestEstrazione(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, w.config(memoryStore(), ""))
	_, on := subject(t, w.pop)
	cfs := someCFs(t, w.pop, 6)
	c := w.newConsumer(clientID, purposeEstr, audEstr, mountEstr, true, true)

	// The backend is slow at first, so the job is seen running.
	if err := w.faults.Set("backend.prestazioni.ricerca", fault.Spec{Latency: fault.Latency{Kind: "fixed", Fixed: fault.Duration(400 * time.Millisecond)}}); err != nil {
		t.Fatal(err)
	}
	a := c.call(t, g, "POST", "/estrazioni", estrazioneBody(cfs, on))
	a.path = "/estrazioni"
	if a.status != 202 {
		t.Fatalf("POST: %d %s", a.status, a.body)
	}
	checkContract(t, mountEstr, a)
	st := decode[stato](t, a.body)
	statusPath := relative(t, a.header.Get("Location"), mountEstr)
	if st.Status != "processing" || statusPath != "/estrazioni/"+st.ID {
		t.Fatalf("202 body %s, Location %s", a.body, a.header.Get("Location"))
	}
	early := c.call(t, g, "GET", statusPath+"/risultato", nil)
	wantProblem(t, early, 409, "estrazione-in-corso")
	checkContract(t, mountEstr, early)

	resultPath := pollUntilDone(t, g, c, statusPath, 30*time.Second)
	if resultPath != statusPath+"/risultato" {
		t.Fatalf("303 to %s", resultPath)
	}
	r := c.call(t, g, "GET", resultPath, nil)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	checkContract(t, mountEstr, r)
	checkEsito(t, w.pop, r.body, cfs, on)

	other := w.newConsumer(otherClient, purposeEstr, audEstr, mountEstr, true, true)
	for name, path := range map[string]string{
		"another client's job": statusPath, "another client's result": resultPath,
		"unknown id": "/estrazioni/7d3a1e52-6b0c-4c8e-9f21-0a4b5c6d7e81", "malformed id": "/estrazioni/..%2f..",
	} {
		a := other.call(t, g, "GET", path, nil)
		wantProblem(t, a, 404, "not-found")
		if name != "malformed id" {
			checkContract(t, mountEstr, a)
		}
	}
	long := make([]string, 21)
	for i := range long {
		long[i] = cfs[0]
	}
	a = c.call(t, g, "POST", "/estrazioni", estrazioneBody(long, on))
	a.path = "/estrazioni"
	p := wantProblem(t, a, 400, "invalid-parameter")
	if len(p.Invalid) != 1 || p.Invalid[0].Name != "codiciFiscali" {
		t.Fatalf("invalidParams %+v", p.Invalid)
	}
	checkContract(t, mountEstr, a)
	bad := c.call(t, g, "POST", "/estrazioni", estrazioneBody([]string{cfs[0], "XXXXXX00X00X000X"}, on))
	if p := wantProblem(t, bad, 400, "invalid-parameter"); p.Invalid[0].Name != "codiciFiscali[1]" {
		t.Fatalf("invalidParams %+v", p.Invalid)
	}
}

// TestEstrazioneSurvivesAKilledReplica: a job started on replica A (a child process, Redis store)
// while the backend is slow; A is killed with SIGKILL mid-job (its lease is never released); replica
// B, polled by the consumer, takes the job over once A's lease expires, finishes it, answers 303
// and serves the result.
func TestEstrazioneSurvivesAKilledReplica(t *testing.T) {
	w := newWorld(t)
	st := redisStore(t)
	proc := w.startProcess(t, w.config(st, ""))
	a := proc.asGateway()
	b := w.start(t, w.config(st, ""))
	_, on := subject(t, w.pop)
	cfs := someCFs(t, w.pop, 8)
	c := w.newConsumer(clientID, purposeEstr, audEstr, mountEstr, true, true)
	if err := w.faults.Set("backend.prestazioni.ricerca", fault.Spec{Latency: fault.Latency{Kind: "fixed", Fixed: fault.Duration(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	started := c.call(t, a, "POST", "/estrazioni", estrazioneBody(cfs, on))
	if started.status != 202 {
		t.Fatalf("POST on A: %d %s", started.status, started.body)
	}
	statusPath := relative(t, started.header.Get("Location"), mountEstr)
	if s := c.call(t, a, "GET", statusPath, nil); s.status != 200 {
		t.Fatalf("A's status: %d %s", s.status, s.body)
	}
	proc.kill(t)
	if s := c.call(t, b, "GET", statusPath, nil); s.status != 200 || decode[stato](t, s.body).Status != "processing" {
		t.Fatalf("B right after A died: %d %s; want processing (A's lease still runs)", s.status, s.body)
	}
	_ = w.faults.Set("backend.prestazioni.ricerca", fault.Spec{})
	resultPath := pollUntilDone(t, b, c, statusPath, 30*time.Second)
	r := c.call(t, b, "GET", resultPath, nil)
	if r.status != 200 {
		t.Fatalf("B's result: %d %s", r.status, r.body)
	}
	checkContract(t, mountEstr, r)
	checkEsito(t, w.pop, r.body, cfs, on)
}

// TestRateLimitAcrossReplicas: two replicas on the real Redis share one consumer's limit: of 15
// calls alternating between them under a limit of 10, exactly 10 pass.
func TestRateLimitAcrossReplicas(t *testing.T) {
	w := newWorld(t)
	st := redisStore(t)
	text := func() string { // each replica its own audit chain
		return strings.Replace(w.config(st, ""), "    rate_limit: {requests: 1000, period: 1m}\n    response_signing", "    rate_limit: {requests: 10, period: 1h}\n    response_signing", 1)
	}
	replicas := []*gateway{w.start(t, text()), w.start(t, text())}
	cf, on := subject(t, w.pop)
	c := w.newConsumer(clientID, purposeMin, audPrest, mountPrest, true, true)
	passed, limited := 0, 0
	for i := range 15 {
		a := c.call(t, replicas[i%2], "POST", "/ricerca", ricerca(cf, on))
		switch a.status {
		case 200:
			passed++
		case 429:
			limited++
			wantProblem(t, a, 429, "rate-limited")
		default:
			t.Fatalf("call %d: %d %s", i, a.status, a.body)
		}
		if got := a.header.Get("X-RateLimit-Remaining"); got != fmt.Sprint(max(0, 10-i-1)) {
			t.Fatalf("call %d on replica %d: X-RateLimit-Remaining %s, want %d", i, i%2, got, max(0, 10-i-1))
		}
	}
	if passed != 10 || limited != 5 {
		t.Fatalf("%d passed, %d limited; want 10 and 5 across the two replicas", passed, limited)
	}
}

// TestReplayAcrossReplicas: a signed request accepted by replica A is refused as a replay by
// replica B (the jti record is in the shared Redis), with 400 integrity.replay.
func TestReplayAcrossReplicas(t *testing.T) {
	w := newWorld(t)
	st := redisStore(t)
	a, b := w.start(t, w.config(st, "")), w.start(t, w.config(st, ""))
	cf, on := subject(t, w.pop)
	c := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
	body := ricerca(cf, on)
	req := c.prepare(t, a, "POST", "/ricerca", body)
	header := req.Header.Clone()
	if got := a.do(t, req); got.status != 200 {
		t.Fatalf("replica A: %d %s", got.status, got.body)
	}
	again, _ := http.NewRequest("POST", b.base+mountPrest+"/ricerca", bytes.NewReader(body))
	again.Header = header
	got := b.do(t, again)
	got.path = "/ricerca"
	wantProblem(t, got, 400, "integrity.replay")
	checkContract(t, mountPrest, got)
}
