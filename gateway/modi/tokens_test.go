package modi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// harness describes one ModI token kind for the generic rejection table: how to build valid
// claims, which signer holds a registered PDND key, and how to put a token in a message and verify
// it (with the PDND key API up or down).
type harness struct {
	kind   secerr.Kind
	trusts []bool // x509 trust false (PDND kid) and/or true (x5c)
	claims func(e *env) map[string]any
	pdnd   func(e *env) *jose.Signer
	verify func(t *testing.T, e *env, token string, x509Trust, keysDown bool) error
}

// integrityClaims are valid Agid-JWT-Signature claims for a POST of body with contentType.
func integrityClaims(e *env) map[string]any {
	return merge(timeClaims(e.clock.Now()), map[string]any{"iss": clientID, "sub": clientID, "aud": audience,
		"signed_headers": []map[string]string{{"digest": modi.Digest(body)}, {"content-type": contentType}}})
}

func auditTokenClaims(e *env) map[string]any {
	return merge(timeClaims(e.clock.Now()), map[string]any{"iss": clientID, "aud": audience, "purposeId": purposeID,
		"dnonce": 1234567890123, "userID": "operatore-17", "userLocation": "postazione-3"})
}

func responseClaims(e *env) map[string]any {
	return merge(timeClaims(e.clock.Now()), map[string]any{"iss": producerID, "aud": clientID,
		"signed_headers": []map[string]string{{"digest": modi.Digest(body)}, {"content-type": contentType}, {"x-correlation-id": "corr-1"}}})
}

func responseHeader(token string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Digest", modi.Digest(body))
	h.Set("X-Correlation-ID", "corr-1")
	h.Set(modi.SignatureHeader, token)
	return h
}

var harnesses = []harness{
	{
		kind: secerr.Integrity, trusts: []bool{false, true}, claims: integrityClaims,
		pdnd: func(e *env) *jose.Signer { return e.modiSigner },
		verify: func(t *testing.T, e *env, token string, x509Trust, keysDown bool) error {
			r := e.call(t, false, false)
			r.Header.Set("Digest", modi.Digest(body))
			r.Header.Set(modi.SignatureHeader, token)
			in, profile := e.in, "int02"
			if keysDown {
				in = e.inDown
			}
			if x509Trust {
				profile = "int01"
			}
			_, err := in.Verify(context.Background(), r, e.profiles[profile])
			return err
		},
	},
	{
		kind: secerr.Audit, trusts: []bool{false, true}, claims: auditTokenClaims,
		pdnd: func(e *env) *jose.Signer { return e.modiSigner },
		verify: func(t *testing.T, e *env, token string, x509Trust, keysDown bool) error {
			r := e.call(t, false, false)
			r.Header.Set(modi.TrackingEvidenceHeader, token)
			in, profile := e.in, "aud01pdnd"
			if keysDown {
				in = e.inDown
			}
			if x509Trust {
				profile = "aud01x509"
			}
			_, err := in.Verify(context.Background(), r, e.profiles[profile])
			return err
		},
	},
	{
		kind: secerr.IDAuth, trusts: []bool{true},
		claims: func(e *env) map[string]any {
			return merge(timeClaims(e.clock.Now()), map[string]any{"iss": "comune-esempio", "sub": "comune-esempio", "aud": audience})
		},
		verify: func(t *testing.T, e *env, token string, x509Trust, keysDown bool) error {
			r := &modi.Request{Method: "GET", URL: callURL, Header: http.Header{"Authorization": {"Bearer " + token}}}
			_, err := e.in.Verify(context.Background(), r, e.profiles["idauth02"])
			return err
		},
	},
	{
		kind: secerr.Response, trusts: []bool{false, true}, claims: responseClaims,
		pdnd: func(e *env) *jose.Signer { return e.producer },
		verify: func(t *testing.T, e *env, token string, x509Trust, keysDown bool) error {
			v := e.resp
			if keysDown {
				v = e.respDown
			}
			expect := &modi.ResponseExpect{Required: true, Audience: clientID}
			if x509Trust {
				expect.Trust = modi.TrustX509
			}
			_, err := v.Verify(context.Background(), responseHeader(token), body, expect)
			return err
		},
	},
}

// tamper is a generic way to break a token; only is "pdnd" or "x509" when it applies to one trust.
type tamper struct {
	reason   secerr.Reason
	only     string
	keysDown bool
	token    func(t *testing.T, e *env, h *harness, x509Trust bool) string
}

