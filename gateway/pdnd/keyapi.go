package pdnd

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/welfaregov/gateway/gateway/jose"
)

// TokenSource gives the Bearer voucher of the PDND-API client that calls the PDND API
// (VoucherCache.Token for a client with no purpose). Safe for concurrent use. When it also has
// InvalidateToken() (VoucherCache does), KeyAPI calls it after a 401, so a revoked or expired voucher
// is replaced at the next lookup instead of failing every lookup until its refresh.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// APIKey is a public key registered on PDND.
type APIKey struct {
	KID string
	// ClientID is the consumer client the key belongs to (GET /keys/{kid}); empty for producer keys.
	ClientID string
	// ProducerKeychainID is the producer keychain of the key (GET /producerKeys/{kid}).
	ProducerKeychainID string
	Key                crypto.PublicKey
}

// keyBody is the v2 response shape of GET /keys/{kid} ({clientId, jwk}) and of
// GET /producerKeys/{kid} ({producerKeychainId, jwk}) in PDND's m2mGatewayApi.yml.
type keyBody struct {
	ClientID           string          `json:"clientId"`
	ProducerKeychainID string          `json:"producerKeychainId"`
	JWK                json.RawMessage `json:"jwk"`
}

// maxKeyResponse bounds a key lookup response (a JWK with a 4096-bit modulus is under 1 KiB).
const maxKeyResponse = 64 << 10

// KeyAPI looks keys up on the PDND API v2 (§1.7): consumer keys for INTEGRITY_REST_02 and
// AUDIT_REST_02, producer keychain keys for signed responses. Keys are cached for KeyTTL and
// refreshable (Invalidate); a 404 is remembered for NotFoundTTL so a stream of forged kids costs
// PDND one call per kid, and concurrent lookups of one kid share a call. Safe for concurrent use.
type KeyAPI struct {
	baseURL     string
	tokens      TokenSource
	http        *http.Client
	keyTTL      time.Duration
	notFoundTTL time.Duration
	now         func() time.Time

	sf    singleflight.Group
	mu    sync.RWMutex
	cache map[string]keyEntry
}

type keyEntry struct {
	key     *APIKey
	err     error // ErrKidUnknown, cached for notFoundTTL
	fetched time.Time
	expires time.Time
}

// KeyAPIOption configures NewKeyAPI.
type KeyAPIOption func(*KeyAPI)

// WithKeyTTL sets how long found keys and 404s are cached (defaults 1 h and 1 min).
func WithKeyTTL(found, notFound time.Duration) KeyAPIOption {
	return func(k *KeyAPI) { k.keyTTL, k.notFoundTTL = found, notFound }
}

// WithKeyAPIHTTPClient sets the HTTP client (default: 10 s timeout).
func WithKeyAPIHTTPClient(c *http.Client) KeyAPIOption { return func(k *KeyAPI) { k.http = c } }

// WithKeyAPIClock sets the clock (default time.Now).
func WithKeyAPIClock(now func() time.Time) KeyAPIOption { return func(k *KeyAPI) { k.now = now } }

// NewKeyAPI returns a client of the PDND API at baseURL (e.g. https://api.interop.pagopa.it/v2)
// authenticated with tokens.
func NewKeyAPI(baseURL string, tokens TokenSource, opts ...KeyAPIOption) *KeyAPI {
	k := &KeyAPI{baseURL: strings.TrimSuffix(baseURL, "/"), tokens: tokens, http: defaultHTTPClient,
		keyTTL: time.Hour, notFoundTTL: time.Minute, now: time.Now, cache: map[string]keyEntry{}}
	for _, o := range opts {
		o(k)
	}
	return k
}

// ConsumerKey returns the consumer key kid (GET /keys/{kid}). Errors: ErrKidUnknown (PDND answered
// 404, or kid is not a plausible key id), *UnavailableError (anything else).
func (k *KeyAPI) ConsumerKey(ctx context.Context, kid string) (*APIKey, error) {
	return k.lookup(ctx, "keys", kid)
}

// ProducerKey returns the producer keychain key kid (GET /producerKeys/{kid}), used to verify the
// signed responses of an e-service. Errors as ConsumerKey.
func (k *KeyAPI) ProducerKey(ctx context.Context, kid string) (*APIKey, error) {
	return k.lookup(ctx, "producerKeys", kid)
}

// Invalidate forgets kid (both kinds), so the next lookup asks PDND again: call it when a key
// event says the key changed.
func (k *KeyAPI) Invalidate(kid string) {
	k.mu.Lock()
	delete(k.cache, "keys/"+kid)
	delete(k.cache, "producerKeys/"+kid)
	k.mu.Unlock()
}

