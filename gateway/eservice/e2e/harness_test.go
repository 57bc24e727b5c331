// Package e2e tests WelfareGOV's published e-services end to end: the whole gateway (app.New from
// a YAML configuration) on loopback, a PDND on loopback (pdndtest: token endpoint, JWKS, key API)
// that issues real vouchers signed with keys generated in the test, the WelfareGOV backend
// simulator, and a consumer built from the security core (modi.Outbound: voucher, DPoP, Digest,
// Agid-JWT-Signature, Agid-JWT-TrackingEvidence) calling over real HTTP. Every answer is checked
// against the e-service's contract.
package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/eservice/estrazione"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
)

// Identifiers of the PDND setting (UUIDs, as PDND issues them).
const (
	producerID    = "11111111-1111-4111-8111-111111111111" // WelfareGOV's tenant
	eservPrest    = "22222222-2222-4222-8222-000000000001"
	eservEstr     = "22222222-2222-4222-8222-000000000002"
	eservTrento   = "22222222-2222-4222-8222-000000000003"
	eservRovereto = "22222222-2222-4222-8222-000000000004"
	descriptor    = "33333333-3333-4333-8333-333333333333"
	consumerID    = "44444444-4444-4444-8444-444444444444" // the administration that consults
	inpsID        = "44444444-4444-4444-8444-000000000005" // INPS
	trentoTenant  = "55555555-5555-4555-8555-000000000001"
	roveretoTen   = "55555555-5555-4555-8555-000000000002"

	purposeFull     = "66666666-6666-4666-8666-000000000001" // prestazioni, every field
	purposeMin      = "66666666-6666-4666-8666-000000000002" // prestazioni, two fields
	purposeUnconfig = "66666666-6666-4666-8666-000000000003" // on PDND, but not configured here
	purposeEstr     = "66666666-6666-4666-8666-000000000004"
	purposeTrento   = "66666666-6666-4666-8666-000000000005"
	purposeRovereto = "66666666-6666-4666-8666-000000000006"

	clientID    = "77777777-7777-4777-8777-000000000001" // the consumer's e-service client
	otherClient = "77777777-7777-4777-8777-000000000002" // another client of the same consumer
	inpsClient  = "77777777-7777-4777-8777-000000000003"
	apiClient   = "77777777-7777-4777-8777-000000000004" // the gateway's PDND-API client
	keychainID  = "88888888-8888-4888-8888-888888888888"
)

// The public base URL consumers address (and PDND audiences): not the physical loopback one.
const publicBase = "https://api.welfaregov.example"

// Audiences of the e-services as published on their descriptors (not their URLs).
const (
	audPrest    = "https://api.welfaregov.example/prestazioni-sociali-agevolate/v1"
	audEstr     = "https://api.welfaregov.example/estrazione-prestazioni/v1"
	audTrento   = "https://waas.comune.trento.example/waas/v1"
	audRovereto = "https://waas.comune.rovereto.example/waas/v1"
)

// Mount paths (the e-services' defaults).
const (
	mountPrest = prestazioni.DefaultMount
	mountEstr  = estrazione.DefaultMount
	mountWaaS  = "/waas/v1"
)

// auditClaims are what the consumer's operator puts in the tracking evidence.
var auditClaims = map[string]any{"userID": "operatore-17", "userLocation": "postazione-3", "LoA": "SPID_L2"}

