package pdnd_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// voucherCase builds a request (Authorization value and expectations) from a valid fixture by
// tampering with one thing, and names the code the verification must fail with.
type voucherCase struct {
	code  string
	build func(t *testing.T, f *fixture) (auth string, e pdnd.Expect)
}

// craft assembles a compact JWS with an arbitrary header and payload and a signature made with
// sign (nil: a dummy signature), for headers a real signer would refuse to produce.
func craft(header, payload map[string]any, sign func(input string) []byte) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sig := []byte("not a signature")
	if sign != nil {
		sig = sign(input)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func with(claims map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(claims, kv[i].(string))
		} else {
			claims[kv[i].(string)] = kv[i+1]
		}
	}
	return claims
}

func bearer(t *testing.T, f *fixture, claims map[string]any) (string, pdnd.Expect) {
	return "Bearer " + f.sign(t, claims), f.expect
}

// voucherCases has one case (at least) per voucher.* code; TestEveryVoucherCodeIsTested checks it.
var voucherCases = map[string]voucherCase{
	"fail/no-authorization": {"voucher.missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) { return "", f.expect }},
	"fail/basic-scheme": {"voucher.scheme_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return "Basic dXNlcjpwYXNz", f.expect
	}},
	"fail/bearer-without-token": {"voucher.scheme_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) { return "Bearer ", f.expect }},
	"fail/two-parts":            {"voucher.malformed", func(t *testing.T, f *fixture) (string, pdnd.Expect) { return "Bearer abc.def", f.expect }},
	"fail/jwe":                  {"voucher.malformed", func(t *testing.T, f *fixture) (string, pdnd.Expect) { return "Bearer a.b.c.d.e", f.expect }},
	"fail/header-not-json": {"voucher.malformed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return "Bearer " + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".e30.c2ln", f.expect
	}},
	"fail/crit-header": {"voucher.malformed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return "Bearer " + craft(map[string]any{"alg": "RS256", "typ": "at+jwt", "kid": "k", "crit": []string{"exp"}}, f.claims(), nil), f.expect
	}},
	"fail/typ-JWT": {"voucher.typ_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		tok, err := f.srv.SignVoucherWith(jose.SignHeader{Typ: "JWT", Kid: true}, f.claims())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok, f.expect
	}},
	"fail/typ-dpop+jwt": {"voucher.typ_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		tok, err := f.srv.SignVoucherWith(jose.SignHeader{Typ: "dpop+jwt", Kid: true}, f.claims())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok, f.expect
	}},
	"fail/alg-none": {"voucher.alg_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return "Bearer " + craft(map[string]any{"alg": "none", "typ": "at+jwt", "kid": f.srv.VoucherKid()}, f.claims(), nil), f.expect
	}},
	"fail/alg-HS256-with-public-key-as-secret": {"voucher.alg_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		// The classic confusion attack: HMAC keyed with the public key's bytes.
		return "Bearer " + craft(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": f.srv.VoucherKid()}, f.claims(),
			func(in string) []byte {
				m := hmac.New(sha256.New, []byte(f.srv.VoucherKid()))
				m.Write([]byte(in))
				return m.Sum(nil)
			}), f.expect
	}},
	"fail/alg-RS512": {"voucher.alg_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return "Bearer " + craft(map[string]any{"alg": "RS512", "typ": "at+jwt", "kid": f.srv.VoucherKid()}, f.claims(), nil), f.expect
	}},
	"fail/no-kid": {"voucher.kid_missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		tok, err := f.srv.SignVoucherWith(jose.SignHeader{Typ: "at+jwt"}, f.claims())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok, f.expect
	}},
	"fail/kid-not-in-jwks": {"voucher.kid_unknown", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		other, err := jose.NewSigner(sectest.RSAKey(t, 2), jose.WithKid("forged-kid"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := other.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true}, f.claims())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok, f.expect
	}},
	"fail/signature-of-another-token": {"voucher.signature_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		a := f.sign(t, f.claims())
		b := f.sign(t, with(f.claims(), "purposeId", "99999999-9999-4999-8999-999999999999"))
		return "Bearer " + a[:strings.LastIndexByte(a, '.')] + b[strings.LastIndexByte(b, '.'):], f.expect
	}},
	"fail/no-purposeId": {"voucher.claim_missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "purposeId", nil))
	}},
	"fail/no-sub": {"voucher.claim_missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "sub", nil, "client_id", nil))
	}},
	"fail/no-exp": {"voucher.claim_missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "exp", nil))
	}},
	"fail/required-ids-absent": {"voucher.claim_missing", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.RequireIDs = true
		return "Bearer " + f.sign(t, with(f.claims(), "eserviceId", nil)), e
	}},
	"fail/exp-as-string": {"voucher.claim_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "exp", "1772446200"))
	}},
	"fail/aud-object": {"voucher.claim_invalid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "aud", map[string]any{"a": 1}))
	}},
	"fail/issuer-of-uat": {"voucher.iss_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "iss", "uat.interop.pagopa.it"))
	}},
	"fail/aud-other-eservice": {"voucher.aud_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "aud", "https://a.example/v1,https://b.example/v1"))
	}},
	"fail/aud-prefix-only": {"voucher.aud_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "aud", testAudience+"/extra"))
	}},
	"fail/expired": {"voucher.expired", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "exp", sectest.Epoch.Add(-10*time.Second).Unix()))
	}},
	"fail/nbf-future": {"voucher.not_yet_valid", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "nbf", sectest.Epoch.Add(time.Minute).Unix()))
	}},
	"fail/iat-future": {"voucher.issued_in_future", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "iat", sectest.Epoch.Add(time.Minute).Unix(), "nbf", nil))
	}},
	"fail/m2m-voucher": {"voucher.m2m_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "purposeId", nil, "organizationId", testConsumerID, "role", "m2m"))
	}},
	"fail/other-producer": {"voucher.producer_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "producerId", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"))
	}},
	"fail/other-eservice": {"voucher.eservice_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "eserviceId", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"))
	}},
	"fail/other-descriptor": {"voucher.descriptor_mismatch", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "descriptorId", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"))
	}},
	"fail/purpose-not-allowed": {"voucher.purpose_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.AllowedPurposes = []string{"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}
		return "Bearer " + f.sign(t, f.claims()), e
	}},
	"fail/consumer-not-allowed": {"voucher.consumer_not_allowed", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.AllowedConsumers = []string{"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"}
		return "Bearer " + f.sign(t, f.claims()), e
	}},
	"fail/dpop-voucher-as-bearer": {"voucher.dpop_bound_as_bearer", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		return bearer(t, f, with(f.claims(), "cnf", map[string]string{"jkt": f.client.DPoP.JKT()}))
	}},
	"fail/bearer-where-dpop-required": {"voucher.dpop_required", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.DPoP = pdnd.DPoPRequiredMode
		return "Bearer " + f.sign(t, f.claims()), e
	}},
	"fail/jti-reused-under-id-auth-rest-02": {"voucher.replay", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.UniqueJTI = true
		tok := f.sign(t, f.claims())
		if _, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &e); err != nil {
			t.Fatalf("first use: %v", err)
		}
		return "Bearer " + tok, e
	}},
	"fail/replay-store-down": {"voucher.replay_unavailable", func(t *testing.T, f *fixture) (string, pdnd.Expect) {
		e := f.expect
		e.UniqueJTI = true
		f.store.SetDown(errors.New("connection refused"))
		return "Bearer " + f.sign(t, f.claims()), e
	}},
}

