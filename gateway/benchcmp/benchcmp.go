// Package benchcmp runs a benchmark next to its baseline in the same process and reports the ratio,
// so a performance claim ("verification costs at most 1.5x one RSA verify") is a number printed by
// `make bench` on whatever machine runs it, never a timing assertion in a test.
package benchcmp

import (
	"fmt"
	"testing"
	"time"
)

// Compare runs baseline and subject as the sub-benchmarks "baseline" and "subject" of b. The
// subject's line carries two extra metrics:
//
//	x-baseline  subject time per op divided by baseline time per op (1.5 means 50% slower)
//	tput-ratio  baseline time per op divided by subject time per op (throughput relative to baseline)
//
// Each line also reports allocations, so allocation budgets are visible in the same run. target, when
// positive, is the maximum acceptable x-baseline; the verdict is logged, never asserted, because
// timing depends on the machine. Both functions must loop over b.N (or b.Loop) and may call
// b.ResetTimer after their setup.
func Compare(b *testing.B, baseline, subject func(*testing.B), target float64) {
	b.Helper()
	var baseNs float64
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		baseline(b)
		baseNs = perOp(b)
	})
	b.Run("subject", func(b *testing.B) {
		b.ReportAllocs()
		subject(b)
		ns := perOp(b)
		if baseNs <= 0 || ns <= 0 {
			return // the baseline was filtered out by -bench: no ratio to report
		}
		reportRatio(b, baseNs, ns, target, "")
	})
}

// reportRatio reports x-baseline and tput-ratio on b's line and logs the verdict against target
// (when positive); how says how the two were measured, for the log.
func reportRatio(b *testing.B, baseNs, subjectNs, target float64, how string) {
	ratio := subjectNs / baseNs
	b.ReportMetric(ratio, "x-baseline")
	b.ReportMetric(baseNs/subjectNs, "tput-ratio")
	if target > 0 {
		verdict := "met"
		if ratio > target {
			verdict = "MISSED"
		}
		b.Logf("subject/baseline = %.2fx%s (target <= %.2fx: %s)", ratio, how, target, verdict)
	}
}

func perOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

// Interleave measures baseline and subject over the same b.N operations taken in turns: slices
// rounds, each running baseline then subject on the next b.N/slices operations (lo to hi). Each
// side's time is the sum of its turns. On a shared or virtual machine whose speed drifts by tens of
// percent over seconds (CPU frequency, a neighbour on the same physical core), two sub-benchmarks
// run one after the other measure two machines; taken in turns, both sides see the same one.
//
// It reports, on b's line, the metrics Compare reports on the subject's (x-baseline, tput-ratio)
// and each side's time per operation (baseline-ns/op, subject-ns/op), logs the verdict against
// target as Compare does, and returns the two times per operation. b's own ns/op is the sum of
// both sides. The caller prepares what the operations need before calling it (the timer is reset
// here) and must not reuse b.N for anything else.
func Interleave(b *testing.B, slices int, baseline, subject func(lo, hi int), target float64) (baseNs, subjectNs float64) {
	b.Helper()
	slices = max(1, min(slices, b.N))
	var baseTime, subjectTime time.Duration
	b.ResetTimer()
	for s := range slices {
		lo, hi := b.N*s/slices, b.N*(s+1)/slices
		start := time.Now()
		baseline(lo, hi)
		mid := time.Now()
		subject(lo, hi)
		baseTime, subjectTime = baseTime+mid.Sub(start), subjectTime+time.Since(mid)
	}
	b.StopTimer()
	baseNs, subjectNs = float64(baseTime.Nanoseconds())/float64(b.N), float64(subjectTime.Nanoseconds())/float64(b.N)
	if baseNs <= 0 || subjectNs <= 0 {
		return baseNs, subjectNs
	}
	b.ReportMetric(baseNs, "baseline-ns/op")
	b.ReportMetric(subjectNs, "subject-ns/op")
	reportRatio(b, baseNs, subjectNs, target, fmt.Sprintf(" over %d interleaved rounds", slices))
	return baseNs, subjectNs
}
