package modi

import (
	"context"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// ResponseVerifier verifies the signed responses of upstream e-services (INTEGRITY_REST_02 on
// responses, key from the producer keychain via GET /producerKeys/{kid}; or INTEGRITY_REST_01 with
// x5c). Failures are *secerr.Error of kind response (status 502: the upstream sent an invalid
// response). Safe for concurrent use.
type ResponseVerifier struct {
	producerKeys KeyLookup
	roots        *trustRoots
	now          func() time.Time
}

// NewResponseVerifier returns a verifier using producer key lookups (pdnd.KeyAPI.ProducerKey) and,
// for x5c responses, the roots in pool (nil when no upstream uses X.509).
func NewResponseVerifier(producerKeys KeyLookup, pool *x509.CertPool, now func() time.Time) *ResponseVerifier {
	if now == nil {
		now = time.Now
	}
	v := &ResponseVerifier{producerKeys: producerKeys, now: now}
	if pool != nil {
		v.roots = newTrustRoots(pool, now)
	}
	return v
}

// ResponseExpect is what one upstream's responses must satisfy.
type ResponseExpect struct {
	// Trust is TrustPDND (kid in the producer keychain, default) or TrustX509.
	Trust Trust
	// Required makes an unsigned response an error (response.missing); otherwise an unsigned
	// response verifies to nil.
	Required bool
	// Audience, when set, must be in aud (PDND's own signed responses carry no aud).
	Audience string
	// Skew is the clock tolerance (default 5 s); MaxAge the oldest iat accepted (default 5 min).
	Skew, MaxAge time.Duration
}

// Verify checks the Agid-JWT-Signature and Digest of a response (headers and raw body bytes).
func (v *ResponseVerifier) Verify(ctx context.Context, h http.Header, body []byte, e *ResponseExpect) (*Integrity, error) {
	tokens := h.Values(SignatureHeader)
	if len(tokens) == 0 {
		if e.Required {
			return nil, secerr.New(secerr.Response, secerr.Missing, "the upstream response has no %s header, and its signature is required", SignatureHeader)
		}
		return nil, nil
	}
	c := &integrityCheck{
		kind: secerr.Response, trust: e.Trust, lookup: v.producerKeys, roots: v.roots, audience: e.Audience,
		rules: jose.TimeRules{Skew: orDefault(e.Skew, DefaultClockSkew), MaxAge: orDefault(e.MaxAge, DefaultMaxAge),
			RequireExp: true, RequireIat: true, Why: "ModI INTEGRITY_REST requires it"},
	}
	return verifyIntegrity(ctx, c, tokens, h, body, v.now())
}
