package benchcmp

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkCompareSelf checks the helper end to end: hashing 1 KiB against hashing 64 bytes must
// report a ratio above 1.
func BenchmarkCompareSelf(b *testing.B) {
	small, large := make([]byte, 64), make([]byte, 1024)
	Compare(b,
		func(b *testing.B) {
			for b.Loop() {
				sha256.Sum256(small)
			}
		},
		func(b *testing.B) {
			for b.Loop() {
				sha256.Sum256(large)
			}
		}, 0)
}
