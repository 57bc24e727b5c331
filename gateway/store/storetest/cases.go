package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// ttl is the lifetime of entries in expiry tests and margin the slack on either side of an
// expected expiry instant: wide enough for a loaded 2-core CI machine talking to Redis.
const (
	ttl    = 400 * time.Millisecond
	margin = 100 * time.Millisecond
)

func testGetSet(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	if _, err := s.Get(c, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of an absent key: %v, want ErrNotFound", err)
	}
	in := []byte("v1\x00\xff")
	mustNil(t, s.Set(c, "k", in, time.Minute))
	in[0] = 'X' // the store must have copied the value
	got := mustGet(t, s, "k")
	if !bytes.Equal(got, []byte("v1\x00\xff")) {
		t.Fatalf("Get = %q, want %q", got, "v1\x00\xff")
	}
	got[0] = 'Y' // nor may it hand out its own buffer
	if again := mustGet(t, s, "k"); again[0] != 'v' {
		t.Fatalf("mutating a Get result changed the stored value: %q", again)
	}
	mustNil(t, s.Set(c, "k", []byte("v2"), time.Minute))
	if got := mustGet(t, s, "k"); string(got) != "v2" {
		t.Fatalf("Get after replacing Set = %q, want v2", got)
	}
	mustNil(t, s.Set(c, "empty", nil, time.Minute))
	if got, err := s.Get(c, "empty"); err != nil || len(got) != 0 {
		t.Fatalf("Get of an empty value = %q, %v; want empty and no error", got, err)
	}
}

func testTTL(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	t0 := time.Now()
	mustNil(t, s.Set(c, "short", []byte("x"), ttl))
	mustNil(t, s.Set(c, "renewed", []byte("x"), ttl))
	mustTrue(t, "SetIfAbsent")(s.SetIfAbsent(c, "record", []byte("x"), ttl))
	mustGet(t, s, "short")

	sleepUntil(t0, ttl/2)
	mustNil(t, s.Set(c, "renewed", []byte("y"), 2*ttl)) // Set replaces the expiry too
	sleepUntil(t0, ttl+margin)
	for _, k := range []string{"short", "record"} {
		if v, err := s.Get(c, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(%s) after its ttl = %q, %v; want ErrNotFound", k, v, err)
		}
	}
	if v := mustGet(t, s, "renewed"); string(v) != "y" {
		t.Fatalf("renewed key = %q, want y (alive until %v)", v, ttl/2+2*ttl)
	}
	mustTrue(t, "SetIfAbsent over an expired record")(s.SetIfAbsent(c, "record", []byte("z"), ttl))
}

func testSetIfAbsent(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	mustTrue(t, "first SetIfAbsent")(s.SetIfAbsent(c, "jti", []byte("first"), time.Minute))
	mustFalse(t, "second SetIfAbsent")(s.SetIfAbsent(c, "jti", []byte("second"), time.Minute))
	if v := mustGet(t, s, "jti"); string(v) != "first" {
		t.Fatalf("a refused SetIfAbsent changed the value to %q", v)
	}
	mustNil(t, s.Delete(c, "jti"))
	mustTrue(t, "SetIfAbsent after Delete")(s.SetIfAbsent(c, "jti", []byte("third"), time.Minute))
	mustNil(t, s.Set(c, "n", []byte("1"), time.Minute))
	mustFalse(t, "SetIfAbsent over a counter")(s.SetIfAbsent(c, "n", []byte("x"), time.Minute))
}

func testSetIfAbsentConcurrent(t *testing.T, s store.Store, _ bool) {
	winner := -1
	wins := race(t, 50, func(i int) bool {
		ok, err := s.SetIfAbsent(ctx(t), "jti", []byte{byte(i)}, time.Minute)
		check(t, err)
		if ok {
			winner = i
		}
		return ok
	})
	if wins != 1 {
		t.Fatalf("50 concurrent SetIfAbsent: %d won, want exactly 1", wins)
	}
	if v := mustGet(t, s, "jti"); len(v) != 1 || int(v[0]) != winner {
		t.Fatalf("stored value %v is not the winner's (%d)", v, winner)
	}
}

