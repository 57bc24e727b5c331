package console

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sample is one reading of the gateway's cumulative counters: the dashboard's trends and windowed
// figures are differences between samples.
type sample struct {
	at                                 time.Time
	upstreams                          map[string]*histSample // per upstream, every operation and outcome merged
	failures                           map[string]uint64      // per upstream: calls whose outcome is a failure
	eservices                          map[string]uint64      // per e-service: calls
	rejected                           map[string]uint64      // per e-service: calls whose outcome is not ok
	requests                           map[string][3]uint64   // per listener: requests, 4xx, 5xx
	cacheHits, cacheMisses, cacheStale uint64
	storeUp                            bool
	storePing                          float64 // seconds
}

// histSample is a cumulative histogram: bucket upper bounds and the count at or below each.
type histSample struct {
	count  uint64
	bounds []float64
	cum    []uint64
}

func (h *histSample) add(m *dto.Histogram) {
	h.count += m.GetSampleCount()
	if h.bounds == nil {
		for _, b := range m.GetBucket() {
			h.bounds = append(h.bounds, b.GetUpperBound())
		}
		h.cum = make([]uint64, len(h.bounds))
	}
	for i, b := range m.GetBucket() {
		if i < len(h.cum) {
			h.cum[i] += b.GetCumulativeCount()
		}
	}
}

// delta is h minus an older reading of the same histogram (nil: everything since the start).
func (h *histSample) delta(old *histSample) *histSample {
	d := &histSample{count: h.count, bounds: h.bounds, cum: append([]uint64(nil), h.cum...)}
	if old == nil {
		return d
	}
	d.count -= min(old.count, d.count)
	for i := range d.cum {
		if i < len(old.cum) {
			d.cum[i] -= min(old.cum[i], d.cum[i])
		}
	}
	return d
}

// quantile estimates the q-quantile by linear interpolation within the bucket where it falls, as
// Prometheus's histogram_quantile does; NaN without observations.
func (h *histSample) quantile(q float64) float64 {
	if h == nil || h.count == 0 {
		return math.NaN()
	}
	rank := q * float64(h.count)
	lower, prev := 0.0, uint64(0)
	for i, c := range h.cum {
		if float64(c) >= rank {
			upper := h.bounds[i]
			if c == prev {
				return upper
			}
			return lower + (upper-lower)*(rank-float64(prev))/float64(c-prev)
		}
		lower, prev = h.bounds[i], c
	}
	return lower // beyond the last bound: the last bound is the best we can say
}

// ring keeps the last n samples.
type ring struct {
	mu      sync.Mutex
	samples []*sample
	n       int
}

func newRing(n int) *ring { return &ring{n: n} }

func (r *ring) push(s *sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
	if len(r.samples) > r.n {
		r.samples = r.samples[len(r.samples)-r.n:]
	}
}

func (r *ring) all() []*sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*sample(nil), r.samples...)
}

// failedOutcomes are the upstream outcomes that count as errors on the dashboard.
var okOutcomes = map[string]bool{"ok": true, "business": true, "rejected": true, "canceled": true}

// read takes a sample from the registry.
func read(reg prometheus.Gatherer, now time.Time) *sample {
	s := &sample{at: now, upstreams: map[string]*histSample{}, failures: map[string]uint64{},
		eservices: map[string]uint64{}, rejected: map[string]uint64{}, requests: map[string][3]uint64{}}
	fams, _ := reg.Gather() // a failing collector leaves its families out; the rest is read
	for _, f := range fams {
		switch f.GetName() {
		case "wgw_upstream_call_duration_seconds":
			for _, m := range f.GetMetric() {
				l := labels(m)
				h, ok := s.upstreams[l["upstream"]]
				if !ok {
					h = &histSample{}
					s.upstreams[l["upstream"]] = h
				}
				h.add(m.GetHistogram())
				if !okOutcomes[l["outcome"]] {
					s.failures[l["upstream"]] += m.GetHistogram().GetSampleCount()
				}
			}
		case "http_server_request_duration_seconds":
			for _, m := range f.GetMetric() {
				l := labels(m)
				r := s.requests[l["listener"]]
				n := m.GetHistogram().GetSampleCount()
				r[0] += n
				switch code := l["http_response_status_code"]; {
				case strings.HasPrefix(code, "4"):
					r[1] += n
				case strings.HasPrefix(code, "5"):
					r[2] += n
				}
				s.requests[l["listener"]] = r
			}
		case "wgw_eservice_calls_total":
			for _, m := range f.GetMetric() {
				l := labels(m)
				n := uint64(m.GetCounter().GetValue())
				s.eservices[l["eservice"]] += n
				if l["outcome"] != "ok" {
					s.rejected[l["eservice"]] += n
				}
			}
		case "wgw_cache_requests_total":
			for _, m := range f.GetMetric() {
				n := uint64(m.GetCounter().GetValue())
				switch labels(m)["result"] {
				case "hit", "hit_shared":
					s.cacheHits += n
				case "miss":
					s.cacheMisses += n
				case "stale":
					s.cacheStale += n
				}
			}
		case "wgw_store_up":
			for _, m := range f.GetMetric() {
				s.storeUp = m.GetGauge().GetValue() == 1
			}
		case "wgw_store_ping_duration_seconds":
			for _, m := range f.GetMetric() {
				s.storePing = m.GetGauge().GetValue()
			}
		}
	}
	return s
}

func labels(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// counts are the per-interval differences of one cumulative counter across samples, oldest first.
func counts(ss []*sample, get func(*sample) uint64) []float64 {
	if len(ss) < 2 {
		return nil
	}
	out := make([]float64, 0, len(ss)-1)
	for i := 1; i < len(ss); i++ {
		a, b := get(ss[i-1]), get(ss[i])
		out = append(out, float64(b-min(a, b)))
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
