package modi_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
)

// withIntegrity is a POST with a voucher, Digest of the body and an Agid-JWT-Signature with claims,
// signed with the consumer's PDND-registered ModI key.
func (e *env) withIntegrity(t *testing.T, claims map[string]any) *modi.Request {
	t.Helper()
	r := e.call(t, false, false)
	r.Header.Set("Digest", modi.Digest(body))
	r.Header.Set(modi.SignatureHeader, signAs(t, e.modiSigner, false, claims, nil))
	return r
}

func signedHeaders(kv ...string) []map[string]string {
	var out []map[string]string
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]string{kv[i]: kv[i+1]})
	}
	return out
}

var integrityCases = map[string]requestCase{
	"fail/body-without-signature": {"integrity.missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.call(t, false, false), "int02", nil
	}},
	"fail/bodiless-where-required": {"integrity.missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, false)
		r.Method, r.Body = "GET", nil
		r.Header.Del("Content-Type")
		return r, "bodiless", nil
	}},
	"fail/two-signature-headers": {"integrity.malformed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.withIntegrity(t, integrityClaims(e))
		r.Header.Add(modi.SignatureHeader, r.Header.Get(modi.SignatureHeader))
		return r, "int02", nil
	}},
	"fail/key-of-another-client": {"integrity.key_client_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		other, _ := jose.NewSigner(sectest.RSAKey(t, 6))
		r := e.call(t, false, false)
		r.Header.Set("Digest", modi.Digest(body))
		r.Header.Set(modi.SignatureHeader, signAs(t, other, false, integrityClaims(e), nil))
		return r, "keyowner", nil
	}},
	"fail/iss-other-client": {"integrity.iss_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"iss": otherClient})), "int02", nil
	}},
	"fail/sub-other-client": {"integrity.sub_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"sub": otherClient})), "int02", nil
	}},
	"fail/aud-not-request-url": {"integrity.aud_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, integrityClaims(e)), "urlaud", nil
	}},
	"fail/no-signed-headers": {"integrity.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": nil})), "int02", nil
	}},
	"fail/no-jti": {"integrity.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"jti": nil})), "int02", nil
	}},
	"fail/no-iat": {"integrity.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"iat": nil})), "int02", nil
	}},
	"fail/signed-headers-object": {"integrity.signed_headers_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		obj := map[string]string{"digest": modi.Digest(body), "content-type": contentType}
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": obj})), "int02", nil
	}},
	"fail/signed-headers-two-members": {"integrity.signed_headers_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		two := []map[string]string{{"digest": modi.Digest(body), "content-type": contentType}}
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": two})), "int02", nil
	}},
	"fail/signed-headers-number-value": {"integrity.signed_headers_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": []map[string]any{{"digest": 5}}})), "int02", nil
	}},
	"fail/signed-headers-string": {"integrity.signed_headers_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": "digest"})), "int02", nil
	}},
	"fail/signed-headers-duplicate": {"integrity.signed_headers_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		dup := signedHeaders("digest", modi.Digest(body), "content-type", contentType, "Digest", modi.Digest(body))
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": dup})), "int02", nil
	}},
	"fail/content-type-not-signed": {"integrity.header_not_signed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": signedHeaders("digest", modi.Digest(body))})), "int02", nil
	}},
	"fail/content-encoding-not-signed": {"integrity.header_not_signed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.withIntegrity(t, integrityClaims(e))
		r.Header.Set("Content-Encoding", "identity")
		return r, "int02", nil
	}},
	"fail/digest-not-signed": {"integrity.header_not_signed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": signedHeaders("content-type", contentType)})), "int02", nil
	}},
	"fail/content-type-changed": {"integrity.signed_header_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.withIntegrity(t, integrityClaims(e))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		return r, "int02", nil
	}},
	"fail/signed-header-absent": {"integrity.signed_header_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		sh := signedHeaders("digest", modi.Digest(body), "content-type", contentType, "x-request-id", "abc")
		return e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": sh})), "int02", nil
	}},
	"fail/no-digest-header": {"integrity.digest_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": signedHeaders("content-type", contentType)}))
		r.Header.Del("Digest")
		return r, "int02", nil
	}},
	"fail/hex-digest": {"integrity.digest_malformed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		hexDigest := "SHA-256=" + hex.EncodeToString(must32(t, modi.Digest(body)))
		r := e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": signedHeaders("digest", hexDigest, "content-type", contentType)}))
		r.Header.Set("Digest", hexDigest)
		return r, "int02", nil
	}},
	"fail/body-tampered": {"integrity.digest_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, true, false)
		r.Body = []byte(strings.Replace(string(r.Body), "500.00", "900.00", 1))
		return r, "int02", nil
	}},
	"fail/replayed": {"integrity.replay", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, true, false)
		if _, err := e.verify(r, "int02"); err != nil {
			t.Fatalf("first use: %v", err)
		}
		return r, "int02", nil
	}},
	"fail/replay-store-down": {"integrity.replay_unavailable", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, true, false)
		e.store.SetDown(errors.New("connection refused"))
		return r, "int02", nil
	}},
}

