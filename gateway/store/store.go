// Package store defines the state that gateway replicas share: replay records of ModI and DPoP
// token ids, rate-limit and quota counters, the second cache tier, locks and asynchronous job state.
//
// Two implementations satisfy [Store]: a Redis one (shared by every replica; single node, Sentinel
// or Cluster) and a bounded in-memory one, the embedded default for a single instance and for
// `make run`. One contract test suite (storetest) runs against both, so code written against the
// interface behaves the same on either.
//
// Every operation that must be atomic across replicas is one method here (and one round trip, or one
// Lua script, in Redis): callers never read, modify and write back a shared value.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Get when the key holds no value (absent or expired).
var ErrNotFound = errors.New("store: key not found")

// ErrInvalidTTL is returned when an operation that needs an expiry gets a ttl <= 0 (or RateLimit a
// period <= 0). Shared state without an expiry would grow without bound.
var ErrInvalidTTL = errors.New("store: ttl must be positive")

// ErrInvalidLimit is returned by RateLimit when limit is not in 1..MaxRateLimit.
var ErrInvalidLimit = errors.New("store: rate limit must be between 1 and 1e9")

// ErrWrongType is returned when the key holds a value the operation cannot use: a hash where a
// string or counter is expected (or the reverse), a value that is not a 64-bit decimal integer where
// a counter is expected, or a counter that would overflow. It means two callers use the same key for
// different things: a bug, never a condition to handle at run time.
var ErrWrongType = errors.New("store: key holds a value of another type")

// ErrClosed is returned by every operation on a store after Close.
var ErrClosed = errors.New("store: closed")

// ErrInvalidLogArgument is returned by LogAppend when atLeast exceeds MaxLogSeq, and by LogRange
// when limit is not in 1..MaxLogRange.
var ErrInvalidLogArgument = errors.New("store: log sequence above MaxLogSeq or range limit outside 1..MaxLogRange")

// MaxLogSeq bounds log sequence numbers: Redis's Lua evaluates them as doubles, exact up to 2^53.
// Epoch milliseconds (the SIUSS feed's sequence) stay below it for the next 285,000 years.
const MaxLogSeq = 1 << 53

// MaxLogRange bounds the entries one LogRange returns, so one call never moves an unbounded reply.
const MaxLogRange = 1000

// MaxRateLimit bounds RateLimit's limit. Above it the limiter's microsecond arithmetic would lose
// precision, and no caller needs more than a billion requests per period.
const MaxRateLimit = 1_000_000_000

