// Package cache is the two-tier cache of upstream answers: a byte-bounded in-process tier in
// front of the shared store (Redis), with single-flight loading, stale-if-error, negative caching
// of business answers and purge by subject. See README.md for the policies and the privacy
// properties (keyed hashes, encryption, purge).
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/store"
)

// Key identifies a cached answer: its kind, the subject it is about (a codice fiscale, an
// idANPR) and an optional variant of the question (a reference date, an indicator type).
// Subject and Variant are personal data: they never leave the process in clear.
type Key struct {
	Kind    string
	Subject string
	Variant string
}

// maxKeyPart bounds each part of a Key: subjects and variants are short identifiers.
const maxKeyPart = 256

func (k Key) valid() error {
	for _, p := range []string{k.Kind, k.Subject, k.Variant} {
		if len(p) > maxKeyPart || strings.IndexByte(p, 0) >= 0 {
			return errors.New("cache: key parts must be at most 256 bytes without NUL")
		}
	}
	if k.Subject == "" {
		return errors.New("cache: the key has no subject")
	}
	return nil
}

// Value is what a loader returns: the answer serialised by the caller.
type Value struct {
	Data []byte
	// Negative marks a business answer ("not found", "no valid ISEE"): cached for the kind's
	// NegativeTTL only, and never served stale.
	Negative bool
	// NotAfter, when set, ends the answer's validity (an ISEE attestation's DataValidita): it is
	// neither fresh nor served stale after it, whatever the kind's TTLs.
	NotAfter time.Time
}

// Result is how the cache answered.
type Result struct {
	// Data is the cached or loaded answer. Callers share it: they must not modify it.
	Data     []byte
	Negative bool
	// State is MISS (loaded now), HIT (fresh from a tier) or STALE (past its freshness, served
	// because loading failed).
	State contracts.StatoCache
	// FetchedAt is when the upstream gave the answer; Age how old it was when served.
	FetchedAt time.Time
	Age       time.Duration
}

// Apply records the cache state in a result's provenance: cache, etaSecondi and the time the
// data was acquired from upstream.
func (r Result) Apply(p *contracts.Provenienza) {
	p.Cache = r.State
	p.EtaSecondi = int64(r.Age / time.Second)
	p.DataOraAcquisizione = r.FetchedAt
}

// Options configure a Cache.
type Options struct {
	// Store is the shared tier (required): the Redis every replica uses, or the memory store.
	Store store.Store
	// Key is the secret (at least MinKeySize bytes) from which the key-name HMAC key and the
	// value encryption key are derived. Every replica needs the same one.
	Key []byte
	// Kinds are the kinds of answer and their policies; Get refuses other kinds.
	Kinds []Kind
	// LocalMaxBytes bounds the in-process tier. Default DefaultLocalMaxBytes.
	LocalMaxBytes int64
	// LocalTTL is how long an in-process entry is used without re-reading the shared tier: the
	// bound on how long another replica's purge takes to be honoured here. Default DefaultLocalTTL.
	LocalTTL time.Duration
	// LoadTimeout bounds a load, which runs detached from the callers that wait for it (one
	// caller giving up must not fail the others). Default DefaultLoadTimeout.
	LoadTimeout time.Duration
	// ServeStale says whether a load failure may be answered with a stale entry. Default
	// DefaultServeStale.
	ServeStale func(err error) bool
	// Logger receives shared-tier failures. Default: discarded.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultLocalMaxBytes = 64 << 20
	DefaultLocalTTL      = 30 * time.Second
	DefaultLoadTimeout   = 60 * time.Second
)

// DefaultServeStale serves a stale answer when the upstream is at fault: a Retryable failure
// (down, overloaded, timed out, breaker open, bulkhead full, quota spent) or a Permanent one that
// is its fault (an answer that breaks its contract). Never for our own mistakes or a caller that
// went away.
func DefaultServeStale(err error) bool { return adapter.IsUpstreamFault(err) }

