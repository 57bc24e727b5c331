package replay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
)

// replicas runs f against two stores that are two replicas' views of the same shared state: the
// map store (one process) and two independent clients of a real Redis.
func replicas(t *testing.T, f func(t *testing.T, a, b store.Store, clock *sectest.Clock)) {
	t.Run("memory", func(t *testing.T) {
		clock := sectest.NewClock(sectest.Epoch)
		s := sectest.NewMapStore(clock.Now)
		f(t, s, s, clock)
	})
	t.Run("redis", func(t *testing.T) {
		a, b := sectest.NewRedisPair(t)
		f(t, a, b, sectest.NewClock(time.Now()))
	})
}

func TestOnceAcrossReplicas(t *testing.T) {
	replicas(t, func(t *testing.T, a, b store.Store, clock *sectest.Clock) {
		ctx := context.Background()
		ga, gb := replay.Guard{Store: a}, replay.Guard{Store: b}
		now := clock.Now()
		until := now.Add(65 * time.Second)
		if err := ga.Once(ctx, secerr.Integrity, "siuss", "jti-1", until, now); err != nil {
			t.Fatal(err)
		}
		sectest.WantCode(t, gb.Once(ctx, secerr.Integrity, "siuss", "jti-1", until, now), "integrity.replay")
		if err := gb.Once(ctx, secerr.Integrity, "isee", "jti-1", until, now); err != nil {
			t.Fatalf("another e-service's scope: %v", err)
		}
		if err := gb.Once(ctx, secerr.DPoP, "siuss", "jti-1", until, now); err != nil {
			t.Fatalf("another kind: %v", err)
		}
		if r, ok := b.(*sectest.RedisStore); ok {
			ttl, err := r.TTL(ctx, replay.Key(secerr.Integrity, "siuss", "jti-1"))
			if err != nil || ttl <= 60*time.Second || ttl > 65*time.Second {
				t.Fatalf("the record lives until exp+skew: %v %v", ttl, err)
			}
		}
	})
}

func TestBoundAcrossReplicas(t *testing.T) {
	replicas(t, func(t *testing.T, a, b store.Store, clock *sectest.Clock) {
		ctx := context.Background()
		ga, gb := replay.Guard{Store: a}, replay.Guard{Store: b}
		now := clock.Now()
		until := now.Add(10 * time.Minute)
		callerA, callerB := []byte("pdnd:client-a:purpose"), []byte("pdnd:client-b:purpose")
		if err := ga.Bound(ctx, secerr.Audit, "siuss", "ev-1", callerA, until, now); err != nil {
			t.Fatal(err)
		}
		if err := gb.Bound(ctx, secerr.Audit, "siuss", "ev-1", callerA, until, now); err != nil {
			t.Fatalf("the same caller on another replica: %v", err)
		}
		e := sectest.WantCode(t, gb.Bound(ctx, secerr.Audit, "siuss", "ev-1", callerB, until, now), "audit.replay")
		if !strings.Contains(e.Detail, "already used with another voucher") {
			t.Fatal(e.Detail)
		}
	})
}

func TestRecordsExpire(t *testing.T) {
	clock := sectest.NewClock(sectest.Epoch)
	g := replay.Guard{Store: sectest.NewMapStore(clock.Now)}
	ctx := context.Background()
	now := clock.Now()
	if err := g.Once(ctx, secerr.IDAuth, "x", "j", now.Add(10*time.Second), now); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Second)
	if err := g.Once(ctx, secerr.IDAuth, "x", "j", clock.Now().Add(10*time.Second), clock.Now()); err != nil {
		t.Fatalf("after its token could no longer be accepted the record is gone: %v", err)
	}
	// An already-expired token still gets a record (the minimum ttl), never a zero ttl.
	if err := g.Once(ctx, secerr.IDAuth, "x", "k", clock.Now().Add(-time.Hour), clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestStoreDown(t *testing.T) {
	s := sectest.NewMapStore(nil)
	s.Fail = errors.New("connection refused")
	g := replay.Guard{Store: s}
	now := time.Now()
	e := sectest.WantCode(t, g.Once(context.Background(), secerr.Integrity, "x", "j", now.Add(time.Minute), now), "integrity.replay_unavailable")
	if e.Status() != 503 || !errors.Is(e, s.Fail) {
		t.Fatalf("%+v", e)
	}
	sectest.WantCode(t, g.Bound(context.Background(), secerr.Audit, "x", "j", []byte("c"), now.Add(time.Minute), now), "audit.replay_unavailable")
}

func TestKey(t *testing.T) {
	if k := replay.Key(secerr.Integrity, "siuss", "7f3c2a10-0000-4000-8000-000000000001"); k != "replay:integrity:siuss:7f3c2a10-0000-4000-8000-000000000001" {
		t.Fatal(k)
	}
	k := replay.Key(secerr.Integrity, "siuss", strings.Repeat("x", 500)+" \n*")
	if !strings.HasPrefix(k, "replay:integrity:siuss:h.") || len(k) > 80 {
		t.Fatal(k)
	}
}
