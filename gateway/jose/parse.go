// Package jose is the JOSE layer that gateway/pdnd and gateway/modi share: it splits and decodes a
// compact JWS, verifies its signature with an algorithm pinned by the caller (never taken from the
// token), decodes claims with NumericDate and audience rules, loads RSA signing keys and signs with
// a key that can be swapped atomically.
//
// The package parses a token once and reports each structural failure with a *ParseError, so the
// callers can give every failure its own code. Signing goes through github.com/lestrrat-go/jwx/v3;
// JWK parsing and RFC 7638 thumbprints too. The signature check itself is one call to crypto/rsa or
// crypto/ecdsa on the bytes already decoded: jws.Verify would parse the token a second time, which
// measured about a quarter of an RSA-2048 verification more on the request path.
package jose

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/welfaregov/gateway/gateway/secerr"
)

// MaxTokenLen bounds a compact JWS the gateway will decode. The largest legitimate tokens are X.509
// ones whose x5c carries a chain of three RSA certificates (about 6 KiB); a voucher is under 2 KiB.
const MaxTokenLen = 16 << 10

// Header is the JOSE header members the gateway reads, named by their json tags. Other members are
// ignored, except crit, which makes the token unacceptable (the gateway implements no critical
// extension, RFC 7515 §4.1.11). Parse reads the header without encoding/json (see decode); JWK and
// Crit share the bytes of the decoded header.
type Header struct {
	Alg     string          `json:"alg"`
	Typ     string          `json:"typ"`
	Kid     string          `json:"kid"`
	X5C     []string        `json:"x5c"`
	X5TS256 string          `json:"x5t#S256"`
	X5U     string          `json:"x5u"`
	JWK     json.RawMessage `json:"jwk"`
	Crit    json.RawMessage `json:"crit"`
}

// Token is a decoded compact JWS whose signature has not been checked yet.
type Token struct {
	// Raw is the token as received.
	Raw    string
	Header Header
	// Payload is the decoded JSON payload.
	Payload []byte
	// Signature is the decoded signature.
	Signature []byte
	dot2      int
}

// SigningInput is the part of Raw the signature covers: BASE64URL(header) "." BASE64URL(payload).
func (t *Token) SigningInput() string { return t.Raw[:t.dot2] }

// ParseError is a structural failure: the token is not a compact JWS the gateway can read.
type ParseError struct {
	// Part is "token", "header", "payload" or "signature".
	Part string
	Why  string
}

func (e *ParseError) Error() string { return "jose: " + e.Part + " " + e.Why }

var b64 = base64.RawURLEncoding.Strict()

// Parse splits and decodes a compact JWS. It checks the structure only: three base64url parts,
// a JSON object header without crit, a JSON object payload. Header values are not validated here.
func Parse(raw string) (*Token, error) {
	if len(raw) > MaxTokenLen {
		return nil, &ParseError{"token", fmt.Sprintf("is %d bytes, more than the %d accepted", len(raw), MaxTokenLen)}
	}
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return nil, &ParseError{"token", "is not a compact JWS (no '.' separators)"}
	}
	rel := strings.IndexByte(raw[dot1+1:], '.')
	if rel < 0 {
		return nil, &ParseError{"token", "is not a compact JWS (two parts, three expected)"}
	}
	dot2 := dot1 + 1 + rel
	if strings.IndexByte(raw[dot2+1:], '.') >= 0 {
		return nil, &ParseError{"token", "is not a compact JWS (more than three parts; a JWE is not accepted)"}
	}
	t := &Token{Raw: raw, dot2: dot2}
	hdr, err := decodePart(raw[:dot1])
	if err != nil {
		return nil, &ParseError{"header", "is not base64url: " + err.Error()}
	}
	if err := t.Header.decode(hdr); err != nil {
		return nil, &ParseError{"header", err.Error()}
	}
	if len(t.Header.Crit) > 0 && string(t.Header.Crit) != "null" {
		return nil, &ParseError{"header", "has a crit member; the gateway implements no critical extension"}
	}
	if t.Payload, err = decodePart(raw[dot1+1 : dot2]); err != nil {
		return nil, &ParseError{"payload", "is not base64url: " + err.Error()}
	}
	// The payload's JSON is checked when the caller decodes its claims (DecodeClaims): parsing it
	// here as well would do the work twice.
	if p := bytes.TrimLeft(t.Payload, " \t\r\n"); len(p) == 0 || p[0] != '{' {
		return nil, &ParseError{"payload", "is not a JSON object"}
	}
	if t.Signature, err = decodePart(raw[dot2+1:]); err != nil {
		return nil, &ParseError{"signature", "is not base64url: " + err.Error()}
	}
	if len(t.Signature) == 0 {
		return nil, &ParseError{"signature", "is empty (unsigned tokens are never accepted)"}
	}
	return t, nil
}

func decodePart(s string) ([]byte, error) {
	out := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(out, []byte(s))
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// decode reads the header object in one pass, without reflection: the members the gateway uses,
// with encoding/json's rules for their Go types; other members are validated and ignored. RFC 7515
// §4 requires unique names, and a name given twice is refused. Names are compared exactly, as RFC
// 7515 defines them: encoding/json, used before, matched them case-insensitively, so "ALG" was read
// as alg; now it is an unknown member and the token has no alg.
func (h *Header) decode(data []byte) error {
	if p := bytes.TrimLeft(data, " \t\r\n"); len(p) == 0 || p[0] != '{' {
		return errors.New("is not a JSON object")
	}
	switch r := readObject(data, headerMembers{h}); {
	case r.invalid:
		return errors.New("is not valid JSON")
	case r.dup != nil:
		return fmt.Errorf("has the member %s twice", secerr.Quote(string(r.dup)))
	case r.err != nil:
		// headerMembers returns the *ClaimError of Member's methods only.
		ce := r.err.(*ClaimError)
		return fmt.Errorf("member %s has the wrong JSON type (%s)", ce.Claim, ce.Found)
	}
	return nil
}

// headerMembers reads the members of a Header.
type headerMembers struct{ h *Header }

func (d headerMembers) DecodeClaim(m Member) error {
	h := d.h
	switch string(m.Name) {
	case "alg":
		return m.String(&h.Alg)
	case "typ":
		return m.String(&h.Typ)
	case "kid":
		return m.String(&h.Kid)
	case "x5c":
		return m.Strings(&h.X5C)
	case "x5t#S256":
		return m.String(&h.X5TS256)
	case "x5u":
		return m.String(&h.X5U)
	case "jwk":
		m.Raw(&h.JWK)
	case "crit":
		m.Raw(&h.Crit)
	}
	return nil
}
