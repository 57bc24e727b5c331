package memory

import (
	"strconv"
	"sync"
	"unsafe"
)

// entry is one key. Exactly one of value/num (a string, numeric when it was last written as a
// counter), hash (a hash of counters) or log (an append-only log, which never expires) is in use.
type entry struct {
	key     string
	value   []byte
	num     int64
	numeric bool
	hash    map[string]int64
	log     *appendLog
	expires int64 // on the store's clock (ns); the entry is absent from that instant on
	index   int   // position in the shard's expiry heap
}

// counter reads the entry as a counter: ErrWrongType for a hash or for text that is not a decimal
// int64 (what Redis INCRBY refuses).
func (e *entry) counter(op string) (int64, error) {
	switch {
	case e.hash != nil, e.log != nil:
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

// insert adds a new entry, first evicting the soonest-expiring one if the shard is full. Logs are
// never evicted: they expire never, so they are the last candidates, and a shard holding nothing
// else grows past its bound rather than lose one.
func (sh *shard) insert(e *entry, now, expires int64) {
	if len(sh.items) >= sh.max && sh.byExpiry[0].e.log == nil {
		victim := sh.byExpiry[0].e
		sh.remove(victim)
		if victim.expires <= now {
			sh.stats.expired.Add(1)
		} else {
			sh.stats.evictions.Add(1)
		}
	}
	e.expires = expires
	sh.items[e.key] = e
	sh.byExpiry.push(e)
}

func (sh *shard) setExpiry(e *entry, expires int64) {
	e.expires = expires
	sh.byExpiry.fix(e.index)
}

func (sh *shard) remove(e *entry) {
	delete(sh.items, e.key)
	sh.byExpiry.remove(e.index)
}

// sweep removes expired entries in batches, releasing the lock between batches.
func (sh *shard) sweep(clock func() int64) {
	for {
		sh.mu.Lock()
		now, n := clock(), 0
		for n < sweepBatch && len(sh.byExpiry) > 0 && sh.byExpiry[0].expires <= now {
			sh.remove(sh.byExpiry[0].e)
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

// expiryHeap is a 4-ary min-heap of entries by expiry. The expiry is copied into the slot so that
// sifting compares without dereferencing entries (under eviction pressure every write pops one, and
// pointer chasing dominated); each entry knows its slot for O(log n) removal and updates.
type expiryHeap []heapSlot

type heapSlot struct {
	expires int64
	e       *entry
}

const arity = 4

func (h *expiryHeap) push(e *entry) {
	*h = append(*h, heapSlot{e.expires, e})
	e.index = len(*h) - 1
	h.up(e.index)
}

// remove takes out the entry at slot i.
func (h *expiryHeap) remove(i int) {
	last := len(*h) - 1
	if i != last {
		h.set(i, (*h)[last])
	}
	(*h)[last] = heapSlot{}
	*h = (*h)[:last]
	if i < last {
		h.fix(i)
	}
}

// fix restores the order after the entry at slot i changed its expiry.
func (h expiryHeap) fix(i int) {
	h[i].expires = h[i].e.expires
	if !h.up(i) {
		h.down(i)
	}
}

func (h expiryHeap) set(i int, s heapSlot) {
	h[i] = s
	s.e.index = i
}

func (h expiryHeap) up(i int) (moved bool) {
	s := h[i]
	for i > 0 {
		parent := (i - 1) / arity
		if h[parent].expires <= s.expires {
			break
		}
		h.set(i, h[parent])
		i, moved = parent, true
	}
	h.set(i, s)
	return moved
}

func (h expiryHeap) down(i int) {
	s := h[i]
	for {
		first := i*arity + 1
		if first >= len(h) {
			break
		}
		child := first
		for c := first + 1; c < first+arity && c < len(h); c++ {
			if h[c].expires < h[child].expires {
				child = c
			}
		}
		if h[child].expires >= s.expires {
			break
		}
		h.set(i, h[child])
		i = child
	}
	h.set(i, s)
}
