// Package memory is the in-process implementation of store.Store: the embedded default for a single
// gateway instance and for `make run`. It is bounded by a number of entries, expires entries lazily on
// access and in a background sweep, and decides rate limits with the same GCRA arithmetic as the
// Redis implementation.
//
// # Bounds and eviction
//
// Every entry has an expiry (the Store contract requires a ttl on every write). The store holds at
// most Options.MaxEntries entries, split evenly over its shards. A write that needs a new entry in a
// full shard first evicts the shard's entry that expires soonest: an expired entry if there is one
// (it is the soonest by definition), otherwise the live entry closest to its end. Writes are never
// refused, because a refused replay record or rate-limit state would have to fail the request.
//
// Evicting a live entry weakens whatever it protected for the rest of its life: a replay record
// (jti) evicted early lets that token be replayed until it would have expired, a rate-limit or quota
// counter evicted early starts again from zero. Choosing the soonest-expiring entry makes that window
// the shortest possible, and replay records expire with their token, so the exposure is bounded by
// the smallest remaining lifetime in the store. It is still a degradation: Stats reports how many live
// entries were evicted, and an operator who sees that number grow must raise MaxEntries (size it at
// peak writes per second times the longest ttl, e.g. 200 req/s × 300 s of jti lifetime = 60 000).
package memory

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"math/bits"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/internal/gcra"
	"github.com/welfaregov/gateway/gateway/store/internal/precheck"
)

// Defaults for the zero Options fields.
const (
	DefaultMaxEntries    = 100_000
	DefaultSweepInterval = 30 * time.Second
)

// maxShards caps the shard count; minShardEntries keeps shards large enough that eviction in one
// shard approximates eviction over the whole store.
const (
	maxShards       = 64
	minShardEntries = 256
)

// sweepBatch bounds the expired entries removed per lock hold, so a sweep never stalls requests.
const sweepBatch = 512

// Options configures a Store. The zero value means the documented defaults.
type Options struct {
	// MaxEntries bounds the number of keys held (each shard holds MaxEntries/shards, rounded up).
	// Default DefaultMaxEntries.
	MaxEntries int
	// SweepInterval is how often expired entries are removed in the background. Expired entries are
	// also invisible to every read and are the first to be evicted, so this only returns memory
	// sooner. Default DefaultSweepInterval.
	SweepInterval time.Duration
	// Shards is the number of independently locked partitions, rounded up to a power of two. Zero
	// picks four per CPU (at most 64), fewer when MaxEntries is small. Tests set 1 for an exact bound.
	Shards int
}

// Store is a bounded in-memory store.Store, safe for concurrent use. Create it with New and Close it
// to stop the background sweep.
type Store struct {
	shards []shard
	mask   uint64
	seed   maphash.Seed
	base   time.Time // monotonic origin of the store's clock

	closed    atomic.Bool
	stop      chan struct{}
	swept     sync.WaitGroup
	evictions atomic.Uint64
	expired   atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// Stats are counters since New, for metrics.
type Stats struct {
	// Entries is the number of keys held now, including expired ones not yet removed.
	Entries int
	// EvictedLive counts entries removed before their expiry to make room: each is a replay record,
	// counter or cached value lost early. Non-zero means MaxEntries is too small for the load.
	EvictedLive uint64
	// Expired counts entries removed after their expiry (on access, by eviction or by the sweep).
	Expired uint64
}

// New returns a running Store. It returns an error only for negative options.
func New(opts Options) (*Store, error) {
	if opts.MaxEntries < 0 || opts.SweepInterval < 0 || opts.Shards < 0 {
		return nil, fmt.Errorf("store: memory: negative option in %+v", opts)
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	n := opts.Shards
	if n == 0 {
		n = min(4*runtime.GOMAXPROCS(0), maxShards)
		for n > 1 && opts.MaxEntries/n < minShardEntries {
			n /= 2
		}
	}
	n = 1 << bits.Len(uint(n-1)) // round up to a power of two for masking
	perShard := (opts.MaxEntries + n - 1) / n
	s := &Store{
		shards: make([]shard, n),
		mask:   uint64(n - 1),
		seed:   maphash.MakeSeed(),
		base:   time.Now(),
		stop:   make(chan struct{}),
	}
	for i := range s.shards {
		s.shards[i].shardState = shardState{items: make(map[string]*entry), max: perShard, stats: s}
	}
	s.swept.Add(1)
	go s.sweepLoop(opts.SweepInterval)
	return s, nil
}

// Close stops the background sweep and drops every entry. Later operations fail with
// store.ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.stop)
	s.swept.Wait()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		clear(sh.items)
		sh.byExpiry = nil
		sh.mu.Unlock()
	}
	return nil
}

