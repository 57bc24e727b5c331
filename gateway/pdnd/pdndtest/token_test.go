package pdndtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

const (
	producer  = "11111111-1111-4111-8111-111111111111"
	eservice  = "22222222-2222-4222-8222-222222222222"
	desc      = "33333333-3333-4333-8333-333333333333"
	consumer  = "44444444-4444-4444-8444-444444444444"
	purposeID = "55555555-5555-4555-8555-555555555555"
	clientID  = "66666666-6666-4666-8666-666666666666"
	apiClient = "77777777-7777-4777-8777-777777777777"
	other     = "88888888-8888-4888-8888-888888888888"
	auditHex  = "79ba8c02000c582fbd1631197e83640d0fb0ecb33f1ef641e7c633ac3df556e5"
)

type tokenFixture struct {
	srv    *Server
	clock  *sectest.Clock
	key    *jose.Signer
	apiKey *jose.Signer
	aud    string
}

func newTokenFixture(t *testing.T) *tokenFixture {
	t.Helper()
	srv, err := New(sectest.NewMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	clock := sectest.NewClock(sectest.Epoch)
	srv.Now = clock.Now
	key, _ := jose.NewSigner(sectest.RSAKey(t, 0))
	apiKey, _ := jose.NewSigner(sectest.RSAKey(t, 1))
	srv.AddClient(clientID, consumer, false)
	srv.AddClient(apiClient, consumer, true)
	if _, err := srv.AddClientKey(clientID, key.Public()); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddClientKey(apiClient, apiKey.Public()); err != nil {
		t.Fatal(err)
	}
	srv.AddPurpose(Purpose{ID: purposeID, EServiceID: eservice, DescriptorID: desc, ProducerID: producer, ConsumerID: consumer,
		Audience: []string{"https://a.example/v1", "https://b.example/v1"}, VoucherLifetime: 300 * time.Second}, clientID)
	return &tokenFixture{srv: srv, clock: clock, key: key, apiKey: apiKey, aud: srv.AssertionAudiences[0]}
}

// claims are a valid client assertion's claims.
func (f *tokenFixture) claims() map[string]any {
	now := f.clock.Now()
	return map[string]any{"iss": clientID, "sub": clientID, "aud": f.aud, "jti": "a2f6c1e0-6f9b-4c1e-9d3a-0b7c2e5f8a11",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "purposeId": purposeID}
}

type tokenCase struct {
	header jose.SignHeader
	claims map[string]any
	form   url.Values
	signer *jose.Signer
	raw    string // replaces the signed assertion
}

// post sends the case and returns the status, the problem or the token response.
func (f *tokenFixture) post(t *testing.T, c tokenCase) (int, *pdnd.Problem, map[string]any, http.Header) {
	t.Helper()
	signer := c.signer
	if signer == nil {
		signer = f.key
	}
	h := c.header
	if h.Typ == "" && !h.Kid && h.Extra == nil {
		h = jose.SignHeader{Typ: "JWT", Kid: true}
	}
	assertion := c.raw
	if assertion == "" {
		var err error
		if assertion, err = signer.SignJSON(h, c.claims); err != nil {
			t.Fatal(err)
		}
	}
	form := url.Values{"client_id": {clientID}, "client_assertion": {assertion},
		"client_assertion_type": {pdnd.ClientAssertionType}, "grant_type": {"client_credentials"}}
	for k, v := range c.form {
		form[k] = v
	}
	resp, err := http.PostForm(f.srv.URL+"/token.oauth2", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 {
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return 200, nil, out, resp.Header
	}
	var p pdnd.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, &p, nil, resp.Header
}

// TestTokenEndpointRefusals: each rule of PDND's token endpoint refuses with the generic 015-0008
// first (what production sends), then the internal error and the check's Scala code.
func TestTokenEndpointRefusals(t *testing.T) {
	f := newTokenFixture(t)
	stranger, _ := jose.NewSigner(sectest.RSAKey(t, 2))
	with := func(change func(m map[string]any)) map[string]any {
		m := f.claims()
		change(m)
		return m
	}
	cases := map[string]struct {
		c          tokenCase
		stage, chk string
	}{
		"fail/assertion-type":  {tokenCase{claims: f.claims(), form: url.Values{"client_assertion_type": {"jwt"}}}, CodeRequestParameters, CheckAssertionType},
		"fail/grant-type":      {tokenCase{claims: f.claims(), form: url.Values{"grant_type": {"password"}}}, CodeRequestParameters, CheckGrantType},
		"fail/client-id-uuid":  {tokenCase{claims: f.claims(), form: url.Values{"client_id": {"client-1"}}}, CodeRequestParameters, CheckClientIDFormat},
		"fail/not-a-jws":       {tokenCase{raw: "not.a-jws"}, CodeAssertion, CheckParse},
		"fail/nbf":             {tokenCase{claims: with(func(m map[string]any) { m["nbf"] = m["iat"] })}, CodeAssertion, CheckInvalidClaims},
		"fail/client_id-claim": {tokenCase{claims: with(func(m map[string]any) { m["client_id"] = clientID })}, CodeAssertion, CheckInvalidClaims},
		"fail/extra-header":    {tokenCase{header: jose.SignHeader{Typ: "JWT", Kid: true, Extra: map[string]any{"x5u": "https://x"}}, claims: f.claims()}, CodeAssertion, CheckInvalidClaims},
		"fail/no-kid":          {tokenCase{header: jose.SignHeader{Typ: "JWT"}, claims: f.claims()}, CodeAssertion, CheckKidMissing},
		"fail/uuid-kid":        {tokenCase{header: jose.SignHeader{Typ: "JWT", Kid: true, Extra: map[string]any{"kid": "6b0d4f5e-1c2a-4b3d-9e8f-7a6b5c4d3e2f"}}, claims: f.claims()}, CodeAssertion, CheckKidFormat},
		"fail/no-jti":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "jti") })}, CodeAssertion, CheckJTIMissing},
		"fail/no-iss":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "iss") })}, CodeAssertion, CheckIssMissing},
		"fail/no-iat":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "iat") })}, CodeAssertion, CheckIatMissing},
		"fail/no-exp":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "exp") })}, CodeAssertion, CheckExpMissing},
		"fail/exp-string":      {tokenCase{claims: with(func(m map[string]any) { m["exp"] = strconv.FormatInt(m["exp"].(int64), 10) })}, CodeAssertion, CheckParse},
		"fail/no-sub":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "sub") })}, CodeAssertion, CheckSubjectMissing},
		"fail/sub-not-uuid":    {tokenCase{claims: with(func(m map[string]any) { m["sub"] = "client" })}, CodeAssertion, CheckSubjectFormat},
		"fail/sub-client-id":   {tokenCase{claims: with(func(m map[string]any) { m["sub"] = other })}, CodeAssertion, CheckSubjectClientID},
		"fail/purpose-uuid":    {tokenCase{claims: with(func(m map[string]any) { m["purposeId"] = "p-1" })}, CodeAssertion, CheckPurposeIDFormat},
		"fail/aud-token-url":   {tokenCase{claims: with(func(m map[string]any) { m["aud"] = f.srv.TokenURL })}, CodeAssertion, CheckAudience},
		"fail/no-aud":          {tokenCase{claims: with(func(m map[string]any) { delete(m, "aud") })}, CodeAssertion, CheckAudience},
		"fail/digest-alg":      {tokenCase{claims: with(func(m map[string]any) { m["digest"] = map[string]string{"alg": "SHA-256", "value": auditHex} })}, CodeAssertion, CheckHashAlgorithm},
		"fail/digest-base64": {tokenCase{claims: with(func(m map[string]any) {
			m["digest"] = map[string]string{"alg": "SHA256", "value": "ebqMAgAMWC+9FjEZfoNkDQ+w7LM/HvZB58YzrD31VuU="}
		})}, CodeAssertion, CheckHashLength},
		"fail/digest-extra":       {tokenCase{claims: with(func(m map[string]any) { m["digest"] = map[string]string{"alg": "SHA256", "value": auditHex, "x": "y"} })}, CodeAssertion, CheckDigestClaims},
		"fail/digest-no-value":    {tokenCase{claims: with(func(m map[string]any) { m["digest"] = map[string]string{"alg": "SHA256"} })}, CodeAssertion, CheckDigestClaimMissing},
		"fail/key-not-uploaded":   {tokenCase{claims: f.claims(), signer: stranger}, CodeKeyNotFound, CheckPurposeNotFound},
		"fail/unknown-client":     {tokenCase{claims: with(func(m map[string]any) { m["sub"], m["iss"] = other, other }), form: url.Values{"client_id": {other}}}, CodeKeyNotFound, CheckPurposeNotFound},
		"fail/purpose-not-linked": {tokenCase{claims: with(func(m map[string]any) { m["purposeId"] = other })}, CodeKeyNotFound, CheckPurposeNotFound},
		"fail/expired":            {tokenCase{claims: with(func(m map[string]any) { m["exp"] = f.clock.Now().Add(-time.Second).Unix() })}, CodeSignature, CheckSignatureVerify},
		"fail/no-purpose":         {tokenCase{claims: with(func(m map[string]any) { delete(m, "purposeId") })}, CodePlatformState, CheckPurposeIDMissing},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, p, _, _ := f.post(t, tc.c)
			if status != 400 || p == nil || len(p.Errors) < 3 {
				t.Fatalf("status %d problem %+v", status, p)
			}
			if p.Errors[0].Code != CodeUnableToGenerate || p.Errors[0].Detail != "Unable to generate a token for the given request" || p.Title != "The request contains bad syntax or cannot be fulfilled." {
				t.Fatalf("first entry is not production's: %+v", p)
			}
			if p.Errors[1].Code != tc.stage {
				t.Fatalf("internal code %s, want %s (%+v)", p.Errors[1].Code, tc.stage, p.Errors)
			}
			found := false
			for _, e := range p.Errors[2:] {
				found = found || e.Code == tc.chk
			}
			if !found {
				t.Fatalf("no check %s in %+v", tc.chk, p.Errors)
			}
		})
	}

	t.Run("fail/bad-signature", func(t *testing.T) {
		good, _ := f.key.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true}, f.claims())
		status, p, _, _ := f.post(t, tokenCase{raw: breakSignature(good)})
		if status != 400 || p.Errors[1].Code != CodeSignature || p.Errors[2].Code != CheckSignatureInvalid {
			t.Fatalf("%d %+v", status, p)
		}
	})
	t.Run("fail/inactive-states", func(t *testing.T) {
		f.srv.UpdatePurpose(purposeID, func(p *Purpose) { p.PurposeInactive, p.AgreementInactive, p.DescriptorInactive = true, true, true })
		defer f.srv.UpdatePurpose(purposeID, func(p *Purpose) { p.PurposeInactive, p.AgreementInactive, p.DescriptorInactive = false, false, false })
		_, p, _, _ := f.post(t, tokenCase{claims: f.claims()})
		codes := []string{}
		for _, e := range p.Errors {
			codes = append(codes, e.Code)
		}
		if strings.Join(codes, " ") != "015-0008 015-0008 8026 8027 8028" {
			t.Fatalf("codes %v", codes)
		}
	})
	t.Run("fail/opaque-as-production", func(t *testing.T) {
		f.srv.Opaque = true
		defer func() { f.srv.Opaque = false }()
		_, p, _, _ := f.post(t, tokenCase{claims: with(func(m map[string]any) { m["nbf"] = m["iat"] })})
		if len(p.Errors) != 1 || p.Errors[0].Code != CodeUnableToGenerate || p.Detail != "Bad request" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("ok/lenient-accepts-extra-claims", func(t *testing.T) {
		f.srv.LenientClaims = true
		defer func() { f.srv.LenientClaims = false }()
		status, p, _, _ := f.post(t, tokenCase{claims: with(func(m map[string]any) { m["nbf"] = m["iat"]; m["client_id"] = clientID })})
		if status != 200 {
			t.Fatalf("%d %+v", status, p)
		}
	})
}

// TestTokenEndpointIssuesPDNDVouchers: the voucher has PDND's header and claims, the descriptor's
// lifespan, the digest copied, and PDND-API vouchers are m2m ones.
func TestTokenEndpointIssuesPDNDVouchers(t *testing.T) {
	f := newTokenFixture(t)
	claims := f.claims()
	claims["aud"] = []string{"other", f.aud}
	claims["digest"] = map[string]string{"alg": "SHA256", "value": auditHex}
	status, p, out, _ := f.post(t, tokenCase{claims: claims})
	if status != 200 {
		t.Fatalf("%d %+v", status, p)
	}
	if out["token_type"] != "Bearer" || out["expires_in"] != float64(300) {
		t.Fatalf("%v", out)
	}
	tok, err := jose.Parse(out["access_token"].(string))
	if err != nil || tok.Verify(jose.RS256, f.srv.VoucherPublicKey()) != nil {
		t.Fatal(err)
	}
	if tok.Header.Typ != "at+jwt" || tok.Header.Alg != "RS256" || tok.Header.Kid != f.srv.VoucherKid() {
		t.Fatalf("header %+v", tok.Header)
	}
	if hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.Raw, ".")[0]); !strings.Contains(string(hdr), `"use":"sig"`) {
		t.Fatalf("header %s has no use sig", hdr)
	}
	var v map[string]any
	_ = json.Unmarshal(tok.Payload, &v)
	now := float64(f.clock.Now().Unix())
	want := map[string]any{"iss": Issuer, "aud": "https://a.example/v1,https://b.example/v1", "sub": clientID, "client_id": clientID,
		"iat": now, "nbf": now, "exp": now + 300, "purposeId": purposeID, "producerId": producer, "consumerId": consumer,
		"eserviceId": eservice, "descriptorId": desc}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}
	if d, _ := v["digest"].(map[string]any); d["value"] != auditHex || d["alg"] != "SHA256" {
		t.Errorf("digest %v", v["digest"])
	}

	m2m := map[string]any{"iss": apiClient, "sub": apiClient, "aud": f.aud, "jti": "b2f6c1e0-6f9b-4c1e-9d3a-0b7c2e5f8a11",
		"iat": f.clock.Now().Unix(), "exp": f.clock.Now().Add(time.Minute).Unix()}
	status, p, out, _ = f.post(t, tokenCase{claims: m2m, signer: f.apiKey, form: url.Values{"client_id": {apiClient}}})
	if status != 200 {
		t.Fatalf("%d %+v", status, p)
	}
	tok, _ = jose.Parse(out["access_token"].(string))
	v = nil
	_ = json.Unmarshal(tok.Payload, &v)
	if v["organizationId"] != consumer || v["role"] != "m2m" || v["aud"] != M2MAudience || v["purposeId"] != nil {
		t.Fatalf("m2m voucher %v", v)
	}
}

