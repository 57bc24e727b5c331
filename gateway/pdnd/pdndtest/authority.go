package pdndtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/store"
)

// Purpose is a purpose on an e-service, with what PDND copies into its vouchers and the platform
// states it checks before issuing one.
type Purpose struct {
	ID           string
	EServiceID   string
	DescriptorID string
	ProducerID   string
	ConsumerID   string
	// Audience is the descriptor's audience list (serialised comma-joined, as PDND does).
	Audience []string
	// VoucherLifetime is the descriptor's voucher lifespan (exp - iat); zero means the authority's
	// VoucherLifetime.
	VoucherLifetime time.Duration
	// PurposeInactive, AgreementInactive and DescriptorInactive model a suspended or archived
	// purpose, agreement or e-service version: PDND refuses the voucher (platform state, 8026-8028).
	PurposeInactive, AgreementInactive, DescriptorInactive bool
}

// Client is a PDND client: an e-service client associated with purposes, or a PDND-API client.
type Client struct {
	ID         string
	ConsumerID string
	// API marks a PDND-API (m2m) client.
	API      bool
	keys     map[string]crypto.PublicKey
	purposes map[string]bool
}

type producerKey struct {
	keychainID string
	key        crypto.PublicKey
}

// retired is a former voucher signing key, still published in the JWKS until its time is up.
type retired struct {
	signer *jose.Signer
	until  time.Time // zero: until the next rotation without grace
}

// VoucherDraft is a voucher about to be signed, handed to Authority.VoucherHook.
type VoucherDraft struct {
	// Claims are the voucher claims; the hook may change them (an exp in the past ...).
	Claims map[string]any
	// BreakSignature makes the authority send the voucher with a corrupted signature.
	BreakSignature bool
}

// Authority is PDND's authorization server and key registry as an http.Handler, with no listener
// of its own: the test Server and the pasim PDND simulator serve it. It issues vouchers by the
// rules of the real token endpoint (pdnd-modi.md §1.2: form parameters, RS256, a 43-character kid
// registered on the client, the claim whitelist, aud, exp, purposes linked to the client, the
// AUDIT_REST_02 digest shape, the platform states, DPoP proofs, a per-consumer rate limit) and
// answers refusals with PDND's problem body and error codes (codes.go).
//
// Configure the exported fields before serving; the registry methods are safe for concurrent use.
type Authority struct {
	// Issuer is the voucher iss (default Issuer).
	Issuer string
	// AssertionAudiences are the client-assertion aud values accepted; one must be in the aud.
	AssertionAudiences []string
	// TokenURL is the token endpoint URL as clients address it: a DPoP proof's htu must equal it.
	TokenURL string
	// M2MAudience is the aud of vouchers issued to PDND-API clients (default M2MAudience).
	M2MAudience string
	// VoucherLifetime is exp - iat of PDND-API vouchers and of purposes without a lifespan
	// (default 600 s).
	VoucherLifetime time.Duration
	// LenientClaims accepts unknown header members and claims (PDND's behaviour while its
	// strict-claims feature flag is off: it only logs them). The default is strict, as PDND will be:
	// anything outside the whitelist, nbf and client_id included, is refused.
	LenientClaims bool
	// Opaque answers a refusal exactly as production does: only the generic 015-0008 entry, no
	// diagnosis. The default adds the internal error and each failed check (see codes.go).
	Opaque bool
	// RateLimit is the number of vouchers a consumer (tenant) may obtain per RateInterval; zero
	// means no limit. Every answer of an authenticated request carries X-Rate-Limit-Limit,
	// X-Rate-Limit-Remaining and X-Rate-Limit-Interval (milliseconds), as PDND's.
	RateLimit    int
	RateInterval time.Duration
	// VoucherHook, when set, sees every voucher before it is signed (fault injection).
	VoucherHook func(r *http.Request, d *VoucherDraft)
	// Now is the clock (default time.Now).
	Now func() time.Time

	// TokenRequests, JWKSFetches and KeyLookups count requests, for tests that assert caching.
	TokenRequests, JWKSFetches, KeyLookups atomic.Int64

	mu           sync.Mutex
	signer       *jose.Signer
	retired      []retired
	clients      map[string]*Client
	purposes     map[string]Purpose
	producerKeys map[string]producerKey
	rateLimited  int
	retryAfter   time.Duration
	jwksDown     bool
	windows      map[string]*rateWindow
	dpop         *pdnd.DPoPVerifier
}

