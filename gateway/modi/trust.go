package modi

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/ttlcache"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// Trust says how the key of a ModI token is found.
type Trust int

const (
	// TrustPDND: the JOSE header kid names a key registered on PDND, fetched with the PDND API
	// (INTEGRITY_REST_02, AUDIT_REST_02, AUDIT_REST_01 via PDND).
	TrustPDND Trust = iota
	// TrustX509: the JOSE header x5c carries a certificate chain verified against the e-service's
	// trust store (INTEGRITY_REST_01, ID_AUTH_REST_01/02, AUDIT_REST_01 with X.509).
	TrustX509
)

// KeyLookup finds a key registered on PDND: pdnd.KeyAPI's ConsumerKey for tokens consumers send,
// ProducerKey for the signed responses of upstreams. Errors follow pdnd.KeyAPI: ErrKidUnknown for
// an unknown kid, *pdnd.UnavailableError when PDND cannot be asked.
type KeyLookup func(ctx context.Context, kid string) (*pdnd.APIKey, error)

// Algorithms accepted per trust. PDND keys are RSA (RS256 only); X.509 certificates may carry RSA
// or P-256 keys. The alg of a token must also fit its key's type (jose.CheckKey).
var (
	pdndAlgorithms = []string{jose.RS256}
	x509Algorithms = []string{jose.RS256, jose.ES256}
)

// maxChain bounds an x5c chain (leaf, intermediates; the root comes from the trust store).
const maxChain = 5

// chainTTL bounds how long a verified x5c chain is reused without verifying it again.
const chainTTL = 5 * time.Minute

// signingKey is the key a token was verified with and what identifies its owner.
type signingKey struct {
	pub crypto.PublicKey
	// clientID is the PDND client of a PDND key ("" for X.509).
	clientID string
	// cert is the verified leaf of an X.509 token (nil for PDND).
	cert *x509.Certificate
	// x5t is base64url(SHA-256(leaf DER)) of an X.509 token.
	x5t string
}

// trustRoots verifies x5c chains against a pool and caches the results.
type trustRoots struct {
	pool  *x509.CertPool
	cache *ttlcache.Cache[[32]byte, *x509.Certificate]
}

func newTrustRoots(pool *x509.CertPool, now func() time.Time) *trustRoots {
	return &trustRoots{pool: pool, cache: ttlcache.New[[32]byte, *x509.Certificate](1000, now)}
}

// verifyToken runs the checks every ModI token shares, in order: parse, typ (JWT or absent), alg
// pinned for the trust, the key (kid on PDND or x5c chain), the signature.
func verifyToken(ctx context.Context, kind secerr.Kind, raw string, trust Trust, lookup KeyLookup, roots *trustRoots, now time.Time) (*jose.Token, signingKey, error) {
	t, err := jose.ParseAs(kind, raw)
	if err != nil {
		return nil, signingKey{}, err
	}
	if err := t.CheckTyp(kind, true, "JWT"); err != nil {
		return nil, signingKey{}, err
	}
	var key signingKey
	switch trust {
	case TrustPDND:
		if err := t.CheckAlg(kind, pdndAlgorithms); err != nil {
			return nil, signingKey{}, err
		}
		key, err = pdndKey(ctx, kind, t, lookup)
	case TrustX509:
		if err := t.CheckAlg(kind, x509Algorithms); err != nil {
			return nil, signingKey{}, err
		}
		key, err = roots.verify(kind, t, now)
	}
	if err != nil {
		return nil, signingKey{}, err
	}
	if err := t.VerifyAs(kind, key.pub); err != nil {
		return nil, signingKey{}, err
	}
	return t, key, nil
}

