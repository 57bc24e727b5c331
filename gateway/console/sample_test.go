package console

import (
	"math"
	"strings"
	"testing"
)

// TestQuantileFromBucketDeltas: the p50 and p95 over a window come from the difference of two
// cumulative histograms, interpolated within the bucket as Prometheus's histogram_quantile does.
func TestQuantileFromBucketDeltas(t *testing.T) {
	bounds := []float64{0.1, 0.5, 1, 5}
	old := &histSample{count: 100, bounds: bounds, cum: []uint64{100, 100, 100, 100}} // 100 fast calls before the window
	now := &histSample{count: 200, bounds: bounds, cum: []uint64{100, 150, 190, 200}} // then 50 in (0.1,0.5], 40 in (0.5,1], 10 in (1,5]
	d := now.delta(old)
	if d.count != 100 {
		t.Fatalf("count %d", d.count)
	}
	for q, want := range map[float64]float64{0.5: 0.5, 0.25: 0.3, 0.95: 3, 0.9: 1} {
		if got := d.quantile(q); math.Abs(got-want) > 1e-9 {
			t.Errorf("q%.2f = %v, want %v", q, got, want)
		}
	}
	if !math.IsNaN((&histSample{bounds: bounds, cum: make([]uint64, 4)}).quantile(0.5)) {
		t.Error("a quantile without observations is a number")
	}
	if got := now.delta(nil).quantile(0.5); got != 0.1 {
		t.Errorf("since the start: %v", got)
	}
}

// TestSparkline: an SVG polyline scaled to its maximum, NaN drawn as zero, a flat line with too
// few samples, the title escaped.
func TestSparkline(t *testing.T) {
	s := string(sparkline([]float64{0, 5, math.NaN(), 10}, `calls to "inps" <per 10s>`))
	for _, want := range []string{`<polyline points="0.0,23.0 40.0,12.0 80.0,23.0 120.0,1.0"/>`, "&lt;per 10s&gt;", "(max 10)"} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	if s := string(sparkline([]float64{3}, "x")); !strings.Contains(s, "<line") || !strings.Contains(s, "not enough samples") {
		t.Errorf("one sample: %s", s)
	}
}

// TestCountsAcrossSamples: per-interval differences of a counter, never negative (a counter read
// lower than before, as after a restart, counts as 0).
func TestCountsAcrossSamples(t *testing.T) {
	ss := []*sample{{eservices: map[string]uint64{"p": 1}}, {eservices: map[string]uint64{"p": 4}}, {eservices: map[string]uint64{"p": 2}}}
	got := counts(ss, func(s *sample) uint64 { return s.eservices["p"] })
	if len(got) != 2 || got[0] != 3 || got[1] != 0 {
		t.Errorf("%v", got)
	}
}

// TestDecodeAction: the controls' body, and its refusals.
func TestDecodeAction(t *testing.T) {
	for body, ok := range map[string]bool{``: true, ` `: true, `{}`: true, `{"reason":"ticket 4711","retryAfterSeconds":60}`: true,
		`{} {}`: false, `{"x":1}`: false, `[]`: false, `{"reason":"` + strings.Repeat("x", 201) + `"}`: false, `{"reason":"a\tb"}`: false,
		`{"codiceFiscale":"RSSMRA80A01H501U"} x`: false} {
		_, err := decodeAction([]byte(body))
		if (err == nil) != ok {
			t.Errorf("%q: %v", body, err)
		}
		if err != nil && strings.Contains(err.Error(), "RSSMRA80A01H501U") {
			t.Errorf("%q: the refusal quotes the body", body)
		}
	}
}
