package pdnd_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// rawVerify is the baseline: one RSA-2048 PKCS #1 v1.5 verification of the token's signing input,
// with the key and signature already at hand — the floor any voucher check pays.
func rawVerify(b *testing.B, pub *rsa.PublicKey, token string) {
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(token[:i])
	b.ResetTimer()
	for range b.N {
		sum := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVoucherCold: full verification without the cache (parse, typ/alg/kid, JWKS key, RSA,
// claims, per-e-service checks) against one raw RSA verification. No target: a voucher is verified
// cold once and then served from the cache (BenchmarkVoucherCached); the ratio shows what the JSON
// decoding of its fourteen claims adds (about 10-15% of the subject in a CPU profile).
func BenchmarkVoucherCold(b *testing.B) {
	f := newFixture(b)
	tok := f.sign(b, f.claims())
	pub := f.srv.VoucherPublicKey().(*rsa.PublicKey)
	benchcmp.Compare(b, func(b *testing.B) { rawVerify(b, pub, tok) }, func(b *testing.B) {
		ctx := context.Background()
		for range b.N {
			if _, err := f.v.VerifyUncached(ctx, tok, pdnd.Bearer, &f.expect); err != nil {
				b.Fatal(err)
			}
		}
	}, 0)
}

// BenchmarkVoucherCached: a voucher seen before (hash lookup plus the per-call checks) against one
// raw RSA verification; the ratio is far below 1.
func BenchmarkVoucherCached(b *testing.B) {
	f := newFixture(b)
	tok := f.sign(b, f.claims())
	pub := f.srv.VoucherPublicKey().(*rsa.PublicKey)
	ctx := context.Background()
	if _, err := f.v.Verify(ctx, tok, pdnd.Bearer, &f.expect); err != nil {
		b.Fatal(err)
	}
	benchcmp.Compare(b, func(b *testing.B) { rawVerify(b, pub, tok) }, func(b *testing.B) {
		for range b.N {
			if _, err := f.v.Verify(ctx, tok, pdnd.Bearer, &f.expect); err != nil {
				b.Fatal(err)
			}
		}
	}, 0)
}