// Cache is safe for concurrent use.
type Cache struct {
	shared   store.Store
	seal     *sealer
	local    *local
	kinds    map[string]Kind
	window   time.Duration // of the subject indexes: the longest life of any entry
	localTTL time.Duration
	timeout  time.Duration
	stale    func(error) bool
	log      *slog.Logger
	flight   singleflight.Group
	stats    counters
	byKind   map[string]*counters // per kind, built in New and never changed (read without a lock)
}

type counters struct {
	localHits, sharedHits, misses, stale, loadErrors, sharedErrors atomic.Uint64
}

// New builds a Cache. It touches no network.
func New(o Options) (*Cache, error) {
	if o.Store == nil {
		return nil, errors.New("cache: a shared store is required")
	}
	seal, err := newSealer(o.Key)
	if err != nil {
		return nil, err
	}
	c := &Cache{shared: o.Store, seal: seal, kinds: map[string]Kind{}, byKind: map[string]*counters{}, localTTL: o.LocalTTL, timeout: o.LoadTimeout,
		stale: o.ServeStale, log: o.Logger}
	for _, k := range o.Kinds {
		if err := k.validate(); err != nil {
			return nil, err
		}
		c.kinds[k.Name] = k
		c.byKind[k.Name] = new(counters)
		c.window = max(c.window, k.lifetime())
	}
	if c.window <= 0 {
		c.window = time.Hour // no kinds: Get refuses everything, but Purge must not divide by zero
	}
	if o.LocalMaxBytes <= 0 {
		o.LocalMaxBytes = DefaultLocalMaxBytes
	}
	c.local = newLocal(o.LocalMaxBytes)
	if c.localTTL <= 0 {
		c.localTTL = DefaultLocalTTL
	}
	if c.timeout <= 0 {
		c.timeout = DefaultLoadTimeout
	}
	if c.stale == nil {
		c.stale = DefaultServeStale
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Get returns the answer under k: from the in-process tier when it holds it fresh (no network
// at all), else from the shared tier when fresh there, else from load, which concurrent Gets of
// the same key share (one upstream call). A loaded answer is kept in both tiers per its kind's
// policy; a load error is never cached. When load fails and ServeStale accepts the error, an
// entry past its freshness but within its stale window is returned as STALE with its age;
// otherwise the load's error is returned as is.
//
// ctx bounds the caller's wait, not the load: a load started for several callers runs with
// ctx's values (the caller's identity) but without its cancellation, bounded by LoadTimeout.
func (c *Cache) Get(ctx context.Context, k Key, load func(ctx context.Context) (Value, error)) (Result, error) {
	now := time.Now()
	le, inLocal := c.local.get(k) // only valid keys of known kinds are ever stored
	if inLocal && now.Before(le.freshUntil) && now.Before(le.confirmedAt.Add(c.localTTL)) {
		c.stats.localHits.Add(1)
		c.byKind[k.Kind].localHits.Add(1) // only keys of known kinds are ever stored
		return le.result(contracts.CacheHit, now), nil
	}
	kind, ok := c.kinds[k.Kind]
	if !ok {
		return Result{}, fmt.Errorf("cache: unknown kind %q", k.Kind)
	}
	if err := k.valid(); err != nil {
		return Result{}, err
	}
	var fallback *entry // what to serve stale if the load fails
	if inLocal && now.Before(le.expiresAt) && now.Before(le.confirmedAt.Add(c.localTTL)) {
		fallback = &le.entry
	}
	sk := c.seal.storageKey(k)
	se, err := c.sharedGet(ctx, sk)
	switch {
	case err == nil && now.Before(se.freshUntil):
		c.local.put(k, se, now)
		c.stats.sharedHits.Add(1)
		c.byKind[k.Kind].sharedHits.Add(1)
		return se.result(contracts.CacheHit, now), nil
	case err == nil && now.Before(se.expiresAt):
		fallback = &se
	case err == nil || errors.Is(err, store.ErrNotFound):
		// Absent from the shared tier (expired, or purged by some replica): the local copy must
		// not outlive it.
		fallback = nil
		if inLocal {
			c.local.delete(k)
		}
	}
	ch := c.flight.DoChan(sk, func() (any, error) { return c.load(ctx, k, kind, sk, load) })
	select {
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case r := <-ch:
		if r.Err == nil {
			return r.Val.(entry).result(contracts.CacheMiss, time.Now()), nil
		}
		now = time.Now()
		if fallback != nil && !fallback.negative && now.Before(fallback.expiresAt) && c.stale(r.Err) {
			c.stats.stale.Add(1)
			c.byKind[k.Kind].stale.Add(1)
			return fallback.result(contracts.CacheStale, now), nil
		}
		return Result{}, r.Err
	}
}

// sharedGet reads and decrypts an entry of the shared tier. A value that does not decrypt (a
// rotated key) reads as absent; a store failure is logged and returned.
func (c *Cache) sharedGet(ctx context.Context, sk string) (entry, error) {
	raw, err := c.shared.Get(ctx, sk)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.stats.sharedErrors.Add(1)
			c.log.Warn("cache: shared tier unavailable", "error", err)
		}
		return entry{}, err
	}
	e, err := c.seal.open(sk, raw)
	if err != nil {
		c.log.Warn("cache: dropping a shared-tier value that does not decrypt", "key", sk)
		return entry{}, store.ErrNotFound
	}
	return e, nil
}

// load calls the loader detached from the first caller's cancellation and stores its answer.
func (c *Cache) load(ctx context.Context, k Key, kind Kind, sk string, load func(context.Context) (Value, error)) (entry, error) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	v, err := load(lctx)
	if err != nil {
		c.stats.loadErrors.Add(1)
		c.byKind[k.Kind].loadErrors.Add(1)
		return entry{}, err
	}
	c.stats.misses.Add(1)
	c.byKind[k.Kind].misses.Add(1)
	now := time.Now()
	e := kind.entry(v, now)
	if !now.Before(e.expiresAt) {
		return e, nil // nothing to keep: negative caching off, or the answer already invalid
	}
	c.local.put(k, e, now)
	ttl := e.expiresAt.Sub(now)
	if err := c.shared.Set(lctx, sk, c.seal.seal(sk, e), ttl); err != nil {
		c.stats.sharedErrors.Add(1)
		c.log.Warn("cache: shared tier unavailable, kept in this replica only", "error", err)
		return e, nil
	}
	c.index(lctx, k.Subject, sk, now)
	return e, nil
}

