package modi_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/store"
)

const (
	audience    = "https://api.welfaregov.example/rest/siuss/v1"
	callURL     = "https://api.welfaregov.example/rest/siuss/v1/prestazioni?anno=2026"
	producerID  = "11111111-1111-4111-8111-111111111111"
	eserviceID  = "22222222-2222-4222-8222-222222222222"
	descriptor  = "33333333-3333-4333-8333-333333333333"
	consumerID  = "44444444-4444-4444-8444-444444444444"
	purposeID   = "55555555-5555-4555-8555-555555555555"
	clientID    = "66666666-6666-4666-8666-666666666666"
	apiClientID = "77777777-7777-4777-8777-777777777777"
	otherClient = "88888888-8888-4888-8888-888888888888"
	keychainID  = "99999999-9999-4999-8999-999999999999"
	contentType = "application/json"
)

var body = []byte(`{"codiceFiscale":"RSSMRA80A01H501U","prestazione":"assegno di inclusione","importo":"500.00"}`)

// auditClaims are the agreed audit claims the consumer sends.
var auditClaims = map[string]any{"userID": "operatore-17", "userLocation": "postazione-3", "LoA": "LoA3"}

// env is a whole PDND + ModI setting on loopback: the test PDND (token endpoint, JWKS, key API), a
// provider (Inbound with its verifiers and profiles) and a consumer (voucher cache, audit and
// message signers, Outbound), plus an X.509 PKI for the x5c patterns. All on a fixed clock.
type env struct {
	srv   *pdndtest.Server
	clock *sectest.Clock
	store *sectest.FaultStore

	keys     *pdnd.KeyAPI
	jwks     *pdnd.JWKS
	in       *modi.Inbound
	inDown   *modi.Inbound // its PDND key lookups fail (PDND API unreachable)
	resp     *modi.ResponseVerifier
	respDown *modi.ResponseVerifier
	profiles map[string]*modi.Profile

	client      *pdnd.Client
	cache       *pdnd.VoucherCache
	out         *modi.Outbound
	modiSigner  *jose.Signer // registered on the client: INTEGRITY/AUDIT_REST_02
	producer    *jose.Signer // in the producer keychain: signed responses
	unknown     *jose.Signer // registered nowhere
	x509Signer  *jose.Signer // EC P-256 leaf under the trusted root
	rsaX509     *jose.Signer // RSA leaf under the trusted root
	untrusted   *certs.Leaf  // leaf of another root
	noSignUsage *certs.Leaf  // trusted leaf without digitalSignature
	otherClient *pdnd.Client // a second client of the same consumer
}

var validity = certs.WithValidity(sectest.Epoch.Add(-time.Hour), sectest.Epoch.Add(30*24*time.Hour))

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := sectest.NewClock(sectest.Epoch)
	st := sectest.NewFaultStore(sectest.NewMemory(t))
	return newEnvWithStore(t, clock, st, st)
}