func (h *harness) signer(e *env, x509Trust bool) *jose.Signer {
	if x509Trust {
		return e.x509Signer
	}
	return h.pdnd(e)
}

func (h *harness) sign(t *testing.T, e *env, x509Trust bool, claims map[string]any, mod func(*jose.SignHeader)) string {
	return signAs(t, h.signer(e, x509Trust), x509Trust, claims, mod)
}

// keyRef is the header member that names the key, for crafted tokens.
func keyRef(e *env, h *harness, x509Trust bool) map[string]any {
	if x509Trust {
		return map[string]any{"x5c": e.x509Signer.X5C()}
	}
	return map[string]any{"kid": h.pdnd(e).Kid()}
}

var tampers = map[string]tamper{
	"two-parts": {reason: secerr.Malformed, token: func(t *testing.T, e *env, h *harness, x bool) string { return "abc.def" }},
	"payload-array": {reason: secerr.Malformed, token: func(t *testing.T, e *env, h *harness, x bool) string {
		tok := h.sign(t, e, x, h.claims(e), nil)
		parts := strings.Split(tok, ".")
		return parts[0] + ".W10." + parts[2]
	}},
	"typ-at+jwt": {reason: secerr.TypInvalid, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, h.claims(e), func(sh *jose.SignHeader) { sh.Typ = "at+jwt" })
	}},
	"alg-none": {reason: secerr.AlgNotAllowed, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, merge(keyRef(e, h, x), map[string]any{"alg": "none", "typ": "JWT"}), h.claims(e), nil)
	}},
	"alg-HS256": {reason: secerr.AlgNotAllowed, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, merge(keyRef(e, h, x), map[string]any{"alg": "HS256", "typ": "JWT"}), h.claims(e), nil)
	}},
	"alg-RS256-with-ec-certificate": {reason: secerr.AlgNotAllowed, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, map[string]any{"alg": "RS256", "typ": "JWT", "x5c": e.x509Signer.X5C()}, h.claims(e), nil)
	}},
	"no-kid": {reason: secerr.KidMissing, only: "pdnd", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, h.claims(e), func(sh *jose.SignHeader) { sh.Kid = false })
	}},
	"kid-not-on-pdnd": {reason: secerr.KidUnknown, only: "pdnd", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return signAs(t, e.unknown, false, h.claims(e), nil)
	}},
	"pdnd-api-down": {reason: secerr.KeyUnavailable, only: "pdnd", keysDown: true, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, h.claims(e), nil)
	}},
	"kid-instead-of-x5c": {reason: secerr.X5CMissing, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return signAs(t, e.modiSigner, false, h.claims(e), nil)
	}},
	"untrusted-root": {reason: secerr.ChainUntrusted, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, map[string]any{"alg": "ES256", "typ": "JWT", "x5c": x5c(e.untrusted)}, h.claims(e), e.untrusted.Key)
	}},
	"x5c-not-base64": {reason: secerr.ChainUntrusted, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, map[string]any{"alg": "ES256", "typ": "JWT", "x5c": []string{"***"}}, h.claims(e), nil)
	}},
	"leaf-without-digital-signature": {reason: secerr.CertUsageInvalid, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return craft(t, map[string]any{"alg": "ES256", "typ": "JWT", "x5c": x5c(e.noSignUsage)}, h.claims(e), e.noSignUsage.Key)
	}},
	"x5t-of-another-cert": {reason: secerr.X5TMismatch, only: "x509", token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, h.claims(e), func(sh *jose.SignHeader) { sh.Extra = map[string]any{"x5t#S256": e.untrusted.X5TS256()} })
	}},
	"signature-of-another-token": {reason: secerr.SignatureInvalid, token: func(t *testing.T, e *env, h *harness, x bool) string {
		a := h.sign(t, e, x, h.claims(e), nil)
		b := h.sign(t, e, x, merge(h.claims(e), map[string]any{"aud": "https://other.example/v1"}), nil)
		return swapSignature(a, b)
	}},
	"no-exp": {reason: secerr.ClaimMissing, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"exp": nil}), nil)
	}},
	"exp-as-string": {reason: secerr.ClaimInvalid, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"exp": fmt.Sprint(e.clock.Now().Unix() + 60)}), nil)
	}},
	"aud-other": {reason: secerr.AudMismatch, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"aud": "https://other.example/v1"}), nil)
	}},
	"expired": {reason: secerr.Expired, token: func(t *testing.T, e *env, h *harness, x bool) string {
		now := e.clock.Now()
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"iat": now.Add(-2 * time.Minute).Unix(), "nbf": now.Add(-2 * time.Minute).Unix(), "exp": now.Add(-time.Minute).Unix()}), nil)
	}},
	"nbf-future": {reason: secerr.NotYetValid, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"nbf": e.clock.Now().Add(time.Minute).Unix()}), nil)
	}},
	"iat-future": {reason: secerr.IssuedInFuture, token: func(t *testing.T, e *env, h *harness, x bool) string {
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"iat": e.clock.Now().Add(time.Minute).Unix(), "nbf": nil}), nil)
	}},
	"iat-ten-minutes-old": {reason: secerr.TooOld, token: func(t *testing.T, e *env, h *harness, x bool) string {
		now := e.clock.Now()
		return h.sign(t, e, x, merge(h.claims(e), map[string]any{"iat": now.Add(-10 * time.Minute).Unix(), "nbf": now.Add(-10 * time.Minute).Unix()}), nil)
	}},
}