// NewAuthority returns an authority with a fresh RSA-2048 voucher key and an empty registry.
// replayStore holds the DPoP proof jtis of token requests.
func NewAuthority(replayStore store.Store) (*Authority, error) {
	signer, err := newVoucherSigner()
	if err != nil {
		return nil, err
	}
	a := &Authority{
		Issuer:          Issuer,
		M2MAudience:     M2MAudience,
		VoucherLifetime: 600 * time.Second,
		signer:          signer,
		clients:         map[string]*Client{},
		purposes:        map[string]Purpose{},
		producerKeys:    map[string]producerKey{},
		windows:         map[string]*rateWindow{},
	}
	a.dpop = pdnd.NewDPoPVerifier(replayStore, pdnd.WithDPoPClock(a.now))
	return a, nil
}

func newVoucherSigner() (*jose.Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return jose.NewSigner(key)
}

func (a *Authority) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Handler serves the four endpoints under one mux: POST /token.oauth2, GET /.well-known/jwks.json,
// GET /v2/keys/{kid} and GET /v2/producerKeys/{kid}. Servers that wrap each endpoint (fault
// injection) use the individual handlers instead.
func (a *Authority) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /token.oauth2", a.TokenHandler())
	mux.Handle("GET /.well-known/jwks.json", a.JWKSHandler())
	mux.Handle("GET /v2/keys/{kid}", a.ConsumerKeyHandler())
	mux.Handle("GET /v2/producerKeys/{kid}", a.ProducerKeyHandler())
	return mux
}

// AddClient registers a client. consumerID is the tenant that owns it.
func (a *Authority) AddClient(id, consumerID string, api bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clients[id] = &Client{ID: id, ConsumerID: consumerID, API: api, keys: map[string]crypto.PublicKey{}, purposes: map[string]bool{}}
}

// AddClientKey uploads a public key to a client and returns its kid (the RFC 7638 thumbprint).
func (a *Authority) AddClientKey(clientID string, pub crypto.PublicKey) (string, error) {
	kid, err := jose.Thumbprint(pub)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.clients[clientID]
	if !ok {
		return "", fmt.Errorf("pdndtest: no client %s", clientID)
	}
	c.keys[kid] = pub
	return kid, nil
}

// RemoveClientKey deletes a key from a client (a key revoked in the back office): the token
// endpoint and the key API no longer know it. It reports whether the key was there.
func (a *Authority) RemoveClientKey(clientID, kid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.clients[clientID]
	if !ok || c.keys[kid] == nil {
		return false
	}
	delete(c.keys, kid)
	return true
}

// AddPurpose registers (or replaces) a purpose and associates it with clients.
func (a *Authority) AddPurpose(p Purpose, clientIDs ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.purposes[p.ID] = p
	for _, id := range clientIDs {
		if c, ok := a.clients[id]; ok {
			c.purposes[p.ID] = true
		}
	}
}

// UpdatePurpose changes a registered purpose in place (its platform states, say); false when
// there is no purpose with that id.
func (a *Authority) UpdatePurpose(id string, change func(p *Purpose)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.purposes[id]
	if !ok {
		return false
	}
	change(&p)
	p.ID = id
	a.purposes[id] = p
	return true
}

// PurposeByID returns a registered purpose.
func (a *Authority) PurposeByID(id string) (Purpose, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.purposes[id]
	return p, ok
}

// AddProducerKey uploads a key to a producer keychain and returns its kid.
func (a *Authority) AddProducerKey(keychainID string, pub crypto.PublicKey) (string, error) {
	kid, err := jose.Thumbprint(pub)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.producerKeys[kid] = producerKey{keychainID: keychainID, key: pub}
	return kid, nil
}

// VoucherPublicKey is the public key of the current voucher signing key.
func (a *Authority) VoucherPublicKey() crypto.PublicKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.signer.Public()
}

// VoucherKid is the kid of the current voucher signing key.
func (a *Authority) VoucherKid() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.signer.Kid()
}

// RotateKey replaces the voucher signing key. The old key stays in the JWKS only if keepOld
// (until the next rotation without it).
func (a *Authority) RotateKey(keepOld bool) (kid string, err error) {
	if keepOld {
		return a.rotate(-1)
	}
	return a.rotate(0)
}

