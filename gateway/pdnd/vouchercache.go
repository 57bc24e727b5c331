package pdnd

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// EvidenceSigner builds the Agid-JWT-TrackingEvidence a voucher is bound to (AUDIT_REST_01/02).
// gateway/modi implements it. Safe for concurrent use.
type EvidenceSigner interface {
	// SignEvidence signs a tracking evidence for purposeID, addressed to audience, carrying the
	// agreed audit claims, valid from now until the returned exp.
	SignEvidence(purposeID, audience string, claims map[string]any, now time.Time) (evidence string, exp time.Time, err error)
}

// AuditRequest asks for a tracking evidence to travel with the voucher.
type AuditRequest struct {
	// Audience is the evidence's aud (the e-service audience).
	Audience string
	// Claims are the agreed audit claims (userID, userLocation, LoA ...).
	Claims map[string]any
	// Bind puts the evidence's digest in the client assertion (AUDIT_REST_02). Without it the
	// evidence is only cached and reused with the voucher (AUDIT_REST_01).
	Bind bool
}

// VoucherRequest is what a call needs: a voucher for a purpose, DPoP-bound or not, with or without
// a tracking evidence.
type VoucherRequest struct {
	PurposeID string
	DPoP      bool
	Audit     *AuditRequest
}

// Credentials are a voucher and the tracking evidence bound to it, reused together until shortly
// before the first of them expires. Shared by the cache: read-only.
type Credentials struct {
	AccessToken string
	// TokenType is "Bearer" or "DPoP".
	TokenType string
	// Evidence is the Agid-JWT-TrackingEvidence, empty when none was asked for.
	Evidence string
	// Expiry is when the voucher (or the evidence, if sooner) expires.
	Expiry time.Time
}

// VoucherCache hands out vouchers per purpose and audit claims, obtaining them from a Client and
// reusing them until RefreshAt of their lifetime, when one caller triggers a background refresh
// while the others keep using the current voucher. Concurrent callers for the same key share one
// token request (singleflight). A 429 from PDND stops all requests of this client until the
// Retry-After has passed, and any other failure stops requests for the same key for FailureBackoff,
// so PDND is never hammered. Safe for concurrent use.
type VoucherCache struct {
	client   *Client
	evidence EvidenceSigner
	// refreshAt is the fraction of the lifetime after which a refresh starts; margin is how long
	// before expiry a voucher stops being handed out.
	refreshAt float64
	margin    time.Duration
	backoff   time.Duration
	now       func() time.Time
	keyMAC    []byte

	observe func(purposeID string, err error)

	sf      singleflight.Group
	mu      sync.Mutex
	entries map[string]*cacheEntry
	blocked time.Time // no token request before this (429 Retry-After)
}

type cacheEntry struct {
	creds     *Credentials
	refreshAt time.Time
	usable    time.Time // until
	failedTil time.Time
	lastErr   error
}

// CacheOption configures NewVoucherCache.
type CacheOption func(*VoucherCache)

// WithEvidenceSigner sets who signs tracking evidence (required for requests with Audit).
func WithEvidenceSigner(s EvidenceSigner) CacheOption {
	return func(c *VoucherCache) { c.evidence = s }
}

// WithRefreshAt sets the fraction of a voucher's lifetime after which it is refreshed (default
// 0.9: GovWay refreshes its ModI tokens 10% before expiry).
func WithRefreshAt(f float64) CacheOption { return func(c *VoucherCache) { c.refreshAt = f } }

// WithFailureBackoff sets how long a failed request for a key blocks new ones (default 1 s).
func WithFailureBackoff(d time.Duration) CacheOption { return func(c *VoucherCache) { c.backoff = d } }

// WithCacheClock sets the clock (default: the client's).
func WithCacheClock(now func() time.Time) CacheOption { return func(c *VoucherCache) { c.now = now } }

