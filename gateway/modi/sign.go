package modi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
)

// DefaultSignatureLifetime is exp - iat of the Agid-JWT-Signature we emit: short, as in the field
// (about 60 s, pdnd-modi.md §2.3); the token is used at once.
const DefaultSignatureLifetime = 60 * time.Second

// MessageSigner adds Digest and Agid-JWT-Signature to messages we send: requests to other
// e-services (INTEGRITY_REST_01/02) and responses of our e-services (INTEGRITY_REST_02 on
// responses). Safe for concurrent use; the key rotates through its jose.Signer.
type MessageSigner struct {
	// Signer holds the key: registered on PDND (kid, INTEGRITY_REST_02) or with a certificate chain
	// (x5c, INTEGRITY_REST_01).
	Signer *jose.Signer
	// X509 puts x5c in the header instead of kid.
	X509 bool
	// Issuer is iss (and, for requests, sub): the consumer's PDND client id for requests; for
	// responses, what the e-service documents (its audience, or the producer id).
	Issuer string
	// Lifetime is exp - iat (default DefaultSignatureLifetime).
	Lifetime time.Duration
}

// requestHeaders are signed when present on a request; responseHeaders on a response (PDND's own
// responses also sign x-correlation-id, §2.3).
var (
	requestHeaders  = []string{"digest", "content-type", "content-encoding"}
	responseHeaders = []string{"digest", "content-type", "content-encoding", "x-correlation-id"}
)

// SignRequest sets Digest (over the exact body bytes, also when empty) and Agid-JWT-Signature on a
// request to audience: claims iss = sub = Issuer, aud, iat, nbf, exp, a fresh jti, and
// signed_headers with digest, content-type and content-encoding when present. Set Content-Type and
// Content-Encoding before calling: they are signed as they are.
func (m *MessageSigner) SignRequest(h http.Header, body []byte, audience string, now time.Time) error {
	return m.sign(h, body, audience, m.Issuer, requestHeaders, now)
}

// SignResponse sets Digest and Agid-JWT-Signature on a response; signed_headers also covers
// x-correlation-id when present. audience, when not empty, becomes aud (the calling client).
func (m *MessageSigner) SignResponse(h http.Header, body []byte, audience string, now time.Time) error {
	return m.sign(h, body, audience, "", responseHeaders, now)
}

func (m *MessageSigner) sign(h http.Header, body []byte, audience, subject string, names []string, now time.Time) error {
	lifetime := m.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultSignatureLifetime
	}
	h.Set(DigestHeader, Digest(body))
	claims := struct {
		Iss           string              `json:"iss,omitempty"`
		Sub           string              `json:"sub,omitempty"`
		Aud           string              `json:"aud,omitempty"`
		IssuedAt      jose.NumericDate    `json:"iat"`
		NotBefore     jose.NumericDate    `json:"nbf"`
		Expiry        jose.NumericDate    `json:"exp"`
		JTI           string              `json:"jti"`
		SignedHeaders []map[string]string `json:"signed_headers"`
	}{
		Iss: m.Issuer, Sub: subject, Aud: audience,
		IssuedAt: jose.NewNumericDate(now), NotBefore: jose.NewNumericDate(now), Expiry: jose.NewNumericDate(now.Add(lifetime)),
		JTI: uuid.NewString(), SignedHeaders: headersToSign(h, names...),
	}
	tok, err := m.Signer.SignJSON(jose.SignHeader{Typ: "JWT", Kid: !m.X509, X5C: m.X509}, claims)
	if err != nil {
		return err
	}
	h.Set(SignatureHeader, tok)
	return nil
}