// Stats returns the current counters.
func (s *Store) Stats() Stats {
	st := Stats{EvictedLive: s.evictions.Load(), Expired: s.expired.Load()}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		st.Entries += len(sh.items)
		sh.mu.Unlock()
	}
	return st
}

// Ping reports ErrClosed after Close and nil otherwise: the memory is always there.
func (s *Store) Ping(ctx context.Context) error { return s.begin(ctx, "ping") }

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "get"); err != nil {
		return nil, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		return nil, store.ErrNotFound
	case e.hash != nil, e.log != nil:
		return nil, wrongType("get")
	case e.numeric:
		return strconv.AppendInt(nil, e.num, 10), nil
	}
	return bytes.Clone(e.value), nil
}

// Set implements store.Store.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.beginWrite(ctx, "set", ttl); err != nil {
		return err
	}
	sh, now := s.shard(key), s.now()
	value = cloneNonNil(value)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	if e == nil {
		sh.insert(&entry{key: key, value: value}, now, now+int64(ttl))
		return nil
	}
	*e = entry{key: key, value: value, expires: e.expires, index: e.index}
	sh.setExpiry(e, now+int64(ttl))
	return nil
}

// SetIfAbsent implements store.Store.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := s.beginWrite(ctx, "set if absent", ttl); err != nil {
		return false, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.lookup(key, now) != nil {
		return false, nil
	}
	sh.insert(&entry{key: key, value: cloneNonNil(value)}, now, now+int64(ttl))
	return true, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if err := s.begin(ctx, "delete"); err != nil {
		return err
	}
	for _, key := range keys {
		sh := s.shard(key)
		sh.mu.Lock()
		if e := sh.items[key]; e != nil {
			sh.remove(e)
		}
		sh.mu.Unlock()
	}
	return nil
}

// CompareAndDelete implements store.Store. A counter compares as its decimal text, as in Redis.
func (s *Store) CompareAndDelete(ctx context.Context, key string, expected []byte) (bool, error) {
	if err := s.begin(ctx, "compare and delete"); err != nil {
		return false, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		return false, nil
	case e.hash != nil, e.log != nil:
		return false, wrongType("compare and delete")
	case !e.holds(expected):
		return false, nil
	}
	sh.remove(e)
	return true, nil
}

// CompareAndExpire implements store.Store. A counter compares as its decimal text, as in Redis.
func (s *Store) CompareAndExpire(ctx context.Context, key string, expected []byte, ttl time.Duration) (bool, error) {
	if err := s.beginWrite(ctx, "compare and expire", ttl); err != nil {
		return false, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		return false, nil
	case e.hash != nil, e.log != nil:
		return false, wrongType("compare and expire")
	case !e.holds(expected):
		return false, nil
	}
	sh.setExpiry(e, now+int64(ttl))
	return true, nil
}

// holds reports whether a string or counter entry's value is expected; a counter compares as its
// decimal text, as in Redis.
func (e *entry) holds(expected []byte) bool {
	if e.numeric {
		return bytes.Equal(strconv.AppendInt(nil, e.num, 10), expected)
	}
	return bytes.Equal(e.value, expected)
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	n, _, err := s.incr(ctx, "incr", key, delta, nil, ttl)
	return n, err
}

// IncrUpTo implements store.Store.
func (s *Store) IncrUpTo(ctx context.Context, key string, delta, limit int64, ttl time.Duration) (int64, bool, error) {
	return s.incr(ctx, "incr up to", key, delta, &limit, ttl)
}

