package cache

import (
	"hash/maphash"
	"sync"
	"time"
)

// entryOverhead is what the in-process tier counts for an entry besides its key strings and
// data: the entry struct, its list links and its map slot, rounded up. The bound is on this
// accounting, which tracks the real heap use closely for entries of a few KiB.
const entryOverhead = 256

// localShards splits the in-process tier into independently locked parts; a subject always
// lands in the same shard, so a purge touches one.
const localShards = 16

// entry is one cached answer, as both tiers hold it.
type entry struct {
	data     []byte
	negative bool
	// fetchedAt is when the upstream answered; freshUntil ends the freshness; expiresAt ends
	// every use (stale window, or the answer's own validity, whichever is sooner).
	fetchedAt, freshUntil, expiresAt time.Time
}

// localEntry is an entry in the in-process tier.
type localEntry struct {
	entry
	key Key
	// confirmedAt is when the entry was last read from, or written to, the shared tier: past
	// confirmedAt + local_ttl this replica re-reads the shared tier, where a purge by another
	// replica shows.
	confirmedAt time.Time
	size        int64
	prev, next  *localEntry
}

// local is the in-process tier: a byte-bounded LRU per shard. Safe for concurrent use.
type local struct {
	seed   maphash.Seed
	shards [localShards]lruShard
}

type lruShard struct {
	mu         sync.Mutex
	items      map[Key]*localEntry
	head, tail *localEntry // head: most recently used
	bytes, max int64
	evictions  uint64
}

func newLocal(maxBytes int64) *local {
	l := &local{seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i] = lruShard{items: map[Key]*localEntry{}, max: maxBytes / localShards}
	}
	return l
}

func (l *local) shard(subject string) *lruShard {
	return &l.shards[maphash.String(l.seed, subject)%localShards]
}

func sizeOf(k Key, data []byte) int64 {
	return int64(len(k.Kind)+len(k.Subject)+len(k.Variant)+len(data)) + entryOverhead
}

// get returns a copy of the entry under k (marking it recently used), or false.
func (l *local) get(k Key) (localEntry, bool) {
	s := l.shard(k.Subject)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[k]
	if !ok {
		return localEntry{}, false
	}
	s.moveToFront(e)
	return *e, true
}

// put stores e under k, evicting the least recently used entries until the shard fits its
// bound. An entry larger than a whole shard is not kept (it would evict everything for itself).
func (l *local) put(k Key, e entry, confirmedAt time.Time) {
	size := sizeOf(k, e.data)
	s := l.shard(k.Subject)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.items[k]; ok {
		s.remove(old)
	}
	if size > s.max {
		return
	}
	for s.bytes+size > s.max && s.tail != nil {
		s.remove(s.tail)
		s.evictions++
	}
	le := &localEntry{entry: e, key: k, confirmedAt: confirmedAt, size: size}
	s.items[k] = le
	s.pushFront(le)
	s.bytes += size
}

func (l *local) delete(k Key) {
	s := l.shard(k.Subject)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.items[k]; ok {
		s.remove(e)
	}
}

// purge removes every entry of subject and returns how many.
func (l *local) purge(subject string) int {
	s := l.shard(subject)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.items {
		if k.Subject == subject {
			s.remove(e)
			n++
		}
	}
	return n
}

// usage sums the accounted bytes, entries and evictions of every shard.
func (l *local) usage() (bytes int64, entries int, evictions uint64) {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		bytes += s.bytes
		entries += len(s.items)
		evictions += s.evictions
		s.mu.Unlock()
	}
	return bytes, entries, evictions
}

func (s *lruShard) remove(e *localEntry) {
	delete(s.items, e.key)
	s.bytes -= e.size
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (s *lruShard) pushFront(e *localEntry) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *lruShard) moveToFront(e *localEntry) {
	if s.head == e {
		return
	}
	// unlink, then push: remove would also drop it from the map.
	e.prev.next = e.next
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	s.pushFront(e)
}
