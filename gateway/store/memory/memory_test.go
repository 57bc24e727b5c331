package memory_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/store/storetest"
)

func newStore(t *testing.T, opts memory.Options) *memory.Store {
	t.Helper()
	s, err := memory.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, memory.Options{}) }, storetest.Synctest())
}

// TestContractOneShard runs the suite again with a single lock, the configuration with the most
// contention, so every concurrency case meets the same mutex.
func TestContractOneShard(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, memory.Options{Shards: 1}) }, storetest.Synctest())
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		s := newStore(t, memory.Options{})
		return s, s // one process: both "replicas" are the same store
	})
}

func TestNewRejectsNegativeOptions(t *testing.T) {
	for name, opts := range map[string]memory.Options{
		"fail/max-entries":    {MaxEntries: -1},
		"fail/sweep-interval": {SweepInterval: -time.Second},
		"fail/shards":         {Shards: -2},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := memory.New(opts); err == nil {
				_ = s.Close()
				t.Fatalf("New(%+v) accepted negative options", opts)
			}
		})
	}
}

// TestEvictionOrder: a write into a full store evicts the expired entry first, then the live entry
// that expires soonest, and counts only the latter as a live eviction.
func TestEvictionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, memory.Options{MaxEntries: 3, Shards: 1, SweepInterval: time.Hour})
		ctx := t.Context()
		set := func(k string, ttl time.Duration) {
			t.Helper()
			if ok, err := s.SetIfAbsent(ctx, k, []byte(k), ttl); err != nil || !ok {
				t.Fatalf("SetIfAbsent(%s) = %v, %v", k, ok, err)
			}
		}
		present := func(want ...string) {
			t.Helper()
			var got []string
			for _, k := range []string{"hour", "minute", "second", "day", "week", "year"} {
				if _, err := s.Get(ctx, k); err == nil {
					got = append(got, k)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("present %v, want %v", got, want)
			}
		}
		set("hour", time.Hour)
		set("minute", time.Minute)
		set("second", time.Second)
		time.Sleep(2 * time.Second) // "second" has expired but is still held (no sweep yet)
		set("day", 24*time.Hour)
		if st := s.Stats(); st.EvictedLive != 0 || st.Expired != 1 || st.Entries != 3 {
			t.Fatalf("after evicting the expired entry: %+v, want 0 live evictions, 1 expired, 3 entries", st)
		}
		present("hour", "minute", "day")
		set("week", 7*24*time.Hour)
		present("hour", "day", "week") // "minute" expired soonest
		set("year", 365*24*time.Hour)
		present("day", "week", "year")
		if st := s.Stats(); st.EvictedLive != 2 || st.Entries != 3 {
			t.Fatalf("after two live evictions: %+v", st)
		}
	})
}

// TestBoundHolds fills a sharded store far past its bound: it never holds more than MaxEntries, and
// the most recent writes (the longest-lived, all with the same ttl) survive.
func TestBoundHolds(t *testing.T) {
	s := newStore(t, memory.Options{MaxEntries: 1024, Shards: 4})
	for i := range 10_000 {
		if err := s.Set(t.Context(), fmt.Sprint("k", i), []byte("v"), time.Hour+time.Duration(i)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Entries > 1024 || st.Entries < 1024-4 {
		t.Fatalf("store holds %d entries, bound 1024", st.Entries)
	}
	if st.EvictedLive != uint64(10_000-st.Entries) {
		t.Fatalf("EvictedLive %d, want %d", st.EvictedLive, 10_000-st.Entries)
	}
	if _, err := s.Get(t.Context(), "k9999"); err != nil {
		t.Fatalf("the newest, longest-lived key was evicted: %v", err)
	}
	if _, err := s.Get(t.Context(), "k0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the oldest, soonest-expiring key survived: %v", err)
	}
}

// TestSweep: expired entries leave memory without being read, and Close stops the sweeper (the
// synctest bubble fails if a goroutine outlives the test).
func TestSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newStore(t, memory.Options{SweepInterval: 10 * time.Second})
		for i := range 2000 { // more than one sweep batch
			if err := s.Set(t.Context(), fmt.Sprint("k", i), []byte("v"), time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Set(t.Context(), "long", []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
		time.Sleep(9 * time.Second)
		if n := s.Stats().Entries; n != 2001 {
			t.Fatalf("before the first sweep: %d entries, want 2001", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if st := s.Stats(); st.Entries != 1 || st.Expired != 2000 {
			t.Fatalf("after the sweep: %+v, want 1 entry and 2000 expired", st)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Entries != 0 {
			t.Fatalf("Close kept %d entries", st.Entries)
		}
	})
}

// TestLogsAreNeverEvicted: a full store evicts values and counters but never a log, even when every
// other slot is taken by logs, because a flow log lost from memory could not be rebuilt.
func TestLogsAreNeverEvicted(t *testing.T) {
	s := newStore(t, memory.Options{MaxEntries: 4, Shards: 1})
	ctx := t.Context()
	for i := range 6 {
		if _, err := s.LogAppend(ctx, fmt.Sprint("log", i), 1, []byte("flow")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		if err := s.Set(ctx, fmt.Sprint("k", i), []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		if l, err := s.LogRange(ctx, fmt.Sprint("log", i), 0, 10); err != nil || len(l) != 1 {
			t.Fatalf("log%d after the store filled up: %v, %v; want its entry", i, l, err)
		}
	}
}
