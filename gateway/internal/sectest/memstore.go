package sectest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// MapStore is a map-backed store.Store holding the operations replay checks use (Get, Set,
// SetIfAbsent, Delete, CompareAndDelete) with expiry by the given clock. It stands in until the
// shared memory store lands on main; the counter and rate-limit operations return ErrUnsupported.
type MapStore struct {
	mu   sync.Mutex
	m    map[string]mapEntry
	now  func() time.Time
	Fail error // when set, every operation returns it (a store that is down)
}

type mapEntry struct {
	v   []byte
	exp time.Time
}

// ErrUnsupported is returned by the operations MapStore does not implement.
var ErrUnsupported = errors.New("sectest: operation not supported by MapStore")

// NewMapStore returns an empty store on clock now (time.Now when nil).
func NewMapStore(now func() time.Time) *MapStore {
	if now == nil {
		now = time.Now
	}
	return &MapStore{m: map[string]mapEntry{}, now: now}
}

var _ store.Store = (*MapStore)(nil)

func (s *MapStore) live(k string) (mapEntry, bool) {
	e, ok := s.m[k]
	if ok && !s.now().Before(e.exp) {
		delete(s.m, k)
		return mapEntry{}, false
	}
	return e, ok
}

func (s *MapStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return nil, s.Fail
	}
	e, ok := s.live(key)
	if !ok {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), e.v...), nil
}

func (s *MapStore) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if ttl <= 0 {
		return store.ErrInvalidTTL
	}
	s.m[key] = mapEntry{v: append([]byte(nil), value...), exp: s.now().Add(ttl)}
	return nil
}

func (s *MapStore) SetIfAbsent(_ context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return false, s.Fail
	}
	if ttl <= 0 {
		return false, store.ErrInvalidTTL
	}
	if _, ok := s.live(key); ok {
		return false, nil
	}
	s.m[key] = mapEntry{v: append([]byte(nil), value...), exp: s.now().Add(ttl)}
	return true, nil
}

func (s *MapStore) Delete(_ context.Context, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.m, k)
	}
	return s.Fail
}

func (s *MapStore) CompareAndDelete(_ context.Context, key string, expected []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key)
	if !ok || string(e.v) != string(expected) {
		return false, s.Fail
	}
	delete(s.m, key)
	return true, s.Fail
}

// Reset drops every key.
func (s *MapStore) Reset() {
	s.mu.Lock()
	s.m = map[string]mapEntry{}
	s.mu.Unlock()
}

// Len is the number of live keys.
func (s *MapStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.m {
		if _, ok := s.live(k); ok {
			n++
		}
	}
	return n
}

func (s *MapStore) Incr(context.Context, string, int64, time.Duration) (int64, error) {
	return 0, ErrUnsupported
}

func (s *MapStore) IncrUpTo(context.Context, string, int64, int64, time.Duration) (int64, bool, error) {
	return 0, false, ErrUnsupported
}

func (s *MapStore) HIncr(context.Context, string, string, int64, time.Duration) (int64, error) {
	return 0, ErrUnsupported
}

func (s *MapStore) HGetAll(context.Context, string) (map[string]int64, error) {
	return nil, ErrUnsupported
}

func (s *MapStore) RateLimit(context.Context, string, int64, time.Duration) (store.RateLimitResult, error) {
	return store.RateLimitResult{}, ErrUnsupported
}

func (s *MapStore) Ping(context.Context) error { return s.Fail }
func (s *MapStore) Close() error               { return nil }
