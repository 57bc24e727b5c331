package jose_test

import (
	"encoding/json"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/jose"
)

// The header and payload of an integrity token (INTEGRITY_REST_02) as the gateway receives them on
// every signed request.
var (
	benchHeader  = []byte(`{"alg":"RS256","typ":"JWT","kid":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}`)
	benchPayload = []byte(`{"iss":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b","sub":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b",` +
		`"aud":"https://erogatore.example.it/rest/v1","iat":1700000000,"nbf":1700000000,"exp":1700000300,` +
		`"jti":"5f1d3b0c-9a2e-4c7d-8b6f-3e2a1d0c9b8a","signed_headers":[{"digest":"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},` +
		`{"content-type":"application/json"}]}`)
)

// BenchmarkDecode is the JSON work of one integrity token: its header, and its claims into
// testClaims (which skips sub, jti and signed_headers: gateway/modi's BenchmarkIntegrityClaims
// measures the real struct). Baseline: encoding/json into the same structs (what Parse and
// DecodeClaims did); subject: the decoders without reflection.
func BenchmarkDecode(b *testing.B) {
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var h jose.Header
			var c plainClaims
			if json.Unmarshal(benchHeader, &h) != nil || json.Unmarshal(benchPayload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			var h jose.Header
			var c testClaims
			if jose.DecodeHeader(benchHeader, &h) != nil || jose.DecodeClaims(benchPayload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, 0)
}

// BenchmarkDecodeClaimsJSON is what the check for repeated names adds to the claims structs still
// read with encoding/json (the voucher's, cached after its first use): baseline json.Unmarshal,
// subject DecodeClaims.
func BenchmarkDecodeClaimsJSON(b *testing.B) {
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			var c plainClaims
			if json.Unmarshal(benchPayload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			var c plainClaims
			if jose.DecodeClaims(benchPayload, &c) != nil {
				b.Fatal("decode")
			}
		}
	}, 0)
}
