package cache_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/internal/replicas"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// The outbound path end to end over loopback HTTP, with two replicas sharing the real Redis:
// replica A loads an answer through the upstream runtime; when the upstream then fails, replica B
// serves A's answer STALE with its age; once B's circuit breaker opens, B still serves it STALE
// without calling the upstream; our own bad request is never answered from the cache.
func TestStaleIfErrorThroughTheRuntime(t *testing.T) {
	var calls atomic.Int64
	faults := fault.New(fault.Options{Seed: 1})
	handler := faults.Wrap("anpr.C021", "fake ANPR", fault.Hooks{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"componenti":3}`)
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		handler.ServeHTTP(w, r)
	}))
	defer srv.Close()

	pair := replicas.Redis(t)
	kind := cache.Kind{Name: "anpr_famiglia", TTL: 200 * time.Millisecond, StaleFor: time.Hour, NegativeTTL: time.Minute}
	newReplica := func(st store.Store) (*cache.Cache, *upstream.Upstream, *upstream.Runtime) {
		rt, err := upstream.New(upstream.Config{"anpr": {BaseURL: srv.URL + "/anpr/", Auth: upstream.AuthNone,
			Breaker: resilience.BreakerConfig{ConsecutiveFailures: 2}, Retry: resilience.RetryConfig{MaxAttempts: 1}}},
			upstream.Deps{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rt.Close() })
		c, err := cache.New(cache.Options{Store: st, Key: []byte("0123456789abcdef0123456789abcdef"), Kinds: []cache.Kind{kind}})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := rt.Upstream("anpr")
		return c, u, rt
	}
	ca, ua, _ := newReplica(pair.A)
	cb, ub, rtb := newReplica(pair.B)

	op := &adapter.Operation{Name: "C021", Idempotent: true}
	// load is what the internal API does: call the adapter (here, the Transport directly) and
	// serialise; a non-2xx answer becomes the adapter's classified error.
	load := func(u *upstream.Upstream, query string) func(ctx context.Context) (cache.Value, error) {
		return func(ctx context.Context) (cache.Value, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/anpr/C021"+query, strings.NewReader("{}"))
			resp, err := u.Do(adapter.WithOperation(ctx, op), req)
			if err != nil {
				return cache.Value{}, err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if err := adapter.CheckStatus(resp.StatusCode, resp.Header, body); err != nil {
				return cache.Value{}, err
			}
			return cache.Value{Data: body}, nil
		}
	}
	ctx := context.Background()
	key := cache.Key{Kind: "anpr_famiglia", Subject: "RSSMRA80A01H501U"}
	r, err := ca.Get(ctx, key, load(ua, ""))
	if err != nil || r.State != contracts.CacheMiss || string(r.Data) != `{"componenti":3}` {
		t.Fatalf("replica A: %+v %v", r, err)
	}

	if err := faults.Set("anpr.C021", fault.Spec{ErrorRate: 1, ErrorStatus: 503}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond) // past the kind's 200ms freshness
	for i := range 2 {
		r, err := cb.Get(ctx, key, load(ub, ""))
		if err != nil || r.State != contracts.CacheStale || string(r.Data) != `{"componenti":3}` || r.Age < 250*time.Millisecond {
			t.Fatalf("replica B, upstream failing (%d): %+v %v", i, r, err)
		}
		var p contracts.Provenienza
		r.Apply(&p)
		if p.Cache != contracts.CacheStale || p.DataOraAcquisizione.IsZero() {
			t.Fatalf("provenienza %+v", p)
		}
	}
	if st := rtb.Breaker("anpr.C021").Status(); st.State != "open" {
		t.Fatalf("breaker %+v, want open after 2 failures", st)
	}
	before := calls.Load()
	r, err = cb.Get(ctx, key, load(ub, ""))
	if err != nil || r.State != contracts.CacheStale || calls.Load() != before {
		t.Fatalf("breaker open: %+v %v, upstream calls %d→%d; want STALE without a call", r, err, before, calls.Load())
	}

	// Our own mistake is not the upstream's: no stale answer hides it.
	if err := faults.Clear("anpr.C021"); err != nil {
		t.Fatal(err)
	}
	_, err = ca.Get(ctx, cache.Key{Kind: "anpr_famiglia", Subject: "RSSMRA80A01H501U", Variant: "bad"}, load(ua, "?bad=1"))
	var se *adapter.StatusError
	if !errors.As(err, &se) || se.Status != 400 {
		t.Fatalf("bad request: %v", err)
	}
}