// world is the PDND, the backend and the key files one or more gateway replicas share.
type world struct {
	t        testing.TB
	dir      string
	pdnd     *pdndtest.Server
	backend  *backend.Server
	faults   *fault.Injector
	backURL  string
	pop      *population.Population
	adminTok string

	modiKey     *jose.Signer // registered on clientID: INTEGRITY/AUDIT_REST_02
	assertion   *jose.Signer // clientID's client assertions
	otherKey    *jose.Signer // otherClient's
	inpsKey     *jose.Signer
	producerKey *jose.Signer // the producer keychain: response signatures
	dpopKey     *jose.Signer
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), pop: population.Build(population.DefaultSeed)}
	srv, err := pdndtest.New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	w.pdnd = srv
	signer := func(k crypto.Signer) *jose.Signer {
		s, err := jose.NewSigner(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.assertion, w.modiKey, w.otherKey = signer(sectest.RSAKey(t, 1)), signer(sectest.RSAKey(t, 2)), signer(sectest.RSAKey(t, 3))
	w.inpsKey, w.producerKey = signer(sectest.RSAKey(t, 4)), signer(sectest.RSAKey(t, 5))
	w.dpopKey = signer(sectest.ECKey(t))
	apiKey := sectest.RSAKey(t, 6)

	srv.AddClient(clientID, consumerID, false)
	srv.AddClient(otherClient, consumerID, false)
	srv.AddClient(inpsClient, inpsID, false)
	srv.AddClient(apiClient, producerID, true)
	for client, pub := range map[string]crypto.PublicKey{clientID: w.assertion.Public(), otherClient: w.otherKey.Public(),
		inpsClient: w.inpsKey.Public(), apiClient: apiKey.Public()} {
		if _, err := srv.AddClientKey(client, pub); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.AddClientKey(clientID, w.modiKey.Public()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddClientKey(otherClient, w.modiKey.Public()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddProducerKey(keychainID, w.producerKey.Public()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []pdndtest.Purpose{
		{ID: purposeFull, EServiceID: eservPrest, ProducerID: producerID, ConsumerID: consumerID, Audience: []string{audPrest}},
		{ID: purposeMin, EServiceID: eservPrest, ProducerID: producerID, ConsumerID: consumerID, Audience: []string{audPrest}},
		{ID: purposeUnconfig, EServiceID: eservPrest, ProducerID: producerID, ConsumerID: consumerID, Audience: []string{audPrest}},
		{ID: purposeEstr, EServiceID: eservEstr, ProducerID: producerID, ConsumerID: consumerID, Audience: []string{audEstr}},
	} {
		p.DescriptorID = descriptor
		srv.AddPurpose(p, clientID, otherClient)
	}
	srv.AddPurpose(pdndtest.Purpose{ID: purposeTrento, EServiceID: eservTrento, DescriptorID: descriptor, ProducerID: trentoTenant,
		ConsumerID: inpsID, Audience: []string{audTrento}}, inpsClient)
	srv.AddPurpose(pdndtest.Purpose{ID: purposeRovereto, EServiceID: eservRovereto, DescriptorID: descriptor, ProducerID: roveretoTen,
		ConsumerID: inpsID, Audience: []string{audRovereto}}, inpsClient)

	w.writePEM("api.pem", apiKey)
	w.writePEM("producer.pem", sectest.RSAKey(t, 5))
	tok := make([]byte, 32)
	_, _ = rand.Read(tok)
	w.adminTok = base64.RawURLEncoding.EncodeToString(tok)
	w.writeFile("admin-token", w.adminTok)
	w.writeFile("job-key", strings.Repeat("k", 48))

	w.faults = fault.New(fault.Options{})
	w.backend = backend.New(backend.Options{Population: w.pop, Faults: w.faults})
	hs := httptest.NewServer(w.backend.Handler())
	t.Cleanup(hs.Close)
	w.backURL = hs.URL
	return w
}

func (w *world) writePEM(name string, key crypto.Signer) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		w.t.Fatal(err)
	}
	w.writeFile(name, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
}

func (w *world) writeFile(name, content string) {
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// storeSection is the store configuration of a gateway: memory, or the real Redis (DB 15) with a
// key prefix shared by the replicas of one test.
type storeSection string

func memoryStore() storeSection { return "store: {backend: memory}\n" }

// config is the YAML of a gateway replica: every e-service, with the full PDND profile on the two
// WelfareGOV e-services and the voucher alone for INPS.
func (w *world) config(st storeSection, extra string) string {
	env := w.pdnd.Environment()
	return fmt.Sprintf(`
run_dir: %[1]s
log: {level: warn}
listeners:
  eservices: {address: "127.0.0.1:0", tls: {mode: "off"}}
  internal: {address: "127.0.0.1:0"}
  admin: {address: "127.0.0.1:0"}
%[2]s
pdnd:
  issuer: %[3]s
  jwks_url: %[4]s
  token_url: %[5]s
  assertion_audience: %[6]s
  api_url: %[7]s
  api_client: {client_id: %[8]s, key: {private_key: {file: %[1]s/api.pem}}}
backend: {url: %[9]s, api_key: {env: WGW_E2E_BACKEND_KEY}}
audit: {dir: %[1]s/audit-%[10]d, pseudonym_key_ephemeral: true, fsync: never}
admin: {token: {file: %[1]s/admin-token}}
eservices:
  public_base_url: %[11]s
  prestazioni:
    security:
      audience: %[12]s
      id_auth: {producer_id: %[13]s, eservice_id: %[14]s, descriptor_id: %[15]s}
      integrity: {pattern: INTEGRITY_REST_02}
      audit: {pattern: AUDIT_REST_02}
    rate_limit: {requests: 1000, period: 1m}
    response_signing: {key: {private_key: {file: %[1]s/producer.pem}}}
    purposes:
      %[16]s: [ente, codicePrestazione, denominazionePrestazione, protocolloDomanda, carattere, provaMezzi, dsu, dataInizio, dataFine, periodoErogazione, importoMensile, dataErogazione, importo, quotaEnte, quotaUtente, quotaSSN, presaInCarico, areaUtenza]
      %[17]s: [codicePrestazione, carattere]
  estrazione:
    security:
      audience: %[18]s
      id_auth: {producer_id: %[13]s, eservice_id: %[19]s}
      integrity: {pattern: INTEGRITY_REST_02}
      audit: {pattern: AUDIT_REST_02}
    rate_limit: {requests: 1000, period: 1m}
    purposes:
      %[20]s: [ente, codicePrestazione, carattere, dataInizio, dataFine, importoMensile, dataErogazione, importo]
    max_codici_fiscali: 20
    lease_ttl: 3s
    encryption_key: {file: %[1]s/job-key}
  siuss:
    security:
      id_auth: {allowed_consumers: [%[21]s]}
    rate_limit: {requests: 1000, period: 1m}
    enti:
      - {codice: L378, denominazione: COMUNE DI TRENTO, cf_operatore: "%[29]s", audience: %[22]s, producer_id: %[23]s, eservice_id: %[24]s}
      - {codice: H612, denominazione: COMUNE DI ROVERETO, cf_operatore: "%[30]s", audience: %[25]s, producer_id: %[26]s, eservice_id: %[27]s}
    publisher: {interval: 1s}
%[28]s`,
		w.dir, string(st), pdndtest.Issuer, env.JWKSURL, env.TokenURL, env.AssertionAudience, env.APIURL, apiClient,
		w.backURL, time.Now().UnixNano(), publicBase, audPrest, producerID, eservPrest, descriptor, purposeFull, purposeMin,
		audEstr, eservEstr, purposeEstr, inpsID, audTrento, trentoTenant, eservTrento, audRovereto, roveretoTen, eservRovereto, extra,
		numericCF("0035587022"), numericCF("0012539022"))
}

func numericCF(first10 string) string {
	return first10 + string(contracts.NumericCFCheckDigit(first10))
}

// gateway is one running replica.
type gateway struct {
	app    *app.App
	base   string // physical e-service listener URL
	admin  string
	stop   context.CancelFunc
	done   chan error
	once   sync.Once
	client *http.Client
}

// start builds and runs a replica from text.
func (w *world) start(t testing.TB, text string) *gateway {
	t.Helper()
	return w.startWith(t, text, app.Options{LogOutput: io.Discard, Version: "e2e"})
}

// startWith is start with the application's options (a log to read, a faster dashboard).
func (w *world) startWith(t testing.TB, text string, opts app.Options) *gateway {
	t.Helper()
	t.Setenv("WGW_E2E_BACKEND_KEY", backend.DefaultAPIKey)
	path := filepath.Join(w.dir, fmt.Sprintf("gateway-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := app.Load(path, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{app: a, stop: cancel, done: make(chan error, 1), client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, ep := range a.Endpoints() {
		switch ep.Name {
		case "eservices":
			g.base = ep.URL
		case "admin":
			g.admin = ep.URL
		}
	}
	go func() { g.done <- a.Run(ctx) }()
	t.Cleanup(g.shutdown)
	return g
}

// shutdown stops the replica gracefully (idempotent).
func (g *gateway) shutdown() {
	g.once.Do(func() {
		g.stop()
		<-g.done
	})
}

// consumer is another administration calling one e-service through PDND with the security core.
type consumer struct {
	w         *world
	out       *modi.Outbound
	cache     *pdnd.VoucherCache
	purpose   string
	audience  string
	mount     string
	integrity bool
	audit     bool
	dpop      bool
}

// newConsumer builds a consumer of client (clientID or otherClient or inpsClient) for purpose.
func (w *world) newConsumer(client, purpose, audience, mount string, integrity, audit bool) *consumer {
	env := w.pdnd.Environment()
	key := map[string]*jose.Signer{clientID: w.assertion, otherClient: w.otherKey, inpsClient: w.inpsKey}[client]
	c := &pdnd.Client{ClientID: client, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key, DPoP: w.dpopKey}
	cache := pdnd.NewVoucherCache(c, pdnd.WithEvidenceSigner(&modi.AuditSigner{Signer: w.modiKey, ClientID: client}))
	return &consumer{w: w, cache: cache, purpose: purpose, audience: audience, mount: mount, integrity: integrity, audit: audit,
		out: &modi.Outbound{Vouchers: cache, Client: c, Integrity: &modi.MessageSigner{Signer: w.modiKey, Issuer: client}}}
}

// answer is a response as the consumer got it.
type answer struct {
	status int
	header http.Header
	body   []byte
	path   string // relative to the mount path, for the contract check
	method string
}

// prepare builds the request for method and path (relative to the e-service's mount path) with the
// consumer's security headers; the URL signed is the public one, the one dialled is g's.
func (c *consumer) prepare(t testing.TB, g *gateway, method, path string, body []byte) *http.Request {
	t.Helper()
	req, err := c.build(g, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// build is prepare for goroutines other than the test's, which must not call t.Fatal.
func (c *consumer) build(g *gateway, method, path string, body []byte) (*http.Request, error) {
	h := http.Header{}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	call := &modi.Call{Method: method, URL: publicBase + c.mount + path, Header: h, Body: body, PurposeID: c.purpose,
		Audience: c.audience, Integrity: c.integrity && body != nil, DPoP: c.dpop}
	if c.audit {
		call.Audit = &pdnd.AuditRequest{Claims: auditClaims, Bind: true}
	}
	if _, err := c.out.Prepare(context.Background(), call); err != nil {
		return nil, err
	}
	req, err := http.NewRequest(method, g.base+c.mount+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	return req, nil
}

// do sends a request and reads the answer.
func (g *gateway) do(t testing.TB, req *http.Request) *answer {
	t.Helper()
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: b, method: req.Method}
}

// call is prepare + do.
func (c *consumer) call(t testing.TB, g *gateway, method, path string, body []byte) *answer {
	t.Helper()
	a := g.do(t, c.prepare(t, g, method, path, body))
	a.path = path
	return a
}

// documents are the e-services' contracts, keyed by mount path.
var documents = func() map[string][]byte {
	read := func(f string) []byte {
		b, err := openapi.FS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		return b
	}
	return map[string][]byte{mountPrest: read(prestazioni.ContractFile), mountEstr: read(estrazione.ContractFile), mountWaaS: siuss.OpenAPI()}
}()

var (
	contractMu    sync.Mutex
	contractCache = map[string]*openapi.Contract{}
)

// checkContract fails the test unless a matches the contract of the e-service at mount.
func checkContract(t testing.TB, mount string, a *answer) {
	t.Helper()
	contractMu.Lock()
	c, ok := contractCache[mount]
	if !ok {
		var err error
		if c, err = openapi.NewContract(documents[mount]); err != nil {
			contractMu.Unlock()
			t.Fatal(err)
		}
		contractCache[mount] = c
	}
	contractMu.Unlock()
	path := a.path
	if u, err := url.Parse(path); err == nil {
		path = u.Path
	}
	err := c.CheckResponse(a.method, path, a.status, a.header, a.body)
	if err != nil && mount == mountWaaS && strings.Contains(err.Error(), "does not declare status") {
		// INPS's contract defines 401, 403, 429 and 503 as reusable responses but wires them to
		// no path (siuss-waas.md §2.4): our answers must match those definitions.
		err = c.CheckDefinedResponse(a.status, a.header, a.body)
	}
	if err != nil {
		t.Errorf("%v\nbody: %s", err, a.body)
	}
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func itoa(n int) string { return fmt.Sprint(n) }

func (c *consumer) auditRequest() *pdnd.AuditRequest {
	if !c.audit {
		return nil
	}
	return &pdnd.AuditRequest{Claims: auditClaims, Bind: true}
}
