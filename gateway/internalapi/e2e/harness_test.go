// Package e2e tests the internal API end to end: the whole gateway (app.New from YAML) on
// loopback, configured with what pasim generates at start (the pdnd section with its freshly made
// keys, the upstreams section with its ports and purposes), calling the pasim INPS, ANPR and ICEF
// simulators, which verify every voucher, ModI signature and tracking evidence for real. Every
// answer the tests receive is checked against contracts/openapi/internal-api.yaml.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/internal/pasimtest"
)

// apiKey is the test installation's internal API key (written to a secret file).
const apiKey = "e2e-internal-api-key-0123456789abcdef0123456789"

// rif is the population's "today": DSUs are valid on it, ages are computed at it.
var rif = population.ReferenceDate.String()

// operator are the headers of every call.
var operator = map[string]string{
	"Operatore-Id": "mario.rossi", "Operatore-Postazione": "TN-SERVIZI-SOCIALI-04",
	"Operatore-LoA": "SPID_L2", "Riferimento-Pratica": "PRAT-2025-000123",
}

var contract = sync.OnceValue(func() *openapi.Contract {
	c, err := openapi.NewContract(openapi.InternalAPI())
	if err != nil {
		panic(err)
	}
	return c
})

// world is a running pasim.
type world struct {
	sim *sim.Running
	pop *population.Population
	dir string
	// logs, when set, receives the replicas' logs (else discarded).
	logs io.Writer
}

func newWorld(t testing.TB) *world {
	t.Helper()
	r := pasimtest.Start(t, sim.Options{})
	return &world{sim: r, pop: r.Population, dir: t.TempDir()}
}

// gateway is one running replica.
type gateway struct {
	t   testing.TB
	app *app.App
	url string // internal listener
}

// base is the configuration of a test replica; extra YAML sections and WGW_ overrides are added by
// the tests.
const base = `
log: {level: error}
listeners:
  eservices: {address: "127.0.0.1:0", tls: {mode: "off"}}
  internal: {address: "127.0.0.1:0"}
  admin: {address: "127.0.0.1:0"}
  shutdown_grace: 1s
internal_api:
  api_keys: [{name: welfaregov-test, key: {file: %KEYFILE%}}]
  anpr: {id_prefix: "01"}
`

// start builds a replica from base + extra + pasim's sections with the overrides in env, serves it,
// and stops it when the test ends.
func (w *world) start(t testing.TB, extra string, env ...string) *gateway {
	t.Helper()
	return w.startWith(t, base+extra, env...)
}

// startWith is start with another base configuration (%KEYFILE% is the API key's secret file).
func (w *world) startWith(t testing.TB, conf string, env ...string) *gateway {
	t.Helper()
	keyFile := filepath.Join(w.dir, "internal-api.key")
	if err := os.WriteFile(keyFile, []byte(apiKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := "run_dir: " + filepath.Join(w.dir, "run") + "\n" + strings.ReplaceAll(conf, "%KEYFILE%", keyFile) + pasimtest.GatewayYAML(t, w.sim)
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := app.Load(path, env)
	if err != nil {
		t.Fatalf("configuration:\n%v\n%s", err, text)
	}
	logs := w.logs
	if logs == nil {
		logs = io.Discard
	}
	a, err := app.New(cfg, app.Options{LogOutput: logs, Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway stopped with %v", err)
		}
	})
	g := &gateway{t: t, app: a}
	for _, e := range a.Endpoints() {
		if e.Name == "internal" {
			g.url = e.URL
		}
	}
	// Wait until it accepts connections (TLS listeners too).
	host := strings.TrimPrefix(strings.TrimPrefix(g.url, "http://"), "https://")
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", host)
		if err == nil {
			conn.Close()
			break
		}
		if i == 100 {
			t.Fatalf("the gateway does not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return g
}

// answer is one response, already checked against the contract.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) problem(t testing.TB) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(a.body, &p); err != nil || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not a problem (%d %s): %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	return p
}

// code is the problem's code member.
func (a answer) code(t testing.TB) string {
	t.Helper()
	c, _ := a.problem(t)["code"].(string)
	return c
}

func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
}

// do sends one request with the API key and the operator headers (headers override or, with an
// empty value, remove them) and checks the answer against the contract.
func (g *gateway) do(method, path string, body any, headers map[string]string) answer {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			g.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Api-Key", apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range operator {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	checkContract(g.t, method, req.URL.Path, a)
	return a
}

func (g *gateway) get(path string) answer { return g.do(http.MethodGet, path, nil, nil) }

// checkContract fails the test when an answer is not what the contract declares, and checks
// what every answer must carry.
func checkContract(t testing.TB, method, path string, a answer) {
	t.Helper()
	if err := contract().CheckResponse(method, path, a.status, a.header, a.body); err != nil {
		t.Fatalf("%v\nbody: %s", err, a.body)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s %s answered %d without Cache-Control: no-store", method, path, a.status)
	}
	if a.header.Get("X-Correlation-Id") == "" {
		t.Fatalf("%s %s answered %d without X-Correlation-ID", method, path, a.status)
	}
}

// subjects of the population used by the tests.
func withDSUAndICEF(t testing.TB, p *population.Population) *population.Person {
	for _, h := range p.Households {
		if h.DSU != nil && len(h.ICEF) > 0 && !h.DSU.Dichiarante.Deceduto() && len(h.Members) > 2 {
			return h.DSU.Dichiarante
		}
	}
	t.Fatal("no household with a DSU and ICEF")
	return nil
}

func withoutDSU(t testing.TB, p *population.Population) *population.Person {
	for _, h := range p.HouseholdsTagged(population.TagNoDSU) {
		for _, m := range h.Members {
			if !m.Deceduto() {
				return m
			}
		}
	}
	t.Fatal("no household without a DSU")
	return nil
}

// unknownCF is a valid codice fiscale nobody in the population has.
func unknownCF(t testing.TB, p *population.Population) string {
	for _, base := range []string{"ZZZZZZ70A01H501", "ZZZYYY71B02H501", "YYYZZZ72C03H501"} {
		cf := base + string(contracts.CFCheckCharacter(base))
		if p.ByCodiceFiscale(cf) == nil {
			return cf
		}
	}
	t.Fatal("no unknown codice fiscale")
	return ""
}

// provenienze reads the provenance list of an answer.
func provenienze(t testing.TB, a answer) []contracts.Provenienza {
	t.Helper()
	var v struct {
		Provenienze []contracts.Provenienza `json:"provenienze"`
	}
	a.decode(t, &v)
	if len(v.Provenienze) == 0 {
		t.Fatalf("no provenienze: %s", a.body)
	}
	return v.Provenienze
}