// WithRequestObserver sets a function told of every token request sent to PDND (not of vouchers
// served from the cache): the purpose ("" for a PDND-API client) and the request's error (nil: a
// voucher was obtained). Metrics count voucher acquisitions with it.
func WithRequestObserver(f func(purposeID string, err error)) CacheOption {
	return func(c *VoucherCache) { c.observe = f }
}

// HeldVoucher is a voucher the cache holds, for metrics and the dashboard: never the token.
type HeldVoucher struct {
	// PurposeID is the voucher's purpose ("" for a PDND-API client's).
	PurposeID string `json:"purposeId"`
	// Expires is when the voucher (or its tracking evidence, if sooner) expires.
	Expires time.Time `json:"expires"`
	// Bound says a tracking evidence (AUDIT_REST_02) travels with it.
	Bound bool `json:"bound"`
}

// Held lists the vouchers still usable, in no particular order.
func (c *VoucherCache) Held() []HeldVoucher {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []HeldVoucher
	for k, e := range c.entries {
		if e.creds == nil || !now.Before(e.usable) {
			continue
		}
		purpose, _, _ := strings.Cut(k, "|")
		out = append(out, HeldVoucher{PurposeID: purpose, Expires: e.creds.Expiry, Bound: e.creds.Evidence != ""})
	}
	return out
}

// DefaultRateLimitBackoff is the pause after a 429 without Retry-After.
const DefaultRateLimitBackoff = 10 * time.Second

// fetchTimeout bounds one token request made on behalf of every waiting caller: it runs detached
// from the context of the caller that started it (which may go away), so it needs its own limit.
const fetchTimeout = 30 * time.Second

// NewVoucherCache returns a cache over client.
func NewVoucherCache(client *Client, opts ...CacheOption) *VoucherCache {
	c := &VoucherCache{client: client, refreshAt: 0.9, margin: 5 * time.Second, backoff: time.Second,
		now: client.now, entries: map[string]*cacheEntry{}, keyMAC: make([]byte, 32)}
	_, _ = rand.Read(c.keyMAC)
	for _, o := range opts {
		o(c)
	}
	return c
}

// key identifies a request. Audit claims may hold personal data (a user's codice fiscale), so they
// enter the key only through a MAC with a per-process random key.
func (c *VoucherCache) key(req VoucherRequest) (string, error) {
	k := fmt.Sprintf("%s|%t", req.PurposeID, req.DPoP)
	if req.Audit != nil {
		b, err := json.Marshal(struct {
			Aud    string         `json:"a"`
			Claims map[string]any `json:"c"`
			Bind   bool           `json:"b"`
		}{req.Audit.Audience, req.Audit.Claims, req.Audit.Bind})
		if err != nil {
			return "", fmt.Errorf("pdnd: audit claims: %w", err)
		}
		m := hmac.New(sha256.New, c.keyMAC)
		m.Write(b)
		k += "|" + hex.EncodeToString(m.Sum(nil))
	}
	return k, nil
}