// incr is Incr (limit nil) and IncrUpTo: the counter is created only when delta is added.
func (s *Store) incr(ctx context.Context, op, key string, delta int64, limit *int64, ttl time.Duration) (int64, bool, error) {
	if err := s.beginWrite(ctx, op, ttl); err != nil {
		return 0, false, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	var cur int64
	if e != nil {
		var err error
		if cur, err = e.counter(op); err != nil {
			return 0, false, err
		}
	}
	next, overflow := add(cur, delta)
	if overflow {
		return 0, false, wrongType(op)
	}
	if limit != nil && delta > 0 && next > *limit {
		return cur, false, nil
	}
	if e == nil {
		sh.insert(&entry{key: key, num: next, numeric: true}, now, now+int64(ttl))
	} else {
		e.num, e.numeric, e.value = next, true, nil
	}
	return next, true, nil
}

// HIncr implements store.Store.
func (s *Store) HIncr(ctx context.Context, key, field string, delta int64, ttl time.Duration) (int64, error) {
	if err := s.beginWrite(ctx, "hincr", ttl); err != nil {
		return 0, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	if e == nil {
		e = &entry{key: key, hash: make(map[string]int64, 4)}
		sh.insert(e, now, now+int64(ttl))
	} else if e.hash == nil {
		return 0, wrongType("hincr")
	}
	next, overflow := add(e.hash[field], delta)
	if overflow {
		return 0, wrongType("hincr")
	}
	e.hash[field] = next
	return next, nil
}

// HGetAll implements store.Store.
func (s *Store) HGetAll(ctx context.Context, key string) (map[string]int64, error) {
	if err := s.begin(ctx, "hgetall"); err != nil {
		return nil, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		return map[string]int64{}, nil
	case e.hash == nil:
		return nil, wrongType("hgetall")
	}
	return maps.Clone(e.hash), nil
}

// RateLimit implements store.Store. The TAT is kept as a counter (microseconds on the store's
// clock) that expires when it is reached, exactly as the Redis script keeps it.
func (s *Store) RateLimit(ctx context.Context, key string, limit int64, period time.Duration) (store.RateLimitResult, error) {
	if err := s.begin(ctx, "rate limit"); err != nil {
		return store.RateLimitResult{}, err
	}
	l, err := gcra.New(limit, period)
	if err != nil {
		return store.RateLimitResult{}, err
	}
	sh, now := s.shard(key), s.now()
	nowMicros := now / int64(time.Microsecond)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	var tat int64
	if e != nil {
		if tat, err = e.counter("rate limit"); err != nil {
			return store.RateLimitResult{}, err
		}
	}
	res, newTAT := l.Decide(tat, nowMicros)
	if !res.Allowed {
		return res, nil
	}
	expires := newTAT * int64(time.Microsecond)
	if e == nil {
		sh.insert(&entry{key: key, num: newTAT, numeric: true}, now, expires)
	} else {
		e.num, e.numeric, e.value = newTAT, true, nil
		sh.setExpiry(e, expires)
	}
	return res, nil
}

func (s *Store) begin(ctx context.Context, op string) error {
	return precheck.Call(ctx, s.closed.Load(), "memory", op)
}

func (s *Store) beginWrite(ctx context.Context, op string, ttl time.Duration) error {
	return precheck.Write(ctx, s.closed.Load(), "memory", op, ttl)
}

// now is the store's clock: nanoseconds since New, monotonic, so wall-clock steps do not expire or
// revive entries.
func (s *Store) now() int64 { return int64(time.Since(s.base)) }

func (s *Store) shard(key string) *shard {
	return &s.shards[maphash.String(s.seed, key)&s.mask]
}

// sweepLoop removes expired entries every interval until Close.
func (s *Store) sweepLoop(interval time.Duration) {
	defer s.swept.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			for i := range s.shards {
				s.shards[i].sweep(s.now)
			}
		}
	}
}

func wrongType(op string) error {
	return fmt.Errorf("store: memory %s: %w", op, store.ErrWrongType)
}

// add returns a+b and whether it overflowed int64.
func add(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) != (b > 0)
}

// cloneNonNil copies value (the caller may reuse its buffer), keeping an empty value non-nil.
func cloneNonNil(value []byte) []byte {
	return append(make([]byte, 0, len(value)), value...)
}
