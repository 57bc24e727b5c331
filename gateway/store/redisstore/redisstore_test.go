package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
	"github.com/welfaregov/gateway/gateway/store/storetest"
)

func TestMain(m *testing.M) {
	redistest.Quiet()
	os.Exit(m.Run())
}

// open returns a store on opts with a fresh key prefix, closed at the end of the test.
func open(t testing.TB, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = redistest.Prefix()
	}
	s, err := redisstore.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openShared is open on the shared Redis (REDIS_URL, database 10), deleting its keys at the end.
func openShared(t testing.TB, prefix string) *redisstore.Store {
	t.Helper()
	u := redistest.SharedURL(t)
	redistest.DeleteKeys(t, u, prefix)
	return open(t, redisstore.Options{URL: u, KeyPrefix: prefix})
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openShared(t, redistest.Prefix()) })
}

// TestShared: two clients with separate pools (two gateway replicas) share replay records, rate
// limits, quotas and locks.
func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		prefix := redistest.Prefix()
		return openShared(t, prefix), openShared(t, prefix)
	})
}

func TestCluster(t *testing.T) {
	addrs := redistest.StartCluster(t)
	newStore := func(t *testing.T, prefix string) *redisstore.Store {
		return open(t, redisstore.Options{Addrs: addrs, Cluster: true, KeyPrefix: prefix})
	}
	t.Run("contract", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, redistest.Prefix()) })
	})
	t.Run("shared", func(t *testing.T) {
		storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
			prefix := redistest.Prefix()
			return newStore(t, prefix), newStore(t, prefix)
		})
	})
	t.Run("delete-across-slots", func(t *testing.T) {
		s := newStore(t, redistest.Prefix())
		ctx := t.Context()
		keys := make([]string, 20) // 20 keys land on all three masters
		for i := range keys {
			keys[i] = fmt.Sprint("k", i)
			if err := s.Set(ctx, keys[i], []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, keys...); err != nil {
			t.Fatalf("Delete of keys in different slots: %v", err)
		}
		for _, k := range keys {
			if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s survived Delete: %v", k, err)
			}
		}
	})
}

func TestSentinel(t *testing.T) {
	sentinel := redistest.StartSentinel(t, "wgwmaster")
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, redisstore.Options{Addrs: []string{sentinel}, MasterName: "wgwmaster", DB: 3})
	})
}

// TestRedisDownAtStartAndRecovery: a store built while nothing listens is usable at once (its calls
// fail with store errors, Ping reports the outage), starts working when Redis comes up, fails again
// while Redis is stopped and recovers after a restart that also lost the Lua scripts.
func TestRedisDownAtStartAndRecovery(t *testing.T) {
	srv := redistest.NewServer(t)
	s := open(t, redisstore.Options{URL: "redis://" + srv.Addr() + "/0", DialTimeout: 200 * time.Millisecond})
	ctx := t.Context()

	down := func(when string) {
		t.Helper()
		if err := s.Ping(ctx); err == nil || !strings.HasPrefix(err.Error(), "store: redis ping: ") {
			t.Fatalf("%s: Ping = %v, want a store: redis ping error", when, err)
		}
		_, err := s.RateLimit(ctx, "client", 10, time.Minute)
		if err == nil || !strings.HasPrefix(err.Error(), "store: redis rate limit: ") {
			t.Fatalf("%s: RateLimit = %v, want a store: redis rate limit error", when, err)
		}
	}
	up := func(when string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for s.Ping(ctx) != nil { // go-redis probes a failing address once a second
			if time.Now().After(deadline) {
				t.Fatalf("%s: store did not recover within 10s: %v", when, s.Ping(ctx))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if res, err := s.RateLimit(ctx, "client", 10, time.Minute); err != nil || !res.Allowed {
			t.Fatalf("%s: RateLimit = %+v, %v", when, res, err)
		}
		if ok, err := s.SetIfAbsent(ctx, "jti-"+when, []byte("x"), time.Minute); err != nil || !ok {
			t.Fatalf("%s: SetIfAbsent = %v, %v", when, ok, err)
		}
	}

	down("nothing listening at start")
	srv.Start()
	up("after Redis came up")
	srv.Stop()
	down("Redis stopped")
	srv.Start() // a new process: scripts must be sent again (EVALSHA -> NOSCRIPT -> EVAL)
	up("after Redis restarted")
}

// TestKeyPrefix: keys live under the prefix, and stores with different prefixes do not see each
// other.
func TestKeyPrefix(t *testing.T) {
	prefix := redistest.Prefix()
	s := openShared(t, prefix)
	other := openShared(t, redistest.Prefix())
	ctx := t.Context()
	if err := s.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Client().Get(ctx, prefix+"k").Result(); err != nil || v != "v" {
		t.Fatalf("raw GET %sk = %q, %v", prefix, v, err)
	}
	if _, err := other.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a store with another prefix sees the key: %v", err)
	}
	ttl, err := s.Client().PTTL(ctx, prefix+"k").Result()
	if err != nil || ttl <= 50*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL = %v, %v; want about a minute", ttl, err)
	}
}

