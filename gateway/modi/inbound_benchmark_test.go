package modi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// kib is the 1 KiB JSON body of the inbound benchmark.
var kib = append([]byte(`{"dati":"`), append(bytes.Repeat([]byte("x"), 1024-11), '"', '}')...)

// BenchmarkInbound is the full provider check of a request to an e-service with the PDND profile
// (voucher, INTEGRITY_REST_02, AUDIT_REST_02) as it runs for the many calls a consumer makes with
// one voucher: voucher and tracking evidence cached, a fresh Agid-JWT-Signature (parse, PDND key
// from the key cache, RSA verify, claims, signed_headers, Digest over 1 KiB, jti recorded in the
// store). Baseline: one raw RSA-2048 verification plus the SHA-256 of the body. Target: 1.5x.
func BenchmarkInbound(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	// A pool of requests signed in advance (signing is not what is measured); when it runs out the
	// replay records are cleared, outside the timer, and the pool is used again.
	const pool = 128
	reqs := make([]*modi.Request, pool)
	for i := range reqs {
		c := &modi.Call{Method: "POST", URL: callURL, Header: http.Header{"Content-Type": {contentType}}, Body: kib,
			PurposeID: purposeID, Audience: audience, Integrity: true, Audit: &pdnd.AuditRequest{Claims: auditClaims, Bind: true}}
		if _, err := e.out.Prepare(ctx, c); err != nil {
			b.Fatal(err)
		}
		reqs[i] = &modi.Request{Method: c.Method, URL: c.URL, Header: c.Header, Body: c.Body}
	}
	profile := e.profiles["pdnd"]
	if _, err := e.in.Verify(ctx, reqs[0], profile); err != nil { // warms the voucher, key and audit caches
		b.Fatal(err)
	}
	tok := reqs[0].Header.Get(modi.SignatureHeader)
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	input := []byte(tok[:i])
	pub := e.modiSigner.Public().(*rsa.PublicKey)
	benchcmp.Compare(b, func(b *testing.B) {
		for range b.N {
			sum := sha256.Sum256(input)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
				b.Fatal(err)
			}
			_ = sha256.Sum256(kib)
		}
	}, func(b *testing.B) {
		e.store.Swap(sectest.NewMemory(b))
		b.ResetTimer()
		for n := range b.N {
			if n > 0 && n%pool == 0 {
				b.StopTimer()
				e.store.Swap(sectest.NewMemory(b))
				b.StartTimer()
			}
			if _, err := e.in.Verify(ctx, reqs[n%pool], profile); err != nil {
				b.Fatal(err)
			}
		}
	}, 1.5)
}

// BenchmarkOutboundSign is the per-call consumer work with a cached voucher and evidence: Digest of
// 1 KiB and a fresh Agid-JWT-Signature. Baseline: one raw RSA-2048 signature.
func BenchmarkOutboundSign(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	key := sectest.RSAKey(b, 2)
	call := func() *modi.Call {
		return &modi.Call{Method: "POST", URL: callURL, Header: http.Header{"Content-Type": {contentType}}, Body: kib,
			PurposeID: purposeID, Audience: audience, Integrity: true, Audit: &pdnd.AuditRequest{Claims: auditClaims, Bind: true}}
	}
	if _, err := e.out.Prepare(ctx, call()); err != nil {
		b.Fatal(err)
	}
	benchcmp.Compare(b, func(b *testing.B) {
		sum := sha256.Sum256([]byte("signing input"))
		for range b.N {
			if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for range b.N {
			if _, err := e.out.Prepare(ctx, call()); err != nil {
				b.Fatal(err)
			}
		}
	}, 1.1)
}

// BenchmarkIntegrityClaims is the decoding of an integrity token's claims: baseline encoding/json
// into the claims struct (what DecodeClaims did), subject its decoder without reflection.
func BenchmarkIntegrityClaims(b *testing.B) {
	payload := []byte(`{"iss":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b","sub":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b",` +
		`"aud":"https://erogatore.example.it/rest/v1","iat":1700000000,"nbf":1700000000,"exp":1700000300,` +
		`"jti":"5f1d3b0c-9a2e-4c7d-8b6f-3e2a1d0c9b8a","signed_headers":[{"digest":"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},` +
		`{"content-type":"application/json"}]}`)
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var c plainIntegrityClaims
			if json.Unmarshal(payload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			var c modi.IntegrityClaims
			if jose.DecodeClaims(payload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, 0)
}
