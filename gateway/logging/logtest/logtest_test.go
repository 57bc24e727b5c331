package logtest

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
)

// TestBufferTakesConcurrentLinesWhole: lines logged from many goroutines come back whole and parsed.
func TestBufferTakesConcurrentLinesWhole(t *testing.T) {
	var b Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { log.Info("line", "n", fmt.Sprint(i)) })
	}
	wg.Wait()
	seen := map[any]bool{}
	for _, l := range b.Lines(t) {
		seen[l["n"]] = true
	}
	if len(seen) != 20 {
		t.Fatalf("%d distinct lines parsed, want 20:\n%s", len(seen), b.String())
	}
}
