package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// Typed caches one kind of answer of type T, stored as its JSON (the internal model's own
// encoding). Safe for concurrent use.
type Typed[T any] struct {
	c    *Cache
	kind string
	// notAfter, when set, gives an answer's end of validity.
	notAfter func(T) time.Time
	// decoded, when set, keeps the values decoded from in-process entries (SharedValues).
	decoded *decodedValues[T]
}

// TypedOption configures NewTyped.
type TypedOption func(*typedOptions)

type typedOptions struct{ shared bool }

// SharedValues makes Get decode each in-process entry once: the hits on an entry return the same
// value, so a hit costs no JSON decoding (an attestation takes tens of microseconds to decode).
// The values are then shared between callers, who must not modify them (copy what they change).
// The decoded values are kept for at most MaxSharedBytes of their encodings.
func SharedValues() TypedOption { return func(o *typedOptions) { o.shared = true } }

// MaxSharedBytes bounds the encodings whose decoded values a Typed with SharedValues keeps.
const MaxSharedBytes = 16 << 20

// NewTyped returns the typed view of kind. notAfter (may be nil) gives an answer's end of
// validity, such as ValidUntil of an ISEE attestation's DataValidita.
func NewTyped[T any](c *Cache, kind string, notAfter func(T) time.Time, opts ...TypedOption) (*Typed[T], error) {
	if _, ok := c.kinds[kind]; !ok {
		return nil, fmt.Errorf("cache: unknown kind %q", kind)
	}
	var o typedOptions
	for _, opt := range opts {
		opt(&o)
	}
	t := &Typed[T]{c: c, kind: kind, notAfter: notAfter}
	if o.shared {
		t.decoded = &decodedValues[T]{m: map[*byte]T{}}
	}
	return t, nil
}

// decodedValues maps the bytes of a cached answer (the in-process tier returns the same slice on
// every hit; a new load or a shared-tier read gives new bytes) to the value decoded from them. It
// keeps those bytes alive, so it is bounded by their size, and emptied when the bound is reached.
type decodedValues[T any] struct {
	mu    sync.Mutex
	m     map[*byte]T
	bytes int
}

func (d *decodedValues[T]) get(data []byte) (T, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[&data[0]]
	return v, ok
}

func (d *decodedValues[T]) put(data []byte, v T) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bytes+len(data) > MaxSharedBytes {
		clear(d.m)
		d.bytes = 0
	}
	d.m[&data[0]] = v
	d.bytes += len(data)
}

// BusinessAnswer is a cached business answer ("not found", "no valid ISEE"): what Typed.Get
// returns, on the miss that loaded it and on every hit until its negative_ttl ends. It is a
// Business error (adapter.ClassOf).
type BusinessAnswer struct {
	// Code is the upstream's code when the loader's error had one (ANPR "EN122").
	Code string `json:"code,omitempty"`
	// Message is the loader's error message (adapters mask personal data in theirs).
	Message string `json:"message"`
	// Result says how old the answer is.
	Result Result `json:"-"`
}

func (e *BusinessAnswer) Error() string { return e.Message }

// UpstreamClass implements adapter.Classified.
func (e *BusinessAnswer) UpstreamClass() adapter.Class { return adapter.Business }

// Get returns the answer about subject (variant tells apart questions about the same subject:
// a reference date, an indicator type), loading it with load when no tier holds it fresh. A
// Business error from load is cached as a *BusinessAnswer; other load errors are returned
// unchanged (or answered by a stale entry, see Cache.Get).
func (t *Typed[T]) Get(ctx context.Context, subject, variant string, load func(ctx context.Context) (T, error)) (T, Result, error) {
	var zero T
	r, err := t.c.Get(ctx, Key{Kind: t.kind, Subject: subject, Variant: variant}, func(ctx context.Context) (Value, error) {
		v, err := load(ctx)
		if err != nil {
			if adapter.ClassOf(err) != adapter.Business {
				return Value{}, err
			}
			ba := BusinessAnswer{Message: err.Error()}
			var coded interface{ Code() string }
			if errors.As(err, &coded) {
				ba.Code = coded.Code()
			}
			b, merr := json.Marshal(ba)
			if merr != nil {
				return Value{}, merr
			}
			return Value{Data: b, Negative: true}, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return Value{}, fmt.Errorf("cache: encoding a %s answer: %w", t.kind, err)
		}
		out := Value{Data: b}
		if t.notAfter != nil {
			out.NotAfter = t.notAfter(v)
		}
		return out, nil
	})
	if err != nil {
		return zero, r, err
	}
	if r.Negative {
		ba := &BusinessAnswer{Result: r}
		if err := json.Unmarshal(r.Data, ba); err != nil {
			return zero, r, fmt.Errorf("cache: decoding a cached %s business answer: %w", t.kind, err)
		}
		return zero, r, ba
	}
	if t.decoded != nil && len(r.Data) > 0 {
		if v, ok := t.decoded.get(r.Data); ok {
			return v, r, nil
		}
	}
	var v T
	if err := json.Unmarshal(r.Data, &v); err != nil {
		return zero, r, fmt.Errorf("cache: decoding a cached %s answer: %w", t.kind, err)
	}
	if t.decoded != nil && len(r.Data) > 0 {
		t.decoded.put(r.Data, v)
	}
	return v, r, nil
}

// ValidUntil is the instant a validity ending on the civil date d ends: the midnight that
// closes d in Europe/Rome (an ISEE with DataValidita 2025-12-31 is valid through that whole day).
// A zero or partial date gives the zero time (no end).
func ValidUntil(d contracts.Data) time.Time {
	t, err := d.Time(contracts.RomeZone)
	if err != nil {
		return time.Time{}
	}
	return t.AddDate(0, 0, 1)
}
