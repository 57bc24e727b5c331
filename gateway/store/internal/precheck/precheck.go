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
