package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

// traffic is the demo's background load on both sides of the gateway, standing in for the parties
// a deployment has, so that every panel of the dashboard moves:
//
//   - WelfareGOV calls the internal API (ISEE, registry, ICEF, self-declaration checks) about one
//     person after another, now and then with a malformed codice fiscale (a 400);
//   - the Comune di Trento calls the prestazioni e-service through the security core (voucher,
//     INTEGRITY_REST_02, AUDIT_REST_02), now and then with a body changed after it was signed, which
//     the gateway refuses (integrity.digest_mismatch), and extracts its beneficiaries' benefits with
//     the estrazione e-service (a job, polled until done, then its result);
//   - INPS reads the Comune's SIUSS feed (GET /flussi?since=, its own cursor) with its voucher and
//     posts its esiti, now and then DATI_NON_TROVATI (the attenzione queue);
//   - WelfareGOV grants new benefits in the backend, now and then an invalid one that the publisher
//     refuses into the scarti queue, so the feed keeps growing.
//
// Answers are read and dropped: the dashboard, the metrics and the audit trail show them.
type traffic struct {
	actors []actor
}

// actor is one party of the traffic, acting every `every` rounds (first in round `every`-1).
type actor struct {
	every int
	act   func(ctx context.Context)
}

// newTraffic builds the parties for what the banner lists; backendKey is the key of pasim's
// backend (the demo's generated one).
func newTraffic(a *app.App, r *sim.Running, b Banner, backendKey string) (*traffic, error) {
	plain := &http.Client{Timeout: 30 * time.Second}
	secure, err := trusting(a.DevRootFile())
	if err != nil {
		return nil, err
	}
	t := &traffic{}
	if w := newInternalCaller(b, r, plain); w != nil {
		t.actors = append(t.actors, actor{1, w.act})
	}
	for _, e := range b.EServiceURLs {
		switch e.Name {
		case "prestazioni":
			c, err := newComune(r, e.URL, secure)
			if err != nil {
				return nil, err
			}
			t.actors = append(t.actors, actor{2, c.act})
		case "estrazione":
			x, err := newExtraction(r, e.URL, secure)
			if err != nil {
				return nil, err
			}
			t.actors = append(t.actors, actor{5, x.act})
		case "siuss":
			in, err := newINPS(r, e.URL, secure)
			if err != nil {
				return nil, err
			}
			t.actors = append(t.actors, actor{3, in.act})
			t.actors = append(t.actors, actor{10, newBenefitWriter(r, backendKey, plain).act})
		}
	}
	return t, nil
}

// run makes one round every interval until ctx ends.
func (t *traffic) run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for round := 0; ; round++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, a := range t.actors {
			if round%a.every == a.every-1 {
				a.act(ctx)
			}
		}
	}
}

