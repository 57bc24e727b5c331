package cache

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/contracts"
)

var keyX = Key{Kind: "test_kind", Subject: "RSSMRA80A01H501U", Variant: "2025-02-12"}

// A hit in the in-process tier touches neither the shared store nor the upstream.
func TestLocalHitNeedsNoNetwork(t *testing.T) {
	c, cs := newMemoryCache(t, nil)
	l := &loader{}
	l.set(Value{Data: []byte(`{"isee":"12254.90"}`)}, nil)
	ctx := context.Background()
	r, err := c.Get(ctx, keyX, l.load)
	if err != nil || r.State != contracts.CacheMiss || string(r.Data) != `{"isee":"12254.90"}` {
		t.Fatalf("first Get: %+v %v", r, err)
	}
	gets, sets := cs.gets.Load(), cs.sets.Load()
	for range 1000 {
		r, err := c.Get(ctx, keyX, l.load)
		if err != nil || r.State != contracts.CacheHit {
			t.Fatalf("%+v %v", r, err)
		}
	}
	if l.calls.Load() != 1 || cs.gets.Load() != gets || cs.sets.Load() != sets {
		t.Fatalf("loader calls %d, store gets %d→%d sets %d→%d: a local hit must not leave the process",
			l.calls.Load(), gets, cs.gets.Load(), sets, cs.sets.Load())
	}
	if st := c.Stats(); st.LocalHits != 1000 || st.Misses != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// 100 concurrent lookups of one key cause one upstream call, and all 100 get its answer.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, nil)
		release := make(chan struct{})
		var calls int
		load := func(context.Context) (Value, error) {
			calls++ // one load at a time by construction, or the race detector objects
			<-release
			return Value{Data: []byte("answer")}, nil
		}
		var wg sync.WaitGroup
		results := make([]Result, 100)
		errs := make([]error, 100)
		for i := range 100 {
			wg.Go(func() { results[i], errs[i] = c.Get(context.Background(), keyX, load) })
		}
		synctest.Wait() // all 100 wait: one in the loader, 99 on its result
		close(release)
		wg.Wait()
		if calls != 1 {
			t.Fatalf("%d upstream calls for 100 concurrent lookups, want 1", calls)
		}
		for i := range 100 {
			if errs[i] != nil || string(results[i].Data) != "answer" || results[i].State != contracts.CacheMiss {
				t.Fatalf("lookup %d: %+v %v", i, results[i], errs[i])
			}
		}
	})
}

// The load runs detached from the callers: the first caller giving up neither cancels the load
// nor fails the others waiting on it, and the answer is cached for everyone.
func TestLoadOutlivesItsFirstCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, nil)
		release := make(chan struct{})
		var loadErr error
		load := func(ctx context.Context) (Value, error) {
			<-release
			loadErr = ctx.Err()
			return Value{Data: []byte("answer")}, nil
		}
		first, cancel := context.WithCancel(context.Background())
		firstDone := make(chan error)
		go func() {
			_, err := c.Get(first, keyX, load)
			firstDone <- err
		}()
		synctest.Wait()
		second := make(chan Result)
		go func() {
			r, _ := c.Get(context.Background(), keyX, load)
			second <- r
		}()
		synctest.Wait()
		cancel()
		if err := <-firstDone; !isErr(err, context.Canceled) {
			t.Fatalf("first caller: %v", err)
		}
		close(release)
		if r := <-second; string(r.Data) != "answer" || loadErr != nil {
			t.Fatalf("second caller %+v, load ctx err %v", r, loadErr)
		}
		l := &loader{}
		if r, err := c.Get(context.Background(), keyX, l.load); err != nil || r.State != contracts.CacheHit || l.calls.Load() != 0 {
			t.Fatalf("after: %+v %v", r, err)
		}
	})
}

// The clock of an entry: fresh for its TTL (HIT with its age), then, while the upstream fails,
// served STALE with its age for the stale window, then an error; a fresh load replaces it.
func TestFreshStaleExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, func(o *Options) { o.LocalTTL = 24 * time.Hour })
		l := &loader{}
		l.set(Value{Data: []byte("v1")}, nil)
		ctx := context.Background()
		fetched := time.Now()
		if _, err := c.Get(ctx, keyX, l.load); err != nil {
			t.Fatal(err)
		}
		time.Sleep(59 * time.Minute)
		l.set(Value{}, errUpstreamDown)
		r, err := c.Get(ctx, keyX, l.load)
		if err != nil || r.State != contracts.CacheHit || r.Age != 59*time.Minute || !r.FetchedAt.Equal(fetched) {
			t.Fatalf("within the TTL: %+v %v", r, err)
		}
		time.Sleep(2 * time.Minute) // 1h01m: stale
		r, err = c.Get(ctx, keyX, l.load)
		if err != nil || r.State != contracts.CacheStale || r.Age != 61*time.Minute || string(r.Data) != "v1" {
			t.Fatalf("past the TTL with the upstream down: %+v %v", r, err)
		}
		var p contracts.Provenienza
		r.Apply(&p)
		if p.Cache != contracts.CacheStale || p.EtaSecondi != 3660 || !p.DataOraAcquisizione.Equal(fetched) {
			t.Fatalf("provenienza %+v", p)
		}
		time.Sleep(2 * time.Hour) // 3h01m: past TTL + stale window
		if _, err := c.Get(ctx, keyX, l.load); !isErr(err, errUpstreamDown) {
			t.Fatalf("past the stale window: %v, want the load's error", err)
		}
		l.set(Value{Data: []byte("v2")}, nil)
		if r, err := c.Get(ctx, keyX, l.load); err != nil || r.State != contracts.CacheMiss || string(r.Data) != "v2" || r.Age != 0 {
			t.Fatalf("after recovery: %+v %v", r, err)
		}
	})
}