// newEnvWithStore builds the env with the replay store the provider uses (pdndtest keeps its own).
func newEnvWithStore(t testing.TB, clock *sectest.Clock, st *sectest.FaultStore, replayStore store.Store) *env {
	t.Helper()
	srv, err := pdndtest.New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.Now = clock.Now
	e := &env{srv: srv, clock: clock, store: st, profiles: map[string]*modi.Profile{}}
	p := pdndtest.Purpose{ID: purposeID, EServiceID: eserviceID, DescriptorID: descriptor, ProducerID: producerID,
		ConsumerID: consumerID, Audience: []string{audience}}
	srv.AddClient(clientID, consumerID, false)
	srv.AddClient(otherClient, consumerID, false)
	srv.AddClient(apiClientID, consumerID, true)
	srv.AddPurpose(p, clientID, otherClient)

	mustSigner := func(key crypto.Signer, opts ...jose.Option) *jose.Signer {
		s, err := jose.NewSigner(key, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	assertionKey := mustSigner(sectest.RSAKey(t, 1))
	e.modiSigner = mustSigner(sectest.RSAKey(t, 2))
	e.unknown = mustSigner(sectest.RSAKey(t, 3))
	apiKey := mustSigner(sectest.RSAKey(t, 4))
	e.producer = mustSigner(sectest.RSAKey(t, 5))
	otherKey := mustSigner(sectest.RSAKey(t, 6))
	for client, s := range map[string]*jose.Signer{clientID: assertionKey, otherClient: otherKey, apiClientID: apiKey} {
		if _, err := srv.AddClientKey(client, s.Public()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.AddClientKey(clientID, e.modiSigner.Public()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddProducerKey(keychainID, e.producer.Public()); err != nil {
		t.Fatal(err)
	}

	root, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256), validity)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate(certs.WithKeyType(certs.ECDSAP256), validity)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue(certs.WithKeyType(certs.ECDSAP256), certs.WithCommonName("comune-esempio.it"), validity)
	if err != nil {
		t.Fatal(err)
	}
	e.x509Signer = mustSigner(leaf.Key, jose.WithCertificates(leaf.Chain))
	rsaLeaf, err := inter.Issue(validity) // RSA-2048 (default key type)
	if err != nil {
		t.Fatal(err)
	}
	e.rsaX509 = mustSigner(rsaLeaf.Key, jose.WithCertificates(rsaLeaf.Chain))
	otherRoot, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256), validity)
	if err != nil {
		t.Fatal(err)
	}
	if e.untrusted, err = otherRoot.Issue(certs.WithKeyType(certs.ECDSAP256), validity); err != nil {
		t.Fatal(err)
	}
	if e.noSignUsage, err = inter.Issue(certs.WithKeyType(certs.ECDSAP256), certs.WithKeyUsage(x509.KeyUsageKeyAgreement), validity); err != nil {
		t.Fatal(err)
	}

	env := srv.Environment()
	ctx := context.Background()
	jwks, err := pdnd.NewJWKS(ctx, env.JWKSURL, pdnd.WithJWKSClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = jwks.Close() })
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := jwks.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	e.jwks = jwks
	vouchers := pdnd.NewVoucherVerifier(pdndtest.Issuer, jwks, pdnd.WithClock(clock.Now), pdnd.WithReplayStore(replayStore))
	dpop := pdnd.NewDPoPVerifier(replayStore, pdnd.WithDPoPClock(clock.Now))
	apiClient := &pdnd.Client{ClientID: apiClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: apiKey, Now: clock.Now}
	e.keys = pdnd.NewKeyAPI(env.APIURL, pdnd.NewVoucherCache(apiClient), pdnd.WithKeyAPIClock(clock.Now))
	down := func(context.Context, string) (*pdnd.APIKey, error) {
		return nil, &pdnd.UnavailableError{Source: "PDND API keys", Err: errConnRefused}
	}
	e.in = modi.NewInbound(vouchers, dpop, e.keys.ConsumerKey, replayStore, modi.WithInboundClock(clock.Now))
	e.inDown = modi.NewInbound(vouchers, dpop, down, replayStore, modi.WithInboundClock(clock.Now))
	e.resp = modi.NewResponseVerifier(e.keys.ProducerKey, root.Pool(), clock.Now)
	e.respDown = modi.NewResponseVerifier(down, root.Pool(), clock.Now)

	ids := modi.IDAuthPolicy{ProducerID: producerID, EServiceID: eserviceID, DescriptorID: descriptor}
	for name, pol := range map[string]modi.Policy{
		// The full PDND profile: voucher, INTEGRITY_REST_02, AUDIT_REST_02.
		"pdnd":       {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: modi.AuditPolicy{Pattern: modi.AuditREST02}},
		"int02":      {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}},
		"int01":      {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST01}},
		"aud01pdnd":  {Audience: audience, IDAuth: ids, Audit: modi.AuditPolicy{Pattern: modi.AuditREST01}},
		"aud01x509":  {Audience: audience, IDAuth: ids, Audit: modi.AuditPolicy{Pattern: modi.AuditREST01, Trust: "x509"}},
		"aud02":      {Audience: audience, IDAuth: ids, Audit: modi.AuditPolicy{Pattern: modi.AuditREST02}},
		"idauth02":   {Audience: audience, IDAuth: modi.IDAuthPolicy{Pattern: modi.IDAuthREST02, Trust: "x509"}},
		"x509full":   {Audience: audience, IDAuth: modi.IDAuthPolicy{Pattern: modi.IDAuthREST01, Trust: "x509"}, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST01}, Audit: modi.AuditPolicy{Pattern: modi.AuditREST01, Trust: "x509"}},
		"bodiless":   {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02, Bodiless: "required"}},
		"urlaud":     {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02, Audience: modi.RequestURLAudience}},
		"keyowner":   {Audience: audience, IDAuth: ids, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02, KeyOwnedByClient: true}},
		"dpopreq":    {Audience: audience, IDAuth: modi.IDAuthPolicy{DPoP: "required"}},
		"voucherjti": {Audience: audience, IDAuth: modi.IDAuthPolicy{Pattern: modi.IDAuthREST02}},
	} {
		pr, err := pol.Compile(name, modi.WithTrustPool(root.Pool()), modi.WithProfileClock(clock.Now))
		if err != nil {
			t.Fatalf("profile %s: %v", name, err)
		}
		e.profiles[name] = pr
	}

	dpopKey := mustSigner(sectest.ECKey(t))
	e.client = &pdnd.Client{ClientID: clientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience,
		Signer: assertionKey, DPoP: dpopKey, Now: clock.Now}
	e.otherClient = &pdnd.Client{ClientID: otherClient, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience,
		Signer: otherKey, Now: clock.Now}
	e.cache = pdnd.NewVoucherCache(e.client, pdnd.WithEvidenceSigner(&modi.AuditSigner{Signer: e.modiSigner, ClientID: clientID}))
	e.out = &modi.Outbound{Vouchers: e.cache, Client: e.client, Now: clock.Now,
		Integrity: &modi.MessageSigner{Signer: e.modiSigner, Issuer: clientID}}
	return e
}

