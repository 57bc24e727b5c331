package jose

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v3/cert"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Signer signs compact JWS with one private key and its references (kid, x5c chain, public JWK).
// The key can be replaced at run time with Rotate: every Sign call uses either the old or the new
// key and its references, never a mix. Safe for concurrent use.
type Signer struct {
	cur atomic.Pointer[signingKey]
}

type signingKey struct {
	key     crypto.Signer
	alg     jwa.SignatureAlgorithm
	algName string
	kid     string
	jkt     string
	chain   *cert.Chain
	x5c     []string
	x5t     string
	jwk     jwk.Key
}

// Option configures the key of a Signer. Options may fail (a chain that does not match the key).
type Option func(*signingKey) error

// WithKid sets the kid put in headers. Default: the RFC 7638 thumbprint of the public key, which is
// the kid PDND assigns to an uploaded key.
func WithKid(kid string) Option {
	return func(k *signingKey) error {
		if kid == "" {
			return errors.New("jose: empty kid")
		}
		k.kid = kid
		return nil
	}
}

// WithCertificates sets the X.509 chain (leaf first) put in x5c for ModI X.509 patterns
// (INTEGRITY_REST_01, ID_AUTH_REST_01/02, AUDIT_REST_01 with direct trust). The leaf must certify
// the signing key and allow digitalSignature.
func WithCertificates(chain []*x509.Certificate) Option {
	return func(k *signingKey) error {
		if len(chain) == 0 {
			return errors.New("jose: empty certificate chain")
		}
		leaf := chain[0]
		if !EqualPublicKeys(k.key.Public(), leaf.PublicKey) {
			return errors.New("jose: the first certificate does not certify the signing key")
		}
		if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			return errors.New("jose: the leaf certificate lacks the digitalSignature key usage")
		}
		var c cert.Chain
		k.x5c = nil
		for _, crt := range chain {
			b64 := base64.StdEncoding.EncodeToString(crt.Raw)
			if err := c.AddString(b64); err != nil {
				return fmt.Errorf("jose: x5c: %w", err)
			}
			k.x5c = append(k.x5c, b64)
		}
		sum := sha256.Sum256(leaf.Raw)
		k.chain, k.x5t = &c, base64.RawURLEncoding.EncodeToString(sum[:])
		return nil
	}
}

// NewSigner returns a Signer for key (RSA of MinRSABits or more, signing RS256; or EC P-256,
// signing ES256).
func NewSigner(key crypto.Signer, opts ...Option) (*Signer, error) {
	s := &Signer{}
	if err := s.Rotate(key, opts...); err != nil {
		return nil, err
	}
	return s, nil
}

// Rotate replaces the signing key and its references atomically. On error the current key stays.
func (s *Signer) Rotate(key crypto.Signer, opts ...Option) error {
	if key == nil {
		return errors.New("jose: nil signing key")
	}
	algName := AlgFor(key.Public())
	if err := CheckKey(algName, key.Public()); err != nil {
		return err
	}
	alg, ok := jwa.LookupSignatureAlgorithm(algName)
	if !ok {
		return fmt.Errorf("jose: unknown algorithm %s", algName)
	}
	jkt, err := Thumbprint(key.Public())
	if err != nil {
		return err
	}
	k := &signingKey{key: key, alg: alg, algName: algName, kid: jkt, jkt: jkt}
	for _, o := range opts {
		if err := o(k); err != nil {
			return err
		}
	}
	if k.jwk, err = jwk.Import(key.Public()); err != nil {
		return fmt.Errorf("jose: public JWK: %w", err)
	}
	s.cur.Store(k)
	return nil
}

// Kid is the key id put in headers.
func (s *Signer) Kid() string { return s.cur.Load().kid }

// JKT is the RFC 7638 thumbprint of the public key (a DPoP voucher's cnf.jkt).
func (s *Signer) JKT() string { return s.cur.Load().jkt }

// Alg is the algorithm the key signs with.
func (s *Signer) Alg() string { return s.cur.Load().algName }

// Public is the public key.
func (s *Signer) Public() crypto.PublicKey { return s.cur.Load().key.Public() }

// X5C is the x5c header value (standard base64 of each DER certificate, leaf first); nil without
// a certificate chain.
func (s *Signer) X5C() []string { return s.cur.Load().x5c }

// SignHeader says what goes in the JOSE header besides alg.
type SignHeader struct {
	// Typ is the typ member ("JWT", "at+jwt", "dpop+jwt"); empty omits it.
	Typ string
	// Kid adds the key id.
	Kid bool
	// X5C adds the certificate chain; X5TS256 adds its leaf thumbprint. Signing fails when the
	// Signer has no chain.
	X5C, X5TS256 bool
	// JWK adds the public key as a JWK (DPoP proofs, RFC 9449 §4.2).
	JWK bool
	// Extra holds more members, for test doubles that must mimic a third party (PDND adds "use").
	Extra map[string]any
}

// Sign signs payload (the exact bytes; normally a JSON object) as a compact JWS.
func (s *Signer) Sign(h SignHeader, payload []byte) (string, error) {
	k := s.cur.Load()
	hdr := jws.NewHeaders()
	set := func(name string, v any) error {
		if err := hdr.Set(name, v); err != nil {
			return fmt.Errorf("jose: header %s: %w", name, err)
		}
		return nil
	}
	var errs []error
	if h.Typ != "" {
		errs = append(errs, set(jws.TypeKey, h.Typ))
	}
	if h.Kid {
		errs = append(errs, set(jws.KeyIDKey, k.kid))
	}
	if h.X5C || h.X5TS256 {
		if k.chain == nil {
			return "", errors.New("jose: x5c requested but the signer has no certificate chain")
		}
		if h.X5C {
			errs = append(errs, set(jws.X509CertChainKey, k.chain))
		}
		if h.X5TS256 {
			errs = append(errs, set(jws.X509CertThumbprintS256Key, k.x5t))
		}
	}
	if h.JWK {
		errs = append(errs, set(jws.JWKKey, k.jwk))
	}
	for name, v := range h.Extra {
		errs = append(errs, set(name, v))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	out, err := jws.Sign(payload, jws.WithKey(k.alg, k.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("jose: signing: %w", err)
	}
	return string(out), nil
}

// SignJSON marshals claims to JSON and signs them.
func (s *Signer) SignJSON(h SignHeader, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jose: encoding claims: %w", err)
	}
	return s.Sign(h, payload)
}
