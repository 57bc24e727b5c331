package memory_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// benchKeys are distinct keys, prepared so formatting them is not measured.
var benchKeys = func() []string {
	keys := make([]string, 1<<17)
	for i := range keys {
		keys[i] = "jti:" + strconv.Itoa(i)
	}
	return keys
}()

func benchStore(b *testing.B, opts memory.Options) *memory.Store {
	s, err := memory.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkSetIfAbsent: the replay check (a new jti per request, from every CPU) against the
// cheapest concurrent "seen before?" there is, sync.Map.LoadOrStore, which has no expiry and no
// bound. The difference is the price of expiry, the bound and eviction.
func BenchmarkSetIfAbsent(b *testing.B) {
	b.Run("room", func(b *testing.B) { benchSetIfAbsent(b, 2*len(benchKeys)) })
	b.Run("full", func(b *testing.B) { benchSetIfAbsent(b, len(benchKeys)/2) }) // every write evicts
}

func benchSetIfAbsent(b *testing.B, maxEntries int) {
	value := []byte("1")
	benchcmp.Compare(b,
		func(b *testing.B) {
			var m sync.Map
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m.LoadOrStore(benchKeys[next.Add(1)%uint64(len(benchKeys))], value)
				}
			})
		},
		func(b *testing.B) {
			s := benchStore(b, memory.Options{MaxEntries: maxEntries})
			ctx := b.Context()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.SetIfAbsent(ctx, benchKeys[next.Add(1)%uint64(len(benchKeys))], value, 5*time.Minute); err != nil {
						b.Error(err)
					}
				}
			})
		}, 4)
}

// BenchmarkShards: rate limiting many clients from every CPU, one lock (baseline) against the
// default sharding (subject). Run with -cpu 1,2,4... to see the lock become the bottleneck.
func BenchmarkShards(b *testing.B) {
	run := func(opts memory.Options) func(*testing.B) {
		return func(b *testing.B) {
			s := benchStore(b, opts)
			ctx := b.Context()
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.RateLimit(ctx, benchKeys[next.Add(1)%1024], 100, time.Second); err != nil {
						b.Error(err)
					}
				}
			})
		}
	}
	benchcmp.Compare(b, run(memory.Options{Shards: 1}), run(memory.Options{}), 1.1)
}

// BenchmarkIncrUpTo: a quota check on one hot key (the worst case for sharding) against a counter
// under a plain mutex.
func BenchmarkIncrUpTo(b *testing.B) {
	benchcmp.Compare(b,
		func(b *testing.B) {
			var mu sync.Mutex
			n := int64(0)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					if n < 1<<62 {
						n++
					}
					mu.Unlock()
				}
			})
		},
		func(b *testing.B) {
			s := benchStore(b, memory.Options{})
			ctx := b.Context()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.IncrUpTo(ctx, "quota", 1, 1<<62, time.Hour); err != nil {
						b.Error(err)
					}
				}
			})
		}, 0)
}
