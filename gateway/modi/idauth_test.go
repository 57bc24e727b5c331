package modi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/modi"
)

func idAuthRequest(token string) *modi.Request {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", token)
	}
	return &modi.Request{Method: "GET", URL: callURL, Header: h}
}

func (e *env) idAuthToken(t *testing.T) string {
	tok, err := modi.SignIDAuth(e.x509Signer, "comune-esempio", "comune-esempio", audience, time.Minute, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var idAuthCases = map[string]requestCase{
	"fail/no-authorization": {"idauth.missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return idAuthRequest(""), "idauth02", nil
	}},
	"fail/basic-scheme": {"idauth.scheme_invalid", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		return idAuthRequest("Basic " + e.idAuthToken(t)), "idauth02", nil
	}},
	"fail/two-authorization-headers": {"idauth.malformed", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := idAuthRequest("Bearer " + e.idAuthToken(t))
		r.Header.Add("Authorization", "Bearer x.y.z")
		return r, "idauth02", nil
	}},
	"fail/no-jti-under-02": {"idauth.claim_missing", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		claims := merge(timeClaims(e.clock.Now()), map[string]any{"aud": audience, "jti": nil})
		return idAuthRequest("Bearer " + signAs(t, e.x509Signer, true, claims, nil)), "idauth02", nil
	}},
	"fail/replayed": {"idauth.replay", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		r := idAuthRequest("Bearer " + e.idAuthToken(t))
		if _, err := e.verify(r, "idauth02"); err != nil {
			t.Fatalf("first use: %v", err)
		}
		return r, "idauth02", nil
	}},
	"fail/replay-store-down": {"idauth.replay_unavailable", func(t *testing.T, e *env) (*modi.Request, string, *modi.Inbound) {
		e.store.SetDown(errors.New("connection refused"))
		return idAuthRequest("Bearer " + e.idAuthToken(t)), "idauth02", nil
	}},
}

func TestIDAuthRejections(t *testing.T) { runRequestCases(t, idAuthCases) }

// TestX509Profile runs ID_AUTH_REST_01 + INTEGRITY_REST_01 + AUDIT_REST_01, all with x5c, and
// returns the caller's certificate.
func TestX509Profile(t *testing.T) {
	e := newEnv(t)
	h := http.Header{"Content-Type": {contentType}}
	h.Set("Authorization", "Bearer "+e.idAuthToken(t))
	signer := &modi.MessageSigner{Signer: e.x509Signer, X509: true, Issuer: "comune-esempio"}
	if err := signer.SignRequest(h, body, audience, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	ev, _, err := (&modi.AuditSigner{Signer: e.x509Signer, ClientID: "comune-esempio", X509: true}).SignEvidence("", audience,
		map[string]any{"userID": "u1", "userLocation": "l1"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.Set(modi.TrackingEvidenceHeader, ev)
	res, err := e.in.Verify(context.Background(), &modi.Request{Method: "POST", URL: callURL, Header: h, Body: body}, e.profiles["x509full"])
	if err != nil {
		t.Fatal(err)
	}
	if res.IDAuth == nil || res.IDAuth.Certificate.Subject.CommonName != "comune-esempio.it" || res.Voucher != nil || res.Integrity == nil || res.Audit == nil {
		t.Fatalf("%+v", res)
	}
	if res.Integrity.X5TS256 != res.IDAuth.X5TS256 {
		t.Fatal("same certificate, same thumbprint")
	}
}
