package gcra

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

func TestNew(t *testing.T) {
	for name, tc := range map[string]struct {
		limit        int64
		period       time.Duration
		wantErr      error
		wantInterval int64
	}{
		"ok/even":                {limit: 10, period: time.Second, wantInterval: 100_000},
		"ok/rounds-up":           {limit: 3, period: time.Second, wantInterval: 333_334},
		"ok/sub-microsecond":     {limit: 1, period: time.Nanosecond, wantInterval: 1},
		"ok/more-than-period-µs": {limit: 1000, period: time.Microsecond, wantInterval: 1},
		"ok/max":                 {limit: store.MaxRateLimit, period: time.Hour, wantInterval: 4},
		"fail/zero-limit":        {limit: 0, period: time.Second, wantErr: store.ErrInvalidLimit},
		"fail/negative-limit":    {limit: -1, period: time.Second, wantErr: store.ErrInvalidLimit},
		"fail/huge-limit":        {limit: store.MaxRateLimit + 1, period: time.Second, wantErr: store.ErrInvalidLimit},
		"fail/zero-period":       {limit: 1, period: 0, wantErr: store.ErrInvalidTTL},
		"fail/negative-period":   {limit: 1, period: -time.Second, wantErr: store.ErrInvalidTTL},
	} {
		t.Run(name, func(t *testing.T) {
			l, err := New(tc.limit, tc.period)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("New(%d, %v) error = %v, want %v", tc.limit, tc.period, err, tc.wantErr)
			}
			if err == nil && l.Interval() != tc.wantInterval {
				t.Fatalf("interval = %dµs, want %dµs", l.Interval(), tc.wantInterval)
			}
		})
	}
}

// TestDecideBurst walks one limiter by hand: a full burst, a refusal whose RetryAfter is exactly
// one interval, admission exactly at that instant and not a microsecond before, and a full reset.
func TestDecideBurst(t *testing.T) {
	l, err := New(4, 400*time.Millisecond) // T = 100ms
	if err != nil {
		t.Fatal(err)
	}
	const start = int64(1_000_000)
	tat := int64(0)
	for i := int64(0); i < 4; i++ {
		var res store.RateLimitResult
		res, tat = l.Decide(tat, start)
		want := store.RateLimitResult{Allowed: true, Limit: 4, Remaining: 3 - i, ResetAfter: time.Duration(i+1) * 100 * time.Millisecond}
		if res != want {
			t.Fatalf("request %d: %+v, want %+v", i, res, want)
		}
	}
	res, same := l.Decide(tat, start)
	if want := (store.RateLimitResult{Limit: 4, RetryAfter: 100 * time.Millisecond, ResetAfter: 400 * time.Millisecond}); res != want || same != tat {
		t.Fatalf("5th request: %+v (tat %d -> %d), want %+v and no change", res, tat, same, want)
	}
	if res, _ := l.Decide(tat, start+100_000-1); res.Allowed || res.RetryAfter != time.Microsecond {
		t.Fatalf("1µs early: %+v, want refused with RetryAfter 1µs", res)
	}
	if res, _ := l.Decide(tat, start+100_000); !res.Allowed || res.Remaining != 0 {
		t.Fatalf("at RetryAfter: %+v, want admitted with Remaining 0", res)
	}
	if res, _ := l.Decide(tat, start+400_000); !res.Allowed || res.Remaining != 3 {
		t.Fatalf("after ResetAfter: %+v, want a full burst again (Remaining 3)", res)
	}
}

// TestDecideProperties drives random limiters with random arrival sequences (bursts, gaps, equal
// timestamps) and checks, against every admitted pair and every decision:
//   - conformance: within any window of length w at most limit + floor(w/T) are admitted, hence
//     never more than 2·limit−1 within one period and never more than limit at one instant;
//   - equivalence with an independent token-bucket model (capacity limit, refill one token per T);
//   - RetryAfter is exact: admitted at now+RetryAfter, refused a microsecond before;
//   - Remaining is exact: that many more requests at the same instant pass, the next one does not.
func TestDecideProperties(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for run := 0; run < 300; run++ {
		limit := rng.Int64N(20) + 1
		period := time.Duration(rng.Int64N(int64(2*time.Second))) + time.Microsecond
		l, err := New(limit, period)
		if err != nil {
			t.Fatal(err)
		}
		T := l.Interval()
		now := rng.Int64N(1 << 50)
		bucketLevel, bucketLast := limit*T, now // the reference token bucket, in token·T units
		tat := int64(0)
		var admitted []int64
		for range 400 {
			switch rng.IntN(4) { // next arrival: same instant, tiny step, around T, or a long gap
			case 0:
			case 1:
				now += rng.Int64N(T/4 + 1)
			case 2:
				now += rng.Int64N(2*T + 1)
			case 3:
				now += rng.Int64N(limit*T*2 + 1)
			}
			bucketLevel = min(limit*T, bucketLevel+now-bucketLast)
			bucketLast = now
			bucketAdmits := bucketLevel >= T

			res, newTAT := l.Decide(tat, now)
			if res.Allowed != bucketAdmits {
				t.Fatalf("run %d (limit %d, T %dµs) at %d: GCRA allowed=%v, token bucket %v (level %d)", run, limit, T, now, res.Allowed, bucketAdmits, bucketLevel)
			}
			if !res.Allowed {
				wait := res.RetryAfter.Microseconds()
				if wait <= 0 || newTAT != tat {
					t.Fatalf("run %d: refusal %+v changed state or has no RetryAfter", run, res)
				}
				if r, _ := l.Decide(tat, now+wait); !r.Allowed {
					t.Fatalf("run %d: refused again at now+RetryAfter (%dµs)", run, wait)
				}
				if r, _ := l.Decide(tat, now+wait-1); r.Allowed {
					t.Fatalf("run %d: admitted 1µs before RetryAfter (%dµs)", run, wait)
				}
				continue
			}
			bucketLevel -= T
			probe := newTAT
			for i := int64(0); i < res.Remaining; i++ {
				var r store.RateLimitResult
				if r, probe = l.Decide(probe, now); !r.Allowed {
					t.Fatalf("run %d: Remaining %d but request %d at the same instant refused", run, res.Remaining, i+1)
				}
			}
			if r, _ := l.Decide(probe, now); r.Allowed {
				t.Fatalf("run %d: Remaining %d but one more was admitted", run, res.Remaining)
			}
			tat = newTAT
			admitted = append(admitted, now)
			// Conformance of the newest admission against every earlier one.
			j := len(admitted) - 1
			for i := j - 1; i >= 0; i-- {
				w := admitted[j] - admitted[i]
				if count := int64(j - i + 1); count > limit+w/T {
					t.Fatalf("run %d (limit %d, T %dµs): %d admitted within %dµs, bound %d", run, limit, T, count, w, limit+w/T)
				}
			}
		}
	}
}
