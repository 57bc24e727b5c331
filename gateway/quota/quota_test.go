package quota

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

func newQuotas(t *testing.T, st store.Store) *Quotas {
	t.Helper()
	if st == nil {
		mem, err := newMemory()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = mem.Close() })
		st = mem
	}
	q, err := New(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var rome, _ = time.LoadLocation(Zone)

// newMemory is a memory store whose sweep never runs within a test: the tests jump the bubble's
// clock by decades (it starts in 2000), which a 30s sweep ticker would have to tick through.
func newMemory() (*memory.Store, error) {
	return memory.New(memory.Options{SweepInterval: 200 * 365 * 24 * time.Hour})
}

// sleepUntil advances the bubble's clock to t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// The budget is per Rome calendar day: spent at 23:59 Rome, refused until midnight Rome (not UTC),
// and open again right after; the refusal says when it resets and Retry-After is exact.
func TestDailyBudgetRollsOverAtRomeMidnight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQuotas(t, nil)
		q.Define("anpr.C030", Budget{Daily: 2})
		ctx := context.Background()
		sleepUntil(time.Date(2026, 3, 10, 23, 59, 0, 0, rome))
		for range 2 {
			if err := q.Take(ctx, "anpr.C030"); err != nil {
				t.Fatal(err)
			}
		}
		err := q.Take(ctx, "anpr.C030")
		var re *resilience.Error
		if !errors.As(err, &re) || re.Reason != resilience.ReasonQuotaExhausted || re.RetryAfter != time.Minute ||
			re.Detail != "the daily quota of 2 calls to anpr.C030 is spent; it resets at 2026-03-11 00:00 Europe/Rome (in 1m0s)" {
			t.Fatalf("%v (RetryAfter %v)", err, re.RetryAfter)
		}
		u, _ := q.Remaining(ctx, "anpr.C030")
		if u.Used != 2 || u.Remaining != 0 || u.Limit != 2 || !u.ResetAt.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, rome)) {
			t.Fatalf("%+v", u)
		}
		sleepUntil(time.Date(2026, 3, 11, 0, 0, 0, 0, rome)) // 23:00 UTC: a new day in Rome
		if err := q.Take(ctx, "anpr.C030"); err != nil {
			t.Fatalf("after midnight Rome: %v", err)
		}
		if u, _ := q.Remaining(ctx, "anpr.C030"); u.Used != 1 || u.Remaining != 1 {
			t.Fatalf("%+v", u)
		}
	})
}

// The day the clocks go back lasts 25 hours: the reset is at local midnight, not 24h later.
func TestBudgetOnDaylightSavingDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQuotas(t, nil)
		q.Define("inps", Budget{Daily: 1})
		sleepUntil(time.Date(2026, 10, 25, 0, 30, 0, 0, rome))
		_ = q.Take(context.Background(), "inps")
		err := q.Take(context.Background(), "inps")
		var re *resilience.Error
		if !errors.As(err, &re) || re.RetryAfter != 24*time.Hour+30*time.Minute {
			t.Fatalf("%v, want a reset in 24h30m on the 25-hour day", err)
		}
	})
}

// Wait defers a batch caller to the next quota day instead of failing, and lets it leave.
func TestWaitForNextDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQuotas(t, nil)
		q.Define("anpr.C020", Budget{Daily: 1})
		ctx := context.Background()
		sleepUntil(time.Date(2026, 5, 4, 22, 0, 0, 0, rome))
		if err := q.Wait(ctx, "anpr.C020"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := q.Wait(ctx, "anpr.C020"); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited < 2*time.Hour || waited > 2*time.Hour+30*time.Second {
			t.Fatalf("waited %v, want until midnight Rome (2h) plus at most 30s of spread", waited)
		}
		short, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		if err := q.Wait(short, "anpr.C020"); !errors.Is(err, resilience.ErrCallerGone) {
			t.Fatalf("%v", err)
		}
	})
}

// Refund gives back a call never sent; budgets without a limit admit everything; the key holds
// the budget name and the day only.
func TestRefundAndUnlimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem, _ := newMemory()
		defer mem.Close()
		q := newQuotas(t, mem)
		q.Define("icef", Budget{Daily: 1})
		ctx := context.Background()
		sleepUntil(time.Date(2026, 1, 31, 12, 0, 0, 0, rome))
		_ = q.Take(ctx, "icef")
		q.Refund(ctx, "icef")
		if err := q.Take(ctx, "icef"); err != nil {
			t.Fatalf("after a refund: %v", err)
		}
		if v, err := mem.Get(ctx, "quota:icef:20260131"); err != nil || string(v) != "1" {
			t.Fatalf("counter %q %v", v, err)
		}
		for range 100 {
			if err := q.Take(ctx, "undefined"); err != nil {
				t.Fatal(err)
			}
		}
		q.Define("icef", Budget{})
		if _, ok := q.Budget("icef"); ok || len(q.Budgets()) != 0 {
			t.Fatal("a zero budget removes the limit")
		}
	})
}

type downStore struct{ store.Store }

var errDown = errors.New("store: redis incrupto: dial tcp: connection refused")

func (downStore) IncrUpTo(context.Context, string, int64, int64, time.Duration) (int64, bool, error) {
	return 0, false, errDown
}

// With the store down, calls go through uncounted by default, and are refused with FailClosed.
func TestStoreDown(t *testing.T) {
	q := newQuotas(t, downStore{})
	q.Define("open", Budget{Daily: 1})
	q.Define("closed", Budget{Daily: 1, FailClosed: true})
	ctx := context.Background()
	if err := q.Take(ctx, "open"); err != nil {
		t.Fatalf("fail open: %v", err)
	}
	err := q.Take(ctx, "closed")
	var re *resilience.Error
	if !errors.As(err, &re) || re.Reason != resilience.ReasonQuotaExhausted || !errors.Is(err, errDown) {
		t.Fatalf("fail closed: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := q.Take(cancelled, "closed"); !errors.Is(err, resilience.ErrCallerGone) {
		t.Fatalf("%v", err)
	}
}
