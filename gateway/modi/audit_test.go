package modi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
)

// evidence signs tracking-evidence claims (the valid ones with mods) with the ModI key.
func (e *env) evidence(t *testing.T, mods map[string]any) string {
	return signAs(t, e.modiSigner, false, merge(auditTokenClaims(e), mods), nil)
}

// voucherWith obtains a voucher from the token endpoint for client c, bound to digest (may be nil).
func (e *env) voucherWith(t *testing.T, c *pdnd.Client, digest *pdnd.Digest) string {
	t.Helper()
	tr, err := c.RequestToken(context.Background(), pdnd.TokenRequest{PurposeID: purposeID, Digest: digest})
	if err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

// request is a GET with a voucher and a tracking evidence.
func request(voucher, evidence string) *modi.Request {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+voucher)
	if evidence != "" {
		h.Set(modi.TrackingEvidenceHeader, evidence)
	}
	return &modi.Request{Method: "GET", URL: callURL, Header: h}
}

var auditCases = map[string]requestCase{
	"fail/no-evidence": {"audit.missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return e.call(t, false, false), "aud02", nil
	}},
	"fail/two-evidence-headers": {"audit.malformed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, true)
		r.Header.Add(modi.TrackingEvidenceHeader, r.Header.Get(modi.TrackingEvidenceHeader))
		return r, "aud02", nil
	}},
	"fail/purpose-of-another-voucher": {"audit.purpose_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, false)
		r.Header.Set(modi.TrackingEvidenceHeader, e.evidence(t, map[string]any{"purposeId": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}))
		return r, "aud01pdnd", nil
	}},
	"fail/no-purposeId": {"audit.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, false)
		r.Header.Set(modi.TrackingEvidenceHeader, e.evidence(t, map[string]any{"purposeId": nil}))
		return r, "aud01pdnd", nil
	}},
	"fail/no-userLocation": {"audit.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, false)
		r.Header.Set(modi.TrackingEvidenceHeader, e.evidence(t, map[string]any{"userLocation": nil}))
		return r, "aud01pdnd", nil
	}},
	"fail/no-jti": {"audit.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, false)
		r.Header.Set(modi.TrackingEvidenceHeader, e.evidence(t, map[string]any{"jti": nil}))
		return r, "aud01pdnd", nil
	}},
	"fail/voucher-without-digest": {"audit.voucher_digest_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return request(e.voucherWith(t, e.client, nil), e.evidence(t, nil)), "aud02", nil
	}},
	"fail/voucher-digest-alg-SHA-256": {"audit.digest_alg_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		ev := e.evidence(t, nil)
		claims := e.srv.VoucherClaims(pdndtest.Purpose{ID: purposeID, Audience: []string{audience}}, clientID)
		claims["digest"] = map[string]string{"alg": "SHA-256", "value": pdnd.AuditDigest(ev).Value}
		v, err := e.srv.SignVoucher(claims)
		if err != nil {
			t.Fatal(err)
		}
		return request(v, ev), "aud02", nil
	}},
	"fail/digest-computed-with-trailing-newline": {"audit.digest_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		// The PDND tutorial's published value hashes the JWS plus "\n" (pdnd-modi.md §6).
		ev := e.evidence(t, nil)
		return request(e.voucherWith(t, e.client, pdnd.AuditDigest(ev+"\n")), ev), "aud02", nil
	}},
	"fail/evidence-swapped": {"audit.digest_mismatch", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, true)
		r.Header.Set(modi.TrackingEvidenceHeader, e.evidence(t, nil))
		return r, "aud02", nil
	}},
	"fail/evidence-replayed-by-another-client": {"audit.replay", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		ev := e.evidence(t, nil)
		if _, err := e.verify(request(e.voucherWith(t, e.client, nil), ev), "aud01pdnd"); err != nil {
			t.Fatalf("first use: %v", err)
		}
		return request(e.voucherWith(t, e.otherClient, nil), ev), "aud01pdnd", nil
	}},
	"fail/replay-store-down": {"audit.replay_unavailable", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := e.call(t, false, true)
		e.store.SetDown(errors.New("connection refused"))
		return r, "aud02", nil
	}},
}

func TestAuditRejections(t *testing.T) { runRequestCases(t, auditCases) }

