package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	anpr "github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/anpr/e002"
	inpsadapter "github.com/welfaregov/gateway/adapters/inps"
	anprsim "github.com/welfaregov/gateway/cmd/pasim/sim/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/icef"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/problem"
)

func startAll(t *testing.T, o Options) *Running {
	t.Helper()
	r, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

// call prepares a consumer call with the seed client welfaregov-eservizi (the gateway's own
// outbound path), lets tamper change the request, and sends it.
func call(t *testing.T, r *Running, purpose, method, url string, body []byte, c modi.Call, tamper func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	out, err := r.PDND.Consumer("welfaregov-eservizi")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.PDND.Purpose(purpose)
	if !ok {
		t.Fatalf("no purpose %s", purpose)
	}
	c.Method, c.URL, c.Body, c.PurposeID, c.Audience = method, url, body, p.ID, p.Audience[0]
	if c.Header == nil {
		c.Header = http.Header{}
	}
	if body != nil {
		c.Header.Set("Content-Type", "application/json")
	}
	if _, err := out.Prepare(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header = c.Header
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestANPRVerifiesForReal: with sim.Start's default, ANPR accepts a call signed as the gateway
// signs it (voucher, INTEGRITY_REST_02, AUDIT_REST_02 bound to the voucher) and refuses each
// tampering with GovWay's answer, the gateway's code in the detail.
func TestANPRVerifiesForReal(t *testing.T) {
	r := startAll(t, Options{})
	cf := r.Population.People[0].CodiceFiscale
	url := r.URLs["anpr"] + anprsim.DefaultBasePath(anpr.C030) + anpr.OperationPath
	body := []byte(`{"idOperazioneClient":"1","criteriRicerca":{"codiceFiscale":"` + cf + `"},` +
		`"datiRichiesta":{"dataRiferimentoRichiesta":"2025-06-01","motivoRichiesta":"WGOV-1","casoUso":"C030"}}`)
	audit := &pdnd.AuditRequest{Claims: map[string]any{"userID": "operatore-1", "userLocation": "postazione-7", "LoA": "LoA3"}, Bind: true}
	send := func(purpose string, c modi.Call, tamper func(*http.Request)) (*http.Response, e002.GovWayProblem) {
		resp, b := call(t, r, purpose, "POST", url, body, c, tamper)
		var p e002.GovWayProblem
		if resp.StatusCode != 200 {
			_ = json.Unmarshal(b, &p)
		}
		return resp, p
	}
	if resp, p := send("welfaregov-anpr-c030", modi.Call{Integrity: true, Audit: audit}, nil); resp.StatusCode != 200 {
		t.Fatalf("a well-signed call: %d %+v", resp.StatusCode, p)
	}
	for name, tc := range map[string]struct {
		purpose string
		call    modi.Call
		tamper  func(*http.Request)
		status  int
		govway  string
		code    string
	}{
		"fail/no-voucher": {"welfaregov-anpr-c030", modi.Call{Integrity: true, Audit: audit},
			func(r *http.Request) { r.Header.Del("Authorization") }, 401, anprsim.GovWayTokenRequired, "voucher.missing"},
		"fail/body-changed": {"welfaregov-anpr-c030", modi.Call{Integrity: true, Audit: audit},
			func(r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(b, []byte(`"1"`), []byte(`"2"`), 1)))
			}, 400, anprsim.GovWayInteroperability, "integrity.digest_mismatch"},
		"fail/no-integrity": {"welfaregov-anpr-c030", modi.Call{Audit: audit}, nil, 400, anprsim.GovWayInteroperability, "integrity.missing"},
		"fail/no-audit":     {"welfaregov-anpr-c030", modi.Call{Integrity: true}, nil, 400, anprsim.GovWayInteroperability, "audit.missing"},
		"fail/audit-claims": {"welfaregov-anpr-c030", modi.Call{Integrity: true, Audit: &pdnd.AuditRequest{Claims: map[string]any{"userID": "u"}, Bind: true}},
			nil, 400, anprsim.GovWayInteroperability, "audit.claim_missing"},
		"fail/voucher-of-another-use-case": {"welfaregov-anpr-c021", modi.Call{Integrity: true, Audit: audit}, nil, 401, "TokenAuthenticationFailed", "voucher.aud_mismatch"},
		"fail/evidence-not-bound": {"welfaregov-anpr-c030", modi.Call{Integrity: true, Audit: audit}, func(req *http.Request) {
			// Another evidence, validly signed by the same client, but not the one whose hash the
			// voucher carries.
			cred, _ := r.PDND.Credential("welfaregov-eservizi")
			p, _ := r.PDND.Purpose("welfaregov-anpr-c030")
			ev, _, err := (&modi.AuditSigner{Signer: cred.Signer, ClientID: cred.ClientID}).SignEvidence(p.ID, p.Audience[0], audit.Claims, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(modi.TrackingEvidenceHeader, ev)
		}, 400, anprsim.GovWayInteroperability, "audit.digest_mismatch"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, p := send(tc.purpose, tc.call, tc.tamper)
			if resp.StatusCode != tc.status || p.Title != tc.govway || resp.Header.Get("GovWay-Transaction-ErrorType") != tc.govway ||
				!strings.HasPrefix(p.Type, e002.GovWayTypeBase) || !strings.Contains(p.Detail, "["+tc.code) {
				t.Fatalf("%d %+v", resp.StatusCode, p)
			}
		})
	}
}

// TestICEFVerifiesForReal: the provisional ICEF contract wants the voucher on both operations and
// INTEGRITY_REST_02 on the POST; refusals are problem+json with the code.
func TestICEFVerifiesForReal(t *testing.T) {
	r := startAll(t, Options{})
	url := r.URLs["icef"] + icef.BasePath + "/indicatori/ricerca"
	body := []byte(`{"codiceFiscale":"` + r.Population.People[0].CodiceFiscale + `","politica":"assegno-unico-provinciale","anno":2025}`)
	resp, b := call(t, r, "welfaregov-icef", "POST", url, body, modi.Call{Integrity: true}, nil)
	if resp.StatusCode != 200 && resp.StatusCode != 404 {
		t.Fatalf("a well-signed call: %d %s", resp.StatusCode, b)
	}
	if resp, b := call(t, r, "welfaregov-icef", "GET", r.URLs["icef"]+icef.BasePath+"/politiche", nil, modi.Call{}, nil); resp.StatusCode != 200 {
		t.Fatalf("GET politiche with a voucher: %d %s", resp.StatusCode, b)
	}
	resp, b = call(t, r, "welfaregov-icef", "POST", url, body, modi.Call{}, nil)
	var p problem.Problem
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != 400 || p.Code != "integrity.missing" {
		t.Fatalf("POST without Agid-JWT-Signature: %d %s", resp.StatusCode, b)
	}
	resp, b = call(t, r, "welfaregov-anpr-c030", "POST", url, body, modi.Call{Integrity: true}, nil)
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != 401 || p.Code != "voucher.aud_mismatch" {
		t.Fatalf("an ANPR voucher at ICEF: %d %s", resp.StatusCode, b)
	}
}

// TestPresenceOnly keeps the simulators' stand-alone checks.
func TestPresenceOnly(t *testing.T) {
	r := startAll(t, Options{PresenceOnly: true})
	req, _ := http.NewRequest("POST", r.URLs["anpr"]+anprsim.DefaultBasePath(anpr.C030)+anpr.OperationPath, strings.NewReader(`{}`))
	for _, h := range []string{"Authorization", "Digest", "Agid-JWT-Signature", "Agid-JWT-TrackingEvidence"} {
		req.Header.Set(h, "Bearer x")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Past the security check, the GovWay schema check refuses the empty body.
	if resp.StatusCode != 400 || resp.Header.Get("GovWay-Transaction-ErrorType") != anprsim.GovWayInvalidRequestContent {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
}

// TestINPSVerifiesTheVoucher: ConsultazioneISEE accepts a voucher of its e-service and refuses
// another's with INPS's 401 and the gateway's code.
func TestINPSVerifiesTheVoucher(t *testing.T) {
	r := startAll(t, Options{})
	body, err := inpsadapter.BuildConsultazioneAttestazione(inpsadapter.Identity{UserID: "80012345678", CodiceUfficio: "001"},
		inpsadapter.RichiestaAttestazione{RicercaCF: &inpsadapter.RicercaCF{CodiceFiscale: r.Population.People[0].CodiceFiscale}})
	if err != nil {
		t.Fatal(err)
	}
	url := r.URLs["inps"] + inps.Path
	c := modi.Call{Header: http.Header{"Soapaction": {inpsadapter.OpConsultazioneAttestazione.SOAPActionHeader()}}}
	send := func(purpose string, tamper func(*http.Request)) (*http.Response, []byte) {
		cc := c
		cc.Header = c.Header.Clone()
		return call(t, r, purpose, "POST", url, body, cc, func(req *http.Request) {
			req.Header.Set("Content-Type", inpsadapter.ContentType)
			if tamper != nil {
				tamper(req)
			}
		})
	}
	if resp, b := send("welfaregov-isee", nil); resp.StatusCode != 200 || !bytes.Contains(b, []byte("Esito")) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	resp, b := send("welfaregov-icef", nil)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") || !bytes.Contains(b, []byte("[voucher.aud_mismatch]")) {
		t.Fatalf("an ICEF voucher at INPS: %d %s", resp.StatusCode, b)
	}
	resp, b = send("welfaregov-isee", func(req *http.Request) { req.Header.Set("Authorization", "Bearer not.a.voucher") })
	if resp.StatusCode != 401 || !bytes.Contains(b, []byte("[voucher.malformed]")) {
		t.Fatalf("a forged voucher: %d %s", resp.StatusCode, b)
	}
}

// TestTracingAuthenticatesPDNDAPIVouchers: the Tracing API accepts a PDND-API voucher of the
// simulator (the tenant is its organizationId) and refuses an e-service voucher or a forged token.
func TestTracingAuthenticatesPDNDAPIVouchers(t *testing.T) {
	r := startAll(t, Options{})
	get := func(token string) int {
		req, _ := http.NewRequest("GET", r.URLs["tracing"]+"/tracings?offset=0&limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	api, _ := r.PDND.Credential("welfaregov-api")
	m2m, err := (&pdnd.Client{ClientID: api.ClientID, TokenURL: r.PDND.Environment().TokenURL,
		AssertionAudience: r.PDND.Environment().AssertionAudience, Signer: api.Signer}).RequestToken(context.Background(), pdnd.TokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(m2m.AccessToken); got != 200 {
		t.Fatalf("PDND-API voucher: %d", got)
	}
	out, _ := r.PDND.Consumer("welfaregov-eservizi")
	p, _ := r.PDND.Purpose("welfaregov-icef")
	creds, err := out.Vouchers.Get(context.Background(), pdnd.VoucherRequest{PurposeID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"e-service voucher": creds.AccessToken, "forged": "eyJhbGciOiJub25lIn0.eyJvcmdhbml6YXRpb25JZCI6IngifQ.x"} {
		if got := get(tok); got != 401 {
			t.Errorf("%s: %d", name, got)
		}
	}
}
