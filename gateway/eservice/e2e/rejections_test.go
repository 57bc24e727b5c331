package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/problem"
)

type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"requestId"`
	Invalid   []struct {
		Name, Reason string
	} `json:"invalidParams"`
}

// wantProblem fails unless a is the problem code with status, as problem+json with the stable type
// URI, and returns it.
func wantProblem(t testing.TB, a *answer, status int, code string) problemBody {
	t.Helper()
	p := decode[problemBody](t, a.body)
	if a.status != status || p.Status != status || p.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", a.status, p.Code, p.Detail, status, code)
	}
	if !strings.HasPrefix(p.Type, problem.BaseURI) || a.header.Get("Content-Type") != problem.ContentType {
		t.Fatalf("type %q, Content-Type %q: want a problem+json with a stable type", p.Type, a.header.Get("Content-Type"))
	}
	if p.RequestID == "" || p.RequestID != a.header.Get("X-Correlation-ID") {
		t.Fatalf("requestId %q vs X-Correlation-ID %q", p.RequestID, a.header.Get("X-Correlation-ID"))
	}
	return p
}

// tamperPayload changes the payload of a JWS (keeping header and signature): the signature breaks.
func tamperPayload(token string) string {
	parts := strings.SplitN(token, ".", 3)
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	raw = []byte(strings.Replace(string(raw), `"jti":"`, `"jti":"x`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// TestRejections: every rejection class over real HTTP, each with its exact status and problem
// code, the rate-limit headers, and an answer that matches the contract.
func TestRejections(t *testing.T) {
	w := newWorld(t)
	g := w.start(t, w.config(memoryStore(), ""))
	cf, on := subject(t, w.pop)
	body := ricerca(cf, on)
	full := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
	cases := map[string]struct {
		status int
		code   string
		req    func(t *testing.T) *http.Request
	}{
		"voucher/missing": {401, "voucher.missing", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Del("Authorization")
			return r
		}},
		"voucher/signature": {401, "voucher.signature_invalid", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			r.Header.Set("Authorization", scheme+" "+tamperPayload(tok))
			return r
		}},
		"voucher/other-eservice": {401, "voucher.aud_mismatch", func(t *testing.T) *http.Request {
			// A voucher of the estrazione e-service sent to the consultazione one.
			other := w.newConsumer(clientID, purposeEstr, audEstr, mountPrest, true, true)
			return other.prepare(t, g, "POST", "/ricerca", body)
		}},
		"dpop/bearer-as-dpop": {401, "dpop.not_bound", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Bearer ", "DPoP ", 1))
			return r
		}},
		"dpop/missing-proof": {401, "dpop.missing", func(t *testing.T) *http.Request {
			c := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
			c.dpop = true
			r := c.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Del("DPoP")
			return r
		}},
		"dpop/proof-for-another-url": {401, "dpop.htu_mismatch", func(t *testing.T) *http.Request {
			c := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
			c.dpop = true
			r := c.prepare(t, g, "POST", "/ricerca", body)
			other := c.prepare(t, g, "POST", "/altro", body)
			r.Header.Set("DPoP", other.Header.Get("DPoP"))
			return r
		}},
		"purpose/not-configured": {403, "voucher.purpose_not_allowed", func(t *testing.T) *http.Request {
			c := w.newConsumer(clientID, purposeUnconfig, audPrest, mountPrest, true, true)
			return c.prepare(t, g, "POST", "/ricerca", body)
		}},
		"integrity/missing": {400, "integrity.missing", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Del(modi.SignatureHeader)
			return r
		}},
		"integrity/body-changed": {400, "integrity.digest_mismatch", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			other := ricerca("RSSMRA80A01H501U", on)
			r.Body, r.ContentLength = readCloser(other), int64(len(other))
			return r
		}},
		"integrity/signed-header": {400, "integrity.signed_header_mismatch", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		}},
		"audit/missing": {400, "audit.missing", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Del(modi.TrackingEvidenceHeader)
			return r
		}},
		"audit/signature": {400, "audit.signature_invalid", func(t *testing.T) *http.Request {
			r := full.prepare(t, g, "POST", "/ricerca", body)
			r.Header.Set(modi.TrackingEvidenceHeader, tamperPayload(r.Header.Get(modi.TrackingEvidenceHeader)))
			return r
		}},
		"request/invalid-codice-fiscale": {400, "invalid-parameter", func(t *testing.T) *http.Request {
			return full.prepare(t, g, "POST", "/ricerca", ricerca("RSSMRA80A01H501X", on))
		}},
		"request/unknown-member": {400, "bad-request", func(t *testing.T) *http.Request {
			return full.prepare(t, g, "POST", "/ricerca", []byte(`{"codiceFiscale":"RSSMRA80A01H501U","dataRiferimento":"2026-01-01","nome":"x"}`))
		}},
		"request/unknown-path": {404, "not-found", func(t *testing.T) *http.Request {
			return full.prepare(t, g, "POST", "/altro", body)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := g.do(t, c.req(t))
			a.path = "/ricerca"
			p := wantProblem(t, a, c.status, c.code)
			if c.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if a.header.Get(eservice.HeaderLimit) != "1000" {
				t.Fatalf("X-RateLimit-Limit %q on a refusal", a.header.Get(eservice.HeaderLimit))
			}
			if strings.Contains(p.Detail, cf) {
				t.Fatalf("the detail repeats the codice fiscale: %s", p.Detail)
			}
			checkContract(t, mountPrest, a)
		})
	}
	t.Run("replay", func(t *testing.T) {
		r := full.prepare(t, g, "POST", "/ricerca", body)
		saved := append([]byte(nil), body...)
		if a := g.do(t, r); a.status != 200 {
			t.Fatalf("first %d: %s", a.status, a.body)
		}
		r2, _ := http.NewRequest("POST", r.URL.String(), readCloser(saved))
		r2.Header = r.Header.Clone()
		a := g.do(t, r2)
		a.path = "/ricerca"
		wantProblem(t, a, 400, "integrity.replay")
		checkContract(t, mountPrest, a)
	})
	t.Run("unsupported-media-type", func(t *testing.T) {
		h := http.Header{"Content-Type": {"text/plain"}}
		call := &modi.Call{Method: "POST", URL: publicBase + mountPrest + "/ricerca", Header: h, Body: body, PurposeID: purposeFull,
			Audience: audPrest, Integrity: true}
		call.Audit = full.auditRequest()
		if _, err := full.out.Prepare(t.Context(), call); err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("POST", g.base+mountPrest+"/ricerca", readCloser(body))
		r.Header = h
		a := g.do(t, r)
		a.path = "/ricerca"
		wantProblem(t, a, 415, "unsupported-media-type")
		checkContract(t, mountPrest, a)
	})
	t.Run("status-without-voucher", func(t *testing.T) {
		for _, mount := range []string{mountPrest, mountEstr, mountWaaS} {
			r, _ := http.NewRequest("GET", g.base+mount+"/status", nil)
			a := g.do(t, r)
			a.path = "/status"
			if a.status != 200 || a.header.Get("Content-Type") != problem.ContentType {
				t.Fatalf("%s/status: %d %s", mount, a.status, a.body)
			}
			checkContract(t, mount, a)
		}
	})
}

// TestRateLimit429 and overload: the rate limit answers 429 with Retry-After and Remaining 0 once
// the consumer's calls for a purpose are used up (another purpose keeps its own); a concurrency
// limit answers 503 overloaded with Retry-After while the backend is slow.
func TestRateLimitAndOverload(t *testing.T) {
	w := newWorld(t)
	text := strings.Replace(w.config(memoryStore(), ""), "    rate_limit: {requests: 1000, period: 1m}\n    response_signing", "    rate_limit: {requests: 3, period: 1h}\n    concurrency: 1\n    response_signing", 1)
	g := w.start(t, text)
	cf, on := subject(t, w.pop)
	full := w.newConsumer(clientID, purposeFull, audPrest, mountPrest, true, true)
	for i := 3; i > 0; i-- {
		a := full.call(t, g, "POST", "/ricerca", ricerca(cf, on))
		if a.status != 200 || a.header.Get(eservice.HeaderRemaining) != itoa(i-1) || a.header.Get(eservice.HeaderLimit) != "3" {
			t.Fatalf("call %d: %d, remaining %q", 4-i, a.status, a.header.Get(eservice.HeaderRemaining))
		}
	}
	a := full.call(t, g, "POST", "/ricerca", ricerca(cf, on))
	wantProblem(t, a, 429, "rate-limited")
	if a.header.Get("Retry-After") == "" || a.header.Get(eservice.HeaderRemaining) != "0" || a.header.Get(eservice.HeaderReset) == "0" {
		t.Fatalf("429 headers %v", a.header)
	}
	checkContract(t, mountPrest, a)
	other := w.newConsumer(clientID, purposeMin, audPrest, mountPrest, true, true)
	if a := other.call(t, g, "POST", "/ricerca", ricerca(cf, on)); a.status != 200 {
		t.Fatalf("another purpose of the same consumer: %d, want its own limit", a.status)
	}

	// Overload: the only slot is taken by a call the backend holds for a second. Both calls are
	// prepared (voucher, signatures) before the first is sent, so the second reaches the gateway
	// while the first holds the slot even on a loaded machine.
	if err := w.faults.Set("backend.prestazioni.ricerca", fault.Spec{Latency: fault.Latency{Kind: "fixed", Fixed: fault.Duration(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	slow := w.newConsumer(clientID, purposeMin, audPrest, mountPrest, true, true)
	holding := slow.prepare(t, g, "POST", "/ricerca", ricerca(cf, on))
	refused := slow.prepare(t, g, "POST", "/ricerca", ricerca(cf, on))
	var wg sync.WaitGroup
	var first *answer
	wg.Go(func() { first = g.do(t, holding) })
	time.Sleep(300 * time.Millisecond)
	a = g.do(t, refused)
	a.path = "/ricerca"
	wg.Wait()
	wantProblem(t, a, 503, "overloaded")
	if a.header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	checkContract(t, mountPrest, a)
	if first.status != 200 {
		t.Fatalf("the call holding the slot: %d", first.status)
	}
}