// Get returns usable credentials for req: cached ones when fresh, else new ones.
func (c *VoucherCache) Get(ctx context.Context, req VoucherRequest) (*Credentials, error) {
	key, err := c.key(req)
	if err != nil {
		return nil, err
	}
	now := c.now()
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && e.creds != nil && now.Before(e.usable) {
		if !now.Before(e.refreshAt) {
			// Refresh in the background; the current voucher serves until it is replaced.
			c.sf.DoChan(key, func() (any, error) { return c.fetch(context.WithoutCancel(ctx), key, req) })
		}
		return e.creds, nil
	}
	ch := c.sf.DoChan(key, func() (any, error) { return c.fetch(context.WithoutCancel(ctx), key, req) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Credentials), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Invalidate drops the cached voucher of req (after an e-service refused it as revoked or expired).
func (c *VoucherCache) Invalidate(req VoucherRequest) {
	if key, err := c.key(req); err == nil {
		c.mu.Lock()
		delete(c.entries, key)
		c.mu.Unlock()
	}
}

// ErrBackoff wraps the last failure while new requests are held back.
var ErrBackoff = errors.New("pdnd: voucher request held back after a recent failure")

func (c *VoucherCache) fetch(ctx context.Context, key string, req VoucherRequest) (*Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	now := c.now()
	c.mu.Lock()
	blocked := c.blocked
	e := c.entries[key]
	c.mu.Unlock()
	if now.Before(blocked) {
		return nil, &TokenError{Status: http.StatusTooManyRequests, RetryAfter: blocked.Sub(now),
			Err: fmt.Errorf("pdnd: the token endpoint asked to wait until %s (429); no request sent", blocked.UTC().Format(time.RFC3339))}
	}
	if e != nil && now.Before(e.failedTil) {
		return nil, fmt.Errorf("%w until %s: %w", ErrBackoff, e.failedTil.UTC().Format(time.RFC3339), e.lastErr)
	}
	creds, err := c.obtain(ctx, req)
	if c.observe != nil {
		c.observe(req.PurposeID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) && te.Status == http.StatusTooManyRequests {
			wait := te.RetryAfter
			if wait <= 0 {
				wait = DefaultRateLimitBackoff
			}
			c.blocked = c.now().Add(wait)
		}
		// A new entry (entries are never modified once published, Get reads them unlocked) that
		// keeps any still-usable voucher.
		next := &cacheEntry{failedTil: c.now().Add(c.backoff), lastErr: err}
		if e != nil {
			next.creds, next.refreshAt, next.usable = e.creds, e.refreshAt, e.usable
		}
		c.entries[key] = next
		return nil, err
	}
	issued := c.now()
	lifetime := creds.Expiry.Sub(issued)
	c.entries[key] = &cacheEntry{
		creds:     creds,
		refreshAt: issued.Add(time.Duration(float64(lifetime) * c.refreshAt)),
		usable:    creds.Expiry.Add(-min(c.margin, lifetime/10)),
	}
	return creds, nil
}

// obtain signs the evidence (if any), requests the voucher bound to it, and pairs them.
func (c *VoucherCache) obtain(ctx context.Context, req VoucherRequest) (*Credentials, error) {
	creds := &Credentials{}
	var digest *Digest
	var evidenceExp time.Time
	if req.Audit != nil {
		if c.evidence == nil {
			return nil, errors.New("pdnd: a tracking evidence was requested but the voucher cache has no evidence signer")
		}
		var err error
		creds.Evidence, evidenceExp, err = c.evidence.SignEvidence(req.PurposeID, req.Audit.Audience, req.Audit.Claims, c.now())
		if err != nil {
			return nil, fmt.Errorf("pdnd: signing the tracking evidence: %w", err)
		}
		if req.Audit.Bind {
			digest = AuditDigest(creds.Evidence)
		}
	}
	tr, err := c.client.RequestToken(ctx, TokenRequest{PurposeID: req.PurposeID, Digest: digest, DPoP: req.DPoP})
	if err != nil {
		return nil, err
	}
	creds.AccessToken, creds.TokenType = tr.AccessToken, tr.TokenType
	creds.Expiry = tr.Received.Add(tr.ExpiresIn)
	if !evidenceExp.IsZero() && evidenceExp.Before(creds.Expiry) {
		creds.Expiry = evidenceExp
	}
	return creds, nil
}

// InvalidateToken drops the PDND-API voucher Token hands out (KeyAPI calls it after a 401).
func (c *VoucherCache) InvalidateToken() { c.Invalidate(VoucherRequest{}) }

// Token returns a Bearer voucher for a PDND-API client (no purpose): the TokenSource of KeyAPI.
func (c *VoucherCache) Token(ctx context.Context) (string, error) {
	creds, err := c.Get(ctx, VoucherRequest{})
	if err != nil {
		return "", err
	}
	return creds.AccessToken, nil
}
