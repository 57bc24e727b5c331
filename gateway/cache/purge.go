package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Purge removes every cached answer about subject (all kinds and variants), from both tiers.
//
// The shared tier cannot list keys by subject (they are keyed hashes), so each write also records
// its key in an index of the subject for the current time window (a store hash
// cache:subject:<hmac(subject)>:<window>, with a window as long as the longest life of any entry
// and kept for two windows). Purge reads the indexes of the current and previous windows, which
// name every entry still alive, and deletes them with the indexes.
//
// The in-process tiers of other replicas cannot be reached; they re-read the shared tier at least
// every local_ttl and drop their copy when it is gone there, so a purge is honoured everywhere
// within local_ttl. A load already in flight when Purge runs may store its (freshly fetched)
// answer afterwards.
func (c *Cache) Purge(ctx context.Context, subject string) error {
	c.local.purge(subject)
	w := c.windowOf(time.Now())
	var keys []string
	for _, win := range []int64{w, w - 1} {
		ik := c.seal.subjectIndexKey(subject, win)
		fields, err := c.shared.HGetAll(ctx, ik)
		if err != nil {
			return fmt.Errorf("cache: purge: reading the subject index: %w", err)
		}
		keys = append(keys, ik)
		for k := range fields {
			keys = append(keys, k)
		}
	}
	if err := c.shared.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("cache: purge: %w", err)
	}
	c.local.purge(subject) // again: a hit from the shared tier may have refilled it meanwhile
	return nil
}

func (c *Cache) windowOf(t time.Time) int64 {
	return t.UnixMilli() / c.window.Milliseconds()
}

// index records sk in the subject's index of the current window. A failure only weakens a later
// purge (the entry then lives to its expiry), so it is logged, not returned.
func (c *Cache) index(ctx context.Context, subject, sk string, now time.Time) {
	ik := c.seal.subjectIndexKey(subject, c.windowOf(now))
	if _, err := c.shared.HIncr(ctx, ik, sk, 1, 2*c.window); err != nil && !errors.Is(err, context.Canceled) {
		c.stats.sharedErrors.Add(1)
		c.log.Warn("cache: could not index an entry for purge; it will live until it expires", "error", err)
	}
}
