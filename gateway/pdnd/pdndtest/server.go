// Package pdndtest is a small PDND on loopback for tests: it serves the voucher JWKS, a token
// endpoint that checks client assertions the way PDND does (the claim whitelist, RS256, aud, exp,
// no nbf, the client's key and purpose, the AUDIT_REST_02 digest shape, DPoP proofs), and the PDND
// API v2 key lookups (GET /keys/{kid}, GET /producerKeys/{kid}). It is test scaffolding with fault
// injection (429s, JWKS outages, key rotation); the full PDND simulator builds on it.
package pdndtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
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

// Issuer is the voucher iss of the test PDND.
const Issuer = "test.interop.pagopa.local"

// M2MAudience is the aud of vouchers issued to PDND-API clients.
const M2MAudience = "test.interop.pagopa.local/m2m"

// Purpose is a purpose on an e-service, with what PDND copies into its vouchers.
type Purpose struct {
	ID           string
	EServiceID   string
	DescriptorID string
	ProducerID   string
	ConsumerID   string
	// Audience is the descriptor's audience list (serialised comma-joined, as PDND does).
	Audience []string
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

// Server is the test PDND. Create it with New; configure clients, keys and purposes before use
// (the methods are safe for concurrent use).
type Server struct {
	*httptest.Server

	// AssertionAudience is the client-assertion aud the token endpoint accepts.
	AssertionAudience string
	// VoucherLifetime is exp - iat of issued vouchers (default 600 s).
	VoucherLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	// TokenRequests, JWKSFetches and KeyLookups count requests, for tests that assert caching.
	TokenRequests, JWKSFetches, KeyLookups atomic.Int64

	mu           sync.Mutex
	signer       *jose.Signer
	oldSigners   []*jose.Signer
	clients      map[string]*Client
	purposes     map[string]Purpose
	producerKeys map[string]producerKey
	rateLimited  int
	retryAfter   time.Duration
	jwksDown     bool
	dpop         *pdnd.DPoPVerifier
}

type producerKey struct {
	keychainID string
	key        crypto.PublicKey
}

// New starts a test PDND on a loopback port with a fresh RSA-2048 voucher key. replayStore holds
// DPoP proof jtis of token requests (any store.Store; tests use the memory one).
func New(replayStore store.Store) (*Server, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(key)
	if err != nil {
		return nil, err
	}
	s := &Server{
		VoucherLifetime: 600 * time.Second,
		signer:          signer,
		clients:         map[string]*Client{},
		purposes:        map[string]Purpose{},
		producerKeys:    map[string]producerKey{},
	}
	s.dpop = pdnd.NewDPoPVerifier(replayStore, pdnd.WithDPoPClock(s.now))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	mux.HandleFunc("POST /token.oauth2", s.token)
	mux.HandleFunc("GET /v2/keys/{kid}", s.keyLookup(s.consumerKey))
	mux.HandleFunc("GET /v2/producerKeys/{kid}", s.keyLookup(s.producerKey))
	s.Server = httptest.NewServer(mux)
	s.AssertionAudience = strings.TrimPrefix(s.URL, "http://") + "/client-assertion"
	return s, nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Environment is the pdnd.Environment of this server.
func (s *Server) Environment() pdnd.Environment {
	return pdnd.Environment{
		Issuer:            Issuer,
		JWKSURL:           s.URL + "/.well-known/jwks.json",
		TokenURL:          s.URL + "/token.oauth2",
		AssertionAudience: s.AssertionAudience,
		APIURL:            s.URL + "/v2",
	}
}

// AddClient registers a client. consumerID is the tenant that owns it.
func (s *Server) AddClient(id, consumerID string, api bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = &Client{ID: id, ConsumerID: consumerID, API: api, keys: map[string]crypto.PublicKey{}, purposes: map[string]bool{}}
}

// AddClientKey uploads a public key to a client and returns its kid (the RFC 7638 thumbprint).
func (s *Server) AddClientKey(clientID string, pub crypto.PublicKey) (string, error) {
	kid, err := jose.Thumbprint(pub)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return "", fmt.Errorf("pdndtest: no client %s", clientID)
	}
	c.keys[kid] = pub
	return kid, nil
}

// AddPurpose registers a purpose and associates it with clients.
func (s *Server) AddPurpose(p Purpose, clientIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purposes[p.ID] = p
	for _, id := range clientIDs {
		if c, ok := s.clients[id]; ok {
			c.purposes[p.ID] = true
		}
	}
}

// AddProducerKey uploads a key to a producer keychain and returns its kid.
func (s *Server) AddProducerKey(keychainID string, pub crypto.PublicKey) (string, error) {
	kid, err := jose.Thumbprint(pub)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.producerKeys[kid] = producerKey{keychainID: keychainID, key: pub}
	return kid, nil
}

// VoucherPublicKey is the public key of the current voucher signing key.
func (s *Server) VoucherPublicKey() crypto.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer.Public()
}

