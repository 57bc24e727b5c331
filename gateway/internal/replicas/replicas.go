// Package replicas gives the upstream runtime's tests (quota, cache, upstream) what two gateway
// replicas share: two store clients with their own connections on the real Redis at REDIS_URL
// (database DB, one random key prefix per test, deleted at the end).
package replicas

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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
	raw := os.Getenv("REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("REDIS_URL is not a URL: %v", err)
	}
	u.Path = "/" + strconv.Itoa(DB)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := Pair{Prefix: "wgwrt:" + hex.EncodeToString(b[:]) + ":", Raw: redis.NewClient(opt)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.Raw.Ping(ctx).Err(); err != nil {
		t.Fatalf("no Redis answers at %s (%v): these tests need a real Redis; start redis-server or set REDIS_URL", u.Redacted(), err)
	}
	p.A = redisstore.NewFromClient(redis.NewClient(opt), p.Prefix)
	p.B = redisstore.NewFromClient(redis.NewClient(opt), p.Prefix)
	t.Cleanup(func() {
		if keys := p.Keys(t); len(keys) > 0 {
			p.Raw.Del(context.Background(), keys...)
		}
		_ = p.A.Close()
		_ = p.B.Close()
		_ = p.Raw.Close()
	})
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