// TestAuditReuse is the decision on the tracking-evidence jti (README "The tracking evidence jti"):
// the evidence travels with its voucher for many calls, so the same evidence from the same client
// and purpose is not a replay — also with a new voucher of that client (GovWay caches and reuses
// audit tokens, AUDIT_REST_01) — while the same evidence from another client is.
func TestAuditReuse(t *testing.T) {
	e := newEnv(t)
	r := e.call(t, true, true)
	first, err := e.verify(r, "pdnd")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r2 := e.call(t, true, true) // same cached voucher and evidence, a fresh Agid-JWT-Signature
		res, err := e.verify(r2, "pdnd")
		if err != nil {
			t.Fatalf("the evidence reused with its voucher: %v", err)
		}
		if res.Audit.JTI != first.Audit.JTI {
			t.Fatal("the consumer did not reuse the evidence")
		}
	}
	ev := e.evidence(t, nil)
	if _, err := e.verify(request(e.voucherWith(t, e.client, nil), ev), "aud01pdnd"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(request(e.voucherWith(t, e.client, nil), ev), "aud01pdnd"); err != nil {
		t.Fatalf("same evidence, new voucher of the same client and purpose: %v", err)
	}
	_, err = e.verify(request(e.voucherWith(t, e.otherClient, nil), ev), "aud01pdnd")
	sectest.WantCode(t, err, "audit.replay")
}

// TestAuditCacheKeepsChecks: a cached evidence is still checked against the voucher it comes with
// (purpose and digest binding) and the clock.
func TestAuditCacheKeepsChecks(t *testing.T) {
	e := newEnv(t)
	ev := e.evidence(t, nil)
	if _, err := e.verify(request(e.voucherWith(t, e.client, pdnd.AuditDigest(ev)), ev), "aud02"); err != nil {
		t.Fatal(err)
	}
	// The cached evidence with a voucher bound to another evidence.
	_, err := e.verify(request(e.voucherWith(t, e.client, pdnd.AuditDigest(e.evidence(t, nil))), ev), "aud02")
	sectest.WantCode(t, err, "audit.digest_mismatch")
	e.clock.Advance(66 * time.Second) // evidence exp 60 s + 5 s skew
	_, err = e.verify(request(e.voucherWith(t, e.client, pdnd.AuditDigest(ev)), ev), "aud02")
	sectest.WantCode(t, err, "audit.expired")
}

func TestAuditResultAndSigner(t *testing.T) {
	e := newEnv(t)
	r := e.call(t, true, true)
	res, err := e.verify(r, "pdnd")
	if err != nil {
		t.Fatal(err)
	}
	a := res.Audit
	if a.PurposeID != purposeID || a.Issuer != clientID {
		t.Fatalf("%+v", a)
	}
	for k, want := range map[string]string{"userID": "operatore-17", "userLocation": "postazione-3", "LoA": "LoA3"} {
		if got, ok := a.ClaimString(k); !ok || got != want {
			t.Errorf("%s = %q", k, got)
		}
	}
	// dnonce is a 13-digit JSON number (not a string).
	tok, err := jose.Parse(r.Header.Get(modi.TrackingEvidenceHeader))
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(tok.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if d := string(payload["dnonce"]); len(d) != 13 || strings.Trim(d, "0123456789") != "" {
		t.Fatalf("dnonce %s", d)
	}
	for _, k := range []string{"iss", "dnonce", "jti"} {
		if _, ok := a.Claims[k]; ok {
			t.Fatalf("registered claim %s is not audit data", k)
		}
	}
	s := &modi.AuditSigner{Signer: e.modiSigner, ClientID: clientID}
	if _, _, err := s.SignEvidence(purposeID, audience, map[string]any{"purposeId": "x"}, e.clock.Now()); err == nil {
		t.Fatal("an audit claim must not override purposeId")
	}
}

// ClaimString reads a string claim's value, escapes included, and gives any other JSON as text.
func TestAuditClaimString(t *testing.T) {
	a := &modi.Audit{Claims: map[string]json.RawMessage{
		"plain":   json.RawMessage(`"operatore-17"`),
		"escaped": json.RawMessage(`"uffici\u00f2 \"3\"\\b"`),
		"empty":   json.RawMessage(`""`),
		"number":  json.RawMessage(`3`),
		"object":  json.RawMessage(`{"a":"b"}`),
	}}
	for name, want := range map[string]string{"plain": "operatore-17", "escaped": `ufficiò "3"\b`, "empty": "",
		"number": "3", "object": `{"a":"b"}`} {
		if got, ok := a.ClaimString(name); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, want)
		}
	}
	if got, ok := a.ClaimString("absent"); ok || got != "" {
		t.Errorf("absent = %q, %v", got, ok)
	}
}
