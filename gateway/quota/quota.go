// Package quota keeps the daily budgets of calls the gateway may make to upstream e-services
// (PDND thresholds such as 5000 calls a day to ANPR C030), counted cluster-wide in the shared
// store so that every replica spends the same budget, and refuses a call that would exceed it
// before it is sent.
//
// The day is PDND's: midnight to midnight in Europe/Rome, the time zone of the Italian
// administrations whose thresholds these are (23 or 25 hours on the days clocks change). Each
// budget's counter is the store key quota:<budget>:<yyyymmdd>, so a new day starts a new counter
// whatever the keys' expiry.
package quota

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Rome on hosts (distroless images) without a zoneinfo database

	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store"
)

// Zone is the time zone of the quota day.
const Zone = "Europe/Rome"

// keyGrace keeps a day's counter that long after the day ends, so a replica whose clock lags a
// little still counts into the right key instead of opening a fresh one.
const keyGrace = time.Hour

// Budget is the daily limit of one budget.
type Budget struct {
	// Daily is the number of calls admitted per quota day; <= 0 means no limit.
	Daily int64
	// FailClosed refuses calls while the store cannot count them. Default false: calls go through
	// uncounted (and each failure is logged), because an exceeded threshold costs a 429 from the
	// upstream, while refusing every call would turn a Redis outage into a full outage.
	FailClosed bool
}

// Quotas holds the budgets. Safe for concurrent use; Define is meant for start-up.
type Quotas struct {
	store   store.Store
	loc     *time.Location
	log     *slog.Logger
	mu      sync.RWMutex
	budgets map[string]Budget
}

// New returns Quotas counting in st; log (nil: discarded) receives store failures.
func New(st store.Store, log *slog.Logger) (*Quotas, error) {
	loc, err := time.LoadLocation(Zone)
	if err != nil {
		return nil, fmt.Errorf("quota: loading %s: %w", Zone, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Quotas{store: st, loc: loc, log: log, budgets: map[string]Budget{}}, nil
}

// Define sets a budget ("anpr.C030", "inps"); a Daily <= 0 removes it (no limit). A budget name is
// a key segment: no personal data.
func (q *Quotas) Define(name string, b Budget) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if b.Daily <= 0 {
		delete(q.budgets, name)
		return
	}
	q.budgets[name] = b
}

// Budget returns the named budget, and whether it has a limit.
func (q *Quotas) Budget(name string) (Budget, bool) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	b, ok := q.budgets[name]
	return b, ok
}

// day returns the quota day containing now: its key suffix and when the next one starts.
func (q *Quotas) day(now time.Time) (string, time.Time) {
	local := now.In(q.loc)
	y, m, d := local.Date()
	return local.Format("20060102"), time.Date(y, m, d+1, 0, 0, 0, 0, q.loc)
}

func key(budget, day string) string { return "quota:" + budget + ":" + day }

// Take spends one call of budget. A budget without a limit always admits. When the budget is
// spent it returns a *resilience.Error with ReasonQuotaExhausted whose RetryAfter is the time
// until the next quota day (and nothing is counted). A store failure admits the call (or refuses
// it with FailClosed).
func (q *Quotas) Take(ctx context.Context, budget string) error {
	b, ok := q.Budget(budget)
	if !ok {
		return nil
	}
	now := time.Now()
	day, reset := q.day(now)
	_, admitted, err := q.store.IncrUpTo(ctx, key(budget, day), 1, b.Daily, reset.Sub(now)+keyGrace)
	switch {
	case err != nil:
		return q.storeFailed(ctx, budget, b, err)
	case !admitted:
		return q.exhausted(budget, b.Daily, reset, now)
	}
	return nil
}

// Refund gives back one call taken by Take that was never sent (the credentials could not be
// prepared, the breaker refused it afterwards). Best effort: a failure is logged.
func (q *Quotas) Refund(ctx context.Context, budget string) {
	if _, ok := q.Budget(budget); !ok {
		return
	}
	now := time.Now()
	day, reset := q.day(now)
	if _, err := q.store.Incr(ctx, key(budget, day), -1, reset.Sub(now)+keyGrace); err != nil {
		q.log.Warn("quota refund failed", "budget", budget, "error", err)
	}
}

func (q *Quotas) storeFailed(ctx context.Context, budget string, b Budget, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: counting quota %s: %w", resilience.ErrCallerGone, budget, err)
	}
	q.log.Warn("quota store unavailable", "budget", budget, "fail_closed", b.FailClosed, "error", err)
	if !b.FailClosed {
		return nil
	}
	return &resilience.Error{Reason: resilience.ReasonQuotaExhausted, Operation: budget, RetryAfter: 10 * time.Second, Cause: err,
		Detail: "the daily quota cannot be counted because the shared store is unavailable, and quotas fail closed"}
}

func (q *Quotas) exhausted(budget string, limit int64, reset, now time.Time) *resilience.Error {
	wait := reset.Sub(now)
	return &resilience.Error{
		Reason: resilience.ReasonQuotaExhausted, Operation: budget, RetryAfter: wait,
		Detail: fmt.Sprintf("the daily quota of %d calls to %s is spent; it resets at %s %s (in %s)",
			limit, budget, reset.Format("2006-01-02 15:04"), Zone, wait.Round(time.Second)),
	}
}

// ResetAt returns when the quota day containing t ends.
func (q *Quotas) ResetAt(t time.Time) time.Time {
	_, reset := q.day(t)
	return reset
}

// Wait spends one call of budget, waiting for the next quota day when today's is spent: batch
// callers use it to defer work instead of failing. It returns nil once a call is admitted, the
// context's error (wrapping resilience.ErrCallerGone) when ctx ends first, and a store failure as
// Take does. Callers that wake at the same reset are spread over up to maxSpread.
func (q *Quotas) Wait(ctx context.Context, budget string) error {
	const maxSpread = 30 * time.Second
	for {
		err := q.Take(ctx, budget)
		var re *resilience.Error
		if !errors.As(err, &re) || re.Reason != resilience.ReasonQuotaExhausted || re.Cause != nil {
			return err
		}
		if err := resilience.Sleep(ctx, re.RetryAfter+rand.N(maxSpread)); err != nil {
			return fmt.Errorf("%w: waiting for quota %s: %w", resilience.ErrCallerGone, budget, err)
		}
	}
}

// Usage is a budget's state today.
type Usage struct {
	Budget string `json:"budget"`
	// Limit is the daily limit; 0 when the budget has none.
	Limit int64 `json:"limit"`
	// Used is the calls counted today across every replica.
	Used int64 `json:"used"`
	// Remaining is Limit - Used (never negative); meaningless without a limit.
	Remaining int64 `json:"remaining"`
	// ResetAt is when the next quota day starts.
	ResetAt time.Time `json:"resetAt"`
}

// Remaining reads budget's usage today, for metrics and the dashboard.
func (q *Quotas) Remaining(ctx context.Context, budget string) (Usage, error) {
	b, _ := q.Budget(budget)
	now := time.Now()
	day, reset := q.day(now)
	u := Usage{Budget: budget, Limit: b.Daily, ResetAt: reset}
	v, err := q.store.Get(ctx, key(budget, day))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return u, fmt.Errorf("quota: reading %s: %w", budget, err)
	default:
		if u.Used, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return u, fmt.Errorf("quota: counter of %s is not a number: %w", budget, err)
		}
	}
	u.Remaining = max(b.Daily-u.Used, 0)
	return u, nil
}

// Budgets lists the budgets that have a limit, sorted.
func (q *Quotas) Budgets() []string {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return slices.Sorted(maps.Keys(q.budgets))
}
