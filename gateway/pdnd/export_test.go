package pdnd

// CacheLen exposes the verified-voucher cache size to the external tests.
func (v *VoucherVerifier) CacheLen() int { return v.cache.Len() }
