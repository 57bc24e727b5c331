package resilience

import (
	"context"
	"fmt"
	"time"
)

// Bulkhead bounds the calls in flight to one upstream, so a slow upstream ties up at most that
// many goroutines and connections and cannot starve the calls to the others. Safe for concurrent
// use.
//
// A call that finds it full waits at most MaxWait (0: not at all) for a slot, then fails fast with
// ReasonBulkheadFull: queueing longer would only move the overload into the gateway, where it
// shows as latency on every call instead of a clear refusal of the excess.
type Bulkhead struct {
	name    string
	slots   chan struct{}
	maxWait time.Duration
}

// DefaultMaxInFlight is the default size of a bulkhead.
const DefaultMaxInFlight = 32

// NewBulkhead returns a bulkhead of size slots (0: DefaultMaxInFlight) for the upstream name.
func NewBulkhead(name string, size int, maxWait time.Duration) *Bulkhead {
	if size <= 0 {
		size = DefaultMaxInFlight
	}
	return &Bulkhead{name: name, slots: make(chan struct{}, size), maxWait: max(maxWait, 0)}
}

// Acquire takes a slot; the caller must call release once. It fails with a *Error of
// ReasonBulkheadFull when no slot frees within MaxWait, or with ErrCallerGone when ctx ends first.
func (b *Bulkhead) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case b.slots <- struct{}{}:
		return b.release, nil
	default:
	}
	if b.maxWait > 0 {
		t := time.NewTimer(b.maxWait)
		defer t.Stop()
		select {
		case b.slots <- struct{}{}:
			return b.release, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for a %s slot: %w", ErrCallerGone, b.name, ctx.Err())
		case <-t.C:
		}
	}
	detail := fmt.Sprintf("all %d concurrent calls allowed to %s are in flight", cap(b.slots), b.name)
	if b.maxWait > 0 {
		detail += fmt.Sprintf(" and none finished within %s", b.maxWait)
	}
	return nil, &Error{Reason: ReasonBulkheadFull, Operation: b.name, Detail: detail + "; retry shortly", RetryAfter: time.Second}
}

func (b *Bulkhead) release() { <-b.slots }

// InFlight is the number of slots taken now.
func (b *Bulkhead) InFlight() int { return len(b.slots) }

// Size is the number of slots.
func (b *Bulkhead) Size() int { return cap(b.slots) }