// RotateKeyWithGrace replaces the voucher signing key and keeps the old one in the JWKS for grace
// (PDND publishes a new key before signing with it and withdraws the old one once the vouchers it
// signed have expired). Retired keys whose grace is over leave the JWKS at the next fetch.
func (a *Authority) RotateKeyWithGrace(grace time.Duration) (kid string, err error) {
	if grace <= 0 {
		return a.rotate(0)
	}
	return a.rotate(grace)
}

// rotate: grace < 0 keeps the old key without limit, 0 drops every old key, > 0 keeps it that long.
func (a *Authority) rotate(grace time.Duration) (string, error) {
	signer, err := newVoucherSigner()
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case grace < 0:
		a.retired = append(a.retired, retired{signer: a.signer})
	case grace == 0:
		a.retired = nil
	default:
		a.retired = append(a.retired, retired{signer: a.signer, until: a.now().Add(grace)})
	}
	a.signer = signer
	return signer.Kid(), nil
}

// PublishedKids lists the kids of the JWKS as it is served now, current key first.
func (a *Authority) PublishedKids() []string {
	var kids []string
	for _, s := range a.publishedSigners() {
		kids = append(kids, s.Kid())
	}
	return kids
}

// publishedSigners returns the current key and the retired keys still in their grace period,
// forgetting those whose grace is over.
func (a *Authority) publishedSigners() []*jose.Signer {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.retired = slices.DeleteFunc(a.retired, func(r retired) bool { return !r.until.IsZero() && !now.Before(r.until) })
	out := []*jose.Signer{a.signer}
	for _, r := range a.retired {
		out = append(out, r.signer)
	}
	return out
}

// RateLimitNext makes the next n token requests answer 429 with Retry-After (whole seconds; zero
// omits the header), whatever the rate limit.
func (a *Authority) RateLimitNext(n int, retryAfter time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rateLimited, a.retryAfter = n, retryAfter
}

// SetJWKSDown makes the JWKS endpoint answer 503 (true) or serve again (false).
func (a *Authority) SetJWKSDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jwksDown = down
}

// voucherHeader is the JOSE header of every PDND voucher: typ at+jwt, use sig, kid (§1.3).
var voucherHeader = jose.SignHeader{Typ: "at+jwt", Kid: true, Extra: map[string]any{"use": "sig"}}

// SignVoucher signs arbitrary voucher claims with the current PDND key and header (typ at+jwt,
// use sig, kid), for tests that tamper with vouchers.
func (a *Authority) SignVoucher(claims map[string]any) (string, error) {
	return a.SignVoucherWith(voucherHeader, claims)
}

// SignVoucherWith signs claims with header values overridden (typ, extra members), for tests of
// header checks.
func (a *Authority) SignVoucherWith(h jose.SignHeader, claims map[string]any) (string, error) {
	a.mu.Lock()
	signer := a.signer
	a.mu.Unlock()
	return signer.SignJSON(h, claims)
}

// VoucherClaims returns the claims PDND would put in a consumer voucher for purpose p and client.
func (a *Authority) VoucherClaims(p Purpose, clientID string) map[string]any {
	now := a.now()
	life := p.VoucherLifetime
	if life <= 0 {
		life = a.VoucherLifetime
	}
	return map[string]any{
		"iss": a.Issuer, "aud": strings.Join(p.Audience, ","), "sub": clientID, "client_id": clientID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(life).Unix(), "jti": uuid.NewString(),
		"purposeId": p.ID, "producerId": p.ProducerID, "consumerId": p.ConsumerID,
		"eserviceId": p.EServiceID, "descriptorId": p.DescriptorID,
	}
}

// m2mClaims are the claims of a PDND-API voucher (generateInteropApiToken): organizationId and
// role m2m, aud the m2m audience, no purpose.
func (a *Authority) m2mClaims(c *Client) map[string]any {
	now := a.now()
	return map[string]any{"iss": a.Issuer, "aud": a.M2MAudience, "sub": c.ID, "client_id": c.ID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(a.VoucherLifetime).Unix(), "jti": uuid.NewString(),
		"organizationId": c.ConsumerID, "role": "m2m"}
}

// JWKSHandler serves the voucher keys: the current one and the retired ones still in grace.
func (a *Authority) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a.JWKSFetches.Add(1)
		a.mu.Lock()
		down := a.jwksDown
		a.mu.Unlock()
		if down {
			http.Error(w, "JWKS unavailable", http.StatusServiceUnavailable)
			return
		}
		set := jwk.NewSet()
		for _, sg := range a.publishedSigners() {
			k, err := jose.PublicJWK(sg.Public(), sg.Kid())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_ = k.Set(jwk.KeyUsageKey, "sig")
			_ = k.Set(jwk.AlgorithmKey, jose.RS256)
			_ = set.AddKey(k)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
}

