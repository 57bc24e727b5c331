package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	simtracing "github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// handlerTransport serves requests with a handler in memory: inside a synctest bubble no goroutine
// may wait on the network, or the fake clock could not advance.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	r.Header.Set("X-Organization-Id", tenantA)
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// TestRunSubmitsAfterSubmitAtAndFollowsUntilCompleted runs the scheduler loop on the fake clock of
// testing/synctest: the bubble starts at 2000-01-01 00:00 UTC (01:00 in Rome).
func TestRunSubmitsAfterSubmitAtAndFollowsUntilCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, err := memory.New(memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sim := simtracing.New(simtracing.Options{ProcessDelay: 2 * time.Minute})
		cfg := Config{Enabled: true, BaseURL: "http://tracing.test", Tenants: []TenantConfig{{ID: tenantA, APIClient: "x"}}}
		rep, err := New(cfg, Options{Store: st, HTTP: &http.Client{Transport: handlerTransport{sim.Handler()}},
			Tokens: map[string]TokenSource{tenantA: TokenFunc(func(context.Context) (string, error) { return "v", nil })}})
		if err != nil {
			t.Fatal(err)
		}
		day1 := DayOf(time.Now(), rome)
		if err := rep.Recorder().Count(t.Context(), Call{tenantA, purpose1, token1, 200, time.Now()}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- rep.Run(ctx) }()

		// 02:59 of the next day: nothing uploaded yet.
		time.Sleep(time.Until(day1.Add(1).Start(rome).Add(2*time.Hour + 59*time.Minute)))
		synctest.Wait()
		if n := len(sim.Tracings(tenantA)); n != 0 {
			t.Fatalf("uploaded before submit_at: %d tracings", n)
		}
		// 03:00: the daily run submits.
		time.Sleep(time.Minute)
		synctest.Wait()
		s, _ := loadDay(t.Context(), st, tenantA, day1)
		if s.State != LocalPending || !s.UploadedAt.Equal(day1.Add(1).Start(rome).Add(3*time.Hour)) {
			t.Fatalf("at 03:00: %+v", s)
		}
		// Processing takes 2 minutes; the next poll (5 minutes later) sees COMPLETED.
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if s, _ := loadDay(t.Context(), st, tenantA, day1); s.State != LocalCompleted {
			t.Fatalf("at 03:05: %+v", s)
		}
		// A day later, the next file; the lock is free between runs.
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if s, _ := loadDay(t.Context(), st, tenantA, day1.Add(1)); s.State != LocalCompleted || s.Rows != 0 {
			t.Fatalf("the empty day after: %+v", s)
		}
		if _, err := st.Get(t.Context(), keyLock); err == nil {
			t.Fatal("the lock is held between runs")
		}
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("Run returned %v", err)
		}
	})
}

func TestLeaseIsRenewedAndLostWhenTakenAway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, err := memory.New(memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		l, ok, err := acquire(t.Context(), st, "lock:x", "a", 30*time.Second)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		ctx, stop := l.keep(t.Context())
		// Far beyond the ttl, the holder still has it: renewals every 10s.
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if _, ok, _ := acquire(t.Context(), st, "lock:x", "b", time.Minute); ok || ctx.Err() != nil {
			t.Fatal("the renewed lease was taken, or the holder was stopped")
		}
		// Someone deletes it (an operator, an expiry during a long pause): the holder stops.
		_ = st.Delete(t.Context(), "lock:x")
		if _, ok, _ := acquire(t.Context(), st, "lock:x", "b", time.Minute); !ok {
			t.Fatal("b could not take a free lock")
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if ctx.Err() == nil {
			t.Fatal("the holder did not notice it lost the lock")
		}
		stop()
		// a's release does not free b's lock.
		if err := l.release(t.Context()); err != nil {
			t.Fatal(err)
		}
		if b, _ := st.Get(t.Context(), "lock:x"); string(b) != "b" {
			t.Fatalf("lock holder %q", b)
		}
	})
}
