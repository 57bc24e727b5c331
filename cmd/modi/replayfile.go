package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// replayFile is a store whose replay records (SetIfAbsent) outlive the process: they are loaded
// from a file at start and appended to it, so `modi verify` run twice on the same request refuses
// the second as a replay, as the gateway's replicas sharing Redis do. Every other operation goes
// to the in-memory store underneath.
type replayFile struct {
	store.Store
	path string
	now  func() time.Time
}

// openReplayFile returns s itself when path is empty.
func openReplayFile(path string, s store.Store, now func() time.Time) (store.Store, error) {
	if path == "" {
		return s, nil
	}
	f, err := os.Open(path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, fmt.Errorf("--replay-file: %w", err)
	default:
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			var unix int64
			var value []byte
			if len(fields) == 3 {
				unix, err = strconv.ParseInt(fields[1], 10, 64)
				if err == nil && fields[2] != "-" {
					value, err = hex.DecodeString(fields[2])
				}
			}
			if len(fields) != 3 || err != nil {
				return nil, fmt.Errorf("--replay-file %s: line %q is not 'key expiry value'", path, sc.Text())
			}
			if ttl := time.Unix(unix, 0).Sub(now()); ttl > 0 {
				if err := s.Set(context.Background(), fields[0], value, ttl); err != nil {
					return nil, err
				}
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--replay-file: %w", err)
		}
	}
	return &replayFile{Store: s, path: path, now: now}, nil
}

func (r *replayFile) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := r.Store.SetIfAbsent(ctx, key, value, ttl)
	if err != nil || !ok {
		return ok, err
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return false, fmt.Errorf("--replay-file: %w", err)
	}
	_, werr := fmt.Fprintf(f, "%s %d %s\n", key, r.now().Add(ttl).Unix(), encodeValue(value))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return true, werr
}

// encodeValue writes a value as hex, "-" when empty (a line always has three fields).
func encodeValue(v []byte) string {
	if len(v) == 0 {
		return "-"
	}
	return hex.EncodeToString(v)
}
