package pdnd_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
)

const callURL = "https://api.welfaregov.example/rest/siuss/v1/prestazioni?page=2#frag"

// dpopCall is a request with a DPoP voucher: its DPoP header values, method and URL.
type dpopCall struct {
	proofs      []string
	method, url string
	voucher     *pdnd.Voucher
}

type dpopCase struct {
	code  string
	build func(t *testing.T, f *fixture, d *dpopSetup) dpopCall
}

// dpopSetup is a verified DPoP voucher bound to the fixture client's DPoP key (EC P-256) and an
// RSA key for proofs crafted by hand.
type dpopSetup struct {
	token   string
	voucher *pdnd.Voucher
	rsaKey  *rsa.PrivateKey
}

func newDPoPSetup(t *testing.T, f *fixture) *dpopSetup {
	tok := f.sign(t, with(f.claims(), "cnf", map[string]string{"jkt": f.client.DPoP.JKT()}))
	v, err := f.v.Verify(context.Background(), tok, pdnd.DPoPScheme, &f.expect)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopSetup{token: tok, voucher: v, rsaKey: sectest.RSAKey(t, 3)}
}

func (d *dpopSetup) proof(t *testing.T, f *fixture, method, u string) string {
	p, err := pdnd.NewDPoPProof(f.client.DPoP, method, u, d.token, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *dpopSetup) call(proofs ...string) dpopCall {
	return dpopCall{proofs: proofs, method: "POST", url: callURL, voucher: d.voucher}
}

func rsaSigner(k *rsa.PrivateKey) func(string) []byte {
	return func(in string) []byte {
		sum := sha256.Sum256([]byte(in))
		sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		return sig
	}
}

func jwkJSON(t *testing.T, key any) json.RawMessage {
	k, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crafted is a proof with an RSA key, for header and claim tampering a Signer would not produce.
func (d *dpopSetup) crafted(t *testing.T, f *fixture, header, claims map[string]any) string {
	h := map[string]any{"typ": "dpop+jwt", "alg": "RS256", "jwk": jwkJSON(t, &d.rsaKey.PublicKey)}
	c := map[string]any{"jti": "j-" + t.Name(), "htm": "POST", "htu": "https://api.welfaregov.example/rest/siuss/v1/prestazioni",
		"iat": f.clock.Now().Unix(), "ath": d.voucher.ATH()}
	for k, v := range header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return craft(h, with(c, flatten(claims)...), rsaSigner(d.rsaKey))
}

func flatten(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

var dpopCases = map[string]dpopCase{
	"fail/no-proof": {"dpop.missing", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall { return d.call() }},
	"fail/two-headers": {"dpop.multiple", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.proof(t, f, "POST", callURL), d.proof(t, f, "POST", callURL))
	}},
	"fail/comma-joined": {"dpop.multiple", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.proof(t, f, "POST", callURL) + "," + d.proof(t, f, "POST", callURL))
	}},
	"fail/garbage": {"dpop.malformed", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall { return d.call("not-a-jws") }},
	"fail/typ-JWT": {"dpop.typ_invalid", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"typ": "JWT"}, nil))
	}},
	"fail/alg-HS256": {"dpop.alg_not_allowed", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"alg": "HS256"}, nil))
	}},
	"fail/no-jwk": {"dpop.jwk_missing", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"jwk": nil}, nil))
	}},
	"fail/private-jwk": {"dpop.jwk_private", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"jwk": jwkJSON(t, d.rsaKey)}, nil))
	}},
	"fail/weak-rsa-jwk": {"dpop.jwk_invalid", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		small, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		weak := map[string]string{"kty": "RSA", "e": "AQAB", "n": base64.RawURLEncoding.EncodeToString(small.N.Bytes())}
		return d.call(d.crafted(t, f, map[string]any{"jwk": weak}, nil))
	}},
	"fail/ec-jwk-with-RS256": {"dpop.jwk_invalid", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"jwk": jwkJSON(t, f.client.DPoP.Public())}, nil))
	}},
	"fail/signed-by-another-key": {"dpop.signature_invalid", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, map[string]any{"jwk": jwkJSON(t, &sectest.RSAKey(t, 1).PublicKey)}, nil))
	}},
	"fail/no-htu": {"dpop.claim_missing", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, map[string]any{"htu": nil}))
	}},
	"fail/no-ath": {"dpop.claim_missing", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, map[string]any{"ath": nil}))
	}},
	"fail/iat-string": {"dpop.claim_invalid", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, map[string]any{"iat": "1772445600"}))
	}},
	"fail/htm-GET": {"dpop.htm_mismatch", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.proof(t, f, "GET", callURL))
	}},
	"fail/htu-other-path": {"dpop.htu_mismatch", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.proof(t, f, "POST", "https://api.welfaregov.example/rest/siuss/v1/esiti"))
	}},
	"fail/htu-other-host": {"dpop.htu_mismatch", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.proof(t, f, "POST", "https://evil.example/rest/siuss/v1/prestazioni"))
	}},
	"fail/iat-in-future": {"dpop.issued_in_future", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, map[string]any{"iat": f.clock.Now().Add(11 * time.Second).Unix()}))
	}},
	"fail/iat-71s-old": {"dpop.too_old", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, map[string]any{"iat": f.clock.Now().Add(-71 * time.Second).Unix()}))
	}},
	"fail/ath-of-other-token": {"dpop.ath_mismatch", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		p, err := pdnd.NewDPoPProof(f.client.DPoP, "POST", callURL, "another.access.token", f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return d.call(p)
	}},
	"fail/key-not-bound": {"dpop.jkt_mismatch", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		return d.call(d.crafted(t, f, nil, nil))
	}},
	"fail/bearer-voucher-with-dpop-scheme": {"dpop.not_bound", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		v, err := f.v.Verify(context.Background(), f.sign(t, f.claims()), pdnd.DPoPScheme, &f.expect)
		if err != nil {
			t.Fatal(err)
		}
		return dpopCall{proofs: []string{d.proof(t, f, "POST", callURL)}, method: "POST", url: callURL, voucher: v}
	}},
	"fail/proof-replayed": {"dpop.replay", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		p := d.proof(t, f, "POST", callURL)
		if _, err := pdnd.NewDPoPVerifier(f.store, pdnd.WithDPoPClock(f.clock.Now)).Verify(context.Background(), []string{p}, "POST", callURL, d.voucher); err != nil {
			t.Fatalf("first use: %v", err)
		}
		return d.call(p)
	}},
	"fail/replay-store-down": {"dpop.replay_unavailable", func(t *testing.T, f *fixture, d *dpopSetup) dpopCall {
		f.store.SetDown(errors.New("connection refused"))
		return d.call(d.proof(t, f, "POST", callURL))
	}},
}

