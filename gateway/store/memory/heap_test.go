package memory

import (
	"math/rand/v2"
	"testing"
)

// TestExpiryHeap drives the hand-written 4-ary heap with random pushes, removals and expiry
// changes, checking after each step the heap order, each entry's slot index and the cached expiry.
func TestExpiryHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h expiryHeap
	var live []*entry
	check := func(step int) {
		t.Helper()
		if len(h) != len(live) {
			t.Fatalf("step %d: heap holds %d, want %d", step, len(h), len(live))
		}
		for i, s := range h {
			if s.e.index != i || s.expires != s.e.expires {
				t.Fatalf("step %d: slot %d holds index %d, expiry %d/%d", step, i, s.e.index, s.expires, s.e.expires)
			}
			if i > 0 && h[(i-1)/arity].expires > s.expires {
				t.Fatalf("step %d: slot %d is earlier than its parent", step, i)
			}
		}
	}
	for step := range 20_000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(live) == 0:
			e := &entry{expires: rng.Int64N(1000)}
			h.push(e)
			live = append(live, e)
		case op < 7: // pop the minimum, as eviction does
			top := h[0].e
			for _, e := range live {
				if e.expires < top.expires {
					t.Fatalf("step %d: top %d is not the minimum (%d is live)", step, top.expires, e.expires)
				}
			}
			h.remove(0)
			live = remove(live, top)
		case op < 9: // remove an arbitrary entry
			e := live[rng.IntN(len(live))]
			h.remove(e.index)
			live = remove(live, e)
		default: // change an expiry, as Set does
			e := live[rng.IntN(len(live))]
			e.expires = rng.Int64N(1000)
			h.fix(e.index)
		}
		check(step)
	}
}

func remove(s []*entry, e *entry) []*entry {
	for i, x := range s {
		if x == e {
			return append(s[:i], s[i+1:]...)
		}
	}
	panic("not live")
}