// RotateKey replaces the voucher signing key. The old key stays in the JWKS only if keepOld.
func (s *Server) RotateKey(keepOld bool) (kid string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(key)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if keepOld {
		s.oldSigners = append(s.oldSigners, s.signer)
	} else {
		s.oldSigners = nil
	}
	s.signer = signer
	return signer.Kid(), nil
}

// VoucherKid is the kid of the current voucher signing key.
func (s *Server) VoucherKid() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer.Kid()
}

// RateLimitNext makes the next n token requests answer 429 with Retry-After (whole seconds; zero
// omits the header).
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.retryAfter = n, retryAfter
}

// SetJWKSDown makes the JWKS endpoint answer 503 (true) or serve again (false).
func (s *Server) SetJWKSDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwksDown = down
}

// SignVoucher signs arbitrary voucher claims with the current PDND key and header (typ at+jwt,
// use sig, kid), for tests that tamper with vouchers.
func (s *Server) SignVoucher(claims map[string]any) (string, error) {
	s.mu.Lock()
	signer := s.signer
	s.mu.Unlock()
	return signer.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true, Extra: map[string]any{"use": "sig"}}, claims)
}

// SignVoucherWith signs claims with header values overridden (typ, extra members), for tests of
// header checks.
func (s *Server) SignVoucherWith(h jose.SignHeader, claims map[string]any) (string, error) {
	s.mu.Lock()
	signer := s.signer
	s.mu.Unlock()
	return signer.SignJSON(h, claims)
}