func testDelete(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	for _, k := range []string{"a", "b", "c"} {
		mustNil(t, s.Set(c, k, []byte(k), time.Minute))
	}
	_, err := s.HIncr(c, "h", "f", 1, time.Minute)
	mustNil(t, err)
	mustNil(t, s.Delete(c, "a", "absent", "c", "h"))
	mustNil(t, s.Delete(c))
	for _, k := range []string{"a", "c", "absent"} {
		if _, err := s.Get(c, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(%s) after Delete: %v, want ErrNotFound", k, err)
		}
	}
	if h, err := s.HGetAll(c, "h"); err != nil || len(h) != 0 {
		t.Fatalf("hash after Delete = %v, %v; want empty", h, err)
	}
	if v := mustGet(t, s, "b"); string(v) != "b" {
		t.Fatalf("Delete removed a key it was not given: b = %q", v)
	}
}

func testCompareAndDelete(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	mustFalse(t, "CompareAndDelete of an absent key")(s.CompareAndDelete(c, "lock", []byte("me")))
	mustNil(t, s.Set(c, "lock", []byte("owner-1"), time.Minute))
	mustFalse(t, "CompareAndDelete with another owner's value")(s.CompareAndDelete(c, "lock", []byte("owner-2")))
	mustFalse(t, "CompareAndDelete with a prefix of the value")(s.CompareAndDelete(c, "lock", []byte("owner")))
	if v := mustGet(t, s, "lock"); string(v) != "owner-1" {
		t.Fatalf("a refused CompareAndDelete changed the lock to %q", v)
	}
	mustTrue(t, "CompareAndDelete by the owner")(s.CompareAndDelete(c, "lock", []byte("owner-1")))
	if _, err := s.Get(c, "lock"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lock still there after its owner released it: %v", err)
	}
	_, err := s.Incr(c, "n", 3, time.Minute)
	mustNil(t, err)
	mustTrue(t, "CompareAndDelete of a counter by its decimal text")(s.CompareAndDelete(c, "n", []byte("3")))
}

// testCompareAndExpire: the owner extends its lock from now; anyone else changes nothing.
func testCompareAndExpire(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	mustFalse(t, "CompareAndExpire of an absent key")(s.CompareAndExpire(c, "lock", []byte("me"), ttl))
	if _, err := s.Get(c, "lock"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CompareAndExpire of an absent key created it: %v", err)
	}
	t0 := time.Now()
	mustTrue(t, "SetIfAbsent")(s.SetIfAbsent(c, "lock", []byte("owner-1"), ttl))
	mustTrue(t, "SetIfAbsent")(s.SetIfAbsent(c, "other", []byte("owner-1"), ttl))
	sleepUntil(t0, ttl/2)
	mustTrue(t, "CompareAndExpire by the owner")(s.CompareAndExpire(c, "lock", []byte("owner-1"), ttl))
	mustFalse(t, "CompareAndExpire with another owner's value")(s.CompareAndExpire(c, "other", []byte("owner-2"), ttl))
	mustFalse(t, "CompareAndExpire with a prefix of the value")(s.CompareAndExpire(c, "other", []byte("owner"), ttl))
	sleepUntil(t0, ttl+margin)
	if v := mustGet(t, s, "lock"); string(v) != "owner-1" {
		t.Fatalf("the renewed lock holds %q", v)
	}
	if _, err := s.Get(c, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused CompareAndExpire extended the key: %v", err)
	}
	sleepUntil(t0, ttl/2+ttl+margin)
	if _, err := s.Get(c, "lock"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the renewed lock outlived its new ttl: %v", err)
	}
	_, err := s.Incr(c, "n", 3, time.Minute)
	mustNil(t, err)
	mustTrue(t, "CompareAndExpire of a counter by its decimal text")(s.CompareAndExpire(c, "n", []byte("3"), time.Minute))
}

func testIncr(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	for i, step := range []struct{ delta, want int64 }{{5, 5}, {-7, -2}, {0, -2}, {10, 8}} {
		n, err := s.Incr(c, "n", step.delta, time.Minute)
		if err != nil || n != step.want {
			t.Fatalf("Incr #%d(%d) = %d, %v; want %d", i, step.delta, n, err, step.want)
		}
	}
	if v := mustGet(t, s, "n"); string(v) != "8" {
		t.Fatalf("Get of a counter = %q, want its decimal text 8", v)
	}
	mustNil(t, s.Set(c, "seeded", []byte("41"), time.Minute))
	if n, err := s.Incr(c, "seeded", 1, time.Minute); err != nil || n != 42 {
		t.Fatalf("Incr of a Set \"41\" = %d, %v; want 42", n, err)
	}
}

