package sectest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// RedisDB is the Redis database index the security tests use on the shared Redis.
const RedisDB = 11

// NewMemory returns the shared in-memory store, closed when the test ends.
func NewMemory(t testing.TB) *memory.Store {
	t.Helper()
	s, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// NewRedisPair returns two Redis stores with their own connections (two gateway replicas) to the
// Redis at REDIS_URL (default redis://127.0.0.1:6379), database RedisDB, under one random key
// prefix whose keys are deleted when the test ends. The test fails when no Redis answers: replay
// protection is about a real shared store.
func NewRedisPair(t testing.TB) (*redisstore.Store, *redisstore.Store) {
	t.Helper()
	url, prefix := redistest.Shared(t, RedisDB)
	return redistest.Store(t, url, prefix), redistest.Store(t, url, prefix)
}

// FaultStore wraps a real store so a test can make it fail (a store that is down) or replace it
// (a clean slate between benchmark rounds). The replay operations (Get, Set, SetIfAbsent, Delete)
// honour the fault; the others pass through. Safe for concurrent use.
type FaultStore struct {
	mu sync.RWMutex
	store.Store
	err error
}

// NewFaultStore wraps s.
func NewFaultStore(s store.Store) *FaultStore { return &FaultStore{Store: s} }

// SetDown makes the replay operations fail with err (nil: work again).
func (f *FaultStore) SetDown(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// Swap replaces the wrapped store.
func (f *FaultStore) Swap(s store.Store) {
	f.mu.Lock()
	f.Store = s
	f.mu.Unlock()
}

func (f *FaultStore) current() (store.Store, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.Store, f.err
}

func (f *FaultStore) Get(ctx context.Context, key string) ([]byte, error) {
	s, err := f.current()
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, key)
}

func (f *FaultStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s, err := f.current()
	if err != nil {
		return err
	}
	return s.Set(ctx, key, value, ttl)
}

func (f *FaultStore) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	s, err := f.current()
	if err != nil {
		return false, err
	}
	return s.SetIfAbsent(ctx, key, value, ttl)
}

func (f *FaultStore) Delete(ctx context.Context, keys ...string) error {
	s, err := f.current()
	if err != nil {
		return err
	}
	return s.Delete(ctx, keys...)
}
