package pdnd_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
)

// TestClientAssertionWhitelist decodes a client assertion and checks it holds exactly PDND's
// allowed header and claims (§1.2): no nbf, no client_id, NumericDates as numbers, a 43-character
// thumbprint kid.
func TestClientAssertionWhitelist(t *testing.T) {
	f := newFixture(t)
	a, err := f.client.ClientAssertion(testPurposeID, pdnd.AuditDigest("a.b.c"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(a, ".")
	var header, claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	if len(header) != 3 || header["alg"] != "RS256" || header["typ"] != "JWT" {
		t.Fatalf("header %v", header)
	}
	if kid, _ := header["kid"].(string); !regexp.MustCompile(`^[a-zA-Z0-9_-]{43}$`).MatchString(kid) {
		t.Fatalf("kid %q is not PDND's thumbprint form", kid)
	}
	allowed := map[string]bool{"iss": true, "sub": true, "aud": true, "jti": true, "iat": true, "exp": true, "purposeId": true, "digest": true}
	for k := range claims {
		if !allowed[k] {
			t.Errorf("claim %s is outside PDND's whitelist", k)
		}
	}
	if claims["iss"] != testClientID || claims["sub"] != testClientID || claims["purposeId"] != testPurposeID {
		t.Fatalf("claims %v", claims)
	}
	if _, ok := claims["iat"].(float64); !ok {
		t.Fatalf("iat %T, want a JSON number", claims["iat"])
	}
	d := claims["digest"].(map[string]any)
	if len(d) != 2 || d["alg"] != "SHA256" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(d["value"].(string)) {
		t.Fatalf("digest %v", d)
	}
	noPurpose, err := f.client.ClientAssertion("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(decodePayload(t, noPurpose), "purposeId") || strings.Contains(decodePayload(t, noPurpose), "digest") {
		t.Fatal("a PDND-API assertion must not carry purposeId or digest")
	}
}

func decodePayload(t *testing.T, tok string) string {
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTokenEndpointRoundTrip obtains vouchers from the loopback PDND (which checks the assertion)
// and verifies them as a provider: Bearer, DPoP-bound, and with an AUDIT_REST_02 digest.
func TestTokenEndpointRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tr, err := f.client.RequestToken(ctx, pdnd.TokenRequest{PurposeID: testPurposeID})
	if err != nil {
		t.Fatal(err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 600*time.Second {
		t.Fatalf("%+v", tr)
	}
	v, err := f.v.Verify(ctx, tr.AccessToken, pdnd.Bearer, &f.expect)
	if err != nil {
		t.Fatal(err)
	}
	if v.ClientID != testClientID || v.PurposeID != testPurposeID || v.Digest != nil {
		t.Fatalf("%+v", v)
	}

	digest := pdnd.AuditDigest("evidence.jws.text")
	tr, err = f.client.RequestToken(ctx, pdnd.TokenRequest{PurposeID: testPurposeID, Digest: digest, DPoP: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr.TokenType != "DPoP" {
		t.Fatalf("token_type %s", tr.TokenType)
	}
	v, err = f.v.Verify(ctx, tr.AccessToken, pdnd.DPoPScheme, &f.expect)
	if err != nil {
		t.Fatal(err)
	}
	if v.JKT != f.client.DPoP.JKT() || v.Digest == nil || *v.Digest != *digest {
		t.Fatalf("jkt %s digest %+v", v.JKT, v.Digest)
	}
	proof, err := pdnd.NewDPoPProof(f.client.DPoP, "GET", callURL, tr.AccessToken, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pdnd.NewDPoPVerifier(f.store, pdnd.WithDPoPClock(f.clock.Now)).Verify(ctx, []string{proof}, "GET", callURL, v); err != nil {
		t.Fatal(err)
	}
}

// TestTokenEndpointErrors: PDND problems surface with their codes in a *TokenError.
func TestTokenEndpointErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, mutate := range map[string]func(c *pdnd.Client){
		"fail/unknown-purpose": func(c *pdnd.Client) {},
		"fail/wrong-audience":  func(c *pdnd.Client) { c.AssertionAudience = "auth.interop.pagopa.it/client-assertion" },
		"fail/key-not-uploaded": func(c *pdnd.Client) {
			s, _ := jose.NewSigner(sectest.RSAKey(t, 2))
			c.Signer = s
		},
		"fail/expired-assertion": func(c *pdnd.Client) {
			c.Now = func() time.Time { return sectest.Epoch.Add(-time.Hour) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := *f.client
			mutate(&c)
			purpose := testPurposeID
			if name == "fail/unknown-purpose" {
				purpose = "99999999-9999-4999-8999-999999999999"
			}
			_, err := c.RequestToken(ctx, pdnd.TokenRequest{PurposeID: purpose})
			var te *pdnd.TokenError
			if !errors.As(err, &te) || te.Status != 400 || te.Problem == nil || len(te.Codes()) == 0 || te.Temporary() {
				t.Fatalf("%v (%+v)", err, te)
			}
			if !regexp.MustCompile(`^\d{3}-\d{4}$`).MatchString(te.Codes()[0]) {
				t.Fatalf("code %q", te.Codes()[0])
			}
		})
	}
	f.srv.RateLimitNext(1, 7*time.Second)
	_, err := f.client.RequestToken(ctx, pdnd.TokenRequest{PurposeID: testPurposeID})
	var te *pdnd.TokenError
	if !errors.As(err, &te) || te.Status != 429 || te.RetryAfter != 7*time.Second || !te.Temporary() {
		t.Fatalf("%v %+v", err, te)
	}
}

func TestParseTokenResponse(t *testing.T) {
	for name, body := range map[string]string{
		"fail/no-token":       `{"token_type":"Bearer","expires_in":600}`,
		"fail/mac-type":       `{"access_token":"a","token_type":"MAC","expires_in":600}`,
		"fail/expires-string": `{"access_token":"a","token_type":"Bearer","expires_in":"600"}`,
		"fail/expires-zero":   `{"access_token":"a","token_type":"Bearer","expires_in":0}`,
		"fail/expires-float":  `{"access_token":"a","token_type":"Bearer","expires_in":1.5}`,
		"fail/expires-huge":   `{"access_token":"a","token_type":"Bearer","expires_in":86401}`,
		"fail/not-json":       `<html>502</html>`,
	} {
		if _, err := pdnd.ParseTokenResponse([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tr, err := pdnd.ParseTokenResponse([]byte(`{"access_token":"a.b.c","token_type":"bearer","expires_in":600}`))
	if err != nil || tr.TokenType != "Bearer" || tr.ExpiresIn != 10*time.Minute {
		t.Fatalf("%+v %v", tr, err)
	}
}

func TestParseProblemAndRetryAfter(t *testing.T) {
	field := `{"errors":[{"code":"015-0008","detail":"Unable to generate a token for the given request"}],"status":400,"title":"The request contains bad syntax or cannot be fulfilled.","type":"about:blank","correlationId":"c1"}`
	p, err := pdnd.ParseProblem([]byte(field))
	if err != nil || p.Errors[0].Code != "015-0008" || p.Status != 400 || p.CorrelationID != "c1" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := pdnd.ParseProblem([]byte(`{"foo":1}`)); err == nil {
		t.Fatal("a JSON object without title or errors is not a problem")
	}
	now := sectest.Epoch
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "0": 0, "-5": 0, "": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := pdnd.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// inMemory routes a client's requests to a handler without the network, for synctest bubbles.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// bubbleClient is the fixture's client wired to the test PDND's handler in memory, on the bubble's
// clock.
func bubbleClient(f *fixture) *pdnd.Client {
	c := *f.client
	c.HTTP = &http.Client{Transport: inMemory{f.srv.Config.Handler}}
	c.Now = nil
	return &c
}

// TestVoucherCacheRefresh runs in a synctest bubble: vouchers are reused, refreshed in the
// background at 90% of their lifetime while callers keep the old one, and shared by concurrent
// callers.
func TestVoucherCacheRefresh(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		f.srv.Now = nil // the bubble's clock
		cache := pdnd.NewVoucherCache(bubbleClient(f))
		ctx := context.Background()
		req := pdnd.VoucherRequest{PurposeID: testPurposeID}
		start := f.srv.TokenRequests.Load()

		var wg sync.WaitGroup
		tokens := make([]string, 10)
		for i := range tokens {
			wg.Go(func() {
				c, err := cache.Get(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				tokens[i] = c.AccessToken
			})
		}
		wg.Wait()
		if n := f.srv.TokenRequests.Load() - start; n != 1 {
			t.Fatalf("10 concurrent callers made %d token requests", n)
		}
		first := tokens[0]

		time.Sleep(539 * time.Second)
		if c, _ := cache.Get(ctx, req); c.AccessToken != first || f.srv.TokenRequests.Load()-start != 1 {
			t.Fatal("a voucher at 89% of its lifetime must be reused without a request")
		}
		time.Sleep(2 * time.Second) // 90.2%
		c, err := cache.Get(ctx, req)
		if err != nil || c.AccessToken != first {
			t.Fatalf("at refresh time the caller gets the current voucher at once: %v", err)
		}
		synctest.Wait()
		if n := f.srv.TokenRequests.Load() - start; n != 2 {
			t.Fatalf("%d token requests after the refresh point, want 2", n)
		}
		c, _ = cache.Get(ctx, req)
		if c.AccessToken == first {
			t.Fatal("the refreshed voucher is not served")
		}
		if !c.Expiry.Equal(time.Now().Add(600 * time.Second)) {
			t.Fatalf("expiry %v, now %v", c.Expiry, time.Now())
		}
		// Another purpose and DPoP are other cache keys.
		if _, err := cache.Get(ctx, pdnd.VoucherRequest{PurposeID: testPurposeID, DPoP: true}); err != nil {
			t.Fatal(err)
		}
		if n := f.srv.TokenRequests.Load() - start; n != 3 {
			t.Fatalf("%d token requests, want 3", n)
		}
	})
}

// TestVoucherCacheHonours429: after a 429 with Retry-After, no request reaches PDND until it passes.
func TestVoucherCacheHonours429(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		f.srv.Now = nil
		cache := pdnd.NewVoucherCache(bubbleClient(f))
		ctx := context.Background()
		req := pdnd.VoucherRequest{PurposeID: testPurposeID}
		f.srv.RateLimitNext(1, 30*time.Second)
		start := f.srv.TokenRequests.Load()
		_, err := cache.Get(ctx, req)
		var te *pdnd.TokenError
		if !errors.As(err, &te) || te.Status != 429 {
			t.Fatalf("%v", err)
		}
		for range 5 {
			time.Sleep(5 * time.Second)
			_, err := cache.Get(ctx, req)
			if !errors.As(err, &te) || te.Status != 429 || te.RetryAfter <= 0 {
				t.Fatalf("during Retry-After: %v", err)
			}
		}
		if n := f.srv.TokenRequests.Load() - start; n != 1 {
			t.Fatalf("%d requests reached PDND during Retry-After, want only the first", n)
		}
		time.Sleep(6 * time.Second)
		if _, err := cache.Get(ctx, req); err != nil {
			t.Fatalf("after Retry-After: %v", err)
		}
		if n := f.srv.TokenRequests.Load() - start; n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
}

// TestVoucherCacheFailureBackoff: a failing request blocks retries of the same key for a second.
func TestVoucherCacheFailureBackoff(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		f.srv.Now = nil
		cache := pdnd.NewVoucherCache(bubbleClient(f))
		req := pdnd.VoucherRequest{PurposeID: "99999999-9999-4999-8999-999999999999"} // not associated
		start := f.srv.TokenRequests.Load()
		for range 3 {
			if _, err := cache.Get(context.Background(), req); err == nil {
				t.Fatal("accepted")
			}
		}
		if n := f.srv.TokenRequests.Load() - start; n != 1 {
			t.Fatalf("%d requests within the backoff", n)
		}
		time.Sleep(time.Second)
		_, err := cache.Get(context.Background(), req)
		if errors.Is(err, pdnd.ErrBackoff) || f.srv.TokenRequests.Load()-start != 2 {
			t.Fatalf("after the backoff a new request must be sent: %v", err)
		}
	})
}

// fakeEvidence signs a tracking evidence-like JWS and counts calls.
type fakeEvidence struct {
	signer *jose.Signer
	calls  int
	mu     sync.Mutex
}

func (e *fakeEvidence) SignEvidence(purposeID, aud string, claims map[string]any, now time.Time) (string, time.Time, error) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	c := map[string]any{"purposeId": purposeID, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	tok, err := e.signer.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true}, c)
	return tok, now.Add(time.Hour), err
}

// TestVoucherCacheBindsEvidence: with an audit request, the voucher's digest is the hash of the
// evidence handed out with it; the pair is reused together, and other audit claims get another pair.
func TestVoucherCacheBindsEvidence(t *testing.T) {
	f := newFixture(t)
	signer, _ := jose.NewSigner(sectest.RSAKey(t, 1))
	ev := &fakeEvidence{signer: signer}
	cache := pdnd.NewVoucherCache(f.client, pdnd.WithEvidenceSigner(ev))
	ctx := context.Background()
	req := pdnd.VoucherRequest{PurposeID: testPurposeID, Audit: &pdnd.AuditRequest{Audience: testAudience, Bind: true,
		Claims: map[string]any{"userID": "RSSMRA80A01H501U", "userLocation": "ws-12", "LoA": "LoA3"}}}
	c1, err := cache.Get(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.v.Verify(ctx, c1.AccessToken, pdnd.Bearer, &f.expect)
	if err != nil {
		t.Fatal(err)
	}
	if v.Digest == nil || *v.Digest != *pdnd.AuditDigest(c1.Evidence) {
		t.Fatalf("voucher digest %+v does not bind the evidence", v.Digest)
	}
	c2, _ := cache.Get(ctx, req)
	if c2 != c1 || ev.calls != 1 {
		t.Fatal("the evidence and its voucher must be reused together")
	}
	other := req
	other.Audit = &pdnd.AuditRequest{Audience: testAudience, Bind: true, Claims: map[string]any{"userID": "VRDLGU70A01F205X", "userLocation": "ws-12"}}
	c3, err := cache.Get(ctx, other)
	if err != nil || c3.Evidence == c1.Evidence || ev.calls != 2 {
		t.Fatalf("other audit claims need their own evidence and voucher: %v", err)
	}
}

// TestKeyAPI looks keys up on the loopback PDND with a PDND-API voucher, caches them, remembers
// 404s, and refreshes on Invalidate.
func TestKeyAPI(t *testing.T) {
	f := newFixture(t)
	f.srv.AddClient(testAPIClient, testConsumerID, true)
	apiSigner, _ := jose.NewSigner(sectest.RSAKey(t, 4))
	if _, err := f.srv.AddClientKey(testAPIClient, apiSigner.Public()); err != nil {
		t.Fatal(err)
	}
	env := f.srv.Environment()
	apiClient := &pdnd.Client{ClientID: testAPIClient, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: apiSigner, Now: f.clock.Now}
	keys := pdnd.NewKeyAPI(env.APIURL, pdnd.NewVoucherCache(apiClient), pdnd.WithKeyAPIClock(f.clock.Now))
	ctx := context.Background()

	k, err := keys.ConsumerKey(ctx, f.client.Signer.Kid())
	if err != nil {
		t.Fatal(err)
	}
	if k.ClientID != testClientID || !jose.EqualPublicKeys(k.Key, f.client.Signer.Public()) {
		t.Fatalf("%+v", k)
	}
	lookups := f.srv.KeyLookups.Load()
	if _, err := keys.ConsumerKey(ctx, f.client.Signer.Kid()); err != nil || f.srv.KeyLookups.Load() != lookups {
		t.Fatal("a cached key was fetched again")
	}
	for range 3 {
		if _, err := keys.ConsumerKey(ctx, "unknown-kid-0123456789"); !errors.Is(err, pdnd.ErrKidUnknown) {
			t.Fatalf("%v", err)
		}
	}
	if n := f.srv.KeyLookups.Load() - lookups; n != 1 {
		t.Fatalf("a 404 must be remembered: %d lookups", n)
	}
	if _, err := keys.ConsumerKey(ctx, "../../etc"); !errors.Is(err, pdnd.ErrKidUnknown) {
		t.Fatalf("an implausible kid must not reach PDND: %v", err)
	}
	producer, _ := jose.NewSigner(sectest.RSAKey(t, 5))
	pkid, _ := f.srv.AddProducerKey("88888888-8888-4888-8888-888888888888", producer.Public())
	pk, err := keys.ProducerKey(ctx, pkid)
	if err != nil || pk.ProducerKeychainID != "88888888-8888-4888-8888-888888888888" {
		t.Fatalf("%+v %v", pk, err)
	}
	if _, err := keys.ConsumerKey(ctx, pkid); !errors.Is(err, pdnd.ErrKidUnknown) {
		t.Fatal("a producer key is not a consumer key")
	}
	keys.Invalidate(f.client.Signer.Kid())
	before := f.srv.KeyLookups.Load()
	if _, err := keys.ConsumerKey(ctx, f.client.Signer.Kid()); err != nil || f.srv.KeyLookups.Load() != before+1 {
		t.Fatal("Invalidate must force a lookup")
	}
	// PDND rotates its key (the PDND-API voucher we hold no longer verifies): the 401 drops it and
	// the lookup is retried at once with a new one.
	if _, err := f.srv.RotateKey(false); err != nil {
		t.Fatal(err)
	}
	keys.Invalidate(f.client.Signer.Kid())
	tokens := f.srv.TokenRequests.Load()
	if _, err := keys.ConsumerKey(ctx, f.client.Signer.Kid()); err != nil || f.srv.TokenRequests.Load() != tokens+1 {
		t.Fatalf("after a 401 a new PDND-API voucher must be used: %v", err)
	}
	// PDND down after the TTL: the key we had keeps working; a key we never had is unavailable.
	f.srv.Close()
	f.clock.Advance(2 * time.Hour)
	if _, err := keys.ConsumerKey(ctx, f.client.Signer.Kid()); err != nil {
		t.Fatalf("stale key not kept while PDND is down: %v", err)
	}
	var ue *pdnd.UnavailableError
	if _, err := keys.ProducerKey(ctx, "never-seen-kid-123"); !errors.As(err, &ue) {
		t.Fatalf("%v", err)
	}
}

func TestParseKeyResponse(t *testing.T) {
	k := sectest.RSAKey(t, 1)
	pub, _ := jose.PublicJWK(&k.PublicKey, "kid1")
	pubJSON, _ := json.Marshal(pub)
	ok := `{"clientId":"c","jwk":` + string(pubJSON) + `}`
	if key, err := pdnd.ParseKeyResponse([]byte(ok)); err != nil || key.ClientID != "c" {
		t.Fatalf("%v", err)
	}
	priv := jwkJSON(t, k)
	for name, body := range map[string]string{
		"fail/v1-bare-jwk": string(pubJSON),
		"fail/private":     `{"clientId":"c","jwk":` + string(priv) + `}`,
		"fail/not-json":    `nope`,
	} {
		if _, err := pdnd.ParseKeyResponse([]byte(body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestJWKSRefetchRateLimit runs the JWKS in a bubble: unknown kids refetch at most once per
// interval, whatever their number.
func TestJWKSRefetchRateLimit(t *testing.T) {
	srv, err := pdndtest.New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		hc := &http.Client{Transport: inMemory{srv.Config.Handler}}
		jwks, err := pdnd.NewJWKS(context.Background(), srv.Environment().JWKSURL, pdnd.WithJWKSHTTPClient(hc), pdnd.WithRefetchInterval(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer jwks.Close()
		if err := jwks.WaitReady(context.Background()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		base := srv.JWKSFetches.Load()
		for i := range 100 {
			if _, err := jwks.Key(context.Background(), "forged-"+string(rune('a'+i%26))); !errors.Is(err, pdnd.ErrKidUnknown) {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // 100 kids over 10 s
		}
		if n := srv.JWKSFetches.Load() - base; n != 1 {
			t.Fatalf("%d refetches in 10 s, want 1", n)
		}
		time.Sleep(25 * time.Second)
		_, _ = jwks.Key(context.Background(), "forged-again")
		if n := srv.JWKSFetches.Load() - base; n != 2 {
			t.Fatalf("%d refetches after the interval, want 2", n)
		}
		if _, err := jwks.Key(context.Background(), srv.VoucherKid()); err != nil {
			t.Fatalf("the real kid: %v", err)
		}
	})
}