// testIncrFixedWindow: the ttl given to a later Incr (and IncrUpTo) does not extend the expiry set
// when the counter was created.
func testIncrFixedWindow(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	t0 := time.Now()
	mustInt(t, "Incr creating the counter", 1)(s.Incr(c, "n", 1, ttl))
	if _, ok, err := s.IncrUpTo(c, "q", 1, 10, ttl); err != nil || !ok {
		t.Fatalf("IncrUpTo creating the counter: %v, %v", ok, err)
	}
	sleepUntil(t0, ttl/2)
	mustInt(t, "Incr within the window", 2)(s.Incr(c, "n", 1, ttl))
	if n, ok, err := s.IncrUpTo(c, "q", 1, 10, ttl); err != nil || !ok || n != 2 {
		t.Fatalf("IncrUpTo within the window = %d, %v, %v; want 2, true", n, ok, err)
	}
	sleepUntil(t0, ttl+margin) // the window ends at ttl; a sliding expiry would last to 1.5·ttl
	for _, k := range []string{"n", "q"} {
		if v, err := s.Get(c, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("counter %s outlived its window: %q, %v", k, v, err)
		}
	}
	mustInt(t, "Incr in a new window", 1)(s.Incr(c, "n", 1, ttl))
}

func testIncrUpTo(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	type step struct {
		delta, limit, want int64
		added              bool
	}
	for i, st := range []step{
		{delta: 3, limit: 5, want: 3, added: true},
		{delta: 2, limit: 5, want: 5, added: true}, // reaching the limit exactly is allowed
		{delta: 1, limit: 5, want: 5, added: false},
		{delta: 3, limit: 7, want: 5, added: false},
		{delta: -2, limit: 5, want: 3, added: true}, // giving budget back always works
		{delta: 2, limit: 5, want: 5, added: true},
		{delta: -10, limit: -100, want: -5, added: true},
	} {
		n, ok, err := s.IncrUpTo(c, "quota", st.delta, st.limit, time.Minute)
		if err != nil || n != st.want || ok != st.added {
			t.Fatalf("step %d IncrUpTo(%d, limit %d) = %d, %v, %v; want %d, %v", i, st.delta, st.limit, n, ok, err, st.want, st.added)
		}
	}
	n, ok, err := s.IncrUpTo(c, "fresh", 11, 10, time.Minute)
	if err != nil || ok || n != 0 {
		t.Fatalf("IncrUpTo over the limit on an absent key = %d, %v, %v; want 0, false", n, ok, err)
	}
	if _, err := s.Get(c, "fresh"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused IncrUpTo created the key: %v", err)
	}
}

func testIncrUpToConcurrent(t *testing.T, s store.Store, _ bool) {
	const limit = 37
	added := race(t, 100, func(int) bool {
		n, ok, err := s.IncrUpTo(ctx(t), "quota", 1, limit, time.Minute)
		check(t, err)
		if n > limit {
			t.Errorf("counter reached %d, above the limit %d", n, limit)
		}
		return ok
	})
	if added != limit {
		t.Fatalf("100 concurrent IncrUpTo with limit %d: %d added", limit, added)
	}
	mustInt(t, "final counter", limit)(s.Incr(ctx(t), "quota", 0, time.Minute))
}

func testHash(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	if h, err := s.HGetAll(c, "day"); err != nil || h == nil || len(h) != 0 {
		t.Fatalf("HGetAll of an absent key = %#v, %v; want an empty non-nil map", h, err)
	}
	mustInt(t, "HIncr 200", 1)(s.HIncr(c, "day", "200", 1, time.Hour))
	mustInt(t, "HIncr 200 again", 3)(s.HIncr(c, "day", "200", 2, time.Hour))
	mustInt(t, "HIncr 429", -1)(s.HIncr(c, "day", "429", -1, time.Hour))
	h, err := s.HGetAll(c, "day")
	mustNil(t, err)
	if len(h) != 2 || h["200"] != 3 || h["429"] != -1 {
		t.Fatalf("HGetAll = %v, want map[200:3 429:-1]", h)
	}
	h["200"] = 100 // the map is the caller's
	if again, _ := s.HGetAll(c, "day"); again["200"] != 3 {
		t.Fatalf("mutating an HGetAll result changed the hash: %v", again)
	}
}

