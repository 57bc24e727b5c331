package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/welfaregov/gateway/gateway/benchcmp"
)

// parallelism of the benchmarks: e-service calls are concurrent, and that is what group commit
// batches.
const benchParallelism = 16

// BenchmarkAppend compares Logger.Append with group commit (every call waits for an fsync shared with
// concurrent callers) against the cheapest way to put the same JSON line in a file: a mutex around a
// bufio.Writer, no chain, no sync, nothing durable when the call returns. The ratio is the price of
// the durability and tamper evidence, under parallel load.
func BenchmarkAppend(b *testing.B) {
	benchcmp.Compare(b, plainBufferedWrite, func(b *testing.B) { parallelAppend(b, FsyncBatch) }, 0)
}

// BenchmarkAppendNoSync is Append with fsync: never against the same baseline: the cost of the chain,
// the pseudonyms and one write(2) per batch.
func BenchmarkAppendNoSync(b *testing.B) {
	benchcmp.Compare(b, plainBufferedWrite, func(b *testing.B) { parallelAppend(b, FsyncNever) }, 0)
}

func plainBufferedWrite(b *testing.B) {
	rec := call(1)
	f, err := os.Create(filepath.Join(b.TempDir(), "plain.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	var mu sync.Mutex
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			line, _ := json.Marshal(rec)
			mu.Lock()
			_, _ = w.Write(append(line, '\n'))
			mu.Unlock()
		}
	})
	_ = w.Flush()
}

func parallelAppend(b *testing.B, policy FsyncPolicy) {
	rec := call(1)
	l := openLogger(b, b.TempDir(), FileOptions{Fsync: policy})
	defer l.Close()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(context.Background(), rec); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
