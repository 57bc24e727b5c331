package pdnd

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"golang.org/x/sync/singleflight"

	"github.com/welfaregov/gateway/gateway/jose"
)

// ErrKidUnknown means the key set has no key with the kid, even after a refetch.
var ErrKidUnknown = errors.New("pdnd: kid not in the key set")

// UnavailableError means a key source (the JWKS, the PDND key API) could not be read and holds no
// usable copy. The request that needed the key cannot be verified now; it may succeed later.
type UnavailableError struct {
	Source string
	Err    error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("pdnd: %s unavailable: %v", e.Source, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// KeySet finds the public key of a kid. Implementations are safe for concurrent use. Key returns
// ErrKidUnknown (possibly wrapped) when the kid is not known, an *UnavailableError when the source
// cannot be read, nil error otherwise.
type KeySet interface {
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// JWKS is the PDND voucher key set of one environment, fetched from its /.well-known/jwks.json
// with httprc (what jwx's jwk.Cache wraps): refreshed in the background, and refetched at once when a voucher
// names a kid the cached set lacks (PDND rotated its key), at most once per RefetchInterval so a
// flood of forged kids cannot turn the gateway against PDND. When a fetch fails the last good set
// stays in use.
type JWKS struct {
	url      string
	ctrl     httprc.Controller
	res      *httprc.ResourceBase[jwk.Set]
	every    time.Duration
	timeout  time.Duration
	now      func() time.Time
	sf       singleflight.Group
	mu       sync.Mutex
	last     time.Time // last on-demand refetch
	lastErr  error
	index    atomic.Pointer[kidIndex]
	fetched  atomic.Int64 // Unix nanoseconds of the last fetch that produced a key set; 0: none yet
	shutdown func()
}

// kidIndex is the set's keys by kid, exported to crypto keys once per fetched set.
type kidIndex struct {
	set   jwk.Set
	byKid map[string][]crypto.PublicKey
}

// JWKSOption configures NewJWKS.
type JWKSOption func(*jwksOptions)

type jwksOptions struct {
	client      *http.Client
	refetch     time.Duration
	minInterval time.Duration
	maxInterval time.Duration
	timeout     time.Duration
	now         func() time.Time
}

// WithJWKSHTTPClient sets the HTTP client (default: a client with a 10 s timeout).
func WithJWKSHTTPClient(c *http.Client) JWKSOption { return func(o *jwksOptions) { o.client = c } }

// WithRefetchInterval bounds on-demand refetches on an unknown kid (default 30 s).
func WithRefetchInterval(d time.Duration) JWKSOption { return func(o *jwksOptions) { o.refetch = d } }

// WithRefreshBounds bounds the background refresh period; within them the JWKS response's
// Cache-Control/Expires decide (default 5 min and 1 h).
func WithRefreshBounds(min, max time.Duration) JWKSOption {
	return func(o *jwksOptions) { o.minInterval, o.maxInterval = min, max }
}

// WithJWKSClock sets the clock used for the refetch rate limit (default time.Now).
func WithJWKSClock(now func() time.Time) JWKSOption { return func(o *jwksOptions) { o.now = now } }

// NewJWKS registers url and returns the key set. It does not wait for the first fetch (the gateway
// must start even when PDND is briefly unreachable); the first voucher triggers one if the
// background fetch has not completed. Close stops the background work.
func NewJWKS(ctx context.Context, url string, opts ...JWKSOption) (*JWKS, error) {
	o := jwksOptions{refetch: 30 * time.Second, minInterval: 5 * time.Minute, maxInterval: time.Hour,
		timeout: 10 * time.Second, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: o.timeout}
	}
	cctx, cancel := context.WithCancel(ctx)
	// httprc directly (not jwk.Cache, which wraps it) so that the transformer can record when a
	// fetch produced a key set: the set's age is what readiness and the dashboard watch.
	ctrl, err := httprc.NewClient(httprc.WithWorkers(1)).Start(cctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("pdnd: JWKS cache: %w", err)
	}
	j := &JWKS{url: url, ctrl: ctrl, every: o.refetch, timeout: o.timeout, now: o.now}
	j.shutdown = func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = ctrl.ShutdownContext(sctx)
		cancel()
	}
	transform := httprc.TransformFunc[jwk.Set](func(ctx context.Context, res *http.Response) (jwk.Set, error) {
		set, err := jwk.Transformer{}.Transform(ctx, res)
		if err == nil {
			j.fetched.Store(j.now().UnixNano())
		}
		return set, err
	})
	j.res, err = httprc.NewResource[jwk.Set](url, transform, httprc.WithHTTPClient(o.client),
		httprc.WithMinInterval(o.minInterval), httprc.WithMaxInterval(o.maxInterval))
	if err == nil {
		err = ctrl.Add(ctx, j.res, httprc.WithWaitReady(false))
	}
	if err != nil {
		j.shutdown()
		return nil, fmt.Errorf("pdnd: registering JWKS %s: %w", url, err)
	}
	return j, nil
}

// Close stops the background refresh.
func (j *JWKS) Close() error {
	j.shutdown()
	return nil
}

// Ready reports whether a key set has been fetched (for health checks).
func (j *JWKS) Ready() bool { return j.res.Resource() != nil }

// JWKSStatus is the key set's state, for readiness, metrics and the dashboard.
type JWKSStatus struct {
	URL string `json:"url"`
	// FetchedAt is when a fetch last produced a key set (zero: never). Its age grows while PDND
	// cannot be reached: the last good set stays in use meanwhile.
	FetchedAt time.Time `json:"fetchedAt,omitzero"`
	// Keys is the number of RS256 keys with a kid in the set in use.
	Keys int `json:"keys"`
	// NextRefresh is when the background refresh runs next.
	NextRefresh time.Time `json:"nextRefresh,omitzero"`
	// LastError is the error of the last on-demand or forced fetch, if it failed.
	LastError string `json:"lastError,omitempty"`
}

// Status reads the key set's state.
func (j *JWKS) Status() JWKSStatus {
	s := JWKSStatus{URL: j.url, NextRefresh: j.res.Next()}
	if n := j.fetched.Load(); n != 0 {
		s.FetchedAt = time.Unix(0, n)
	}
	if idx := j.current(); idx != nil {
		s.Keys = len(idx.byKid)
	}
	j.mu.Lock()
	if j.lastErr != nil {
		s.LastError = j.lastErr.Error()
	}
	j.mu.Unlock()
	return s
}

// Refresh fetches the key set now, whatever the refetch interval (an operator's control, after
// PDND announced a key rotation). On failure the last good set stays in use and the error says why.
func (j *JWKS) Refresh(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	err := j.ctrl.Refresh(fctx, j.url)
	j.mu.Lock()
	j.lastErr = err
	j.mu.Unlock()
	if err != nil {
		return &UnavailableError{Source: "PDND JWKS " + j.url, Err: err}
	}
	return nil
}

// WaitReady blocks until the first fetch succeeded or ctx ends. A start-up that wants to fail fast
// when PDND is unreachable calls it with a timeout.
func (j *JWKS) WaitReady(ctx context.Context) error {
	if err := j.res.Ready(ctx); err != nil {
		return &UnavailableError{Source: "PDND JWKS " + j.url, Err: err}
	}
	return nil
}

// Key returns the key with kid. See KeySet for the errors. Two keys with the same kid are refused
// (the set is ambiguous; PDND never publishes one).
func (j *JWKS) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	idx := j.current()
	if idx == nil || len(idx.byKid[kid]) == 0 {
		j.refetch(ctx)
		if idx = j.current(); idx == nil {
			j.mu.Lock()
			err := j.lastErr
			j.mu.Unlock()
			if err == nil {
				err = errors.New("no key set fetched yet")
			}
			return nil, &UnavailableError{Source: "PDND JWKS " + j.url, Err: err}
		}
	}
	switch keys := idx.byKid[kid]; len(keys) {
	case 0:
		return nil, ErrKidUnknown
	case 1:
		return keys[0], nil
	default:
		return nil, fmt.Errorf("%w: the JWKS has %d keys with this kid", ErrKidUnknown, len(keys))
	}
}

