package sectest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/store"
)

// RedisDB is the Redis database index the security tests use.
const RedisDB = 11

// RedisStore is a store.Store over a real Redis holding the operations replay checks use, one
// round trip each (SET NX PX for SetIfAbsent). It stands in until the shared Redis store lands on
// main; the counter and rate-limit operations return ErrUnsupported. Every key gets Prefix, so
// concurrent test runs do not meet, and Cleanup deletes them.
type RedisStore struct {
	c      *redis.Client
	Prefix string
}

var _ store.Store = (*RedisStore)(nil)

// NewRedisPair connects two independent clients (two gateway replicas) to the Redis at REDIS_URL
// (default redis://127.0.0.1:6379), database RedisDB, sharing one random key prefix. The test
// fails when no Redis answers: the replay guarantees are about a real shared store.
func NewRedisPair(t testing.TB) (*RedisStore, *RedisStore) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q: %v", url, err)
	}
	opt.DB = RedisDB
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "sectest:" + hex.EncodeToString(b[:]) + ":"
	a := &RedisStore{c: redis.NewClient(opt), Prefix: prefix}
	c := &RedisStore{c: redis.NewClient(opt), Prefix: prefix}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := a.c.Ping(ctx).Err(); err != nil {
		t.Fatalf("no Redis answers at %s (the replay tests need one, see README): %v", url, err)
	}
	t.Cleanup(func() {
		keys, _ := a.c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			a.c.Del(context.Background(), keys...)
		}
		_ = a.Close()
		_ = c.Close()
	})
	return a, c
}

func (s *RedisStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.c.Get(ctx, s.Prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	return v, err
}

func (s *RedisStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return store.ErrInvalidTTL
	}
	return s.c.Set(ctx, s.Prefix+key, value, ttl).Err()
}

func (s *RedisStore) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, store.ErrInvalidTTL
	}
	err := s.c.SetArgs(ctx, s.Prefix+key, value, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

func (s *RedisStore) Delete(ctx context.Context, keys ...string) error {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.Prefix + k
	}
	return s.c.Del(ctx, full...).Err()
}

// TTL reports the remaining time to live of key.
func (s *RedisStore) TTL(ctx context.Context, key string) (time.Duration, error) {
	return s.c.PTTL(ctx, s.Prefix+key).Result()
}

func (s *RedisStore) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	return false, ErrUnsupported
}

func (s *RedisStore) Incr(context.Context, string, int64, time.Duration) (int64, error) {
	return 0, ErrUnsupported
}

func (s *RedisStore) IncrUpTo(context.Context, string, int64, int64, time.Duration) (int64, bool, error) {
	return 0, false, ErrUnsupported
}

func (s *RedisStore) HIncr(context.Context, string, string, int64, time.Duration) (int64, error) {
	return 0, ErrUnsupported
}

func (s *RedisStore) HGetAll(context.Context, string) (map[string]int64, error) {
	return nil, ErrUnsupported
}

func (s *RedisStore) RateLimit(context.Context, string, int64, time.Duration) (store.RateLimitResult, error) {
	return store.RateLimitResult{}, ErrUnsupported
}

func (s *RedisStore) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }
func (s *RedisStore) Close() error                   { return s.c.Close() }
