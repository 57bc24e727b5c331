package benchcmp

import (
	"crypto/sha256"
	"fmt"
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

// Interleave alternates the two sides over consecutive slices that cover 0..b.N once each, and
// reports both sides' times per operation and their ratio.
func TestInterleaveTakesTurns(t *testing.T) {
	var turns []string
	res := testing.Benchmark(func(b *testing.B) {
		turns = turns[:0]
		record := func(side string) func(lo, hi int) {
			return func(lo, hi int) { turns = append(turns, fmt.Sprintf("%s %d-%d", side, lo, hi)) }
		}
		Interleave(b, 3, record("base"), record("subject"), 0)
	})
	n := res.N
	want := []string{}
	for s := range min(3, n) {
		lo, hi := n*s/min(3, n), n*(s+1)/min(3, n)
		want = append(want, fmt.Sprintf("base %d-%d", lo, hi), fmt.Sprintf("subject %d-%d", lo, hi))
	}
	if fmt.Sprint(turns) != fmt.Sprint(want) {
		t.Fatalf("b.N %d: turns %v, want %v", n, turns, want)
	}
	for _, metric := range []string{"baseline-ns/op", "subject-ns/op", "x-baseline", "tput-ratio"} {
		if _, ok := res.Extra[metric]; !ok {
			t.Errorf("metric %s not reported: %v", metric, res.Extra)
		}
	}
}
