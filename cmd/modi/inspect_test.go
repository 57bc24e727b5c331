package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/jose"
)

// inspectOut runs modi inspect --json and returns the exit code and every problem code.
func inspectOut(t *testing.T, args ...string) (int, []problemItem) {
	t.Helper()
	r := modiRun(t, "", append([]string{"inspect", "--json"}, args...)...)
	var out struct {
		Tokens []inspection `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("inspect output %q: %v (%s)", r.stdout, err, r.stderr)
	}
	var all []problemItem
	for _, tok := range out.Tokens {
		all = append(all, tok.Problems...)
	}
	return r.code, all
}

func hasCode(ps []problemItem, code, contains string) bool {
	for _, p := range ps {
		if p.Code == code && strings.Contains(p.Message, contains) {
			return true
		}
	}
	return false
}

// TestInspectFindsSeededMistakes: each mistake integrators make is found, with the code an
// e-service (or PDND) would refuse it with.
func TestInspectFindsSeededMistakes(t *testing.T) {
	cred, _ := pasim.PDND.Credential("welfaregov-eservizi")
	signer := cred.Signer
	now := time.Now().Unix()
	sign := func(h jose.SignHeader, claims map[string]any) string {
		tok, err := signer.SignJSON(h, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	jwt := jose.SignHeader{Typ: "JWT", Kid: true}
	assertion := func(change func(map[string]any)) string {
		c := map[string]any{"iss": cred.ClientID, "sub": cred.ClientID, "aud": "auth.interop.pagopa.it/client-assertion",
			"jti": "0b6e5c1a-9d7f-4f0a-8c2e-3b1d4f5a6e7c", "iat": now, "exp": now + 60, "purposeId": cred.Purposes[0].ID}
		change(c)
		return sign(jwt, c)
	}
	evidence := sign(jwt, map[string]any{"iss": cred.ClientID, "aud": "https://e/v1", "iat": now, "exp": now + 600, "jti": "j",
		"purposeId": cred.Purposes[0].ID, "userID": "u", "userLocation": "l", "dnonce": json.Number("1234567890123")})
	sumNL := sha256.Sum256([]byte(evidence + "\n"))
	body := []byte(`{"a":1}`)
	bodySum := sha256.Sum256(body)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	_ = os.WriteFile(bodyFile, body, 0o644)
	integrity := func(signed any) string {
		return sign(jwt, map[string]any{"iss": cred.ClientID, "aud": "https://e/v1", "iat": now, "exp": now + 60, "jti": "k", "signed_headers": signed})
	}
	// craft makes a token with a dummy signature (inspect never verifies).
	craft := func(header, payload string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	noneToken := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x","aud":"a","exp":1,"signed_headers":[]}`)) + "."

	for name, tc := range map[string]struct {
		args           []string
		code, contains string
	}{
		"alg-none":            {[]string{noneToken}, "integrity.alg_not_allowed", "none"},
		"digest-header-hex":   {[]string{"SHA-256=" + hex.EncodeToString(bodySum[:])}, "integrity.digest_malformed", "hex"},
		"digest-no-prefix":    {[]string{"--kind", "digest", base64.StdEncoding.EncodeToString(bodySum[:])}, "integrity.digest_malformed", "prefix"},
		"assertion-nbf":       {[]string{assertion(func(c map[string]any) { c["nbf"] = now })}, "assertion.claim_forbidden", "nbf"},
		"assertion-client-id": {[]string{assertion(func(c map[string]any) { c["client_id"] = cred.ClientID })}, "assertion.claim_forbidden", "client_id"},
		"assertion-token-url": {[]string{assertion(func(c map[string]any) { c["aud"] = "https://auth.interop.pagopa.it/token.oauth2" })}, "assertion.aud_mismatch", "token URL"},
		"assertion-b64-digest": {[]string{assertion(func(c map[string]any) {
			c["digest"] = map[string]string{"alg": "SHA256", "value": base64.StdEncoding.EncodeToString(bodySum[:])}
		})}, "assertion.digest_invalid", "base64"},
		"assertion-hyphen": {[]string{assertion(func(c map[string]any) {
			c["digest"] = map[string]string{"alg": "SHA-256", "value": hex.EncodeToString(bodySum[:])}
		})}, "assertion.digest_invalid", "without a hyphen"},
		"assertion-newline-digest": {[]string{"--evidence", evidence, assertion(func(c map[string]any) {
			c["digest"] = map[string]string{"alg": "SHA256", "value": hex.EncodeToString(sumNL[:])}
		})}, "audit.digest_mismatch", "newline"},
		"assertion-exp-string": {[]string{assertion(func(c map[string]any) { c["exp"] = "1900000000" })}, "assertion.claim_invalid", "not strings"},
		"assertion-expired":    {[]string{assertion(func(c map[string]any) { c["exp"] = now - 3600 })}, "assertion.expired", "ago"},
		"voucher-b64-digest": {[]string{sign(jose.SignHeader{Typ: "at+jwt", Kid: true}, map[string]any{"iss": "i", "sub": cred.ClientID,
			"client_id": cred.ClientID, "aud": "https://e/v1", "jti": "v", "iat": now, "exp": now + 600, "purposeId": "p",
			"digest": map[string]string{"alg": "SHA256", "value": base64.StdEncoding.EncodeToString(bodySum[:])}})}, "audit.digest_mismatch", "base64"},
		"voucher-typ": {[]string{"--kind", "voucher", sign(jwt, map[string]any{"iss": "i", "sub": "s", "client_id": "c", "aud": "a", "jti": "v",
			"iat": now, "exp": now + 600, "purposeId": "p"})}, "voucher.typ_invalid", "at+jwt"},
		"signed-headers-object": {[]string{integrity(map[string]string{"digest": "SHA-256=x"})}, "integrity.signed_headers_invalid", "array"},
		"signed-digest-hex":     {[]string{integrity([]map[string]string{{"digest": "SHA-256=" + hex.EncodeToString(bodySum[:])}})}, "integrity.digest_malformed", "hex"},
		"body-mismatch": {[]string{"--body", bodyFile, integrity([]map[string]string{{"digest": "SHA-256=" + base64.StdEncoding.EncodeToString(make([]byte, 32))}})},
			"integrity.digest_mismatch", "body bytes"},
		"integrity-too-old": {[]string{sign(jwt, map[string]any{"iss": "i", "aud": "a", "iat": now - 3600, "exp": now + 60, "jti": "k",
			"signed_headers": []map[string]string{{"digest": "SHA-256=" + base64.StdEncoding.EncodeToString(bodySum[:])}}})}, "integrity.too_old", "old"},
		"dpop-private-jwk": {[]string{craft(`{"typ":"dpop+jwt","alg":"RS256","jwk":{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}}`,
			`{"htm":"POST","htu":"https://e/v1?x=1","iat":`+strconv.FormatInt(now, 10)+`,"jti":"d"}`)}, "dpop.jwk_private", "private"},
		"dpop-htu-query": {[]string{craft(`{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"x","y":"y"}}`,
			`{"htm":"POST","htu":"https://e/v1?x=1","iat":`+strconv.FormatInt(now, 10)+`,"jti":"d"}`)}, "dpop.htu_mismatch", "query"},
		"padded-base64": {[]string{strings.Replace(evidence, ".", "=.", 1)}, "token.malformed", "padded"},
	} {
		t.Run("fail/"+name, func(t *testing.T) {
			code, ps := inspectOut(t, tc.args...)
			if code != exitFail || !hasCode(ps, tc.code, tc.contains) {
				t.Fatalf("exit %d, want %s (%q) in %+v", code, tc.code, tc.contains, ps)
			}
		})
	}

	t.Run("ok/real-request", func(t *testing.T) {
		s := newSetup(t)
		req := s.request(t, icefBody)
		args := []string{"--aud", s.aud, "--iss", pasim.PDND.Environment().Issuer}
		for _, h := range req.headers {
			args = append(args, "--header", h)
		}
		bf := filepath.Join(t.TempDir(), "b.json")
		_ = os.WriteFile(bf, []byte(icefBody), 0o644)
		code, ps := inspectOut(t, append(args, "--body", bf)...)
		if code != exitOK {
			t.Fatalf("problems in a good request: %+v", ps)
		}
		// The same request with a swapped evidence: the binding to the voucher's digest fails.
		swapped := append([]string{}, args...)
		swapped = append(swapped, "--header", "Agid-JWT-TrackingEvidence: "+evidence)
		if code, ps := inspectOut(t, swapped...); code != exitFail || !hasCode(ps, "audit.digest_mismatch", "") {
			t.Fatalf("swapped evidence: %+v", ps)
		}
	})
	t.Run("ok/text-output", func(t *testing.T) {
		r := modiRun(t, "", "inspect", noneToken)
		if r.code != exitFail || !strings.Contains(r.stdout, "ERROR   integrity.alg_not_allowed") {
			t.Fatalf("%+v", r)
		}
	})
}
