package memory

import (
	"bytes"
	"context"
	"math"
	"sort"

	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/internal/precheck"
)

// appendLog is the value of a log key: entries in ascending Seq, and the highest Seq ever given (a
// log is only appended to, so it is the last entry's; kept apart so the rule never depends on that).
type appendLog struct {
	entries []store.LogEntry
	last    int64
}

// neverExpires is the expiry of log entries: after every other entry, so eviction reaches a log
// only when a shard holds nothing but logs, and insert refuses to evict one even then.
const neverExpires = math.MaxInt64

// LogAppend implements store.Store. Logs are kept outside the eviction order (see insert) and are
// unbounded: a memory store holds them only for the life of the process.
func (s *Store) LogAppend(ctx context.Context, key string, atLeast int64, value []byte) (int64, error) {
	if err := precheck.LogAppend(ctx, s.closed.Load(), "memory", atLeast); err != nil {
		return 0, err
	}
	sh, now := s.shard(key), s.now()
	value = cloneNonNil(value)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		e = &entry{key: key, log: &appendLog{}}
		sh.insert(e, now, neverExpires)
	case e.log == nil:
		return 0, wrongType("log append")
	}
	l := e.log
	seq := max(atLeast, l.last+1)
	l.entries = append(l.entries, store.LogEntry{Seq: seq, Value: value})
	l.last = seq
	return seq, nil
}

// LogRange implements store.Store.
func (s *Store) LogRange(ctx context.Context, key string, after int64, limit int) ([]store.LogEntry, error) {
	if err := precheck.LogRange(ctx, s.closed.Load(), "memory", limit); err != nil {
		return nil, err
	}
	sh, now := s.shard(key), s.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.lookup(key, now)
	switch {
	case e == nil:
		return []store.LogEntry{}, nil
	case e.log == nil:
		return nil, wrongType("log range")
	}
	all := e.log.entries
	i := sort.Search(len(all), func(i int) bool { return all[i].Seq > after })
	page := all[i:min(i+limit, len(all))]
	out := make([]store.LogEntry, len(page))
	for j, le := range page {
		out[j] = store.LogEntry{Seq: le.Seq, Value: bytes.Clone(le.Value)}
	}
	return out, nil
}