// refetch fetches the set now, unless the last on-demand fetch is more recent than the interval.
// Concurrent callers share one fetch.
func (j *JWKS) refetch(ctx context.Context) {
	_, _, _ = j.sf.Do("refetch", func() (any, error) {
		j.mu.Lock()
		now := j.now()
		if !j.last.IsZero() && now.Sub(j.last) < j.every {
			j.mu.Unlock()
			return nil, nil
		}
		j.last = now
		j.mu.Unlock()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.timeout)
		defer cancel()
		err := j.ctrl.Refresh(fctx, j.url)
		j.mu.Lock()
		j.lastErr = err
		j.mu.Unlock()
		return nil, nil
	})
}

// current is the index of the cached set, rebuilt when httprc stored a new set.
func (j *JWKS) current() *kidIndex {
	set := j.res.Resource()
	if set == nil {
		return nil
	}
	if idx := j.index.Load(); idx != nil && idx.set == set {
		return idx
	}
	idx := &kidIndex{set: set, byKid: map[string][]crypto.PublicKey{}}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, ok := k.KeyID()
		if !ok {
			continue
		}
		var pub any
		if err := jwk.Export(k, &pub); err != nil {
			continue
		}
		if jose.AlgFor(pub) != jose.RS256 {
			continue // PDND signs vouchers RS256 only; other keys cannot verify a voucher
		}
		idx.byKid[kid] = append(idx.byKid[kid], pub)
	}
	j.index.Store(idx)
	return idx
}
