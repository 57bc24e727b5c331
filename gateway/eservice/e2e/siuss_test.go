package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

type entries struct {
	ElencoFlussi []siussfeed.Flusso `json:"elenco_flussi"`
}

// page reads GET /flussi?since=&limit= as INPS does.
func page(t testing.TB, g *gateway, inps *consumer, since int64, limit int) ([]siussfeed.Flusso, *answer) {
	t.Helper()
	a := inps.call(t, g, "GET", fmt.Sprintf("/flussi?since=%d&limit=%d", since, limit), nil)
	if a.status != 200 {
		t.Fatalf("GET /flussi: %d %s", a.status, a.body)
	}
	return decode[entries](t, a.body).ElencoFlussi, a
}

func tsOf(t testing.TB, f siussfeed.Flusso) int64 {
	t.Helper()
	ts, err := time.Parse("2006-01-02T15:04:05.000Z", f.TsFlusso)
	if err != nil {
		t.Fatalf("ts_flusso %q: %v", f.TsFlusso, err)
	}
	return ts.UnixMilli()
}

// waitFlows polls until the ente's log holds at least n flows (the publisher runs in the gateway).
func waitFlows(t testing.TB, g *gateway, inps *consumer, n int) []siussfeed.Flusso {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var all []siussfeed.Flusso
		since := int64(0)
		for {
			p, _ := page(t, g, inps, since, 100)
			if len(p) == 0 {
				break
			}
			all = append(all, p...)
			since = tsOf(t, p[len(p)-1])
		}
		if len(all) >= n || time.Now().After(deadline) {
			return all
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// expectedFlows counts the flows of the population's prestazioni per ente.
func expectedFlows(pop *population.Population) map[string]int {
	out := map[string]int{}
	for _, p := range pop.Prestazioni {
		out[p.Ente.Codice] += flowsOf(p)
	}
	return out
}

// flowsOf is the test's own statement of how many flows a backend record makes: a PS_PSA_SINA
// flow, and a SINBA flow for an insertion about a minor in care.
func flowsOf(p *population.Prestazione) int {
	if p.SINBA != nil && p.TipoOperazione == "I" {
		return 2
	}
	return 1
}

// realXSD is INPS's schema file of a flow type: from the shared samples when WGW_SAMPLES_DIR is
// set, else the identical copy embedded in adapters/siuss (INPS's file, MIT).
func realXSD(t testing.TB, tipo siuss.Tipo) string {
	t.Helper()
	name := map[siuss.Tipo]string{siuss.TipoPS: "PS_PSA_SINA201812.xsd", siuss.TipoSINBA: "SINBA.xsd"}[tipo]
	if dir := os.Getenv("WGW_SAMPLES_DIR"); dir != "" {
		p := filepath.Join(dir, "regional", "siuss-waas", name)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("WGW_SAMPLES_DIR is set but %s is missing: %v", p, err)
		}
		return p
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, siuss.XSD(tipo), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSIUSSFeed: INPS, with the PDND voucher alone, pulls each ente's flows through HTTP (the
// publisher in the gateway fills the logs from the backend): routing by the voucher's audience
// gives each ente its own flows; every entry matches INPS's contract and every flow validates with
// xmllint against INPS's real XSD of its type (Trento's minor in care has a SINBA flow); POST /esiti is taken (204) and needs the voucher too; refusals
// are problems without extension members (INPS's Problem forbids them).
func TestSIUSSFeed(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is not on PATH (apt-get install libxml2-utils): the SIUSS flows are validated with it")
	}
	w := newWorld(t)
	g := w.start(t, w.config(memoryStore(), ""))
	want := expectedFlows(w.pop)
	trento := w.newConsumer(inpsClient, purposeTrento, audTrento, mountWaaS, false, false)
	rovereto := w.newConsumer(inpsClient, purposeRovereto, audRovereto, mountWaaS, false, false)

	flows := waitFlows(t, g, trento, want["L378"])
	if len(flows) != want["L378"] {
		t.Fatalf("Trento's feed has %d flows, the backend %d prestazioni of Trento", len(flows), want["L378"])
	}
	dir := t.TempDir()
	files := map[siuss.Tipo][]string{}
	last := int64(0)
	for i, f := range flows {
		code := map[siuss.Tipo]string{siuss.TipoPS: "PS", siuss.TipoSINBA: "SINBA"}[f.Tipo]
		if f.CodiceEnte != "L378" || code == "" || !strings.HasPrefix(f.IDFlusso, "L378."+code+".") {
			t.Fatalf("flow %d of Trento's feed: %+v", i, f)
		}
		if ts := tsOf(t, f); ts <= last {
			t.Fatalf("ts_flusso not strictly increasing at %d", i)
		} else {
			last = ts
		}
		xml, err := base64.StdEncoding.DecodeString(f.Flusso)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, f.IDFlusso+".xml")
		if err := os.WriteFile(file, xml, 0o600); err != nil {
			t.Fatal(err)
		}
		files[f.Tipo] = append(files[f.Tipo], file)
	}
	if len(files[siuss.TipoSINBA]) == 0 {
		t.Fatal("Trento's feed has no SINBA flow for its minor in care")
	}
	for tipo, files := range files {
		out, err := exec.Command("xmllint", append([]string{"--noout", "--schema", realXSD(t, tipo)}, files...)...).CombinedOutput()
		if err != nil || strings.Count(string(out), " validates") != len(files) {
			t.Fatalf("xmllint on %d %s flows served: %v\n%s", len(files), tipo, err, out)
		}
	}

	first, a := page(t, g, trento, 0, 3)
	a.path = "/flussi"
	checkContract(t, mountWaaS, a)
	if len(first) != 3 || first[0].IDFlusso != flows[0].IDFlusso {
		t.Fatalf("first page %v", first)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatal("GET /flussi without Cache-Control: no-store")
	}
	rflows := waitFlows(t, g, rovereto, want["H612"])
	if len(rflows) != want["H612"] || (len(rflows) > 0 && rflows[0].CodiceEnte != "H612") {
		t.Fatalf("Rovereto's voucher read %d flows (first %+v), want Rovereto's %d", len(rflows), rflows, want["H612"])
	}

	esito := fmt.Sprintf(`{"elenco_esiti":[{"id_flusso":%q,"tipo":"PS_PSA_SINA","ts_flusso":%q,"ts_acquisizione":"2026-03-02T10:00:00.000Z","codice_esito":"OK","id_acquisizione_siuss":"22738"}]}`,
		flows[0].IDFlusso, flows[0].TsFlusso)
	e := trento.call(t, g, "POST", "/esiti", []byte(esito))
	e.path = "/esiti"
	if e.status != 204 || len(e.body) != 0 {
		t.Fatalf("POST /esiti: %d %s", e.status, e.body)
	}
	checkContract(t, mountWaaS, e)

	for name, c := range map[string]struct {
		status int
		req    func() *http.Request
		path   string
	}{
		"esiti-without-voucher": {401, func() *http.Request {
			r := trento.prepare(t, g, "POST", "/esiti", []byte(esito))
			r.Header.Del("Authorization")
			return r
		}, "/esiti"},
		"flussi-voucher-of-no-ente": {401, func() *http.Request {
			return w.newConsumer(clientID, purposeFull, audPrest, mountWaaS, false, false).prepare(t, g, "GET", "/flussi?since=0", nil)
		}, "/flussi"},
		"flussi-bad-since": {400, func() *http.Request { return trento.prepare(t, g, "GET", "/flussi?since=ieri", nil) }, "/flussi"},
	} {
		t.Run(name, func(t *testing.T) {
			a := g.do(t, c.req())
			a.path = c.path
			var p map[string]any
			if err := json.Unmarshal(a.body, &p); err != nil || a.status != c.status {
				t.Fatalf("%d %s, want %d", a.status, a.body, c.status)
			}
			for k := range p {
				if k != "type" && k != "title" && k != "status" && k != "detail" && k != "instance" {
					t.Fatalf("member %q in a SIUSS problem: INPS's Problem has additionalProperties false", k)
				}
			}
			if a.header.Get("X-Correlation-ID") == "" {
				t.Fatal("the request id must still travel in X-Correlation-ID")
			}
			checkContract(t, mountWaaS, a)
		})
	}
}

// TestSIUSSCursorUnderConcurrentInserts: while new prestazioni keep arriving at the backend and the
// gateway's publisher appends them, INPS pages GET /flussi?since= over HTTP; it sees every flow
// exactly once, in strictly increasing ts_flusso, and the final log is exactly what it read.
func TestSIUSSCursorUnderConcurrentInserts(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, w.config(memoryStore(), ""))
	inps := w.newConsumer(inpsClient, purposeTrento, audTrento, mountWaaS, false, false)
	var template *population.Prestazione
	for _, p := range w.pop.Prestazioni {
		if p.Ente.Codice == "L378" && p.TipoOperazione == "I" {
			template = p
			break
		}
	}
	const added = 60
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range added {
			p := template.Clone()
			p.ID = fmt.Sprintf("PRS-E2E-%04d", i)
			p.ProtocolloDomanda = fmt.Sprintf("E2E-%04d", i)
			w.backend.Upsert(p)
			time.Sleep(15 * time.Millisecond)
		}
	})
	seen := map[string]bool{}
	since, total := int64(0), expectedFlows(w.pop)["L378"]+added*flowsOf(template)
	deadline := time.Now().Add(40 * time.Second)
	for len(seen) < total && time.Now().Before(deadline) {
		p, _ := page(t, g, inps, since, 7)
		for _, f := range p {
			ts := tsOf(t, f)
			if ts <= since || seen[f.IDFlusso] {
				t.Fatalf("flow %s (ts %d) after since %d, or seen twice", f.IDFlusso, ts, since)
			}
			seen[f.IDFlusso] = true
			since = ts
		}
		if len(p) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("INPS read %d flows, want %d", len(seen), total)
	}
	if rest, _ := page(t, g, inps, since, 100); len(rest) != 0 {
		t.Fatalf("%d flows after the last one INPS read", len(rest))
	}
}