// Store is the shared-state contract. Implementations are safe for concurrent use. A non-nil error
// means the operation could not be carried out (the backing service is down, the context ended, the
// arguments are invalid); a missing key is never an error except for Get (ErrNotFound). Errors wrap
// the context's error when it ended (errors.Is(err, context.Canceled)) and the sentinels above.
//
// Every write takes a ttl; a ttl <= 0 is ErrInvalidTTL. Expiry has millisecond resolution (Redis
// PX); a key is absent from the instant it expires. Counters (Incr, IncrUpTo) are strings holding a
// decimal integer, so Get reads them and Set may seed them; hashes (HIncr) are a separate type, and
// mixing the two on one key is ErrWrongType. Counter values and limits are exact up to ±2^53 (Redis
// evaluates the conditional scripts with Lua doubles).
type Store interface {
	// Get returns the value under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key for ttl, replacing any previous value.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetIfAbsent stores value under key for ttl only if the key holds nothing, and reports whether
	// it stored it. A replay check is one call: false means the id was seen before.
	SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// Delete removes the keys. Absent keys are ignored.
	Delete(ctx context.Context, keys ...string) error
	// CompareAndDelete removes key only if it holds exactly expected, and reports whether it did.
	// Releasing a lock taken with SetIfAbsent uses it, so a replica never frees another's lock.
	CompareAndDelete(ctx context.Context, key string, expected []byte) (bool, error)
	// CompareAndExpire gives key a new ttl, counted from now, only if it holds exactly expected, and
	// reports whether it did. Renewing a lock taken with SetIfAbsent uses it: the holder extends its
	// own lease and can never extend (or steal) another's, and there is no instant in which the lock
	// is free, as there would be with CompareAndDelete followed by SetIfAbsent.
	CompareAndExpire(ctx context.Context, key string, expected []byte, ttl time.Duration) (bool, error)
	// Incr adds delta to the integer counter at key and returns the new value. An absent key starts
	// at 0 and gets ttl (fixed window: later calls do not extend the expiry).
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
	// IncrUpTo adds delta to the counter at key only if the result would not exceed limit. It
	// returns the counter's value after the call and whether delta was added. An absent key starts at
	// 0 and gets ttl; a refused call leaves the key as it was (an absent key stays absent and the
	// value returned is 0). A negative delta (giving back budget) is always added. Quota budgets use
	// it to refuse a call before it is sent.
	IncrUpTo(ctx context.Context, key string, delta, limit int64, ttl time.Duration) (int64, bool, error)
	// HIncr adds delta to field of the hash at key (created with ttl if absent) and returns the
	// field's new value. Daily aggregates (PDND Tracing rows) use it.
	HIncr(ctx context.Context, key, field string, delta int64, ttl time.Duration) (int64, error)
	// HGetAll returns every field of the hash at key; an absent key gives an empty map.
	HGetAll(ctx context.Context, key string) (map[string]int64, error)
	// RateLimit admits one request under a GCRA limit of limit requests per period with a burst of
	// limit, atomically, and returns the decision with the values for X-RateLimit-* headers.
	//
	// GCRA with emission interval T = period/limit (rounded up to a microsecond) and a burst of
	// limit: an idle key admits limit requests at once, then one every T. Over any window of length
	// w at most limit + floor(w/T) requests are admitted (so up to 2·limit−1 within one period right
	// after a full burst; over long windows the rate tends to limit/period). A refused request
	// changes nothing. The clock is the backing service's (Redis TIME), so replicas whose clocks
	// disagree still share one limit. limit must be in 1..MaxRateLimit (else ErrInvalidLimit) and
	// period positive (else ErrInvalidTTL).
	RateLimit(ctx context.Context, key string, limit int64, period time.Duration) (RateLimitResult, error)
	// LogAppend appends value to the append-only log at key, atomically, and returns the sequence
	// number it gave the entry: max(atLeast, last+1), where last is the sequence of the log's newest
	// entry (0 for an absent log). Sequence numbers are therefore unique and strictly increasing in
	// the order appends commit, whichever replica appends; passing the current time in milliseconds
	// as atLeast makes them timestamps that never repeat and never go back (the SIUSS ts_flusso).
	// atLeast must be <= MaxLogSeq (else ErrInvalidLogArgument; values <= 0 mean "no floor").
	//
	// Logs are the one kind of key without a ttl: they are kept until Delete removes them, and the
	// memory implementation never evicts them. A log key holds nothing else: LogAppend or LogRange
	// on a key of another type, and any other operation but Set, SetIfAbsent and Delete on a log,
	// is ErrWrongType (Set replaces a log, as it replaces any key).
	LogAppend(ctx context.Context, key string, atLeast int64, value []byte) (int64, error)
	// LogRange returns up to limit entries of the log at key whose sequence is greater than after,
	// in ascending order of sequence; an absent log gives an empty slice. limit must be in
	// 1..MaxLogRange (else ErrInvalidLogArgument). The result is a snapshot: concurrent appends land
	// after it, so paging with after = the last Seq returned sees every entry exactly once.
	LogRange(ctx context.Context, key string, after int64, limit int) ([]LogEntry, error)
	// Ping reports whether the backing service answers; nil means operations can be carried out.
	Ping(ctx context.Context) error
	// Close releases the resources. Every later operation fails with ErrClosed; a second Close
	// returns nil.
	Close() error
}

// LogEntry is one entry of an append-only log.
type LogEntry struct {
	// Seq is the entry's sequence number (see LogAppend), unique within its log.
	Seq   int64
	Value []byte
}

// RateLimitResult is one GCRA decision.
type RateLimitResult struct {
	Allowed bool
	// Limit is the configured number of requests per period.
	Limit int64
	// Remaining is how many more requests would be admitted right now.
	Remaining int64
	// RetryAfter is how long until the next request would be admitted; zero when Allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the limiter is back to a full burst (X-RateLimit-Reset).
	ResetAfter time.Duration
}
