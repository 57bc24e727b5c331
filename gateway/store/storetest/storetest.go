// Package storetest is the contract test suite of store.Store. Every implementation runs the same
// suite, so code written against the interface behaves the same on each:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... a fresh, empty store ... })
//	}
//
// The suite waits on real time with short TTLs (a few hundred milliseconds, subtests in parallel),
// or, with the Synctest option, inside testing/synctest bubbles where the waits cost nothing and
// every duration can be checked exactly.
package storetest

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// Option adjusts Run.
type Option func(*suite)

// Synctest runs each subtest in a testing/synctest bubble: newStore is called inside it, and the
// store must read time only through package time and start its goroutines there (they must end on
// Close, which newStore registers with t.Cleanup). Durations are then asserted exactly.
func Synctest() Option { return func(s *suite) { s.synctest = true } }

type suite struct {
	newStore func(t *testing.T) store.Store
	synctest bool
}

// Run runs the contract suite. newStore returns a new store that holds no keys (a fresh memory store,
// or a Redis store with a key prefix of its own) and registers its Close and clean-up with t.Cleanup;
// a subtest may Close it earlier.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opts ...Option) {
	s := &suite{newStore: newStore}
	for _, o := range opts {
		o(s)
	}
	for _, c := range []struct {
		name string
		test func(t *testing.T, s store.Store, exact bool)
	}{
		{"get-set", testGetSet},
		{"ttl", testTTL},
		{"set-if-absent", testSetIfAbsent},
		{"set-if-absent-concurrent", testSetIfAbsentConcurrent},
		{"delete", testDelete},
		{"compare-and-delete", testCompareAndDelete},
		{"compare-and-expire", testCompareAndExpire},
		{"incr", testIncr},
		{"incr-fixed-window", testIncrFixedWindow},
		{"incr-up-to", testIncrUpTo},
		{"incr-up-to-concurrent", testIncrUpToConcurrent},
		{"hash", testHash},
		{"hash-ttl", testHashTTL},
		{"wrong-type", testWrongType},
		{"rate-limit", testRateLimit},
		{"rate-limit-concurrent", testRateLimitConcurrent},
		{"log", testLog},
		{"log-concurrent", testLogConcurrent},
		{"invalid-arguments", testInvalidArguments},
		{"context", testContext},
		{"ping", testPing},
		{"close", testClose},
	} {
		t.Run(c.name, func(t *testing.T) {
			if s.synctest {
				synctest.Test(t, func(t *testing.T) { c.test(t, s.newStore(t), true) })
				return
			}
			t.Parallel()
			c.test(t, s.newStore(t), false)
		})
	}
}

// RunShared proves that two stores are views of one shared state, as two gateway replicas see it:
// newPair returns two stores (for Redis, two clients with separate connection pools) over the same
// empty key space.
func RunShared(t *testing.T, newPair func(t *testing.T) (store.Store, store.Store)) {
	t.Run("set-if-absent", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		wins := race(t, 50, func(i int) bool {
			ok, err := pick(a, b, i).SetIfAbsent(t.Context(), "jti", []byte{byte(i)}, time.Minute)
			check(t, err)
			return ok
		})
		if wins != 1 {
			t.Fatalf("50 SetIfAbsent over two replicas: %d won, want exactly 1", wins)
		}
	})
	t.Run("rate-limit", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		allowed := race(t, 60, func(i int) bool {
			res, err := pick(a, b, i).RateLimit(t.Context(), "client", 25, time.Hour)
			check(t, err)
			return res.Allowed
		})
		if allowed != 25 {
			t.Fatalf("60 requests over two replicas under a limit of 25/h: %d admitted, want 25", allowed)
		}
	})
	t.Run("incr-up-to", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		added := race(t, 60, func(i int) bool {
			_, ok, err := pick(a, b, i).IncrUpTo(t.Context(), "quota", 1, 40, time.Hour)
			check(t, err)
			return ok
		})
		n, err := b.Incr(t.Context(), "quota", 0, time.Hour)
		check(t, err)
		if added != 40 || n != 40 {
			t.Fatalf("60 IncrUpTo over two replicas with limit 40: %d added, counter %d; want 40 and 40", added, n)
		}
	})
	t.Run("log", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		appendAndPage(t, a, b)
	})
	t.Run("lock-handoff", func(t *testing.T) {
		t.Parallel()
		a, b := newPair(t)
		ctx := t.Context()
		mustTrue(t, "replica A takes the lock")(a.SetIfAbsent(ctx, "lock", []byte("A"), time.Minute))
		mustFalse(t, "replica B takes a held lock")(b.SetIfAbsent(ctx, "lock", []byte("B"), time.Minute))
		mustFalse(t, "replica B renews A's lock")(b.CompareAndExpire(ctx, "lock", []byte("B"), time.Hour))
		mustTrue(t, "replica A renews its lock")(a.CompareAndExpire(ctx, "lock", []byte("A"), time.Hour))
		mustFalse(t, "replica B releases A's lock")(b.CompareAndDelete(ctx, "lock", []byte("B")))
		mustTrue(t, "replica A releases its lock")(a.CompareAndDelete(ctx, "lock", []byte("A")))
		mustTrue(t, "replica B takes the freed lock")(b.SetIfAbsent(ctx, "lock", []byte("B"), time.Minute))
	})
}

func pick(a, b store.Store, i int) store.Store {
	if i%2 == 0 {
		return a
	}
	return b
}

// race runs f(0..n-1) in n goroutines released at once and counts the true results.
func race(t *testing.T, n int, f func(i int) bool) int {
	t.Helper()
	start := make(chan struct{})
	results := make(chan bool, n)
	for i := range n {
		go func() {
			<-start
			results <- f(i)
		}()
	}
	close(start)
	count := 0
	for range n {
		if <-results {
			count++
		}
	}
	return count
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err) // Error, not Fatal: also called from goroutines
	}
}

func mustTrue(t *testing.T, what string) func(bool, error) {
	return func(ok bool, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Fatalf("%s: got %v, %v; want true", what, ok, err)
		}
	}
}

func mustFalse(t *testing.T, what string) func(bool, error) {
	return func(ok bool, err error) {
		t.Helper()
		if err != nil || ok {
			t.Fatalf("%s: got %v, %v; want false", what, ok, err)
		}
	}
}

// sleepUntil waits until t0+d (real or bubble time).
func sleepUntil(t0 time.Time, d time.Duration) { time.Sleep(time.Until(t0.Add(d))) }

// ctx is the context the suite uses for calls that must succeed.
func ctx(t *testing.T) context.Context { return t.Context() }