// TestRateLimitStoresTATWithExpiry checks the script's state directly: a decimal microsecond TAT
// (no exponent notation) whose PTTL ends when the limiter is back to a full burst.
func TestRateLimitStoresTATWithExpiry(t *testing.T) {
	prefix := redistest.Prefix()
	s := openShared(t, prefix)
	ctx := t.Context()
	for range 3 {
		if _, err := s.RateLimit(ctx, "client", 10, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := s.Client().Get(ctx, prefix+"client").Result()
	if err != nil || strings.ContainsAny(raw, "e.+") || len(raw) < 16 {
		t.Fatalf("TAT %q, %v: want a decimal count of microseconds", raw, err)
	}
	if pttl, err := s.Client().PTTL(ctx, prefix+"client").Result(); err != nil || pttl <= 2*time.Second || pttl > 3*time.Second {
		t.Fatalf("PTTL %v, %v: want about 3s (three intervals of 1s)", pttl, err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]redisstore.Options{
		"fail/url-and-addrs":       {URL: "redis://127.0.0.1:6379", Addrs: []string{"127.0.0.1:6379"}},
		"fail/nothing":             {},
		"fail/url-scheme":          {URL: "http://127.0.0.1:6379"},
		"fail/url-with-sentinel":   {URL: "redis://127.0.0.1:6379", MasterName: "m"},
		"fail/sentinel-cluster":    {Addrs: []string{"127.0.0.1:26379"}, MasterName: "m", Cluster: true},
		"fail/cluster-db":          {Addrs: []string{"127.0.0.1:7000"}, Cluster: true, DB: 2},
		"fail/several-addrs":       {Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}},
		"fail/addr-without-port":   {Addrs: []string{"127.0.0.1"}},
		"fail/url-bad-db":          {URL: "redis://127.0.0.1:6379/notanumber"},
		"fail/url-bad-port-secret": {URL: "redis://user:hunter2-secret@127.0.0.1:port/0"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := redisstore.New(opts)
			if err == nil {
				_ = s.Close()
				t.Fatalf("New(%+v) succeeded", opts)
			}
			if !strings.HasPrefix(err.Error(), "store: redis") || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q: want a store: redis prefix and no password", err)
			}
		})
	}
}

// TestPasswordNeverInErrors runs a throwaway Redis that requires a password: the right one works,
// and the error for a wrong one names the failure without repeating it.
func TestPasswordNeverInErrors(t *testing.T) {
	const password = "correct-horse-battery"
	srv := redistest.NewServer(t, "--requirepass", password)
	srv.Start()
	good := open(t, redisstore.Options{URL: "redis://" + srv.Addr() + "/0", Password: password})
	if err := good.Ping(t.Context()); err != nil {
		t.Fatalf("Ping with the right password: %v", err)
	}
	for name, opts := range map[string]redisstore.Options{
		"option": {URL: "redis://" + srv.Addr() + "/0", Password: "wrong-" + password},
		"url":    {URL: "redis://:wrong-" + password + "@" + srv.Addr() + "/0"},
		"addrs":  {Addrs: []string{srv.Addr()}, Password: "wrong-" + password},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t, opts)
			err := s.Ping(t.Context())
			if err == nil || strings.Contains(err.Error(), password) {
				t.Fatalf("Ping with a wrong password: %v; want an error without the password", err)
			}
			var rerr redis.Error
			if !errors.As(err, &rerr) || !strings.Contains(rerr.Error(), "WRONGPASS") {
				t.Fatalf("the go-redis error is not reachable with errors.As: %v", err)
			}
		})
	}
}

// TestContextDeadlineDuringCall: a deadline that passes while Redis is busy ends the call with the
// context's error instead of waiting for the read timeout.
func TestContextDeadlineDuringCall(t *testing.T) {
	srv := redistest.NewServer(t)
	srv.Start()
	s := open(t, redisstore.Options{URL: "redis://" + srv.Addr() + "/0", ReadTimeout: 10 * time.Second})
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer admin.Close()
	// Redis holds every other client's commands for 2s; without deadline handling Get would wait
	// and then answer ErrNotFound.
	if err := admin.Do(ctx, "CLIENT", "PAUSE", "2000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := s.Get(short, "k")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "store: redis get: ") {
		t.Fatalf("Get past its deadline: %v, want a store error wrapping context.DeadlineExceeded", err)
	}
}
