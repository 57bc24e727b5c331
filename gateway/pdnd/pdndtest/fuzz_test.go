package pdndtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// FuzzTokenEndpoint: whatever a client posts, the token endpoint answers a PDND problem whose
// first entry is production's 015-0008 (or a voucher, for a valid assertion), and never echoes a
// signature.
func FuzzTokenEndpoint(f *testing.F) {
	a, err := NewAuthority(sectest.NewMemory(f))
	if err != nil {
		f.Fatal(err)
	}
	a.AssertionAudiences = []string{"pdnd.test/client-assertion"}
	key, _ := jose.NewSigner(sectest.RSAKey(f, 0))
	a.AddClient(clientID, consumer, false)
	if _, err := a.AddClientKey(clientID, key.Public()); err != nil {
		f.Fatal(err)
	}
	a.AddPurpose(Purpose{ID: purposeID, Audience: []string{"x"}}, clientID)
	good, _ := key.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true}, map[string]any{"iss": clientID, "sub": clientID,
		"aud": "pdnd.test/client-assertion", "jti": "j", "iat": 1, "exp": 4102444800, "purposeId": purposeID})
	for _, s := range []string{good, good + "x", "a.b.c", "", strings.Replace(good, ".", "=.", 1)} {
		f.Add(s, clientID)
	}
	h := a.TokenHandler()
	f.Fuzz(func(t *testing.T, assertion, client string) {
		form := url.Values{"client_id": {client}, "client_assertion": {assertion},
			"client_assertion_type": {pdnd.ClientAssertionType}, "grant_type": {"client_credentials"}}
		req := httptest.NewRequest(http.MethodPost, "/token.oauth2", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			return
		}
		var p pdnd.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 400 || len(p.Errors) == 0 || p.Errors[0].Code != CodeUnableToGenerate {
			t.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
		}
		if i := strings.LastIndexByte(assertion, '.'); i >= 0 && len(assertion)-i > 20 && strings.Contains(rec.Body.String(), assertion[i+1:]) {
			t.Fatalf("the answer echoes the signature: %s", rec.Body.Bytes())
		}
	})
}