// VoucherClaims returns the claims PDND would put in a consumer voucher for purpose p and client.
func (s *Server) VoucherClaims(p Purpose, clientID string) map[string]any {
	now := s.now()
	return map[string]any{
		"iss": Issuer, "aud": strings.Join(p.Audience, ","), "sub": clientID, "client_id": clientID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(s.VoucherLifetime).Unix(), "jti": uuid.NewString(),
		"purposeId": p.ID, "producerId": p.ProducerID, "consumerId": p.ConsumerID,
		"eserviceId": p.EServiceID, "descriptorId": p.DescriptorID,
	}
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	s.JWKSFetches.Add(1)
	s.mu.Lock()
	down := s.jwksDown
	signers := append([]*jose.Signer{s.signer}, s.oldSigners...)
	s.mu.Unlock()
	if down {
		http.Error(w, "JWKS unavailable", http.StatusServiceUnavailable)
		return
	}
	set := jwk.NewSet()
	for _, sg := range signers {
		k, err := jose.PublicJWK(sg.Public(), sg.Kid())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = set.AddKey(k)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// pdndError writes a PDND problem body.
func pdndError(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(pdnd.Problem{
		Type: "about:blank", Status: status, Title: http.StatusText(status), CorrelationID: uuid.NewString(),
		Detail: detail, Errors: []pdnd.ProblemError{{Code: code, Detail: detail}},
	})
}

// Error codes the test token endpoint answers with (PDND's are of the form NNN-NNNN).
const (
	CodeInvalidRequest   = "015-0002"
	CodeInvalidAssertion = "015-0003"
	CodeInvalidClaims    = "015-0004"
	CodeKeyNotFound      = "015-0005"
	CodePurpose          = "015-0006"
	CodeSignature        = "015-0007"
	CodeDPoP             = "015-0009"
)

var allowedHeader = map[string]bool{"kid": true, "alg": true, "typ": true}
var allowedClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "jti": true, "iat": true, "exp": true, "purposeId": true, "digest": true}
var hex64 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

type assertion struct {
	Iss       string           `json:"iss"`
	Sub       string           `json:"sub"`
	Aud       jose.Audience    `json:"aud"`
	JTI       string           `json:"jti"`
	IssuedAt  jose.NumericDate `json:"iat"`
	Expiry    jose.NumericDate `json:"exp"`
	PurposeID string           `json:"purposeId"`
	Digest    json.RawMessage  `json:"digest"`
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.TokenRequests.Add(1)
	s.mu.Lock()
	if s.rateLimited > 0 {
		s.rateLimited--
		if s.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.retryAfter/time.Second)))
		}
		s.mu.Unlock()
		pdndError(w, http.StatusTooManyRequests, "015-0429", "Too many requests")
		return
	}
	s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		pdndError(w, http.StatusBadRequest, CodeInvalidRequest, "the body is not a form")
		return
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		pdndError(w, http.StatusBadRequest, CodeInvalidRequest, "grant_type must be client_credentials")
		return
	case r.PostForm.Get("client_assertion_type") != pdnd.ClientAssertionType:
		pdndError(w, http.StatusBadRequest, CodeInvalidRequest, "client_assertion_type must be "+pdnd.ClientAssertionType)
		return
	}
	raw := r.PostForm.Get("client_assertion")
	t, err := jose.Parse(raw)
	if err != nil {
		pdndError(w, http.StatusBadRequest, CodeInvalidAssertion, "client assertion: "+err.Error())
		return
	}
	if err := whitelist(t); err != nil {
		pdndError(w, http.StatusBadRequest, CodeInvalidClaims, err.Error())
		return
	}
	if t.Header.Alg != jose.RS256 {
		pdndError(w, http.StatusBadRequest, CodeInvalidAssertion, "Algorithm "+t.Header.Alg+" is not allowed")
		return
	}
	if t.Header.Typ != "" && t.Header.Typ != "JWT" {
		pdndError(w, http.StatusBadRequest, CodeInvalidAssertion, "typ must be JWT")
		return
	}
	var a assertion
	if err := jose.DecodeClaims(t.Payload, &a); err != nil {
		pdndError(w, http.StatusBadRequest, CodeInvalidClaims, err.Error())
		return
	}
	now := s.now()
	clientID := r.PostForm.Get("client_id")
	switch {
	case a.Iss == "" || a.Sub == "" || a.JTI == "":
		err = errors.New("iss, sub and jti are required")
	case clientID != "" && a.Sub != clientID:
		err = fmt.Errorf("subject claim value %s does not correspond to provided client_id (PDND error 8008)", a.Sub)
	case !a.Aud.Contains(s.AssertionAudience):
		err = fmt.Errorf("aud %q does not contain %s", a.Aud.String(), s.AssertionAudience)
	case !a.IssuedAt.IsSet() || !a.Expiry.IsSet():
		err = errors.New("iat and exp are required numbers")
	case !now.Before(a.Expiry.Time()):
		err = errors.New("the client assertion has expired")
	case !jose.ValidKid(t.Header.Kid):
		err = errors.New("kid is required and must be a key id")
	}
	if err == nil && len(a.Digest) > 0 {
		err = checkDigest(a.Digest)
	}
	if err != nil {
		pdndError(w, http.StatusBadRequest, CodeInvalidClaims, err.Error())
		return
	}
	s.mu.Lock()
	c := s.clients[a.Sub]
	var key crypto.PublicKey
	var purpose Purpose
	purposeOK := false
	if c != nil {
		key = c.keys[t.Header.Kid]
		purpose, purposeOK = s.purposes[a.PurposeID]
		purposeOK = purposeOK && c.purposes[a.PurposeID]
	}
	signer := s.signer
	s.mu.Unlock()
	switch {
	case c == nil || key == nil:
		pdndError(w, http.StatusBadRequest, CodeKeyNotFound, "client or key not found")
		return
	case c.API && a.PurposeID != "":
		pdndError(w, http.StatusBadRequest, CodePurpose, "PDND-API clients must not send purposeId")
		return
	case !c.API && !purposeOK:
		pdndError(w, http.StatusBadRequest, CodePurpose, "purposeId not provided or not associated with the client")
		return
	}
	if err := t.Verify(jose.RS256, key); err != nil {
		pdndError(w, http.StatusBadRequest, CodeSignature, "client assertion signature: "+err.Error())
		return
	}
	var claims map[string]any
	tokenType := "Bearer"
	if c.API {
		claims = map[string]any{"iss": Issuer, "aud": M2MAudience, "sub": c.ID, "client_id": c.ID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(s.VoucherLifetime).Unix(), "jti": uuid.NewString(),
			"organizationId": c.ConsumerID, "role": "m2m"}
	} else {
		claims = s.VoucherClaims(purpose, c.ID)
		if len(a.Digest) > 0 {
			claims["digest"] = a.Digest
		}
	}
	if proofs := r.Header.Values("DPoP"); len(proofs) > 0 {
		p, err := s.dpop.Verify(r.Context(), proofs, http.MethodPost, s.URL+r.URL.Path, nil)
		if err != nil {
			pdndError(w, http.StatusBadRequest, CodeDPoP, "DPoP proof: "+err.Error())
			return
		}
		claims["cnf"] = map[string]string{"jkt": p.JKT}
		tokenType = "DPoP"
	}
	voucher, err := signer.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true, Extra: map[string]any{"use": "sig"}}, claims)
	if err != nil {
		pdndError(w, http.StatusInternalServerError, "015-0500", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": voucher, "token_type": tokenType,
		"expires_in": int(s.VoucherLifetime / time.Second)})
}

