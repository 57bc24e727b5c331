package secerr_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/secerr"
)

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range secerr.Codes() {
		if seen[i.Code] {
			t.Errorf("%s listed twice", i.Code)
		}
		seen[i.Code] = true
		if i.Title == "" || i.Meaning == "" || i.Fix == "" || strings.Contains(i.Meaning+i.Fix, "%") {
			t.Errorf("%s is not fully documented: %+v", i.Code, i)
		}
		if i.Status != secerr.StatusOf(i.Kind, i.Reason) || i.Code != string(i.Kind)+"."+string(i.Reason) {
			t.Errorf("%s inconsistent: %+v", i.Code, i)
		}
	}
	if len(seen) < 120 {
		t.Fatalf("only %d codes", len(seen))
	}
	for code, status := range map[string]int{
		"voucher.expired": 401, "voucher.eservice_mismatch": 403, "voucher.m2m_not_allowed": 403, "voucher.jwks_unavailable": 503,
		"dpop.replay": 401, "integrity.digest_mismatch": 400, "integrity.key_unavailable": 503, "audit.purpose_mismatch": 400,
		"idauth.chain_untrusted": 401, "response.digest_mismatch": 502, "audit.replay_unavailable": 503,
	} {
		if i, ok := secerr.Lookup(code); !ok || i.Status != status {
			t.Errorf("%s: %+v, want status %d", code, i, status)
		}
	}
}

func TestProblem(t *testing.T) {
	e := secerr.New(secerr.Voucher, secerr.Expired, "PDND voucher expired 3s ago")
	err := fmt.Errorf("verifying: %w", e)
	if secerr.CodeOf(err) != "voucher.expired" || secerr.As(err) != e || !strings.HasPrefix(e.Error(), "voucher.expired: ") {
		t.Fatal(e.Error())
	}
	resp := problem.From(err, "req-1") // a wrapped *secerr.Error maps without calling Problem()
	if resp.Status != 401 || resp.Problem.Type != problem.BaseURI+"voucher.expired" || resp.Problem.Code != "voucher.expired" ||
		resp.Problem.Title != "PDND voucher: expired" || resp.Header["WWW-Authenticate"] != `Bearer error="invalid_token"` {
		t.Fatalf("%+v", resp)
	}
	for code, challenge := range map[*secerr.Error]string{
		secerr.New(secerr.Voucher, secerr.Missing, "x"):          "Bearer",
		secerr.New(secerr.DPoP, secerr.Replay, "x"):              `DPoP error="invalid_dpop_proof", algs="RS256 ES256"`,
		secerr.New(secerr.Integrity, secerr.Replay, "x"):         "",
		secerr.New(secerr.Voucher, secerr.EServiceMismatch, "x"): "",
	} {
		if got := code.Problem().Header["WWW-Authenticate"]; got != challenge {
			t.Errorf("%s: challenge %q, want %q", code.Code(), got, challenge)
		}
	}
	wrapped := secerr.Wrap(secerr.Integrity, secerr.KeyUnavailable, errors.New("dial tcp: refused"), "PDND is down")
	if !strings.Contains(wrapped.Error(), "PDND is down") || errors.Unwrap(wrapped).Error() != "dial tcp: refused" ||
		problem.From(wrapped.Problem(), "").Problem.Detail != "PDND is down" || wrapped.Status() != http.StatusServiceUnavailable ||
		problem.From(wrapped.Problem(), "").Header["Retry-After"] != "5" {
		t.Fatal("the cause stays internal")
	}
}

func TestMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("é", 200)
	q := secerr.Quote(long)
	if len(q) > secerr.MaxValueLen+10 || !strings.HasSuffix(q, `..."`) || strings.ContainsRune(q, '\uFFFD') {
		t.Fatalf("%d %q", len(q), q)
	}
	e := secerr.Mismatch(secerr.Integrity, secerr.AudMismatch, "aud", "https://a\n/v1", "https://b/v1", "the e-service audience")
	if e.Detail != `Agid-JWT-Signature aud "https://a\n/v1" is not the e-service audience "https://b/v1"` {
		t.Fatalf("%q", e.Detail)
	}
	a := secerr.AudienceMismatch(secerr.Voucher, []string{"x", "y"}, "z")
	if a.Detail != `PDND voucher aud "x,y" does not contain the e-service audience "z"` {
		t.Fatalf("%q", a.Detail)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := secerr.Skewed(secerr.DPoP, secerr.TooOld, "iat", now.Add(-75*time.Second), now, 10*time.Second)
	if s.Skew != 75*time.Second || s.Detail != "DPoP proof was issued 1m15s ago (iat 2026-03-02T09:58:45Z, gateway time 2026-03-02T10:00:00Z, tolerance 10s)" {
		t.Fatalf("%q", s.Detail)
	}
}

func TestMarkdownTable(t *testing.T) {
	table := secerr.MarkdownTable(secerr.DPoP)
	if !strings.HasPrefix(table, "| code | status |") || !strings.Contains(table, "| `dpop.htu_mismatch` | 401 |") || strings.Contains(table, "voucher.") {
		t.Fatal(table)
	}
}