func verifyAuthorization(f *fixture, auth string, e *pdnd.Expect) (*pdnd.Voucher, error) {
	scheme, tok, err := pdnd.ParseAuthorization(auth)
	if err != nil {
		return nil, err
	}
	return f.v.Verify(context.Background(), tok, scheme, e)
}

func TestVoucherRejections(t *testing.T) {
	f := newFixture(t)
	for name, tc := range voucherCases {
		t.Run(name, func(t *testing.T) {
			f.store.SetDown(nil)
			auth, e := tc.build(t, f)
			_, err := verifyAuthorization(f, auth, &e)
			sectest.WantCode(t, err, tc.code)
		})
	}
}

func TestVoucherJWKSUnavailable(t *testing.T) {
	f := newFixture(t)
	f.srv.SetJWKSDown(true)
	down, err := pdnd.NewJWKS(context.Background(), f.srv.Environment().JWKSURL, pdnd.WithJWKSClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	v := pdnd.NewVoucherVerifier(pdndIssuer(f), down, pdnd.WithClock(f.clock.Now))
	_, err = v.Verify(context.Background(), f.sign(t, f.claims()), pdnd.Bearer, &f.expect)
	e := sectest.WantCode(t, err, "voucher.jwks_unavailable")
	if e.Status() != 503 {
		t.Fatalf("status %d, want 503", e.Status())
	}
}

func pdndIssuer(f *fixture) string { return f.srv.Environment().Issuer }

func TestEveryVoucherCodeIsTested(t *testing.T) {
	tested := map[string]bool{"voucher.jwks_unavailable": true} // TestVoucherJWKSUnavailable
	for _, tc := range voucherCases {
		tested[tc.code] = true
	}
	for _, tc := range dpopCases {
		tested[tc.code] = true
	}
	for _, info := range secerr.Codes(secerr.Voucher, secerr.DPoP) {
		if !tested[info.Code] {
			t.Errorf("no rejection test produces %s", info.Code)
		}
	}
}

func TestVoucherAccepted(t *testing.T) {
	f := newFixture(t)
	for name, aud := range map[string]any{
		"ok/comma-joined-audiences": testAudience + ",https://other.example/v1",
		"ok/comma-and-spaces":       "https://other.example/v1 , " + testAudience,
		"ok/array":                  []string{"https://other.example/v1", testAudience},
		"ok/string":                 testAudience,
	} {
		t.Run(name, func(t *testing.T) {
			v, err := f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "aud", aud)), pdnd.Bearer, &f.expect)
			if err != nil {
				t.Fatal(err)
			}
			if v.ClientID != testClientID || v.PurposeID != testPurposeID || v.ConsumerID != testConsumerID ||
				v.EServiceID != testEServiceID || v.DescriptorID != testDescriptor || v.ProducerID != testProducerID {
				t.Fatalf("claims not returned: %+v", v)
			}
			if !v.Expiry.Equal(sectest.Epoch.Add(600 * time.Second)) {
				t.Fatalf("exp %v", v.Expiry)
			}
		})
	}
	t.Run("ok/ids-absent-not-required", func(t *testing.T) {
		_, err := f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "producerId", nil, "eserviceId", nil, "descriptorId", nil)), pdnd.Bearer, &f.expect)
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ok/digest-returned", func(t *testing.T) {
		d := pdnd.AuditDigest("x.y.z")
		v, err := f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "digest", d)), pdnd.Bearer, &f.expect)
		if err != nil {
			t.Fatal(err)
		}
		if v.Digest == nil || *v.Digest != *d {
			t.Fatalf("digest %+v", v.Digest)
		}
	})
	t.Run("ok/within-skew-after-exp", func(t *testing.T) {
		_, err := f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "exp", sectest.Epoch.Add(-3*time.Second).Unix())), pdnd.Bearer, &f.expect)
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestVoucherMessagesAreSpecific checks that details name the claim, the expected and the received
// values (and the skew for time failures), and never the token or its signature.
func TestVoucherMessagesAreSpecific(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, with(f.claims(), "aud", "https://b.example/v1"))
	_, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect)
	e := sectest.WantCode(t, err, "voucher.aud_mismatch")
	want := `PDND voucher aud "https://b.example/v1" is not the e-service audience "` + testAudience + `"`
	if e.Detail != want {
		t.Fatalf("detail %q\nwant   %q", e.Detail, want)
	}
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	if strings.Contains(e.Error(), sig) || strings.Contains(e.Error(), tok) {
		t.Fatal("the message contains the token or its signature")
	}

	_, err = f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "exp", sectest.Epoch.Add(-90*time.Second).Unix())), pdnd.Bearer, &f.expect)
	e = sectest.WantCode(t, err, "voucher.expired")
	if e.Skew != 90*time.Second || !strings.Contains(e.Detail, "expired 1m30s ago") || !strings.Contains(e.Detail, "tolerance 5s") {
		t.Fatalf("expired detail %q skew %v", e.Detail, e.Skew)
	}

	_, err = f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "exp", "1772446200")), pdnd.Bearer, &f.expect)
	e = sectest.WantCode(t, err, "voucher.claim_invalid")
	if e.Claim != "exp" || e.Detail != "PDND voucher claim exp has the wrong JSON type (string); NumericDate claims are JSON numbers of seconds, not strings" {
		t.Fatalf("%q %q", e.Claim, e.Detail)
	}

	_, err = f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "eserviceId", "x")), pdnd.Bearer, &f.expect)
	e = sectest.WantCode(t, err, "voucher.eservice_mismatch")
	if e.Claim != "eserviceId" || e.Got != "x" || e.Want != testEServiceID || e.Status() != 403 {
		t.Fatalf("%+v", e)
	}
	p := e.Problem()
	if p.Type.URI() != "https://welfaregov.github.io/gateway/problems/voucher.eservice_mismatch" || p.HTTPStatus() != 403 {
		t.Fatalf("problem %+v", p)
	}
}

