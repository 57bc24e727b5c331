package replay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// replicas runs f against two replicas' views of the shared state: one memory store (replicas in
// one process) and two independent clients of a real Redis.
func replicas(t *testing.T, f func(t *testing.T, a, b store.Store)) {
	t.Run("memory", func(t *testing.T) {
		s := sectest.NewMemory(t)
		f(t, s, s)
	})
	t.Run("redis", func(t *testing.T) {
		a, b := sectest.NewRedisPair(t)
		f(t, a, b)
	})
}

func TestOnceAcrossReplicas(t *testing.T) {
	replicas(t, func(t *testing.T, a, b store.Store) {
		ctx := context.Background()
		ga, gb := replay.Guard{Store: a}, replay.Guard{Store: b}
		now := time.Now()
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
		if r, ok := b.(*redisstore.Store); ok {
			keys, err := r.Client().Keys(ctx, "*"+replay.Key(secerr.Integrity, "siuss", "jti-1")).Result()
			if err != nil || len(keys) != 1 {
				t.Fatalf("keys %v %v", keys, err)
			}
			ttl, err := r.Client().PTTL(ctx, keys[0]).Result()
			if err != nil || ttl <= 60*time.Second || ttl > 65*time.Second {
				t.Fatalf("the record lives until exp+skew: %v %v", ttl, err)
			}
		}
	})
}

func TestBoundAcrossReplicas(t *testing.T) {
	replicas(t, func(t *testing.T, a, b store.Store) {
		ctx := context.Background()
		ga, gb := replay.Guard{Store: a}, replay.Guard{Store: b}
		now := time.Now()
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

// TestRecordsExpire: a record lives until its token could no longer be accepted, then goes.
func TestRecordsExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := memory.New(memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		g := replay.Guard{Store: s}
		ctx := context.Background()
		now := time.Now()
		if err := g.Once(ctx, secerr.IDAuth, "x", "j", now.Add(10*time.Second), now); err != nil {
			t.Fatal(err)
		}
		time.Sleep(9 * time.Second)
		sectest.WantCode(t, g.Once(ctx, secerr.IDAuth, "x", "j", time.Now().Add(10*time.Second), time.Now()), "idauth.replay")
		time.Sleep(2 * time.Second)
		if err := g.Once(ctx, secerr.IDAuth, "x", "j", time.Now().Add(10*time.Second), time.Now()); err != nil {
			t.Fatalf("after its token could no longer be accepted the record is gone: %v", err)
		}
		// An already-expired token still gets a record (the minimum ttl), never a zero ttl.
		if err := g.Once(ctx, secerr.IDAuth, "x", "k", time.Now().Add(-time.Hour), time.Now()); err != nil {
			t.Fatal(err)
		}
		sectest.WantCode(t, g.Once(ctx, secerr.IDAuth, "x", "k", time.Now().Add(-time.Hour), time.Now()), "idauth.replay")
	})
}

func TestStoreDown(t *testing.T) {
	s := sectest.NewFaultStore(sectest.NewMemory(t))
	down := errors.New("connection refused")
	s.SetDown(down)
	g := replay.Guard{Store: s}
	now := time.Now()
	e := sectest.WantCode(t, g.Once(context.Background(), secerr.Integrity, "x", "j", now.Add(time.Minute), now), "integrity.replay_unavailable")
	if e.Status() != 503 || !errors.Is(e, down) {
		t.Fatalf("%+v", e)
	}
	sectest.WantCode(t, g.Bound(context.Background(), secerr.Audit, "x", "j", []byte("c"), now.Add(time.Minute), now), "audit.replay_unavailable")
	// A closed store (ErrClosed) is down too.
	closed, _ := memory.New(memory.Options{})
	_ = closed.Close()
	sectest.WantCode(t, replay.Guard{Store: closed}.Once(context.Background(), secerr.DPoP, "x", "j", now.Add(time.Minute), now), "dpop.replay_unavailable")
}

func TestKey(t *testing.T) {
	k := replay.Key(secerr.Integrity, "siuss", "7f3c2a10-0000-4000-8000-000000000001")
	if !strings.HasPrefix(k, "replay:integrity:siuss:") || len(k) != len("replay:integrity:siuss:")+43 {
		t.Fatal(k)
	}
	if replay.Key(secerr.Integrity, "siuss", strings.Repeat("x", 5000)+" \n*") == k || len(replay.Key(secerr.Integrity, "siuss", strings.Repeat("x", 5000))) != len(k) {
		t.Fatal("keys have a fixed length whatever the jti")
	}
}
