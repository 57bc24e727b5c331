// Package benchcmp runs a benchmark next to its baseline in the same process and reports the ratio,
// so a performance claim ("verification costs at most 1.5x one RSA verify") is a number printed by
// `make bench` on whatever machine runs it, never a timing assertion in a test.
package benchcmp

import (
	"testing"
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
		ratio := ns / baseNs
		b.ReportMetric(ratio, "x-baseline")
		b.ReportMetric(baseNs/ns, "tput-ratio")
		if target > 0 {
			verdict := "met"
			if ratio > target {
				verdict = "MISSED"
			}
			b.Logf("subject/baseline = %.2fx (target <= %.2fx: %s)", ratio, target, verdict)
		}
	})
}

func perOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