// genericCases lists, per kind, the tamper cases whose code is registered for the kind (too_old is
// not a rule for tracking evidence, which is reused with its voucher; kid_* not for X.509 kinds).
func genericCases() map[string][]struct {
	name string
	tamper
	x509Trust bool
} {
	out := map[string][]struct {
		name string
		tamper
		x509Trust bool
	}{}
	for _, h := range harnesses {
		for name, tp := range tampers {
			if _, ok := secerr.Lookup(string(h.kind) + "." + string(tp.reason)); !ok {
				continue
			}
			for _, x := range h.trusts {
				if tp.only == "pdnd" && x || tp.only == "x509" && !x {
					continue
				}
				out[string(h.kind)] = append(out[string(h.kind)], struct {
					name string
					tamper
					x509Trust bool
				}{name, tp, x})
			}
		}
	}
	return out
}

func TestGenericTokenRejections(t *testing.T) {
	e := newEnv(t)
	cases := genericCases()
	for _, h := range harnesses {
		for _, c := range cases[string(h.kind)] {
			trust := "pdnd"
			if c.x509Trust {
				trust = "x509"
			}
			t.Run(fmt.Sprintf("%s/fail/%s/%s", h.kind, trust, c.name), func(t *testing.T) {
				tok := c.token(t, e, &h, c.x509Trust)
				err := h.verify(t, e, tok, c.x509Trust, c.keysDown)
				sectest.WantCode(t, err, string(h.kind)+"."+string(c.reason))
			})
		}
		for _, x := range h.trusts {
			t.Run(fmt.Sprintf("%s/ok/x509=%t", h.kind, x), func(t *testing.T) {
				if err := h.verify(t, e, h.sign(t, e, x, h.claims(e), nil), x, false); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	t.Run("integrity/ok/rsa-x5c", func(t *testing.T) {
		tok := signAs(t, e.rsaX509, true, integrityClaims(e), nil)
		if err := harnesses[0].verify(t, e, tok, true, false); err != nil {
			t.Fatal(err)
		}
	})
}

// specificCodes is filled by the specific tables (integrity_test.go, audit_test.go ...) through
// their case maps, for TestEveryModICodeIsTested.
func specificCodes() map[string]bool {
	out := map[string]bool{}
	for _, m := range []map[string]requestCase{integrityCases, auditCases, idAuthCases} {
		for _, c := range m {
			out[c.code] = true
		}
	}
	for _, c := range responseCases {
		out[c.code] = true
	}
	return out
}

func TestEveryModICodeIsTested(t *testing.T) {
	tested := specificCodes()
	for kind, cs := range genericCases() {
		for _, c := range cs {
			tested[kind+"."+string(c.reason)] = true
		}
	}
	for _, info := range secerr.Codes(secerr.Integrity, secerr.Audit, secerr.IDAuth, secerr.Response) {
		if !tested[info.Code] {
			t.Errorf("no rejection test produces %s", info.Code)
		}
	}
}

// requestCase is a specific rejection: a request (and profile) built by tampering with a valid one.
type requestCase struct {
	code  string
	build func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound)
}

func runRequestCases(t *testing.T, cases map[string]requestCase) {
	e := newEnv(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e.store.SetDown(nil)
			r, profile, in := c.build(t, e)
			if in == nil {
				in = e.in
			}
			_, err := in.Verify(context.Background(), r, e.profiles[profile])
			sectest.WantCode(t, err, c.code)
		})
	}
}
