package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
)

// The signature algorithms the gateway verifies. PDND signs vouchers RS256 and accepts only RS256
// client assertions; DPoP proofs may be RS256 or ES256; ModI tokens in practice are RS256 (PDND
// keys are RSA) or ES256 (X.509 certificates with P-256 keys). Anything else, "none" and the HMAC
// family in particular, is never accepted.
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// MinRSABits is the smallest RSA modulus accepted, as PDND requires for uploaded keys.
const MinRSABits = 2048

// ErrSignature means the signature does not verify with the key.
var ErrSignature = errors.New("jose: signature does not verify")

// KeyError means the key cannot be used for the algorithm: wrong key type (an RSA key for ES256),
// a weak RSA key, or an unsupported curve.
type KeyError struct{ Why string }

func (e *KeyError) Error() string { return "jose: " + e.Why }

// Allowed reports whether alg is in the pinned list. Comparison is exact: "rs256" is not RS256.
func Allowed(alg string, pinned []string) bool { return slices.Contains(pinned, alg) }

// CheckKey reports whether key can verify (or sign) alg.
func CheckKey(alg string, key crypto.PublicKey) error {
	switch alg {
	case RS256:
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return &KeyError{fmt.Sprintf("alg RS256 needs an RSA key, the key is %s", KeyType(key))}
		}
		if k.N.BitLen() < MinRSABits {
			return &KeyError{fmt.Sprintf("RSA key of %d bits; at least %d are required", k.N.BitLen(), MinRSABits)}
		}
		return nil
	case ES256:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return &KeyError{fmt.Sprintf("alg ES256 needs an EC P-256 key, the key is %s", KeyType(key))}
		}
		if k.Curve != elliptic.P256() {
			return &KeyError{fmt.Sprintf("alg ES256 needs curve P-256, the key is on %s", k.Curve.Params().Name)}
		}
		return nil
	}
	return &KeyError{fmt.Sprintf("alg %q is not supported", alg)}
}

// KeyType names a public key's type for messages.
func KeyType(key crypto.PublicKey) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case nil:
		return "absent"
	}
	return fmt.Sprintf("%T", key)
}

// Verify checks t's signature with key under alg. alg is the algorithm the caller pinned for this
// token and key, never t.Header.Alg unchecked: the caller first verifies that the header names an
// allowed algorithm. The result is a *KeyError when the key does not fit alg, ErrSignature when the
// signature is wrong, nil when it verifies.
func (t *Token) Verify(alg string, key crypto.PublicKey) error {
	if err := CheckKey(alg, key); err != nil {
		return err
	}
	sum := sum256(t.SigningInput())
	switch alg {
	case RS256:
		if rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), crypto.SHA256, sum[:], t.Signature) != nil {
			return ErrSignature
		}
		return nil
	case ES256:
		// JWS ES256 signatures are R || S, 32 bytes each (RFC 7518 §3.4), not ASN.1.
		if len(t.Signature) != 64 {
			return ErrSignature
		}
		r := new(big.Int).SetBytes(t.Signature[:32])
		s := new(big.Int).SetBytes(t.Signature[32:])
		if !ecdsa.Verify(key.(*ecdsa.PublicKey), sum[:], r, s) {
			return ErrSignature
		}
		return nil
	}
	return &KeyError{fmt.Sprintf("alg %q is not supported", alg)}
}

// signingInputs are the buffers sum256 copies a signing input into: []byte(s) would allocate its
// size (over a kilobyte for an Agid-JWT-Signature) on every verification, since the bytes escape
// into the hash.
var signingInputs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// sum256 is the SHA-256 of s.
func sum256(s string) [sha256.Size]byte {
	bp := signingInputs.Get().(*[]byte)
	b := append((*bp)[:0], s...)
	sum := sha256.Sum256(b)
	*bp = b[:0]
	signingInputs.Put(bp) // b is at most MaxTokenLen: Parse refuses longer tokens
	return sum
}
