package cache

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// A hit in the in-process tier against the floor of any cache: a mutex-guarded map lookup of the
// same key. The hit pays the shard choice, the clock read and the LRU update; it allocates nothing.
func BenchmarkLocalHit(b *testing.B) {
	c, _ := newMemoryCache(b, nil)
	payload := make([]byte, 2048)
	keys := make([]Key, 1024)
	plain := make(map[Key][]byte, len(keys))
	for i := range keys {
		keys[i] = Key{Kind: "test_kind", Subject: fmt.Sprintf("RSSMRA80A01H%04d", i)}
		plain[keys[i]] = payload
		if _, err := c.Get(context.Background(), keys[i], func(context.Context) (Value, error) { return Value{Data: payload}, nil }); err != nil {
			b.Fatal(err)
		}
	}
	var mu sync.Mutex
	ctx := context.Background()
	benchcmp.Compare(b, func(b *testing.B) {
		i := 0
		for b.Loop() {
			mu.Lock()
			v := plain[keys[i&1023]]
			mu.Unlock()
			if len(v) == 0 {
				b.Fatal("miss")
			}
			i++
		}
	}, func(b *testing.B) {
		i := 0
		for b.Loop() {
			r, err := c.Get(ctx, keys[i&1023], nil)
			if err != nil || len(r.Data) == 0 {
				b.Fatal(r, err)
			}
			i++
		}
	}, 0)
}
