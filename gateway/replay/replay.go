// Package replay records token ids (jti) in the shared store so that a token accepted by one
// gateway replica is refused as a replay by every other: the ModI INTEGRITY/ID_AUTH_REST_02 jti
// rule, DPoP proof jtis (RFC 9449 §11.1), and ID_AUTH_REST_02 via PDND voucher jtis.
//
// A record lives until the token could no longer be accepted anyway (its exp plus the clock
// skew), so the store never holds more than the tokens still in flight.
package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
)

// Prefix starts every key this package writes.
const Prefix = "replay:"

// minTTL keeps a record for at least this long even when the token is about to expire, so a
// replay sent a moment later is still caught (the record outlives the acceptance window).
const minTTL = time.Second

// Guard checks and records token ids. The zero value is not usable: Store is required.
type Guard struct {
	Store store.Store
}

// Once records jti under scope for a token acceptable until until, and fails with kind.replay if
// it was already recorded (by this or any replica), or kind.replay_unavailable if the store does
// not answer: a replay check that cannot run must not pass.
func (g Guard) Once(ctx context.Context, kind secerr.Kind, scope, jti string, until, now time.Time) error {
	ok, err := g.Store.SetIfAbsent(ctx, Key(kind, scope, jti), []byte{1}, ttl(until, now))
	switch {
	case err != nil:
		return unavailable(kind, err)
	case !ok:
		e := secerr.New(kind, secerr.Replay, "%s jti %s was already used", kind.TokenName(), secerr.Quote(jti))
		e.Claim, e.Got = "jti", secerr.Cut(jti)
		return e
	}
	return nil
}

// Bound records jti under scope together with binding (for tracking evidence: the hash of the
// voucher it travels with). Presenting the same jti again with the same binding is accepted: the
// token is legitimately reused with its partner. The same jti with another binding is kind.replay.
func (g Guard) Bound(ctx context.Context, kind secerr.Kind, scope, jti string, binding []byte, until, now time.Time) error {
	key := Key(kind, scope, jti)
	// Two rounds: if the record expires between SetIfAbsent and Get, the second SetIfAbsent
	// records this presentation afresh (the caller has checked that the token is still valid).
	for range 2 {
		ok, err := g.Store.SetIfAbsent(ctx, key, binding, ttl(until, now))
		if err != nil {
			return unavailable(kind, err)
		}
		if ok {
			return nil
		}
		prev, err := g.Store.Get(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return unavailable(kind, err)
		case bytes.Equal(prev, binding):
			return nil
		}
		break
	}
	e := secerr.New(kind, secerr.Replay, "%s jti %s was already used with another voucher", kind.TokenName(), secerr.Quote(jti))
	e.Claim, e.Got = "jti", secerr.Cut(jti)
	return e
}

func unavailable(kind secerr.Kind, err error) error {
	return secerr.Wrap(kind, secerr.ReplayUnavailable, err,
		"the replay store did not answer, so the %s jti cannot be checked; retry later", kind.TokenName())
}

func ttl(until, now time.Time) time.Duration {
	if d := until.Sub(now); d > minTTL {
		return d
	}
	return minTTL
}

// Key is the store key of jti under scope: replay:<kind>:<scope>:<base64url(SHA-256(jti))>. The
// jti is attacker input, so it is always hashed (gateway/store's key rule): keys keep a fixed length
// whatever is sent. scope is configuration (an e-service name) or a key thumbprint.
func Key(kind secerr.Kind, scope, jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return Prefix + string(kind) + ":" + scope + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}