// Stale answers are served only for failures of the upstream; our own mistakes and answers past
// their own validity (NotAfter) are not; load errors are never cached.
func TestStaleOnlyForUpstreamFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, nil)
		l := &loader{}
		ctx := context.Background()
		l.set(Value{Data: []byte("v1")}, nil)
		_, _ = c.Get(ctx, keyX, l.load)
		time.Sleep(time.Hour + time.Second)

		l.set(Value{}, errOurRequest)
		if _, err := c.Get(ctx, keyX, l.load); !isErr(err, errOurRequest) {
			t.Fatalf("permanent, caller's fault: %v, want the error", err)
		}
		calls := l.calls.Load()
		if _, err := c.Get(ctx, keyX, l.load); !isErr(err, errOurRequest) || l.calls.Load() != calls+1 {
			t.Fatalf("a load error must never be cached: %v, calls %d→%d", err, calls, l.calls.Load())
		}
		l.set(Value{}, fmt.Errorf("wrapped: %w", errUpstreamDown))
		if r, err := c.Get(ctx, keyX, l.load); err != nil || r.State != contracts.CacheStale {
			t.Fatalf("retryable: %+v %v", r, err)
		}

		// An answer valid until a date is neither fresh nor stale past it.
		keyY := Key{Kind: "test_kind", Subject: "VRDLGU70B02L378X"}
		l.set(Value{Data: []byte("isee"), NotAfter: time.Now().Add(30 * time.Minute)}, nil)
		_, _ = c.Get(ctx, keyY, l.load)
		time.Sleep(29 * time.Minute)
		l.set(Value{}, errUpstreamDown)
		if r, err := c.Get(ctx, keyY, l.load); err != nil || r.State != contracts.CacheHit {
			t.Fatalf("before NotAfter: %+v %v", r, err)
		}
		time.Sleep(2 * time.Minute)
		if _, err := c.Get(ctx, keyY, l.load); !isErr(err, errUpstreamDown) {
			t.Fatalf("past NotAfter: %v, want the error (an expired ISEE must not be served)", err)
		}
	})
}

// Business answers are cached briefly (negative caching) and never served stale.
func TestNegativeCaching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newMemoryCache(t, nil)
		l := &loader{}
		ctx := context.Background()
		l.set(Value{Data: []byte("EN122"), Negative: true}, nil)
		if r, err := c.Get(ctx, keyX, l.load); err != nil || !r.Negative || r.State != contracts.CacheMiss {
			t.Fatalf("%+v %v", r, err)
		}
		time.Sleep(9 * time.Minute)
		if r, err := c.Get(ctx, keyX, l.load); err != nil || !r.Negative || r.State != contracts.CacheHit || l.calls.Load() != 1 {
			t.Fatalf("within negative_ttl: %+v %v", r, err)
		}
		time.Sleep(2 * time.Minute)
		l.set(Value{}, errUpstreamDown)
		if _, err := c.Get(ctx, keyX, l.load); !isErr(err, errUpstreamDown) {
			t.Fatalf("a negative answer must not be served stale: %v", err)
		}
		// With negative caching off, the answer is returned but not kept.
		c2, _ := newMemoryCache(t, func(o *Options) { o.Kinds = []Kind{{Name: "test_kind", TTL: time.Hour}} })
		l.set(Value{Data: []byte("EN122"), Negative: true}, nil)
		before := l.calls.Load()
		for range 2 {
			if r, err := c2.Get(ctx, keyX, l.load); err != nil || !r.Negative || r.State != contracts.CacheMiss {
				t.Fatalf("%+v %v", r, err)
			}
		}
		if l.calls.Load() != before+2 {
			t.Fatal("negative_ttl 0 must not cache")
		}
	})
}