func testHashTTL(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	t0 := time.Now()
	mustInt(t, "HIncr creating the hash", 1)(s.HIncr(c, "day", "200", 1, ttl))
	sleepUntil(t0, ttl/2)
	mustInt(t, "HIncr within the window", 1)(s.HIncr(c, "day", "500", 1, ttl))
	sleepUntil(t0, ttl+margin)
	if h, err := s.HGetAll(c, "day"); err != nil || len(h) != 0 {
		t.Fatalf("hash outlived the ttl given at its creation: %v, %v", h, err)
	}
}

// testWrongType: strings (values and counters) and hashes do not mix, and a counter must hold a
// decimal int64 that does not overflow.
func testWrongType(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	mustNil(t, s.Set(c, "text", []byte("abc"), time.Minute))
	mustNil(t, s.Set(c, "max", []byte("9223372036854775807"), time.Minute))
	_, err := s.HIncr(c, "hash", "f", 1, time.Minute)
	mustNil(t, err)
	ops := map[string]error{}
	ops["Get(hash)"] = second(s.Get(c, "hash"))
	ops["Incr(hash)"] = second(s.Incr(c, "hash", 1, time.Minute))
	ops["Incr(text)"] = second(s.Incr(c, "text", 1, time.Minute))
	ops["Incr(max+1)"] = second(s.Incr(c, "max", 1, time.Minute))
	_, _, ops["IncrUpTo(hash)"] = s.IncrUpTo(c, "hash", 1, 10, time.Minute)
	_, _, ops["IncrUpTo(text)"] = s.IncrUpTo(c, "text", 1, 10, time.Minute)
	ops["HIncr(text)"] = second(s.HIncr(c, "text", "f", 1, time.Minute))
	ops["HGetAll(text)"] = second(s.HGetAll(c, "text"))
	ops["CompareAndDelete(hash)"] = second(s.CompareAndDelete(c, "hash", []byte("x")))
	ops["CompareAndExpire(hash)"] = second(s.CompareAndExpire(c, "hash", []byte("x"), time.Minute))
	ops["RateLimit(hash)"] = second(s.RateLimit(c, "hash", 1, time.Second))
	ops["RateLimit(text)"] = second(s.RateLimit(c, "text", 1, time.Second))
	for op, err := range ops {
		if !errors.Is(err, store.ErrWrongType) {
			t.Errorf("%s: %v, want ErrWrongType", op, err)
		}
	}
	if v := mustGet(t, s, "max"); string(v) != "9223372036854775807" {
		t.Fatalf("an overflowing Incr changed the counter to %q", v)
	}
	_, err = s.LogAppend(c, "log", 1, []byte("entry"))
	mustNil(t, err)
	logOps := map[string]error{
		"LogAppend(text)":       second(s.LogAppend(c, "text", 1, []byte("x"))),
		"LogAppend(hash)":       second(s.LogAppend(c, "hash", 1, []byte("x"))),
		"LogRange(text)":        second(s.LogRange(c, "text", 0, 10)),
		"LogRange(hash)":        second(s.LogRange(c, "hash", 0, 10)),
		"Get(log)":              second(s.Get(c, "log")),
		"Incr(log)":             second(s.Incr(c, "log", 1, time.Minute)),
		"HIncr(log)":            second(s.HIncr(c, "log", "f", 1, time.Minute)),
		"HGetAll(log)":          second(s.HGetAll(c, "log")),
		"CompareAndDelete(log)": second(s.CompareAndDelete(c, "log", []byte("entry"))),
		"CompareAndExpire(log)": second(s.CompareAndExpire(c, "log", []byte("entry"), time.Minute)),
		"RateLimit(log)":        second(s.RateLimit(c, "log", 1, time.Second)),
	}
	_, _, logOps["IncrUpTo(log)"] = s.IncrUpTo(c, "log", 1, 10, time.Minute)
	for op, err := range logOps {
		if !errors.Is(err, store.ErrWrongType) {
			t.Errorf("%s: %v, want ErrWrongType", op, err)
		}
	}
	if l, err := s.LogRange(c, "log", 0, 10); err != nil || len(l) != 1 {
		t.Fatalf("the log after refused operations: %v, %v; want its one entry", l, err)
	}
	mustFalse(t, "SetIfAbsent over a log")(s.SetIfAbsent(c, "log", []byte("x"), time.Minute))
	mustNil(t, s.Set(c, "log", []byte("now a string"), time.Minute))
	if v := mustGet(t, s, "log"); string(v) != "now a string" {
		t.Fatalf("Set over a log: Get = %q", v)
	}
	mustNil(t, s.Set(c, "hash", []byte("now a string"), time.Minute)) // Set replaces any type
	if v := mustGet(t, s, "hash"); string(v) != "now a string" {
		t.Fatalf("Set over a hash: Get = %q", v)
	}
}

