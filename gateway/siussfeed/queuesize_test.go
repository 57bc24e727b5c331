package siussfeed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
)

// TestQueueCounter: the operator queues' sizes, counted incrementally on the memory store and the
// real Redis, including past one LogRange page, with the time of the newest entry.
func TestQueueCounter(t *testing.T) {
	stores(t, func(t *testing.T, newPair func(testing.TB) (store.Store, store.Store)) {
		a, b := newPair(t)
		now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { now = now.Add(time.Millisecond); return now }
		f := newFeed(t, a, clock)
		q := siussfeed.NewQueueCounter(newFeed(t, b, clock))
		ctx := context.Background()
		sizes := func() map[string]siussfeed.QueueSize {
			t.Helper()
			got, err := q.Sizes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]siussfeed.QueueSize{}
			for _, s := range got {
				m[s.Ente+"/"+s.Queue] = s
			}
			return m
		}
		if s := sizes(); len(s) != 4 || s["L378/scarti"].Entries != 0 || !s["L378/scarti"].Last.IsZero() {
			t.Fatalf("empty queues: %+v", s)
		}
		for range store.MaxLogRange + 5 {
			if err := f.Reject(ctx, "L378", siussfeed.Scarto{}, errors.New("a flow that does not validate")); err != nil {
				t.Fatal(err)
			}
		}
		s := sizes()
		if s["L378/scarti"].Entries != store.MaxLogRange+5 || s["H612/scarti"].Entries != 0 {
			t.Fatalf("after %d refusals: %+v", store.MaxLogRange+5, s)
		}
		if last := s["L378/scarti"].Last; !last.Equal(now.Truncate(time.Millisecond)) {
			t.Errorf("newest entry at %s, want %s", last, now)
		}
		if err := f.Reject(ctx, "H612", siussfeed.Scarto{}, errors.New("again")); err != nil {
			t.Fatal(err)
		}
		if s := sizes(); s["L378/scarti"].Entries != store.MaxLogRange+5 || s["H612/scarti"].Entries != 1 {
			t.Fatalf("counted again: %+v", s)
		}
	})
}