// TestVoucherCacheKeepsPerEServiceChecks proves the cache skips only the signature work: a voucher
// verified (and cached) for e-service A is refused by e-service B, and an expired cached voucher
// is refused.
func TestVoucherCacheKeepsPerEServiceChecks(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.claims())
	if _, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect); err != nil {
		t.Fatal(err)
	}
	if f.v.CacheLen() != 1 {
		t.Fatalf("cache holds %d entries", f.v.CacheLen())
	}
	other := f.expect
	other.Audience, other.EServiceID = "https://api.welfaregov.example/rest/isee/v1", "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
	_, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &other)
	sectest.WantCode(t, err, "voucher.aud_mismatch")
	other.Audience = "https://other.example/v1" // in the voucher's aud, but another eserviceId
	_, err = f.v.Verify(context.Background(), tok, pdnd.Bearer, &other)
	sectest.WantCode(t, err, "voucher.eservice_mismatch")

	fetches := f.srv.JWKSFetches.Load()
	if _, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect); err != nil {
		t.Fatal(err)
	}
	if f.srv.JWKSFetches.Load() != fetches {
		t.Fatal("a cached voucher caused a pdnd.JWKS fetch")
	}
	f.clock.Advance(606 * time.Second)
	_, err = f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect)
	sectest.WantCode(t, err, "voucher.expired")
}

