package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// testKey is a fixed 32-byte secret for tests (never a real one).
var testKey = []byte("0123456789abcdef0123456789abcdef")

// A kind with short, round policies for the clock tests.
var testKind = Kind{Name: "test_kind", TTL: time.Hour, StaleFor: 2 * time.Hour, NegativeTTL: 10 * time.Minute}

// countingStore counts the shared-tier operations and can be switched off (a Redis outage).
type countingStore struct {
	store.Store
	gets, sets atomic.Int64
	mu         sync.Mutex
	down       error
}

func (s *countingStore) fail() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *countingStore) setDown(err error) {
	s.mu.Lock()
	s.down = err
	s.mu.Unlock()
}

func (s *countingStore) Get(ctx context.Context, k string) ([]byte, error) {
	s.gets.Add(1)
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, k)
}

func (s *countingStore) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	s.sets.Add(1)
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.Set(ctx, k, v, ttl)
}

func (s *countingStore) HIncr(ctx context.Context, k, f string, d int64, ttl time.Duration) (int64, error) {
	if err := s.fail(); err != nil {
		return 0, err
	}
	return s.Store.HIncr(ctx, k, f, d, ttl)
}

// newMemoryCache is a cache over a counting memory store (inside a synctest bubble when called
// from one: the memory store reads the bubble's clock).
func newMemoryCache(t testing.TB, tweak func(*Options)) (*Cache, *countingStore) {
	t.Helper()
	mem, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close() })
	cs := &countingStore{Store: mem}
	o := Options{Store: cs, Key: testKey, Kinds: []Kind{testKind}}
	if tweak != nil {
		tweak(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, cs
}

// loader returns a load function that answers data (or err) and counts its calls.
type loader struct {
	calls atomic.Int64
	mu    sync.Mutex
	value Value
	err   error
}

func (l *loader) set(v Value, err error) {
	l.mu.Lock()
	l.value, l.err = v, err
	l.mu.Unlock()
}

func (l *loader) load(context.Context) (Value, error) {
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.value, l.err
}

// Errors as the upstream runtime and adapters produce them.
var (
	errUpstreamDown = classified{adapter.Retryable, "inps: HTTP 503"}
	errOurRequest   = classified{adapter.Permanent, "inps: RICHIESTA_INVALIDA"}
)

type classified struct {
	class adapter.Class
	msg   string
}

func (e classified) Error() string                { return e.msg }
func (e classified) UpstreamClass() adapter.Class { return e.class }

func isErr(err, target error) bool { return errors.Is(err, target) }
