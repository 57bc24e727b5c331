package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// ParsePrivateKey reads the first private key in PEM data: PKCS #1 ("RSA PRIVATE KEY"), PKCS #8
// ("PRIVATE KEY", RSA or EC P-256) or SEC 1 ("EC PRIVATE KEY"). Encrypted PEM is refused with a
// message saying so: decrypt it into the mounted secret instead. RSA keys must have at least
// MinRSABits bits.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	if !looksLikePEM(data) {
		return nil, errors.New("jose: the private key is not PEM (expected a -----BEGIN ... PRIVATE KEY----- block)")
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("jose: no PEM private key found")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			if _, enc := block.Headers["Proc-Type"]; enc {
				return nil, errors.New("jose: the PEM private key is encrypted; provide it decrypted (the secret store protects it)")
			}
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("jose: the PEM private key is encrypted (PKCS #8); provide it decrypted (the secret store protects it)")
		default:
			continue // certificates and parameters may precede the key
		}
		if err != nil {
			return nil, fmt.Errorf("jose: parsing %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("jose: %T keys cannot sign JWS", key)
		}
		if err := CheckKey(AlgFor(signer.Public()), signer.Public()); err != nil {
			return nil, err
		}
		return signer, nil
	}
}

// ParseCertificates reads every CERTIFICATE block of PEM data, in order (leaf first for an x5c
// chain).
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jose: parsing certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("jose: no PEM certificate found")
	}
	return out, nil
}

// AlgFor is the algorithm a key signs with: RS256 for RSA, ES256 for EC P-256, "" otherwise.
func AlgFor(key crypto.PublicKey) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return RS256
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return ES256
		}
	}
	return ""
}

// Thumbprint is the RFC 7638 SHA-256 JWK thumbprint of a public key, base64url without padding
// (43 characters). PDND uses it as the kid of uploaded keys, and RFC 9449 as the DPoP jkt.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	k, err := jwk.Import(pub)
	if err != nil {
		return "", fmt.Errorf("jose: thumbprint: %w", err)
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("jose: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// PublicJWK is the public JWK of key with kid, alg and use "sig" set, as a JWKS or a PDND key
// lookup serves it.
func PublicJWK(pub crypto.PublicKey, kid string) (jwk.Key, error) {
	k, err := jwk.Import(pub)
	if err != nil {
		return nil, fmt.Errorf("jose: JWK of %s: %w", KeyType(pub), err)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.KeyUsageKey: "sig", jwk.AlgorithmKey: AlgFor(pub)} {
		if err := k.Set(name, v); err != nil {
			return nil, fmt.Errorf("jose: JWK %s: %w", name, err)
		}
	}
	return k, nil
}

// privateMembers are the JWK members that only private keys carry (RFC 7518 §6.2.2, §6.3.2, §6.4).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// PrivateJWKError means a JWK that must be public carries private key members.
type PrivateJWKError struct{ Member string }

func (e *PrivateJWKError) Error() string {
	return "jose: the JWK carries the private key member " + e.Member
}

// ParsePublicJWK decodes a JWK that must hold a public key (a DPoP proof's jwk header, a key from
// the PDND key API). A JWK with private members is a *PrivateJWKError: accepting one would mean the
// counterpart leaked its private key. The key must be RSA (MinRSABits or more) or EC P-256.
func ParsePublicJWK(raw []byte) (crypto.PublicKey, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, errors.New("jose: the JWK is not a JSON object")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return nil, &PrivateJWKError{Member: m}
		}
	}
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("jose: parsing JWK: %w", err)
	}
	var pub any
	if err := jwk.Export(k, &pub); err != nil {
		return nil, fmt.Errorf("jose: exporting JWK: %w", err)
	}
	alg := AlgFor(pub)
	if alg == "" {
		return nil, fmt.Errorf("jose: JWK of type %s is not an RSA or EC P-256 public key", KeyType(pub))
	}
	if err := CheckKey(alg, pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// maxKidLen bounds a key id the gateway puts in a PDND API path.
const maxKidLen = 128

// ValidKid reports whether kid is safe and plausible as a PDND key id: 1 to 128 characters of
// A-Z a-z 0-9 _ -. PDND's own rule is ^[a-zA-Z0-9_-]{43}$ (a thumbprint); older keys have UUID
// kids, which fit too. A loop rather than a regexp: it runs on every signed request.
func ValidKid(kid string) bool {
	if kid == "" || len(kid) > maxKidLen {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// EqualPublicKeys reports whether two public keys are the same key.
func EqualPublicKeys(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok {
		return e.Equal(b)
	}
	return false
}

// looksLikePEM reports whether data looks like PEM, for a message that helps an operator who
// mounted a DER or bare base64 file by mistake.
func looksLikePEM(data []byte) bool { return bytes.Contains(data, []byte("-----BEGIN ")) }
