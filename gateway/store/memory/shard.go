package memory

import (
	"container/heap"
	"strconv"
	"sync"
	"unsafe"
)

// entry is one key. Exactly one of value/num (a string, numeric when it was last written as a
// counter) or hash (a hash of counters) is in use.
type entry struct {
	key     string
	value   []byte
	num     int64
	numeric bool
	hash    map[string]int64
	expires int64 // on the store's clock (ns); the entry is absent from that instant on
	index   int   // position in the shard's expiry heap
}

// counter reads the entry as a counter: ErrWrongType for a hash or for text that is not a decimal
// int64 (what Redis INCRBY refuses).
func (e *entry) counter(op string) (int64, error) {
	switch {
	case e.hash != nil:
		return 0, wrongType(op)
	case e.numeric:
		return e.num, nil
	}
	n, err := strconv.ParseInt(string(e.value), 10, 64)
	if err != nil || e.value[0] == '+' {
		return 0, wrongType(op) // ParseInt, unlike Redis, accepts a leading '+'
	}
	return n, nil
}

// shard is one independently locked partition: a map for lookup and a min-heap on expiry, whose top
// is both the next entry to expire and the eviction victim.
type shard struct {
	shardState
	_ [128 - unsafe.Sizeof(shardState{})%128]byte // neighbouring shards' locks on separate cache lines
}

type shardState struct {
	mu       sync.Mutex
	items    map[string]*entry
	byExpiry expiryHeap
	max      int
	stats    *Store
}

// lookup returns the live entry under key, removing it if it has expired (lazy expiry).
func (sh *shard) lookup(key string, now int64) *entry {
	e := sh.items[key]
	if e != nil && e.expires <= now {
		sh.remove(e)
		sh.stats.expired.Add(1)
		return nil
	}
	return e
}

// insert adds a new entry, first evicting the soonest-expiring one if the shard is full.
func (sh *shard) insert(e *entry, now, expires int64) {
	if len(sh.items) >= sh.max {
		victim := sh.byExpiry[0]
		sh.remove(victim)
		if victim.expires <= now {
			sh.stats.expired.Add(1)
		} else {
			sh.stats.evictions.Add(1)
		}
	}
	e.expires = expires
	sh.items[e.key] = e
	heap.Push(&sh.byExpiry, e)
}

func (sh *shard) setExpiry(e *entry, expires int64) {
	e.expires = expires
	heap.Fix(&sh.byExpiry, e.index)
}

func (sh *shard) remove(e *entry) {
	delete(sh.items, e.key)
	heap.Remove(&sh.byExpiry, e.index)
}

// sweep removes expired entries in batches, releasing the lock between batches.
func (sh *shard) sweep(clock func() int64) {
	for {
		sh.mu.Lock()
		now, n := clock(), 0
		for n < sweepBatch && len(sh.byExpiry) > 0 && sh.byExpiry[0].expires <= now {
			sh.remove(sh.byExpiry[0])
			n++
		}
		more := n == sweepBatch
		sh.mu.Unlock()
		sh.stats.expired.Add(uint64(n))
		if !more {
			return
		}
	}
}

// expiryHeap orders entries by expiry (container/heap.Interface).
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