// TestVoucherKeyRotation: PDND rotates its key; the first voucher signed with the new kid makes the
// gateway refetch the pdnd.JWKS once, and further unknown kids within the interval do not refetch.
func TestVoucherKeyRotation(t *testing.T) {
	f := newFixture(t)
	if _, err := f.v.Verify(context.Background(), f.sign(t, f.claims()), pdnd.Bearer, &f.expect); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.srv.RotateKey(false); err != nil {
		t.Fatal(err)
	}
	before := f.srv.JWKSFetches.Load()
	if _, err := f.v.Verify(context.Background(), f.sign(t, f.claims()), pdnd.Bearer, &f.expect); err != nil {
		t.Fatalf("voucher with the rotated key: %v", err)
	}
	if got := f.srv.JWKSFetches.Load() - before; got != 1 {
		t.Fatalf("%d pdnd.JWKS fetches for the rotation, want 1", got)
	}
	forged, err := jose.NewSigner(sectest.RSAKey(t, 2), jose.WithKid("forged"))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		tok, _ := forged.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true}, f.claims())
		_, err := f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect)
		sectest.WantCode(t, err, "voucher.kid_unknown")
	}
	if got := f.srv.JWKSFetches.Load() - before; got != 1 {
		t.Fatalf("unknown kids caused %d fetches within the refetch interval, want none beyond the rotation", got-1)
	}
	// The pdnd.JWKS goes down: the last good set keeps verifying vouchers.
	f.srv.SetJWKSDown(true)
	f.clock.Advance(time.Minute)
	tok, _ := forged.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true}, f.claims())
	_, err = f.v.Verify(context.Background(), tok, pdnd.Bearer, &f.expect) // triggers a failing refetch
	sectest.WantCode(t, err, "voucher.kid_unknown")
	if _, err := f.v.Verify(context.Background(), f.sign(t, with(f.claims(), "jti", "another")), pdnd.Bearer, &f.expect); err != nil {
		t.Fatalf("after a failed refetch the last good set must stay: %v", err)
	}
}
