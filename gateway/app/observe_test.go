package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// TestJWKSAgeReadiness: readiness fails while the voucher JWKS is older than the bound (or was
// never fetched and the gateway started longer ago), and passes again once a fetch succeeds.
func TestJWKSAgeReadiness(t *testing.T) {
	key := sectest.RSAKey(t, 1)
	signer, err := jose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	jwk := `{"keys":[{"kty":"RSA","kid":"` + signer.Kid() + `","alg":"RS256","use":"sig","n":"` +
		base64.RawURLEncoding.EncodeToString(key.N.Bytes()) + `","e":"AQAB"}]}`
	var up atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "PDND down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(jwk))
	}))
	defer srv.Close()
	j, err := pdnd.NewJWKS(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	now := time.Now()
	clock := func() time.Time { return now }
	check := jwksAgeCheck(j, 2*time.Hour, now, clock)
	if err := check(context.Background()); err != nil {
		t.Fatalf("just started, never fetched: %v", err)
	}
	now = now.Add(3 * time.Hour)
	err = check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "has not been fetched since the start 3h0m0s ago, more than pdnd.jwks_max_age (2h0m0s)") {
		t.Fatalf("never fetched, 3h after the start: %v", err)
	}
	if err := j.Refresh(context.Background()); err == nil {
		t.Fatal("a refresh against a failing PDND succeeded")
	}
	if err := check(context.Background()); err == nil || !strings.Contains(err.Error(), "last attempt:") {
		t.Fatalf("the failed refresh is not reported: %v", err)
	}
	up.Store(true)
	if err := j.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	now = time.Now()
	if err := check(context.Background()); err != nil {
		t.Fatalf("just fetched: %v", err)
	}
	if st := j.Status(); st.Keys != 1 || st.FetchedAt.IsZero() {
		t.Fatalf("status after a fetch: %+v", st)
	}
	now = now.Add(2*time.Hour + time.Minute)
	if err := check(context.Background()); err == nil || !strings.Contains(err.Error(), "was last fetched 2h1m") {
		t.Fatalf("fetched 2h01m ago with a 2h bound: %v", err)
	}
}