func pdndKey(ctx context.Context, kind secerr.Kind, t *jose.Token, lookup KeyLookup) (signingKey, error) {
	kid := t.Header.Kid
	if kid == "" {
		hint := ""
		if len(t.Header.X5C) > 0 {
			hint = " (it carries x5c: the e-service uses PDND keys, not X.509 certificates)"
		}
		return signingKey{}, secerr.New(kind, secerr.KidMissing, "the %s has no kid; put the id of the signing key registered on PDND%s", kind.TokenName(), hint)
	}
	k, err := lookup(ctx, kid)
	var ue *pdnd.UnavailableError
	switch {
	case errors.As(err, &ue):
		return signingKey{}, secerr.Wrap(kind, secerr.KeyUnavailable, err, "the PDND key API cannot be reached now, so the key %s of the %s cannot be fetched; retry later", secerr.Quote(kid), kind.TokenName())
	case err != nil:
		e := secerr.Wrap(kind, secerr.KidUnknown, err, "the %s kid %s is not a key registered on PDND", kind.TokenName(), secerr.Quote(kid))
		e.Claim, e.Got = "kid", secerr.Cut(kid)
		return signingKey{}, e
	}
	return signingKey{pub: k.Key, clientID: k.ClientID}, nil
}

// verify checks the x5c chain of t (RFC 7515 §4.1.6, RFC 8725 §3.10) against the pool at now,
// requires the digitalSignature usage on the leaf, and checks x5t#S256 when present.
func (r *trustRoots) verify(kind secerr.Kind, t *jose.Token, now time.Time) (signingKey, error) {
	h := t.Header
	if len(h.X5C) == 0 {
		why := "put the signing certificate (and intermediates) in x5c"
		switch {
		case h.X5U != "":
			why = "x5u is not fetched by the gateway; send the chain in x5c"
		case h.X5TS256 != "":
			why = "x5t#S256 alone is not enough; send the chain in x5c"
		case h.Kid != "":
			why = "it carries a kid: the e-service uses X.509 certificates, not PDND keys"
		}
		return signingKey{}, secerr.New(kind, secerr.X5CMissing, "the %s has no x5c certificate chain; %s", kind.TokenName(), why)
	}
	if r == nil {
		return signingKey{}, secerr.New(kind, secerr.ChainUntrusted, "no X.509 trust store is configured, so the x5c of the %s cannot be trusted", kind.TokenName())
	}
	if len(h.X5C) > maxChain {
		return signingKey{}, secerr.New(kind, secerr.ChainUntrusted, "the %s x5c has %d certificates; at most %d are accepted", kind.TokenName(), len(h.X5C), maxChain)
	}
	id := sha256.Sum256([]byte(strings.Join(h.X5C, ",")))
	leaf, ok := r.cache.Get(id)
	if !ok {
		var err error
		if leaf, err = r.verifyChain(kind, h.X5C, now); err != nil {
			return signingKey{}, err
		}
		exp := now.Add(chainTTL)
		if leaf.NotAfter.Before(exp) {
			exp = leaf.NotAfter
		}
		r.cache.Put(id, leaf, exp)
	}
	sum := sha256.Sum256(leaf.Raw)
	x5t := base64.RawURLEncoding.EncodeToString(sum[:])
	if h.X5TS256 != "" && h.X5TS256 != x5t {
		return signingKey{}, secerr.Mismatch(kind, secerr.X5TMismatch, "x5t#S256", h.X5TS256, x5t, "the thumbprint of the x5c leaf")
	}
	return signingKey{pub: leaf.PublicKey, cert: leaf, x5t: x5t}, nil
}

func (r *trustRoots) verifyChain(kind secerr.Kind, x5c []string, now time.Time) (*x509.Certificate, error) {
	certs := make([]*x509.Certificate, len(x5c))
	for i, s := range x5c {
		der, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			certs[i], err = x509.ParseCertificate(der)
		}
		if err != nil {
			return nil, secerr.Wrap(kind, secerr.ChainUntrusted, err, "x5c certificate %d of the %s is not a standard-base64 DER certificate", i, kind.TokenName())
		}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	_, err := leaf.Verify(x509.VerifyOptions{Roots: r.pool, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, secerr.Wrap(kind, secerr.ChainUntrusted, err, "the x5c chain of the %s (leaf %s) does not verify against the e-service trust store: %s",
			kind.TokenName(), secerr.Quote(leaf.Subject.String()), strings.TrimPrefix(err.Error(), "x509: "))
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, secerr.New(kind, secerr.CertUsageInvalid, "the x5c leaf %s of the %s lacks the digitalSignature key usage", secerr.Quote(leaf.Subject.String()), kind.TokenName())
	}
	return leaf, nil
}
