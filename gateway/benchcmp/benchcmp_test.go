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

// BenchmarkInterleaveSelf checks Interleave end to end: hashing 1 KiB against hashing 64 bytes, in
// turns, must report a ratio above 1, and every operation runs once on each side.
func BenchmarkInterleaveSelf(b *testing.B) {
	small, large := make([]byte, 64), make([]byte, 1024)
	var baseOps, subjectOps int
	baseNs, subjectNs := Interleave(b, 4,
		func(lo, hi int) {
			for range hi - lo {
				sha256.Sum256(small)
			}
			baseOps += hi - lo
		},
		func(lo, hi int) {
			for range hi - lo {
				sha256.Sum256(large)
			}
			subjectOps += hi - lo
		}, 0)
	if baseOps != b.N || subjectOps != b.N {
		b.Fatalf("b.N %d, baseline ran %d, subject %d", b.N, baseOps, subjectOps)
	}
	if b.N > 1000 && subjectNs <= baseNs {
		b.Fatalf("1 KiB hashed in %.0f ns, 64 bytes in %.0f ns", subjectNs, baseNs)
	}
}