func testRateLimit(t *testing.T, s store.Store, exact bool) {
	c := ctx(t)
	const limit, period = 5, time.Second
	const interval = period / limit
	for i := range int64(limit) {
		res, err := s.RateLimit(c, "client", limit, period)
		if err != nil || !res.Allowed || res.Limit != limit || res.Remaining != limit-1-i || res.RetryAfter != 0 {
			t.Fatalf("request %d of the burst: %+v, %v; want allowed, Remaining %d", i+1, res, err, limit-1-i)
		}
		if res.ResetAfter <= 0 || res.ResetAfter > period {
			t.Fatalf("request %d: ResetAfter %v outside (0, %v]", i+1, res.ResetAfter, period)
		}
	}
	refused, err := s.RateLimit(c, "client", limit, period)
	mustNil(t, err)
	if refused.Allowed || refused.Remaining != 0 || refused.Limit != limit ||
		refused.RetryAfter <= 0 || refused.RetryAfter > interval ||
		refused.ResetAfter < refused.RetryAfter || refused.ResetAfter > period {
		t.Fatalf("request after the burst: %+v; want refused, RetryAfter in (0, %v], ResetAfter in [RetryAfter, %v]", refused, interval, period)
	}
	if exact && (refused.RetryAfter != interval || refused.ResetAfter != period) {
		t.Fatalf("with a frozen clock the refusal must say RetryAfter %v, ResetAfter %v: %+v", interval, period, refused)
	}
	if other, err := s.RateLimit(c, "other-client", limit, period); err != nil || !other.Allowed || other.Remaining != limit-1 {
		t.Fatalf("another key shares the limiter: %+v, %v", other, err)
	}
	t1 := time.Now()
	again, err := s.RateLimit(c, "client", limit, period)
	mustNil(t, err)
	if again.Allowed || again.RetryAfter > refused.RetryAfter {
		t.Fatalf("a second refused request: %+v; want refused without a longer wait (refusals change nothing)", again)
	}
	sleepUntil(t1, again.RetryAfter+margin/10)
	if res, err := s.RateLimit(c, "client", limit, period); err != nil || !res.Allowed || res.Remaining != 0 {
		t.Fatalf("after RetryAfter: %+v, %v; want one admission with Remaining 0", res, err)
	}
	sleepUntil(time.Now(), period+margin/10)
	if res, err := s.RateLimit(c, "client", limit, period); err != nil || !res.Allowed || res.Remaining != limit-1 {
		t.Fatalf("after a full period: %+v, %v; want a full burst (Remaining %d)", res, err, limit-1)
	}
}

func testRateLimitConcurrent(t *testing.T, s store.Store, _ bool) {
	allowed := race(t, 50, func(int) bool {
		res, err := s.RateLimit(ctx(t), "client", 20, time.Hour)
		check(t, err)
		return res.Allowed
	})
	if allowed != 20 {
		t.Fatalf("50 concurrent requests under a limit of 20/h: %d admitted", allowed)
	}
}

