package anpr

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIDGeneratorFormat(t *testing.T) {
	at := time.Date(2025, 6, 1, 10, 15, 0, 7_000_000, time.FixedZone("CEST", 2*3600))
	g, err := NewIDGenerator("WGOV01", func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"20250601081500007WGOV0100000", "20250601081500007WGOV0100001", "20250601081500007WGOV0100002"} {
		if got := g.Next(); got != want {
			t.Fatalf("id %d = %q, want %q (UTC millisecond + prefix + sequence)", i, got, want)
		}
	}
	if len(g.Next()) > MaxIDOperazioneClient || !alphanumeric(g.Next()) {
		t.Fatal("ids must be alphanumeric and fit idOperazioneComune's 30 characters")
	}
	for _, bad := range []string{"WGOV-1", "TOOLONGPREFIX", "àè"} {
		if _, err := NewIDGenerator(bad, time.Now); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	if _, err := NewIDGenerator("A", nil); err == nil {
		t.Error("a nil clock was accepted")
	}
}

// TestIDGeneratorIncreasesWhateverTheClock: a stopped clock, a clock going back and more than
// 100 000 ids in one millisecond still give strictly increasing ids (numeric and increasing, as
// ANPR's C001 spec asks, with a digit prefix).
func TestIDGeneratorIncreasesWhateverTheClock(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	g, _ := NewIDGenerator("7", clock)
	prev := g.Next()
	for i := range 250_000 {
		if i == 1000 {
			mu.Lock()
			now = now.Add(-time.Hour) // NTP step back
			mu.Unlock()
		}
		id := g.Next()
		if len(id) != len(prev) || id <= prev {
			t.Fatalf("id %d %q does not follow %q", i, id, prev)
		}
		prev = id
	}
	if strings.Trim(prev, "0123456789") != "" {
		t.Fatalf("a digit prefix must give numeric ids, got %q", prev)
	}
}

func TestIDGeneratorUniqueUnderConcurrency(t *testing.T) {
	g, _ := NewIDGenerator("GW1", time.Now)
	const workers, each = 8, 20_000
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				out[w] = append(out[w], g.Next())
			}
		}()
	}
	wg.Wait()
	seen := make(map[string]bool, workers*each)
	for _, ids := range out {
		for i, id := range ids {
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
			if i > 0 && id <= ids[i-1] {
				t.Fatalf("ids of one goroutine are not increasing: %q after %q", id, ids[i-1])
			}
		}
	}
	// Two replicas with different prefixes never collide, even on the same clock, and a later
	// millisecond on one replica gives a larger id than an earlier one on the other.
	t0 := time.Unix(1_750_000_000, 0)
	a, _ := NewIDGenerator("21", func() time.Time { return t0 })
	b, _ := NewIDGenerator("10", func() time.Time { return t0 })
	c, _ := NewIDGenerator("10", func() time.Time { return t0.Add(time.Millisecond) })
	if ia, ib := a.Next(), b.Next(); ia == ib || c.Next() <= ia {
		t.Fatal("replica ids collide or do not follow the clock")
	}
}