func TestDPoPRejections(t *testing.T) {
	f := newFixture(t)
	d := newDPoPSetup(t, f)
	for name, tc := range dpopCases {
		t.Run(name, func(t *testing.T) {
			f.store.SetDown(nil)
			c := tc.build(t, f, d)
			dv := pdnd.NewDPoPVerifier(f.store, pdnd.WithDPoPClock(f.clock.Now))
			_, err := dv.Verify(context.Background(), c.proofs, c.method, c.url, c.voucher)
			sectest.WantCode(t, err, tc.code)
		})
	}
}

func TestDPoPAccepted(t *testing.T) {
	f := newFixture(t)
	d := newDPoPSetup(t, f)
	dv := pdnd.NewDPoPVerifier(f.store, pdnd.WithDPoPClock(f.clock.Now))
	// The proof names the URL with upper-case host, default port, no query: all the same resource.
	p, err := pdnd.NewDPoPProof(f.client.DPoP, "POST", "HTTPS://API.welfaregov.example:443/rest/siuss/v1/prestazioni", d.token, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := dv.Verify(context.Background(), []string{p}, "POST", callURL, d.voucher)
	if err != nil {
		t.Fatal(err)
	}
	if proof.JKT != f.client.DPoP.JKT() {
		t.Fatalf("jkt %s", proof.JKT)
	}
	// An RSA proof key works too (RS256), and a proof 65 s old is within 60 s + 10 s.
	rsaDPoP, err := jose.NewSigner(sectest.RSAKey(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	tok := f.sign(t, with(f.claims(), "cnf", map[string]string{"jkt": rsaDPoP.JKT()}))
	v, err := f.v.Verify(context.Background(), tok, pdnd.DPoPScheme, &f.expect)
	if err != nil {
		t.Fatal(err)
	}
	p, err = pdnd.NewDPoPProof(rsaDPoP, "GET", callURL, tok, f.clock.Now().Add(-65*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dv.Verify(context.Background(), []string{p}, "GET", callURL, v); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeHTU(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example/x?y=1#z":       "https://a.example/x",
		"HTTPS://A.Example:443/x":         "https://a.example/x",
		"http://a.example:80":             "http://a.example/",
		"https://a.example:8443/%7Ex":     "https://a.example:8443/~x",
		"https://user:pw@a.example/x":     "https://a.example/x",
		"https://[::1]:443/p":             "https://[::1]/p",
		"https://a.example/caf%C3%A9?q=1": "https://a.example/caf%C3%A9",
	} {
		got, err := pdnd.NormalizeHTU(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHTU(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/relative", "", "https://", "::"} {
		if _, err := pdnd.NormalizeHTU(bad); err == nil {
			t.Errorf("NormalizeHTU(%q) accepted", bad)
		}
	}
}