func testInvalidArguments(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	for _, d := range []time.Duration{0, -time.Second} {
		errs := map[string]error{
			"Set":              s.Set(c, "k", []byte("v"), d),
			"SetIfAbsent":      second(s.SetIfAbsent(c, "k", []byte("v"), d)),
			"CompareAndExpire": second(s.CompareAndExpire(c, "k", []byte("v"), d)),
			"Incr":             second(s.Incr(c, "k", 1, d)),
			"HIncr":            second(s.HIncr(c, "k", "f", 1, d)),
			"RateLimit":        second(s.RateLimit(c, "k", 1, d)),
		}
		_, _, errs["IncrUpTo"] = s.IncrUpTo(c, "k", 1, 5, d)
		for op, err := range errs {
			if !errors.Is(err, store.ErrInvalidTTL) {
				t.Errorf("%s with ttl %v: %v, want ErrInvalidTTL", op, d, err)
			}
		}
	}
	if _, err := s.LogAppend(c, "log", store.MaxLogSeq+1, []byte("v")); !errors.Is(err, store.ErrInvalidLogArgument) {
		t.Errorf("LogAppend with atLeast MaxLogSeq+1: %v, want ErrInvalidLogArgument", err)
	}
	for _, limit := range []int{0, -1, store.MaxLogRange + 1} {
		if _, err := s.LogRange(c, "log", 0, limit); !errors.Is(err, store.ErrInvalidLogArgument) {
			t.Errorf("LogRange with limit %d: %v, want ErrInvalidLogArgument", limit, err)
		}
	}
	if l, err := s.LogRange(c, "log", 0, 10); err != nil || len(l) != 0 {
		t.Fatalf("a rejected LogAppend appended: %v, %v", l, err)
	}
	for _, limit := range []int64{0, -1, store.MaxRateLimit + 1, math.MaxInt64} {
		if _, err := s.RateLimit(c, "k", limit, time.Second); !errors.Is(err, store.ErrInvalidLimit) {
			t.Errorf("RateLimit with limit %d: %v, want ErrInvalidLimit", limit, err)
		}
	}
	if _, err := s.Get(c, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rejected call stored something: %v", err)
	}
}

func testContext(t *testing.T, s store.Store, _ bool) {
	canceled, cancel := context.WithCancel(ctx(t))
	cancel()
	expired, cancel2 := context.WithDeadline(ctx(t), time.Now().Add(-time.Second))
	defer cancel2()
	for want, c := range map[error]context.Context{context.Canceled: canceled, context.DeadlineExceeded: expired} {
		for op, err := range allOps(c, s) {
			if !errors.Is(err, want) {
				t.Errorf("%s with an ended context: %v, want %v", op, err, want)
			}
		}
	}
	if _, err := s.Get(ctx(t), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a call with an ended context stored something: %v", err)
	}
}

func testPing(t *testing.T, s store.Store, _ bool) {
	mustNil(t, s.Ping(ctx(t)))
}

func testClose(t *testing.T, s store.Store, _ bool) {
	mustNil(t, s.Set(ctx(t), "k", []byte("v"), time.Minute))
	mustNil(t, s.Close())
	for op, err := range allOps(ctx(t), s) {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", op, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
}

// allOps calls every method once with valid arguments and returns their errors by name.
func allOps(c context.Context, s store.Store) map[string]error {
	errs := map[string]error{
		"Get":              second(s.Get(c, "k")),
		"Set":              s.Set(c, "k", []byte("v"), time.Minute),
		"SetIfAbsent":      second(s.SetIfAbsent(c, "k", []byte("v"), time.Minute)),
		"Delete":           s.Delete(c, "k"),
		"CompareAndDelete": second(s.CompareAndDelete(c, "k", []byte("v"))),
		"CompareAndExpire": second(s.CompareAndExpire(c, "k", []byte("v"), time.Minute)),
		"Incr":             second(s.Incr(c, "n", 1, time.Minute)),
		"HIncr":            second(s.HIncr(c, "h", "f", 1, time.Minute)),
		"HGetAll":          second(s.HGetAll(c, "h")),
		"RateLimit":        second(s.RateLimit(c, "r", 1, time.Second)),
		"LogAppend":        second(s.LogAppend(c, "log", 1, []byte("v"))),
		"LogRange":         second(s.LogRange(c, "log", 0, 10)),
		"Ping":             s.Ping(c),
	}
	_, _, errs["IncrUpTo"] = s.IncrUpTo(c, "n", 1, 5, time.Minute)
	return errs
}

func second[T any](_ T, err error) error { return err }

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	v, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return v
}

func mustInt(t *testing.T, what string, want int64) func(int64, error) {
	return func(n int64, err error) {
		t.Helper()
		if err != nil || n != want {
			t.Fatalf("%s = %d, %v; want %d", what, n, err, want)
		}
	}
}