// ConsumerKeyHandler serves GET /keys/{kid} of the PDND API v2 (a key of a consumer client).
func (a *Authority) ConsumerKeyHandler() http.Handler { return a.keyLookup(a.consumerKey) }

// ProducerKeyHandler serves GET /producerKeys/{kid} of the PDND API v2 (a producer keychain key).
func (a *Authority) ProducerKeyHandler() http.Handler { return a.keyLookup(a.producerKey) }

// apiAuth checks the Bearer voucher of a PDND API call.
func (a *Authority) apiAuth(r *http.Request) error {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return errors.New("a PDND-API voucher is required (Authorization: Bearer)")
	}
	_, err := a.VerifyAPIVoucher(tok)
	return err
}

// VerifyAPIVoucher checks a PDND-API (m2m) voucher as PDND's own APIs do: signed by a published
// key of this authority, iss, role m2m or m2m-admin, aud the m2m audience, not expired. It returns
// the voucher's organizationId (the caller's tenant).
func (a *Authority) VerifyAPIVoucher(token string) (organizationID string, err error) {
	t, err := jose.Parse(token)
	if err != nil {
		return "", errors.New("the voucher is not a JWS")
	}
	verified := false
	for _, sg := range a.publishedSigners() {
		if sg.Kid() == t.Header.Kid && t.Verify(jose.RS256, sg.Public()) == nil {
			verified = true
		}
	}
	var c struct {
		Iss            string           `json:"iss"`
		Aud            jose.Audience    `json:"aud"`
		Role           string           `json:"role"`
		OrganizationID string           `json:"organizationId"`
		Expiry         jose.NumericDate `json:"exp"`
	}
	switch {
	case !verified:
		return "", errors.New("the voucher is not signed by a key of this PDND")
	case jose.DecodeClaims(t.Payload, &c) != nil || (c.Role != "m2m" && c.Role != "m2m-admin") || c.OrganizationID == "":
		return "", errors.New("the voucher was not issued to a PDND-API client")
	case c.Iss != a.Issuer || !c.Aud.Contains(a.M2MAudience):
		return "", errors.New("the voucher is not for the PDND API of this environment")
	case !a.now().Before(c.Expiry.Time()):
		return "", errors.New("the voucher has expired")
	}
	return c.OrganizationID, nil
}

// keyLookup serves a PDND API key lookup: find (called with a.mu held) returns the owner members
// of the v2 body and the key, nil when the kid is unknown.
func (a *Authority) keyLookup(find func(kid string) (map[string]any, crypto.PublicKey)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.KeyLookups.Add(1)
		if err := a.apiAuth(r); err != nil {
			writeProblem(w, http.StatusUnauthorized, "Unauthorized", err.Error(), []pdnd.ProblemError{{Code: "007-0001", Detail: err.Error()}})
			return
		}
		kid := r.PathValue("kid")
		a.mu.Lock()
		body, key := find(kid)
		a.mu.Unlock()
		if key == nil {
			detail := "Key " + kid + " not found"
			writeProblem(w, http.StatusNotFound, "Resource not found", detail, []pdnd.ProblemError{{Code: "007-0404", Detail: detail}})
			return
		}
		k, err := jose.PublicJWK(key, kid)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = k.Set(jwk.KeyUsageKey, "sig")
		_ = k.Set(jwk.AlgorithmKey, jose.RS256)
		body["jwk"] = k
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}

func (a *Authority) consumerKey(kid string) (map[string]any, crypto.PublicKey) {
	for _, c := range a.clients {
		if k, ok := c.keys[kid]; ok {
			return map[string]any{"clientId": c.ID}, k
		}
	}
	return nil, nil
}

func (a *Authority) producerKey(kid string) (map[string]any, crypto.PublicKey) {
	if pk, ok := a.producerKeys[kid]; ok {
		return map[string]any{"producerKeychainId": pk.keychainID}, pk.key
	}
	return nil, nil
}

// writeProblem writes a PDND problem body.
func writeProblem(w http.ResponseWriter, status int, title, detail string, errs []pdnd.ProblemError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(pdnd.Problem{Type: "about:blank", Status: status, Title: title,
		CorrelationID: uuid.NewString(), Detail: detail, Errors: errs})
}