// The in-process tier never exceeds its byte bound, whatever is thrown at it: a flood of
// distinct subjects evicts the least recently used, and an entry in use survives.
func TestLocalTierBoundedInBytes(t *testing.T) {
	const bound = 256 << 10
	c, _ := newMemoryCache(t, func(o *Options) { o.LocalMaxBytes = bound })
	ctx := context.Background()
	payload := make([]byte, 1000)
	hot := Key{Kind: "test_kind", Subject: "HOTSUBJECT000000"}
	load := func(context.Context) (Value, error) { return Value{Data: payload}, nil }
	if _, err := c.Get(ctx, hot, load); err != nil {
		t.Fatal(err)
	}
	for i := range 20000 {
		k := Key{Kind: "test_kind", Subject: fmt.Sprintf("SUBJ%012d", i)}
		if _, err := c.Get(ctx, k, load); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if r, _ := c.Get(ctx, hot, load); r.State != contracts.CacheHit {
				t.Fatalf("the hot entry was evicted at %d", i)
			}
		}
		if st := c.Stats(); st.LocalBytes > bound {
			t.Fatalf("after %d subjects the local tier holds %d bytes, over its bound of %d", i+1, st.LocalBytes, bound)
		}
	}
	st := c.Stats()
	if st.LocalEvictions < 19000 || st.LocalBytes < bound/2 {
		t.Fatalf("stats %+v: the flood should have filled the tier and evicted most subjects", st)
	}
	// An entry larger than a shard is served but not kept in process.
	big := Key{Kind: "test_kind", Subject: "BIGSUBJECT000000"}
	huge := func(context.Context) (Value, error) { return Value{Data: make([]byte, bound)}, nil }
	if _, err := c.Get(ctx, big, huge); err != nil {
		t.Fatal(err)
	}
	if c.Stats().LocalBytes > bound {
		t.Fatal("a huge entry broke the bound")
	}
}

// With the shared tier down, lookups still work (loaded, kept in process), and a local copy
// confirmed within local_ttl is served stale when the upstream is down too.
func TestSharedTierDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, cs := newMemoryCache(t, nil)
		l := &loader{}
		ctx := context.Background()
		l.set(Value{Data: []byte("v1")}, nil)
		cs.setDown(fmt.Errorf("redis: connection refused"))
		if r, err := c.Get(ctx, keyX, l.load); err != nil || r.State != contracts.CacheMiss {
			t.Fatalf("%+v %v", r, err)
		}
		if r, err := c.Get(ctx, keyX, l.load); err != nil || r.State != contracts.CacheHit || l.calls.Load() != 1 {
			t.Fatalf("local hit with the shared tier down: %+v %v", r, err)
		}
		time.Sleep(time.Hour + time.Second)
		l.set(Value{}, errUpstreamDown)
		if r, err := c.Get(ctx, keyX, l.load); err == nil {
			t.Fatalf("the local copy was last confirmed an hour ago, beyond local_ttl: it must not be served (%+v)", r)
		}
		if st := c.Stats(); st.SharedErrors == 0 {
			t.Fatalf("stats %+v", st)
		}

		// A copy confirmed within local_ttl is served stale when both Redis and the upstream fail.
		c2, cs2 := newMemoryCache(t, func(o *Options) { o.LocalTTL = 3 * time.Hour })
		l.set(Value{Data: []byte("v1")}, nil)
		if _, err := c2.Get(ctx, keyX, l.load); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour + time.Second)
		cs2.setDown(fmt.Errorf("redis: connection refused"))
		l.set(Value{}, errUpstreamDown)
		if r, err := c2.Get(ctx, keyX, l.load); err != nil || r.State != contracts.CacheStale || string(r.Data) != "v1" {
			t.Fatalf("stale from the local copy: %+v %v", r, err)
		}
	})
}

// TestKindStats: hits, misses, stale answers and load errors are counted per kind, and add up to
// Stats.
func TestKindStats(t *testing.T) {
	other := Kind{Name: "other_kind", TTL: time.Hour, StaleFor: time.Hour}
	c, _ := newMemoryCache(t, func(o *Options) { o.Kinds = append(o.Kinds, other) })
	l := &loader{}
	l.set(Value{Data: []byte(`{}`)}, nil)
	ctx := context.Background()
	for range 3 {
		if _, err := c.Get(ctx, Key{Kind: testKind.Name, Subject: "RSSMRA80A01H501U"}, l.load); err != nil {
			t.Fatal(err)
		}
	}
	l.set(Value{}, errOurRequest)
	if _, err := c.Get(ctx, Key{Kind: other.Name, Subject: "RSSMRA80A01H501U"}, l.load); err == nil {
		t.Fatal("no error")
	}
	ks := c.KindStats()
	if got := ks[testKind.Name]; got.Misses != 1 || got.LocalHits != 2 || got.LoadErrors != 0 {
		t.Errorf("%s: %+v", testKind.Name, got)
	}
	if got := ks[other.Name]; got.Misses != 0 || got.LoadErrors != 1 {
		t.Errorf("%s: %+v", other.Name, got)
	}
	if st := c.Stats(); st.Misses != 1 || st.LocalHits != 2 || st.LoadErrors != 1 || len(ks) != 2 {
		t.Errorf("Stats %+v, kinds %v", st, ks)
	}
}
