package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/internal/precheck"
)

// A log is a Redis stream whose entry ids are "<seq>-0" and whose one field "v" holds the value.
// Streams keep their entries until trimmed or deleted (the store never trims) and XRANGE reads a
// page by id in one command. A log is one key, so it is valid on Cluster as it is; callers that
// keep other keys beside a log put a {hash tag} in their names to keep them in its slot.

// LogAppend implements store.Store with one script (XREVRANGE for the newest id, then XADD).
func (s *Store) LogAppend(ctx context.Context, key string, atLeast int64, value []byte) (int64, error) {
	if err := precheck.LogAppend(ctx, s.closed.Load(), "redis", atLeast); err != nil {
		return 0, err
	}
	seq, err := logAppend.Run(ctx, s.client, []string{s.prefix + key}, atLeast, value).Int64()
	return seq, s.fail("log append", err)
}

// LogRange implements store.Store with XRANGE from the exclusive id "(<after>-0".
func (s *Store) LogRange(ctx context.Context, key string, after int64, limit int) ([]store.LogEntry, error) {
	if err := precheck.LogRange(ctx, s.closed.Load(), "redis", limit); err != nil {
		return nil, err
	}
	if after >= store.MaxLogSeq {
		return []store.LogEntry{}, nil // no entry can follow it (and the id would overflow Lua's doubles)
	}
	msgs, err := s.client.XRangeN(ctx, s.prefix+key, "("+strconv.FormatInt(max(after, 0), 10)+"-0", "+", int64(limit)).Result()
	if err != nil {
		return nil, s.fail("log range", err)
	}
	out := make([]store.LogEntry, 0, len(msgs))
	for _, m := range msgs {
		head, _, _ := strings.Cut(m.ID, "-")
		seq, err := strconv.ParseInt(head, 10, 64)
		v, ok := m.Values["v"].(string)
		if err != nil || !ok {
			return nil, fmt.Errorf("store: redis log range: entry %q is not a log entry: %w", m.ID, store.ErrWrongType)
		}
		out = append(out, store.LogEntry{Seq: seq, Value: []byte(v)})
	}
	return out, nil
}