// trusting is an HTTP client that trusts the development root (the e-service listener's
// certificate), or the system's roots when the demo runs without TLS mode dev.
func trusting(rootFile string) (*http.Client, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	if rootFile == "" {
		return c, nil
	}
	pemData, err := os.ReadFile(rootFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("%s holds no certificate", rootFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = tr
	return c, nil
}

// send makes the request and drops the answer; it returns the status and body (nil on failure).
func send(ctx context.Context, c *http.Client, method, target string, h http.Header, body []byte) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, b
}

// internalCaller is WelfareGOV: the banner's internal API calls in turn, most of the GETs about
// another person of the population each time (so the cache misses as well as hits, and the
// upstreams keep being called), and every fifth call one with a malformed codice fiscale.
type internalCaller struct {
	calls    []Call
	bad      Call
	subject  string   // the banner's subject, in the GETs' paths
	subjects []string // the living people of the population, in turn
	client   *http.Client
	n        int
}

func newInternalCaller(b Banner, r *sim.Running, c *http.Client) *internalCaller {
	if len(b.Calls) == 0 {
		return nil
	}
	w := &internalCaller{calls: b.Calls, bad: b.Calls[0], client: c}
	if i := strings.Index(w.bad.URL, "/soggetti/"); i >= 0 {
		rest := w.bad.URL[i+len("/soggetti/"):]
		w.subject, _, _ = strings.Cut(rest, "?")
		w.subject, _, _ = strings.Cut(w.subject, "/")
		w.bad.URL = w.bad.URL[:i] + "/soggetti/NONVALIDO0000000/isee"
	}
	for _, p := range r.Population.People {
		if !p.Deceduto() {
			w.subjects = append(w.subjects, p.CodiceFiscale)
		}
	}
	return w
}

func (w *internalCaller) act(ctx context.Context) {
	c := w.calls[w.n%len(w.calls)]
	switch {
	case w.n%5 == 4:
		c = w.bad
	case w.n%3 != 0 && c.Method == http.MethodGet && w.subject != "" && len(w.subjects) > 0:
		c.URL = strings.Replace(c.URL, "/soggetti/"+w.subject, "/soggetti/"+w.subjects[(w.n/3)%len(w.subjects)], 1)
	}
	w.n++
	h := http.Header{}
	for _, kv := range c.Header {
		h.Set(kv[0], kv[1])
	}
	send(ctx, w.client, c.Method, c.URL, h, []byte(c.Body))
}

// consumer is another administration calling an e-service as the modi CLI does: a client of
// pasim's PDND seed and one of its purposes, and, when the e-service wants AUDIT_REST_02, the
// operator in a tracking evidence bound to the voucher.
type consumer struct {
	out     *modi.Outbound
	purpose pdndPurpose
	base    string // the e-service on the e-service listener
	client  *http.Client
	audit   map[string]any // nil: no tracking evidence
}

// pdndPurpose is a purpose id with the audience of its e-service.
type pdndPurpose struct{ id, audience string }

func newConsumer(r *sim.Running, client, purpose, base string, c *http.Client, audit map[string]any) (*consumer, error) {
	out, err := r.PDND.Consumer(client)
	if err != nil {
		return nil, err
	}
	p, ok := r.PDND.Purpose(purpose)
	if !ok || len(p.Audience) == 0 {
		return nil, fmt.Errorf("pasim's PDND seed has no purpose %s with an audience", purpose)
	}
	return &consumer{out: out, purpose: pdndPurpose{p.ID, p.Audience[0]}, base: base, client: c, audit: audit}, nil
}

// prepare returns the headers of a call of path below the e-service: the voucher, the tracking
// evidence, and with integrity the Digest and Agid-JWT-Signature of body (false: PDND refused).
func (k *consumer) prepare(ctx context.Context, method, path string, body []byte, integrity bool) (http.Header, bool) {
	h := http.Header{}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	call := &modi.Call{Method: method, URL: k.base + path, Header: h, Body: body, PurposeID: k.purpose.id, Audience: k.purpose.audience, Integrity: integrity}
	if k.audit != nil {
		call.Audit = &pdnd.AuditRequest{Claims: k.audit, Bind: true}
	}
	if _, err := k.out.Prepare(ctx, call); err != nil {
		return nil, false
	}
	return call.Header, true
}

// call prepares and sends a call, signing a body with INTEGRITY_REST_02 when integrity is set.
func (k *consumer) call(ctx context.Context, method, path string, body []byte, integrity bool) (int, []byte) {
	h, ok := k.prepare(ctx, method, path, body, integrity)
	if !ok {
		return 0, nil
	}
	return send(ctx, k.client, method, k.base+path, h, body)
}

// comune is the Comune di Trento asking the prestazioni e-service for the benefits of one person
// after another; every seventh call's body is changed after signing.
type comune struct {
	*consumer
	bodies [][]byte
	n      int
}

func newComune(r *sim.Running, eserviceURL string, c *http.Client) (*comune, error) {
	k, err := newConsumer(r, comuneClient, comunePurpose, eserviceURL, c, comuneOperator.claims())
	if err != nil {
		return nil, err
	}
	w := &comune{consumer: k}
	// The beneficiaries of the Comune's benefits, each on the day the first starts, and someone
	// with none (an empty answer, the same for an unknown person).
	seen := map[string]bool{}
	for _, pr := range r.Population.Prestazioni {
		cf := pr.Beneficiario.CodiceFiscale
		if pr.Ente.Codice == trentoCodice && pr.DataInizioPrestazione != "" && !seen[cf] && len(w.bodies) < 8 {
			seen[cf] = true
			w.bodies = append(w.bodies, ricerca(cf, pr.DataInizioPrestazione))
		}
	}
	for _, p := range r.Population.People {
		if len(r.Population.PrestazioniOf(p.CodiceFiscale)) == 0 {
			w.bodies = append(w.bodies, ricerca(p.CodiceFiscale, "2025-06-01"))
			break
		}
	}
	return w, nil
}

func (w *comune) act(ctx context.Context) {
	body := w.bodies[w.n%len(w.bodies)]
	tamper := w.n%7 == 6
	w.n++
	h, ok := w.prepare(ctx, http.MethodPost, "/ricerca", body, true)
	if !ok {
		return
	}
	if tamper {
		// Someone changed the request on its way: the Digest no longer matches the body.
		body = bytes.Replace(body, []byte(`"dataRiferimento":"`), []byte(`"dataRiferimento":"1`), 1)
	}
	send(ctx, w.client, http.MethodPost, w.base+"/ricerca", h, body)
}

// extraction is the Comune di Trento extracting the benefits of a list of people with the
// estrazione e-service (NONBLOCK_PULL_REST): one act starts a job, the next ones poll it until it
// is done and then read its result.
type extraction struct {
	*consumer
	body []byte // the request: the Comune's beneficiaries
	job  string // the id of the job being followed, "" when none
}

func newExtraction(r *sim.Running, eserviceURL string, c *http.Client) (*extraction, error) {
	// The job's status answers 303 with the result's public URL: the demo reads it on the listener.
	noRedirect := *c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	k, err := newConsumer(r, comuneClient, comuneExtraction, eserviceURL, &noRedirect, comuneOperator.claims())
	if err != nil {
		return nil, err
	}
	var codes []string
	seen := map[string]bool{}
	for _, pr := range r.Population.Prestazioni {
		if cf := pr.Beneficiario.CodiceFiscale; pr.Ente.Codice == trentoCodice && !seen[cf] && len(codes) < 20 {
			seen[cf] = true
			codes = append(codes, cf)
		}
	}
	body, _ := json.Marshal(map[string]any{"codiciFiscali": codes, "dataRiferimento": "2025-06-01"})
	return &extraction{consumer: k, body: body}, nil
}

// comuneExtraction is the Comune's purpose on the estrazione e-service in pasim's PDND seed.
const comuneExtraction = "comune-trento-estrazione"

func (x *extraction) act(ctx context.Context) {
	if x.job == "" {
		var job struct {
			ID string `json:"id"`
		}
		if status, body := x.call(ctx, http.MethodPost, "/estrazioni", x.body, true); status == http.StatusAccepted && json.Unmarshal(body, &job) == nil {
			x.job = job.ID
		}
		return
	}
	switch status, _ := x.call(ctx, http.MethodGet, "/estrazioni/"+url.PathEscape(x.job), nil, false); status {
	case http.StatusOK: // still running
	case http.StatusSeeOther:
		x.call(ctx, http.MethodGet, "/estrazioni/"+url.PathEscape(x.job)+"/risultato", nil, false)
		x.job = ""
	default:
		x.job = "" // expired or refused: start another
	}
}

// inps is INPS reading the Comune's SIUSS feed with its voucher alone: the flows after its cursor,
// one page per act, then its esiti for them, every tenth DATI_NON_TROVATI.
type inps struct {
	*consumer
	since    int64 // epoch ms of the last flow acquired
	acquired int
}

func newINPS(r *sim.Running, feedURL string, c *http.Client) (*inps, error) {
	k, err := newConsumer(r, inpsClient, inpsPurpose, feedURL, c, nil)
	if err != nil {
		return nil, err
	}
	return &inps{consumer: k}, nil
}

// tsLayout is how the feed writes ts_flusso (siussfeed.FormatTs): the cursor INPS pages with.
const tsLayout = "2006-01-02T15:04:05.000Z"

// INPS in pasim's PDND seed: its client and its purpose on the Comune's SIUSS feed.
const (
	inpsClient  = "inps-siuss"
	inpsPurpose = "inps-siuss"
)

func (in *inps) act(ctx context.Context) {
	q := url.Values{"since": {strconv.FormatInt(in.since, 10)}, "limit": {"100"}}
	status, body := in.call(ctx, http.MethodGet, "/flussi?"+q.Encode(), nil, false)
	var page struct {
		ElencoFlussi []siussfeed.Flusso `json:"elenco_flussi"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.ElencoFlussi) == 0 {
		return
	}
	now := siussfeed.FormatTs(time.Now().UnixMilli())
	var esiti []map[string]string
	for _, f := range page.ElencoFlussi {
		in.acquired++
		e := map[string]string{"id_flusso": f.IDFlusso, "tipo": string(f.Tipo), "ts_flusso": f.TsFlusso, "ts_acquisizione": now,
			"codice_esito": "OK", "id_acquisizione_siuss": strconv.Itoa(100000 + in.acquired)}
		if in.acquired%10 == 0 {
			e["codice_esito"], e["descrizione_esito"] = "DATI_NON_TROVATI", "beneficiario non trovato in anagrafe"
		}
		esiti = append(esiti, e)
	}
	out, _ := json.Marshal(map[string]any{"elenco_esiti": esiti})
	if status, _ := in.call(ctx, http.MethodPost, "/esiti", out, false); status/100 != 2 {
		return // the same flows are read again next time, and their esiti sent again (idempotent)
	}
	last := page.ElencoFlussi[len(page.ElencoFlussi)-1]
	if ts, err := time.Parse(tsLayout, last.TsFlusso); err == nil {
		in.since = ts.UnixMilli()
	}
}

// benefitWriter is WelfareGOV's case workers granting benefits of the Comune di Trento: each act
// stores a new one in pasim's backend (through its admin API), and every fourth one breaks a SIUSS
// rule, so the gateway's publisher refuses it into the scarti queue.
type benefitWriter struct {
	target, key string
	templates   []*wire.Prestazione
	client      *http.Client
	n           int
}

func newBenefitWriter(r *sim.Running, key string, c *http.Client) *benefitWriter {
	w := &benefitWriter{target: r.URLs["backend"] + "/admin/prestazioni", key: key, client: c}
	for _, p := range r.Population.Prestazioni {
		if p.Ente.Codice == trentoCodice && p.TipoOperazione == "I" && p.SINBA == nil {
			w.templates = append(w.templates, p)
		}
	}
	return w
}

func (w *benefitWriter) act(ctx context.Context) {
	if len(w.templates) == 0 {
		return
	}
	w.n++
	p := *w.templates[w.n%len(w.templates)]
	p.ID = fmt.Sprintf("DEMO-%06d", w.n)
	p.ProtocolloDomanda = fmt.Sprintf("DEMO-%06d", w.n)
	p.AggiornatoIl, p.Cursore = time.Time{}, ""
	target := w.target
	if w.n%4 == 0 {
		p.CaratterePrestazione = "3" // neither periodica (1) nor occasionale (2): not publishable
		target += "?lenient=1"
	}
	body, err := json.Marshal(&p)
	if err != nil {
		return
	}
	send(ctx, w.client, http.MethodPost, target, http.Header{backend.APIKeyHeader: {w.key}, "Content-Type": {"application/json"}}, body)
}