func must32(t *testing.T, digest string) []byte {
	sum, err := modi.ParseDigest(digest)
	if err != nil {
		t.Fatal(err)
	}
	return sum[:]
}

func TestIntegrityRejections(t *testing.T) { runRequestCases(t, integrityCases) }

func TestIntegrityAccepted(t *testing.T) {
	e := newEnv(t)
	t.Run("ok/consumer-signed-post", func(t *testing.T) {
		res, err := e.verify(e.call(t, true, false), "int02")
		if err != nil {
			t.Fatal(err)
		}
		if res.Integrity == nil || res.Integrity.KID != e.modiSigner.Kid() || len(res.Integrity.SignedHeaders) != 2 {
			t.Fatalf("%+v", res.Integrity)
		}
	})
	t.Run("ok/bodiless-get-without-token", func(t *testing.T) {
		r := e.call(t, false, false)
		r.Method, r.Body = "GET", nil
		res, err := e.verify(r, "int02")
		if err != nil || res.Integrity != nil {
			t.Fatalf("%v %+v", err, res)
		}
	})
	t.Run("ok/bodiless-get-signed-where-required", func(t *testing.T) {
		c := &modi.Call{Method: "GET", URL: callURL, Header: http.Header{}, PurposeID: purposeID, Audience: audience, Integrity: true}
		if _, err := e.out.Prepare(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if _, err := e.verify(&modi.Request{Method: "GET", URL: callURL, Header: c.Header}, "bodiless"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ok/aud-request-url", func(t *testing.T) {
		claims := merge(integrityClaims(e), map[string]any{"aud": "https://api.welfaregov.example/rest/siuss/v1/prestazioni"})
		if _, err := e.verify(e.withIntegrity(t, claims), "urlaud"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ok/iss-and-sub-absent", func(t *testing.T) {
		if _, err := e.verify(e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"iss": nil, "sub": nil})), "int02"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ok/header-names-case-insensitive", func(t *testing.T) {
		sh := signedHeaders("Digest", modi.Digest(body), "Content-Type", contentType)
		if _, err := e.verify(e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": sh})), "int02"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIntegrityMessages checks that integrity details are specific.
func TestIntegrityMessages(t *testing.T) {
	e := newEnv(t)
	r := e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"aud": "https://a/v1"}))
	_, err := e.verify(r, "int02")
	se := sectest.WantCode(t, err, "integrity.aud_mismatch")
	want := `Agid-JWT-Signature aud "https://a/v1" is not the e-service audience "` + audience + `"`
	if se.Detail != want {
		t.Fatalf("detail %q\nwant   %q", se.Detail, want)
	}
	r = e.call(t, true, false)
	r.Body = append(r.Body, ' ')
	_, err = e.verify(r, "int02")
	se = sectest.WantCode(t, err, "integrity.digest_mismatch")
	if !strings.Contains(se.Detail, fmt.Sprintf("not the SHA-256 of the %d body bytes received (SHA-256=", len(r.Body))) || se.Status() != 400 {
		t.Fatalf("%q", se.Detail)
	}
	r = e.withIntegrity(t, merge(integrityClaims(e), map[string]any{"signed_headers": map[string]string{"digest": "x"}}))
	_, err = e.verify(r, "int02")
	se = sectest.WantCode(t, err, "integrity.signed_headers_invalid")
	if !strings.Contains(se.Detail, "is a JSON object; it must be an array of one-member objects") {
		t.Fatalf("%q", se.Detail)
	}
	r = e.withIntegrity(t, integrityClaims(e))
	r.Header.Set("Content-Type", "text/plain")
	_, err = e.verify(r, "int02")
	se = sectest.WantCode(t, err, "integrity.signed_header_mismatch")
	if se.Detail != `the Content-Type header "text/plain" is not the signed value "application/json"` {
		t.Fatalf("%q", se.Detail)
	}
}

// TestCheckClientDefaults: iss/sub are bound to the voucher's client for INTEGRITY_REST_02 by
// default, not for INTEGRITY_REST_01 (certificate holders), and the option overrides both.
func TestCheckClientDefaults(t *testing.T) {
	e := newEnv(t)
	claims := func() map[string]any { return merge(integrityClaims(e), map[string]any{"iss": "comune-esempio.it"}) }
	_, err := e.verify(e.withIntegrity(t, claims()), "int02")
	sectest.WantCode(t, err, "integrity.iss_mismatch")
	r := e.call(t, false, false)
	r.Header.Set("Digest", modi.Digest(body))
	r.Header.Set(modi.SignatureHeader, signAs(t, e.x509Signer, true, claims(), nil))
	if _, err := e.verify(r, "int01"); err != nil {
		t.Fatalf("INTEGRITY_REST_01 iss is the certificate holder's: %v", err)
	}
	off := false
	pol := modi.Policy{Audience: audience, Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02, CheckClient: &off}}
	p, err := pol.Compile("off")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.in.Verify(context.Background(), e.withIntegrity(t, claims()), p); err != nil {
		t.Fatalf("check_client: false: %v", err)
	}
}