func (e entry) result(state contracts.StatoCache, now time.Time) Result {
	return Result{Data: e.data, Negative: e.negative, State: state, FetchedAt: e.fetchedAt, Age: max(now.Sub(e.fetchedAt), 0)}
}

// Stats are counters since New, for metrics.
type Stats struct {
	LocalHits, SharedHits, Misses, Stale, LoadErrors, SharedErrors uint64
	// LocalBytes and LocalEntries are the in-process tier's accounted size now; LocalEvictions
	// counts entries it dropped to stay within its bound.
	LocalBytes     int64
	LocalEntries   int
	LocalEvictions uint64
}

// KindStats reads the counters of each configured kind (hits, misses, stale answers, load errors;
// the in-process tier's size and the shared tier's errors are in Stats only). Kinds are the
// configured ones: a bounded set, fit for metric labels.
func (c *Cache) KindStats() map[string]Stats {
	out := make(map[string]Stats, len(c.byKind))
	for name, k := range c.byKind {
		out[name] = Stats{LocalHits: k.localHits.Load(), SharedHits: k.sharedHits.Load(), Misses: k.misses.Load(),
			Stale: k.stale.Load(), LoadErrors: k.loadErrors.Load()}
	}
	return out
}

// Stats reads the counters.
func (c *Cache) Stats() Stats {
	b, n, ev := c.local.usage()
	return Stats{
		LocalHits: c.stats.localHits.Load(), SharedHits: c.stats.sharedHits.Load(), Misses: c.stats.misses.Load(),
		Stale: c.stats.stale.Load(), LoadErrors: c.stats.loadErrors.Load(), SharedErrors: c.stats.sharedErrors.Load(),
		LocalBytes: b, LocalEntries: n, LocalEvictions: ev,
	}
}
