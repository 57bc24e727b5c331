// Package precheck is the prologue every store.Store method runs before touching its backend, so
// both implementations refuse a closed store, an ended context and a missing ttl identically.
package precheck

import (
	"context"
	"fmt"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// Call returns store.ErrClosed after Close, or the context's error wrapped as
// "store: <backend> <op>: ...", or nil.
func Call(ctx context.Context, closed bool, backend, op string) error {
	if closed {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s %s: %w", backend, op, err)
	}
	return nil
}

// Write is Call for operations that take a ttl: store.ErrInvalidTTL when ttl <= 0.
func Write(ctx context.Context, closed bool, backend, op string, ttl time.Duration) error {
	if err := Call(ctx, closed, backend, op); err != nil {
		return err
	}
	if ttl <= 0 {
		return store.ErrInvalidTTL
	}
	return nil
}

// LogAppend is Call for store.Store.LogAppend: store.ErrInvalidLogArgument when atLeast is above
// store.MaxLogSeq.
func LogAppend(ctx context.Context, closed bool, backend string, atLeast int64) error {
	if err := Call(ctx, closed, backend, "log append"); err != nil {
		return err
	}
	if atLeast > store.MaxLogSeq {
		return fmt.Errorf("store: %s log append: atLeast %d above %d: %w", backend, atLeast, int64(store.MaxLogSeq), store.ErrInvalidLogArgument)
	}
	return nil
}

// LogRange is Call for store.Store.LogRange: store.ErrInvalidLogArgument when limit is outside
// 1..store.MaxLogRange.
func LogRange(ctx context.Context, closed bool, backend string, limit int) error {
	if err := Call(ctx, closed, backend, "log range"); err != nil {
		return err
	}
	if limit < 1 || limit > store.MaxLogRange {
		return fmt.Errorf("store: %s log range: limit %d outside 1..%d: %w", backend, limit, store.MaxLogRange, store.ErrInvalidLogArgument)
	}
	return nil
}
