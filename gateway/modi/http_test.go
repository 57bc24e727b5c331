package modi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// TestHTTPGuard serves an e-service behind the guard on loopback and calls it through real HTTP
// with the consumer side: accepted calls reach the handler with the body and the result; a
// tampered one gets the problem+json of its code.
func TestHTTPGuard(t *testing.T) {
	e := newEnv(t)
	var srvURL string
	guard := &modi.HTTPGuard{Inbound: e.in, Profile: e.profiles["pdnd"], MaxBody: 1024,
		PublicURL: func(r *http.Request) string { return "https://api.welfaregov.example" + r.URL.RequestURI() }}
	srv := httptest.NewServer(guard.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, ok := modi.ResultFrom(r.Context())
		got, _ := io.ReadAll(r.Body)
		if !ok || res.Voucher.PurposeID != purposeID || !bytes.Equal(got, body) {
			http.Error(w, "no result or body", 500)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	defer srv.Close()
	srvURL = srv.URL
	send := func(tamper func(*http.Request), b []byte) *http.Response {
		c := &modi.Call{Method: "POST", URL: callURL, Header: http.Header{"Content-Type": {contentType}}, Body: body,
			PurposeID: purposeID, Audience: audience, Integrity: true, Audit: &pdnd.AuditRequest{Claims: auditClaims, Bind: true}}
		if _, err := e.out.Prepare(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", srvURL+"/rest/siuss/v1/prestazioni?anno=2026", bytes.NewReader(b))
		req.Header = c.Header
		if tamper != nil {
			tamper(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := send(nil, body); resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	resp := send(nil, append(bytes.Clone(body), ' '))
	var p problem.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != problem.ContentType || p.Code != "integrity.digest_mismatch" ||
		p.Type != problem.BaseURI+"integrity.digest_mismatch" || !strings.Contains(p.Detail, "not the SHA-256") {
		t.Fatalf("%d %+v", resp.StatusCode, p)
	}
	resp = send(func(r *http.Request) { r.Header.Del("Authorization") }, body)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	if resp := send(nil, bytes.Repeat([]byte("x"), 2048)); resp.StatusCode != 413 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

// TestHTTPGuardWriteError: a refusal goes to WriteError with its *secerr.Error when one is set.
func TestHTTPGuardWriteError(t *testing.T) {
	e := newEnv(t)
	var got error
	guard := &modi.HTTPGuard{Inbound: e.in, Profile: e.profiles["pdnd"],
		WriteError: func(w http.ResponseWriter, _ *http.Request, err error) { got = err; w.WriteHeader(418) }}
	srv := httptest.NewServer(guard.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/x", contentType, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 418 || secerr.CodeOf(got) != "voucher.missing" {
		t.Fatalf("%d %v", resp.StatusCode, got)
	}
}
