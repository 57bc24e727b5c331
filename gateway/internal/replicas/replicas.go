// Package replicas gives the upstream runtime's tests (quota, cache, upstream) what two gateway
// replicas share: two store clients with their own connections on the real Redis at REDIS_URL
// (database DB, one random key prefix per test, deleted at the end).
package replicas

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// DB is the database index of the runtime's tests on the shared Redis.
const DB = 12

// Pair is two replicas' stores and a raw client on the same keys.
type Pair struct {
	A, B *redisstore.Store
	// Raw reads what the replicas wrote, prefix included (Prefix), for assertions on keys and values.
	Raw    *redis.Client
	Prefix string
}

// Redis returns a Pair on REDIS_URL (default redis://127.0.0.1:6379), database DB. The test fails,
// never skips, when no Redis answers: what replicas share must be tested on what they share.
func Redis(t testing.TB) Pair {
	t.Helper()
	url, prefix := redistest.Shared(t, DB)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{Prefix: prefix, A: redistest.Store(t, url, prefix), B: redistest.Store(t, url, prefix), Raw: redis.NewClient(opt)}
	t.Cleanup(func() { _ = p.Raw.Close() })
	return p
}

// Keys lists every key under the pair's prefix (prefix included).
func (p Pair) Keys(t testing.TB) []string {
	t.Helper()
	var keys []string
	iter := p.Raw.Scan(context.Background(), 0, p.Prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scanning %s*: %v", p.Prefix, err)
	}
	return keys
}
