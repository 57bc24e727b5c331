package pdnd

import (
	"context"
	"crypto/sha256"
)

// CacheLen exposes the verified-voucher cache size to the external tests.
func (v *VoucherVerifier) CacheLen() int { return v.cache.Len() }

// VerifyUncached runs the whole verification without the cache, for the cold benchmark.
func (v *VoucherVerifier) VerifyUncached(ctx context.Context, token string, scheme Scheme, e *Expect) (*Voucher, error) {
	hash := sha256.Sum256([]byte(token))
	vc, err := v.verifyToken(ctx, token, hash)
	if err != nil {
		return nil, err
	}
	return vc, v.checkFor(ctx, vc, scheme, e, v.now())
}
