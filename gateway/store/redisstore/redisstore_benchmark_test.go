package redisstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// Each Redis benchmark compares one store operation with a bare PING on the same client: the
// round trip every call pays anyway. The ratio is the cost of the script or command itself.

func benchStore(b *testing.B) *redisstore.Store {
	url, prefix := redistest.Shared(b, redistest.DB)
	return open(b, redisstore.Options{URL: url, KeyPrefix: prefix})
}

func ping(s *redisstore.Store) func(*testing.B) {
	return func(b *testing.B) {
		for b.Loop() {
			if err := s.Client().Ping(b.Context()).Err(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRateLimit(b *testing.B) {
	s := benchStore(b)
	benchcmp.Compare(b, ping(s), func(b *testing.B) {
		for b.Loop() {
			if _, err := s.RateLimit(b.Context(), "client", 1_000_000, time.Second); err != nil {
				b.Fatal(err)
			}
		}
	}, 1.5)
}

func BenchmarkSetIfAbsent(b *testing.B) {
	s := benchStore(b)
	i := 0
	benchcmp.Compare(b, ping(s), func(b *testing.B) {
		for b.Loop() {
			i++
			if _, err := s.SetIfAbsent(b.Context(), "jti:"+strconv.Itoa(i), []byte("1"), time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	}, 1.5)
}

func BenchmarkIncrUpTo(b *testing.B) {
	s := benchStore(b)
	benchcmp.Compare(b, ping(s), func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.IncrUpTo(b.Context(), "quota", 1, 1<<50, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	}, 1.5)
}
