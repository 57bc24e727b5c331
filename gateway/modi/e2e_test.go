package modi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// TestConsumerToProvider is the end-to-end proof: a request signed by the consumer side (voucher
// from the loopback PDND token endpoint bound to its tracking evidence, Digest, Agid-JWT-Signature)
// passes the provider's full PDND profile, and each single tampering fails with its own code.
func TestConsumerToProvider(t *testing.T) {
	e := newEnv(t)
	res, err := e.verify(e.call(t, true, true), "pdnd")
	if err != nil {
		t.Fatal(err)
	}
	v := res.Voucher
	if v.ClientID != clientID || v.PurposeID != purposeID || v.EServiceID != eserviceID || v.Digest == nil {
		t.Fatalf("voucher %+v", v)
	}
	if res.Integrity == nil || res.Audit == nil || res.Audit.PurposeID != purposeID {
		t.Fatalf("%+v", res)
	}
	if *v.Digest != *pdnd.AuditDigest(e.call(t, true, true).Header.Get(modi.TrackingEvidenceHeader)) {
		t.Fatal("the voucher digest does not bind the evidence the consumer sends")
	}

	for name, c := range map[string]struct {
		code   string
		tamper func(r *modi.Request)
	}{
		"body":          {"integrity.digest_mismatch", func(r *modi.Request) { r.Body = []byte(strings.Replace(string(r.Body), "500.00", "5000.00", 1)) }},
		"signed header": {"integrity.signed_header_mismatch", func(r *modi.Request) { r.Header.Set("Content-Type", "application/xml") }},
		"digest header": {"integrity.signed_header_mismatch", func(r *modi.Request) { r.Header.Set("Digest", modi.Digest([]byte("other"))) }},
		"voucher":       {"voucher.signature_invalid", func(r *modi.Request) { r.Header.Set("Authorization", tamperPayload(r.Header.Get("Authorization"))) }},
		"integrity": {"integrity.signature_invalid", func(r *modi.Request) {
			r.Header.Set(modi.SignatureHeader, tamperPayload(r.Header.Get(modi.SignatureHeader)))
		}},
		"evidence": {"audit.signature_invalid", func(r *modi.Request) {
			r.Header.Set(modi.TrackingEvidenceHeader, tamperPayload(r.Header.Get(modi.TrackingEvidenceHeader)))
		}},
		"no evidence":  {"audit.missing", func(r *modi.Request) { r.Header.Del(modi.TrackingEvidenceHeader) }},
		"no signature": {"integrity.missing", func(r *modi.Request) { r.Header.Del(modi.SignatureHeader) }},
		"no voucher":   {"voucher.missing", func(r *modi.Request) { r.Header.Del("Authorization") }},
		"bearer as dpop": {"dpop.not_bound", func(r *modi.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Bearer", "DPoP", 1))
		}},
	} {
		t.Run("fail/tampered-"+name, func(t *testing.T) {
			r := e.call(t, true, true)
			c.tamper(r)
			_, err := e.verify(r, "pdnd")
			sectest.WantCode(t, err, c.code)
		})
	}
	t.Run("fail/other-eservice-audience", func(t *testing.T) {
		pol := modi.Policy{Audience: "https://api.welfaregov.example/rest/isee/v1", Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: modi.AuditPolicy{Pattern: modi.AuditREST02}}
		p, err := pol.Compile("isee", modi.WithProfileClock(e.clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.in.Verify(context.Background(), e.call(t, true, true), p)
		sectest.WantCode(t, err, "voucher.aud_mismatch")
	})
	t.Run("fail/replayed", func(t *testing.T) {
		r := e.call(t, true, true)
		if _, err := e.verify(r, "pdnd"); err != nil {
			t.Fatal(err)
		}
		_, err := e.verify(r, "pdnd")
		sectest.WantCode(t, err, "integrity.replay")
	})
	t.Run("fail/expired-signature", func(t *testing.T) {
		r := e.call(t, true, true)
		e.clock.Advance(modi.DefaultSignatureLifetime + 6*time.Second)
		defer e.clock.Advance(-(modi.DefaultSignatureLifetime + 6*time.Second))
		_, err := e.verify(r, "pdnd")
		sectest.WantCode(t, err, "integrity.expired")
	})
	t.Run("fail/digest-binding", func(t *testing.T) {
		// A valid evidence of the same client, not the one the voucher was issued for.
		r := e.call(t, true, true)
		other, _, err := (&modi.AuditSigner{Signer: e.modiSigner, ClientID: clientID}).SignEvidence(purposeID, audience, auditClaims, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(modi.TrackingEvidenceHeader, other)
		_, err = e.verify(r, "pdnd")
		sectest.WantCode(t, err, "audit.digest_mismatch")
	})
	t.Run("fail/voucher-expired", func(t *testing.T) {
		r := e.call(t, true, true)
		e.clock.Advance(11 * time.Minute)
		defer e.clock.Advance(-11 * time.Minute)
		_, err := e.verify(r, "pdnd")
		sectest.WantCode(t, err, "voucher.expired")
	})
}

// tamperPayload changes one character of a token's payload, keeping its signature.
func tamperPayload(v string) string {
	prefix := ""
	if i := strings.IndexByte(v, ' '); i >= 0 {
		prefix, v = v[:i+1], v[i+1:]
	}
	parts := strings.Split(v, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	parts[1] = string(p)
	return prefix + strings.Join(parts, ".")
}

// TestDPoPEndToEnd: a DPoP voucher from the token endpoint, a fresh proof per call with ath.
func TestDPoPEndToEnd(t *testing.T) {
	e := newEnv(t)
	prep := func() *modi.Request {
		c := &modi.Call{Method: "POST", URL: callURL, Header: http.Header{"Content-Type": {contentType}}, Body: body,
			PurposeID: purposeID, Audience: audience, Integrity: true, DPoP: true}
		if _, err := e.out.Prepare(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		return &modi.Request{Method: c.Method, URL: c.URL, Header: c.Header, Body: c.Body}
	}
	r := prep()
	if !strings.HasPrefix(r.Header.Get("Authorization"), "DPoP ") {
		t.Fatalf("Authorization %q", r.Header.Get("Authorization")[:10])
	}
	res, err := e.verify(r, "dpopreq")
	if err != nil {
		t.Fatal(err)
	}
	if res.DPoP == nil || res.DPoP.JKT != e.client.DPoP.JKT() || res.Voucher.JKT != res.DPoP.JKT {
		t.Fatalf("%+v", res.DPoP)
	}
	r2 := prep()
	if r2.Header.Get("DPoP") == r.Header.Get("DPoP") {
		t.Fatal("every call needs a fresh proof")
	}
	if _, err := e.verify(r2, "dpopreq"); err != nil {
		t.Fatal(err)
	}
	_, err = e.verify(r, "dpopreq")
	sectest.WantCode(t, err, "dpop.replay")
	r3 := prep()
	r3.Header.Set("Authorization", strings.Replace(r3.Header.Get("Authorization"), "DPoP ", "Bearer ", 1))
	_, err = e.verify(r3, "dpopreq")
	sectest.WantCode(t, err, "voucher.dpop_bound_as_bearer")
	r4 := prep()
	r4.URL = "https://api.welfaregov.example/rest/siuss/v1/esiti"
	_, err = e.verify(r4, "dpopreq")
	sectest.WantCode(t, err, "dpop.htu_mismatch")
	// A Bearer voucher where DPoP is required.
	_, err = e.verify(e.call(t, false, false), "dpopreq")
	sectest.WantCode(t, err, "voucher.dpop_required")
}

// TestVoucherJTIOnce: ID_AUTH_REST_02 via PDND accepts each voucher once per e-service.
func TestVoucherJTIOnce(t *testing.T) {
	e := newEnv(t)
	r := request(e.voucherWith(t, e.client, nil), "")
	if _, err := e.verify(r, "voucherjti"); err != nil {
		t.Fatal(err)
	}
	_, err := e.verify(r, "voucherjti")
	sectest.WantCode(t, err, "voucher.replay")
	if _, err := e.verify(r, "int02"); err != nil {
		t.Fatalf("other e-services do not enforce it: %v", err)
	}
}

// TestVerifyReportsWhatVerifiedBeforeAFailure: a refused request still yields what did verify, for
// the audit trail and PDND Tracing: the voucher when integrity or audit failed, nothing when the
// voucher itself failed.
func TestVerifyReportsWhatVerifiedBeforeAFailure(t *testing.T) {
	e := newEnv(t)
	r := e.call(t, true, true)
	r.Body = append([]byte(nil), r.Body...)
	r.Body[0] = ' '
	res, err := e.verify(r, "pdnd")
	sectest.WantCode(t, err, "integrity.digest_mismatch")
	if res == nil || res.Voucher == nil || res.Voucher.PurposeID != purposeID || res.Integrity != nil || res.Audit != nil {
		t.Fatalf("after an integrity failure the result is %+v; want the voucher only", res)
	}
	r = e.call(t, true, true)
	r.Header.Del(modi.TrackingEvidenceHeader)
	res, err = e.verify(r, "pdnd")
	sectest.WantCode(t, err, "audit.missing")
	if res.Voucher == nil || res.Integrity == nil || res.Audit != nil {
		t.Fatalf("after an audit failure the result is %+v; want the voucher and the integrity token", res)
	}
	r = e.call(t, true, true)
	r.Header.Set("Authorization", tamperPayload(r.Header.Get("Authorization")))
	res, err = e.verify(r, "pdnd")
	sectest.WantCode(t, err, "voucher.signature_invalid")
	if res == nil || res.Voucher != nil || res.Integrity != nil {
		t.Fatalf("after a voucher failure the result is %+v; want it empty", res)
	}
}