// TestTokenEndpointRateLimit: the per-consumer window answers X-Rate-Limit-* and then 429.
func TestTokenEndpointRateLimit(t *testing.T) {
	f := newTokenFixture(t)
	f.srv.RateLimit, f.srv.RateInterval = 2, 10*time.Second
	for i, want := range []int{200, 200, 429} {
		status, p, _, h := f.post(t, tokenCase{claims: f.claims()})
		if status != want || h.Get("X-Rate-Limit-Limit") != "2" || h.Get("X-Rate-Limit-Interval") != "10000" ||
			h.Get("X-Rate-Limit-Remaining") != strconv.Itoa(max(1-i, 0)) {
			t.Fatalf("request %d: %d %+v %v", i, status, p, h)
		}
		if want == 429 && (p.Errors[0].Code != CodeTooManyRequests || h.Get("Retry-After") != "10") {
			t.Fatalf("429: %+v %v", p, h)
		}
	}
	f.clock.Advance(10 * time.Second)
	if status, _, _, h := f.post(t, tokenCase{claims: f.claims()}); status != 200 || h.Get("X-Rate-Limit-Remaining") != "1" {
		t.Fatalf("the window did not roll over: %d %v", status, h)
	}
}

// TestTokenEndpointDPoP: a DPoP proof for the token URL gives a DPoP voucher bound to its key; a
// proof for another URL or replayed is refused with PDND's DPoP codes.
func TestTokenEndpointDPoP(t *testing.T) {
	f := newTokenFixture(t)
	dkey, _ := jose.NewSigner(sectest.ECKey(t))
	post := func(proof string) (int, *pdnd.Problem, map[string]any) {
		a, _ := f.key.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true}, f.claims())
		form := url.Values{"client_id": {clientID}, "client_assertion": {a},
			"client_assertion_type": {pdnd.ClientAssertionType}, "grant_type": {"client_credentials"}}
		req, _ := http.NewRequestWithContext(context.Background(), "POST", f.srv.TokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		var p pdnd.Problem
		if resp.StatusCode == 200 {
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return 200, nil, out
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, &p, nil
	}
	proof, _ := pdnd.NewDPoPProof(dkey, "POST", f.srv.TokenURL, "", f.clock.Now())
	status, p, out := post(proof)
	if status != 200 || out["token_type"] != "DPoP" {
		t.Fatalf("%d %+v %v", status, p, out)
	}
	tok, _ := jose.Parse(out["access_token"].(string))
	var v struct {
		Cnf struct{ JKT string } `json:"cnf"`
	}
	_ = json.Unmarshal(tok.Payload, &v)
	if v.Cnf.JKT != dkey.JKT() {
		t.Fatalf("cnf.jkt %q, want %q", v.Cnf.JKT, dkey.JKT())
	}
	if status, p, _ := post(proof); status != 400 || p.Errors[1].Code != CodeDPoPReplay {
		t.Fatalf("replayed proof: %d %+v", status, p)
	}
	wrong, _ := pdnd.NewDPoPProof(dkey, "POST", f.srv.URL+"/other", "", f.clock.Now())
	if status, p, _ := post(wrong); status != 400 || p.Errors[1].Code != CodeDPoP {
		t.Fatalf("proof for another URL: %d %+v", status, p)
	}
}

// TestRotationWithGrace: the old key stays in the JWKS for the grace period, then leaves it.
func TestRotationWithGrace(t *testing.T) {
	f := newTokenFixture(t)
	old := f.srv.VoucherKid()
	kid, err := f.srv.RotateKeyWithGrace(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.srv.PublishedKids(); len(got) != 2 || got[0] != kid || got[1] != old {
		t.Fatalf("published %v", got)
	}
	f.clock.Advance(time.Minute)
	if got := f.srv.PublishedKids(); len(got) != 1 || got[0] != kid {
		t.Fatalf("after the grace period: %v", got)
	}
}
