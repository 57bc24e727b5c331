package pdnd_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

func FuzzVoucher(f *testing.F) {
	signer, err := jose.NewSigner(sectest.RSAKey(f, 0))
	if err != nil {
		f.Fatal(err)
	}
	clock := sectest.NewClock(sectest.Epoch)
	claims := map[string]any{"iss": "interop.pagopa.it", "aud": testAudience, "sub": testClientID, "purposeId": testPurposeID,
		"iat": sectest.Epoch.Unix(), "exp": sectest.Epoch.Unix() + 600, "jti": "j1"}
	valid, err := signer.SignJSON(jose.SignHeader{Typ: "at+jwt", Kid: true}, claims)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add(strings.Repeat("A", 100) + "." + strings.Repeat("B", 100) + "." + strings.Repeat("C", 100))
	keys := sectest.StaticKeys{signer.Kid(): signer.Public()}
	expect := &pdnd.Expect{Audience: testAudience}
	f.Fuzz(func(t *testing.T, token string) {
		v := pdnd.NewVoucherVerifier("interop.pagopa.it", keys, pdnd.WithClock(clock.Now))
		got, err := v.Verify(context.Background(), token, pdnd.Bearer, expect)
		sectest.CheckRefusal(t, err, token)
		if err == nil {
			// Differential check: what we accept, jwx accepts with the pinned key too.
			if _, err := jws.Verify([]byte(token), jws.WithKey(jwa.RS256(), signer.Public())); err != nil {
				t.Fatalf("accepted a voucher jwx rejects: %v", err)
			}
			if got.PurposeID == "" || got.ClientID == "" {
				t.Fatal("accepted a voucher without purposeId or client")
			}
		}
	})
}

func FuzzDPoPProof(f *testing.F) {
	dpopKey, _ := jose.NewSigner(sectest.ECKey(f))
	clock := sectest.NewClock(sectest.Epoch)
	valid, err := pdnd.NewDPoPProof(dpopKey, "POST", callURL, "voucher", clock.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.c2ln")
	f.Add(valid + "," + valid)
	voucher := &pdnd.Voucher{JKT: dpopKey.JKT(), Hash: sha256.Sum256([]byte("voucher"))}
	st := sectest.NewMemory(f)
	f.Fuzz(func(t *testing.T, proof string) {
		d := pdnd.NewDPoPVerifier(st, pdnd.WithDPoPClock(clock.Now))
		_, err := d.Verify(context.Background(), []string{proof}, "POST", callURL, nil)
		sectest.CheckRefusal(t, err, proof)
		_, err = d.Verify(context.Background(), []string{proof}, "POST", callURL, voucher)
		sectest.CheckRefusal(t, err, proof)
	})
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"a.b.c","token_type":"Bearer","expires_in":600}`))
	f.Add([]byte(`{"access_token":"a.b.c","token_type":"DPoP","expires_in":"600"}`))
	f.Add([]byte(`{"access_token":"","token_type":1,"expires_in":1e99}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := pdnd.ParseTokenResponse(body)
		if err == nil && (tr.AccessToken == "" || tr.ExpiresIn <= 0 || (tr.TokenType != "Bearer" && tr.TokenType != "DPoP")) {
			t.Fatalf("accepted %+v", tr)
		}
	})
}

func FuzzParseProblem(f *testing.F) {
	f.Add([]byte(`{"errors":[{"code":"015-0008","detail":"Unable to generate a token"}],"status":400,"title":"Bad","type":"about:blank","correlationId":"c"}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"errors":null,"title":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := pdnd.ParseProblem(body)
		if err == nil {
			_ = p.String()
			if p.Title == "" && len(p.Errors) == 0 {
				t.Fatal("accepted an empty problem")
			}
		}
	})
}

func FuzzParseKeyResponse(f *testing.F) {
	k := sectest.RSAKey(f, 0)
	jwk, _ := jose.PublicJWK(&k.PublicKey, "kid")
	b, _ := json.Marshal(jwk)
	f.Add([]byte(`{"clientId":"c","jwk":` + string(b) + `}`))
	f.Add([]byte(`{"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}`))
	f.Add([]byte(`{"jwk":{"kty":"oct","k":"c2VjcmV0"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		key, err := pdnd.ParseKeyResponse(body)
		if err == nil && jose.AlgFor(key.Key) == "" {
			t.Fatalf("accepted a key of type %s", jose.KeyType(key.Key))
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	// The last two found by fuzzing: a token sent without a scheme must not be echoed as the scheme.
	for _, s := range []string{"Bearer a.b.c", "DPoP a.b.c", "bearer  a.b.c ", "Basic x", "", "Bearer",
		".0000000000000000", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		_, tok, err := pdnd.ParseAuthorization(h)
		sectest.CheckRefusal(t, err, h)
		if err == nil && (tok == "" || strings.TrimSpace(tok) != tok) {
			t.Fatalf("token %q", tok)
		}
	})
}