// replica is another gateway replica: its own verifiers and caches, the shared PDND, and its own
// client of the replay store s.
func (e *env) replica(s store.Store) *modi.Inbound {
	vouchers := pdnd.NewVoucherVerifier(pdndtest.Issuer, e.jwks, pdnd.WithClock(e.clock.Now), pdnd.WithReplayStore(s))
	return modi.NewInbound(vouchers, pdnd.NewDPoPVerifier(s, pdnd.WithDPoPClock(e.clock.Now)), e.keys.ConsumerKey, s, modi.WithInboundClock(e.clock.Now))
}

var errConnRefused = &netError{"dial tcp 127.0.0.1:1: connect: connection refused"}

type netError struct{ s string }

func (e *netError) Error() string { return e.s }

// call prepares a POST through the consumer side: a voucher from the test PDND, and the ModI
// headers asked for.
func (e *env) call(t testing.TB, integrity, audit bool) *modi.Request {
	t.Helper()
	c := &modi.Call{Method: "POST", URL: callURL, Header: http.Header{"Content-Type": {contentType}}, Body: body,
		PurposeID: purposeID, Audience: audience, Integrity: integrity}
	if audit {
		c.Audit = &pdnd.AuditRequest{Claims: auditClaims, Bind: true}
	}
	if _, err := e.out.Prepare(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return &modi.Request{Method: c.Method, URL: c.URL, Header: c.Header, Body: c.Body}
}

func (e *env) verify(r *modi.Request, profile string) (*modi.Result, error) {
	return e.in.Verify(context.Background(), r, e.profiles[profile])
}

// signAs signs claims with the signer of a trust: a PDND-registered key (kid) or an X.509 leaf
// (x5c). mod may change the header.
func signAs(t testing.TB, s *jose.Signer, x509Trust bool, claims map[string]any, mod func(*jose.SignHeader)) string {
	t.Helper()
	h := jose.SignHeader{Typ: "JWT", Kid: !x509Trust, X5C: x509Trust}
	if mod != nil {
		mod(&h)
	}
	tok, err := s.SignJSON(h, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// craft assembles a compact JWS with any header and payload, signed by key (RS256 or ES256 by its
// type) or with a dummy signature when key is nil.
func craft(t *testing.T, header, claims map[string]any, key crypto.Signer) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sig := []byte("dummy signature")
	if key != nil {
		sum := sha256.Sum256([]byte(input))
		switch k := key.(type) {
		case *rsa.PrivateKey:
			sig, _ = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		case *ecdsa.PrivateKey:
			r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func x5c(l *certs.Leaf) []string { return l.X5C() }

// swapSignature puts b's signature on a.
func swapSignature(a, b string) string {
	return a[:strings.LastIndexByte(a, '.')] + b[strings.LastIndexByte(b, '.'):]
}

func timeClaims(now time.Time) map[string]any {
	return map[string]any{"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(60 * time.Second).Unix(), "jti": uuid.NewString()}
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
	}
	return out
}
