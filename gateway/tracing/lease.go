package tracing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// lease is a lock in the shared store that expires unless renewed, so the one replica that talks to
// PDND Tracing can die without blocking the others for longer than the ttl.
type lease struct {
	st    store.Store
	key   string
	owner []byte
	ttl   time.Duration
}

func newOwnerToken(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + ":" + hex.EncodeToString(b)
}

// acquire takes the lease if nobody holds it.
func acquire(ctx context.Context, st store.Store, key, owner string, ttl time.Duration) (*lease, bool, error) {
	ok, err := st.SetIfAbsent(ctx, key, []byte(owner), ttl)
	if err != nil {
		return nil, false, fmt.Errorf("tracing: taking the lock: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	return &lease{st: st, key: key, owner: []byte(owner), ttl: ttl}, true, nil
}

// renew extends the lease by its ttl, from now, if it is still ours.
func (l *lease) renew(ctx context.Context) (bool, error) {
	return l.st.CompareAndExpire(ctx, l.key, l.owner, l.ttl)
}

// release frees the lease if it is still ours.
func (l *lease) release(ctx context.Context) error {
	_, err := l.st.CompareAndDelete(ctx, l.key, l.owner)
	return err
}

// keep renews the lease every ttl/3 until stop is called; the returned context is cancelled when a
// renewal fails, so the holder stops working as soon as it may no longer be the only one.
func (l *lease) keep(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				ok, err := l.renew(ctx)
				if err != nil || !ok {
					cancel(fmt.Errorf("tracing: lost the lock (renewal: ok=%v, err=%v)", ok, err))
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-stopped
		cancel(nil)
	}
}

// held reports whether the lease is still ours, reading it back from the store.
func (l *lease) held(ctx context.Context) error {
	b, err := l.st.Get(ctx, l.key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("tracing: checking the lock: %w", err)
	}
	if string(b) != string(l.owner) {
		return errLostLock
	}
	return nil
}

var errLostLock = errors.New("tracing: the lock is no longer this replica's")

type leaseKey struct{}

// checkLease fails when the run's lease (in ctx) is no longer held: called right before each
// upload, so a replica that stalled past the lease's ttl does not upload next to its successor.
func checkLease(ctx context.Context) error {
	if l, ok := ctx.Value(leaseKey{}).(*lease); ok {
		return l.held(ctx)
	}
	return nil
}