// testLog: sequence numbers are max(atLeast, last+1), LogRange pages strictly after a sequence, in
// order, and copies values both ways; Delete removes a log and a new one starts again from its floor.
func testLog(t *testing.T, s store.Store, _ bool) {
	c := ctx(t)
	if l, err := s.LogRange(c, "log", 0, 10); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("LogRange of an absent log = %#v, %v; want an empty, non-nil slice", l, err)
	}
	value := []byte("first\x00\xff")
	appends := []struct {
		atLeast, want int64
		value         string
	}{
		{100, 100, "first\x00\xff"}, // the floor of an empty log is atLeast
		{50, 101, "second"},         // a floor behind the log: last+1
		{101, 102, ""},              // equal to last: last+1; an empty value is a value
		{200, 200, "fourth"},        // a floor ahead: a gap
		{0, 201, "fifth"},
		{-7, 202, "sixth"},
	}
	for i, a := range appends {
		v := []byte(a.value)
		if i == 0 {
			v = value
		}
		mustInt(t, fmt.Sprintf("LogAppend #%d (atLeast %d)", i+1, a.atLeast), a.want)(s.LogAppend(c, "log", a.atLeast, v))
	}
	value[0] = 'X' // the store must have copied the value
	all, err := s.LogRange(c, "log", -1, store.MaxLogRange)
	mustNil(t, err)
	if len(all) != len(appends) {
		t.Fatalf("LogRange of the whole log: %d entries, want %d", len(all), len(appends))
	}
	for i, a := range appends {
		if all[i].Seq != a.want || string(all[i].Value) != a.value {
			t.Fatalf("entry %d = {%d %q}, want {%d %q}", i, all[i].Seq, all[i].Value, a.want, a.value)
		}
	}
	all[0].Value[0] = 'Y' // nor may it hand out its own buffer
	for _, p := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 2, []int64{100, 101}},
		{101, 2, []int64{102, 200}},
		{102, 10, []int64{200, 201, 202}},
		{150, 1, []int64{200}},
		{202, 10, nil},
		{math.MaxInt64, 10, nil},
	} {
		page, err := s.LogRange(c, "log", p.after, p.limit)
		mustNil(t, err)
		var got []int64
		for _, e := range page {
			got = append(got, e.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(p.want) {
			t.Fatalf("LogRange(after %d, limit %d) = %v, want %v", p.after, p.limit, got, p.want)
		}
	}
	if first, _ := s.LogRange(c, "log", 0, 1); string(first[0].Value) != "first\x00\xff" {
		t.Fatalf("stored value changed through a caller's buffer: %q", first[0].Value)
	}
	mustNil(t, s.Delete(c, "log"))
	if l, err := s.LogRange(c, "log", 0, 10); err != nil || len(l) != 0 {
		t.Fatalf("LogRange after Delete = %v, %v; want empty", l, err)
	}
	mustInt(t, "LogAppend to a deleted log", 5)(s.LogAppend(c, "log", 5, []byte("again")))
	mustInt(t, "LogAppend at MaxLogSeq", store.MaxLogSeq)(s.LogAppend(c, "edge", store.MaxLogSeq, []byte("x")))
}

// testLogConcurrent: appends racing with the same floor get distinct sequences, and a reader paging
// with after = the last Seq it saw, while they run, sees every entry exactly once and in order.
func testLogConcurrent(t *testing.T, s store.Store, _ bool) {
	appendAndPage(t, s, s)
}

// appendAndPage runs 4 writers of 50 entries each (alternating between a and b) against one reader
// paging on b, and checks the reader saw all 200 entries once, in strictly increasing order.
func appendAndPage(t *testing.T, a, b store.Store) {
	const writers, each = 4, 50
	c := ctx(t)
	floor := time.Now().UnixMilli()
	done := make(chan struct{})
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			var err error
			for i := range each {
				if _, err = pick(a, b, w).LogAppend(c, "log", floor, []byte(fmt.Sprintf("%d/%d", w, i))); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	go func() {
		for range writers {
			check(t, <-errs)
		}
		close(done)
	}()
	seen := map[string]bool{}
	var last int64 = -1
	read := func() int {
		page, err := b.LogRange(c, "log", last, 7)
		mustNil(t, err)
		for _, e := range page {
			if e.Seq <= last {
				t.Fatalf("LogRange went back: %d after %d", e.Seq, last)
			}
			if seen[string(e.Value)] {
				t.Fatalf("entry %q seen twice", e.Value)
			}
			seen[string(e.Value)], last = true, e.Seq
		}
		return len(page)
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		read()
	}
	for read() > 0 {
	}
	if len(seen) != writers*each {
		t.Fatalf("the reader saw %d distinct entries, want %d", len(seen), writers*each)
	}
	if last < floor+writers*each-1 {
		t.Fatalf("last sequence %d: %d appends with floor %d must reach at least %d", last, writers*each, floor, floor+writers*each-1)
	}
}