// whitelist refuses header or payload members outside PDND's allowed sets (the strict-claims mode
// of §1.2: nbf and client_id are refused too).
func whitelist(t *jose.Token) error {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(t.Payload, &claims); err != nil {
		return errors.New("the client assertion payload is not a JSON object")
	}
	for name := range claims {
		if !allowedClaims[name] {
			return fmt.Errorf("claim %s is not allowed in a client assertion", name)
		}
	}
	encoded, _, _ := strings.Cut(t.Raw, ".")
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	var header map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &header) != nil {
		return errors.New("the client assertion header is not a JSON object")
	}
	for name := range header {
		if !allowedHeader[name] {
			return fmt.Errorf("header member %s is not allowed in a client assertion", name)
		}
	}
	return nil
}

// checkDigest enforces PDND's digest shape: exactly {alg: SHA256, value: 64 hex characters}.
func checkDigest(raw json.RawMessage) error {
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		return errors.New("digest must be an object")
	}
	alg, _ := d["alg"].(string)
	value, _ := d["value"].(string)
	switch {
	case len(d) != 2:
		return errors.New("digest must have exactly the members alg and value")
	case alg != pdnd.DigestAlg:
		return fmt.Errorf("digest alg %q is not SHA256", alg)
	case !hex64.MatchString(value):
		return errors.New("digest value must be 64 hexadecimal characters")
	}
	return nil
}

// apiAuth checks the Bearer voucher of a PDND API call: signed by this PDND, issued to a PDND-API
// client, not expired.
func (s *Server) apiAuth(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	t, err := jose.Parse(tok)
	if err != nil {
		return false
	}
	s.mu.Lock()
	signers := append([]*jose.Signer{s.signer}, s.oldSigners...)
	s.mu.Unlock()
	verified := false
	for _, sg := range signers {
		if sg.Kid() == t.Header.Kid && t.Verify(jose.RS256, sg.Public()) == nil {
			verified = true
		}
	}
	var c struct {
		Role   string           `json:"role"`
		Expiry jose.NumericDate `json:"exp"`
	}
	return verified && jose.DecodeClaims(t.Payload, &c) == nil && c.Role == "m2m" && s.now().Before(c.Expiry.Time())
}

// keyLookup serves a PDND API key lookup: find (called with s.mu held) returns the owner members
// of the v2 body and the key, nil when the kid is unknown.
func (s *Server) keyLookup(find func(kid string) (map[string]any, crypto.PublicKey)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.KeyLookups.Add(1)
		if !s.apiAuth(r) {
			pdndError(w, http.StatusUnauthorized, "007-0001", "Unauthorized")
			return
		}
		kid := r.PathValue("kid")
		s.mu.Lock()
		body, key := find(kid)
		s.mu.Unlock()
		if key == nil {
			pdndError(w, http.StatusNotFound, "007-0404", "Key "+kid+" not found")
			return
		}
		writeKey(w, body, key, kid)
	}
}

func (s *Server) consumerKey(kid string) (map[string]any, crypto.PublicKey) {
	for _, c := range s.clients {
		if k, ok := c.keys[kid]; ok {
			return map[string]any{"clientId": c.ID}, k
		}
	}
	return nil, nil
}

func (s *Server) producerKey(kid string) (map[string]any, crypto.PublicKey) {
	if pk, ok := s.producerKeys[kid]; ok {
		return map[string]any{"producerKeychainId": pk.keychainID}, pk.key
	}
	return nil, nil
}

func writeKey(w http.ResponseWriter, body map[string]any, key crypto.PublicKey, kid string) {
	k, err := jose.PublicJWK(key, kid)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body["jwk"] = k
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
