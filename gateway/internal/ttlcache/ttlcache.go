// Package ttlcache is a bounded in-process map whose entries expire at an instant chosen per entry.
// gateway/pdnd caches verified vouchers and gateway/modi verified tracking evidence in it, keyed
// by the SHA-256 of the token, until the token's exp.
//
// It is deliberately small: one mutex (the request path holds it for a map lookup), expiry checked
// on read, and when the map is full, expired entries are swept and, if none were, an arbitrary
// entry is dropped (Go's map iteration order is random, so this is random eviction: adequate for
// caches whose misses only cost one signature verification).
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps K to V until each entry's expiry. Safe for concurrent use. The zero value is not
// usable; call New.
type Cache[K comparable, V any] struct {
	mu      sync.RWMutex
	max     int
	entries map[K]entry[V]
	now     func() time.Time
	// swept is when evict last scanned the whole map; scans are at most one per second so a full
	// cache of live entries costs O(1) per insert, not O(max).
	swept time.Time
}

type entry[V any] struct {
	v   V
	exp time.Time
}

// New returns a cache holding at most max entries (max <= 0 means 10000). now is the clock
// (time.Now when nil).
func New[K comparable, V any](max int, now func() time.Time) *Cache[K, V] {
	if max <= 0 {
		max = 10000
	}
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{max: max, entries: make(map[K]entry[V]), now: now}
}

// Get returns the value under k if it has not expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.exp) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under k until exp. An exp not after now stores nothing.
func (c *Cache[K, V]) Put(k K, v V, exp time.Time) {
	now := c.now()
	if !now.Before(exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, exists := c.entries[k]; !exists && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[k] = entry[V]{v: v, exp: exp}
}

// Delete removes k.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}

// Len is the number of entries held, expired ones included until they are swept.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// evict makes room for one entry. Called with mu held.
func (c *Cache[K, V]) evict(now time.Time) {
	if now.Sub(c.swept) >= time.Second {
		c.swept = now
		for k, e := range c.entries {
			if !now.Before(e.exp) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) < c.max {
			return
		}
	}
	for k := range c.entries {
		delete(c.entries, k)
		return
	}
}