// KeyStoreStats describe the keys KeyAPI holds, for metrics and the dashboard.
type KeyStoreStats struct {
	// Keys is the number of keys cached (consumer and producer keys); Unknown the kids PDND
	// answered 404 for, remembered for NotFoundTTL.
	Keys    int `json:"keys"`
	Unknown int `json:"unknown"`
	// OldestFetched is when the least recently fetched cached key was fetched (zero: none cached).
	// Keys are refetched after KeyTTL, or kept past it while PDND cannot be reached.
	OldestFetched time.Time `json:"oldestFetched,omitzero"`
}

// Stats reads what the key store holds.
func (k *KeyAPI) Stats() KeyStoreStats {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var s KeyStoreStats
	for _, e := range k.cache {
		if e.key == nil {
			s.Unknown++
			continue
		}
		s.Keys++
		if s.OldestFetched.IsZero() || e.fetched.Before(s.OldestFetched) {
			s.OldestFetched = e.fetched
		}
	}
	return s
}

// InvalidateAll forgets every cached key and 404, so each next lookup asks PDND again (an
// operator's control, after a consumer says it replaced its key); it returns how many were dropped.
func (k *KeyAPI) InvalidateAll() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := len(k.cache)
	clear(k.cache)
	return n
}

func (k *KeyAPI) lookup(ctx context.Context, resource, kid string) (*APIKey, error) {
	if !jose.ValidKid(kid) {
		return nil, fmt.Errorf("%w: %q is not a PDND key id", ErrKidUnknown, kid)
	}
	ck := resource + "/" + kid
	k.mu.RLock()
	e, ok := k.cache[ck]
	k.mu.RUnlock()
	if ok && k.now().Before(e.expires) {
		return e.key, e.err
	}
	v, err, _ := k.sf.Do(ck, func() (any, error) {
		// Shared by every caller waiting for this kid: detached from the first caller's context.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		key, err := k.fetch(fctx, resource, kid)
		var exp time.Time
		switch {
		case err == nil:
			exp = k.now().Add(k.keyTTL)
		case errors.Is(err, ErrKidUnknown):
			exp = k.now().Add(k.notFoundTTL)
		default:
			if ok && e.key != nil {
				// PDND is unreachable: keep using the key we had (it was valid an hour ago; a
				// revoked key is caught at the next successful lookup).
				return e.key, nil
			}
			return nil, err
		}
		k.mu.Lock()
		k.cache[ck] = keyEntry{key: key, err: err, fetched: k.now(), expires: exp}
		k.mu.Unlock()
		return key, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*APIKey), nil
}

// fetch looks kid up; after a 401 it replaces the PDND-API voucher (when the TokenSource can) and
// tries once more.
func (k *KeyAPI) fetch(ctx context.Context, resource, kid string) (*APIKey, error) {
	key, retry, err := k.fetchOnce(ctx, resource, kid)
	if retry {
		key, _, err = k.fetchOnce(ctx, resource, kid)
	}
	return key, err
}

func (k *KeyAPI) fetchOnce(ctx context.Context, resource, kid string) (_ *APIKey, retry bool, _ error) {
	source := "PDND API " + resource
	token, err := k.tokens.Token(ctx)
	if err != nil {
		return nil, false, &UnavailableError{Source: source, Err: fmt.Errorf("obtaining the PDND-API voucher: %w", err)}
	}
	u := k.baseURL + "/" + resource + "/" + url.PathEscape(kid)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, &UnavailableError{Source: source, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return nil, false, &UnavailableError{Source: source, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyResponse))
	if err != nil {
		return nil, false, &UnavailableError{Source: source, Err: err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, false, ErrKidUnknown
	case http.StatusUnauthorized:
		if inv, ok := k.tokens.(interface{ InvalidateToken() }); ok {
			inv.InvalidateToken()
			retry = true
		}
		fallthrough
	default:
		detail := ""
		if p, err := ParseProblem(body); err == nil {
			detail = ": " + p.String()
		}
		return nil, retry, &UnavailableError{Source: source, Err: fmt.Errorf("GET %s answered %d%s", u, resp.StatusCode, detail)}
	}
	key, err := ParseKeyResponse(body)
	if err != nil {
		return nil, false, &UnavailableError{Source: source, Err: err}
	}
	key.KID = kid
	return key, false, nil
}

// ParseKeyResponse decodes a v2 key lookup body ({"clientId"|"producerKeychainId", "jwk"}). The
// JWK must be a public RSA (2048 bits or more) or EC P-256 key; private members are refused.
func ParseKeyResponse(body []byte) (*APIKey, error) {
	var b keyBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("pdnd: key response is not the v2 {jwk} object: %w", err)
	}
	if len(b.JWK) == 0 || string(b.JWK) == "null" {
		return nil, errors.New("pdnd: key response has no jwk (a v1 API answers with a bare JWK; use the v2 base URL)")
	}
	pub, err := jose.ParsePublicJWK(b.JWK)
	if err != nil {
		return nil, err
	}
	return &APIKey{ClientID: b.ClientID, ProducerKeychainID: b.ProducerKeychainID, Key: pub}, nil
}
