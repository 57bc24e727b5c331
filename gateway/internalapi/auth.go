package internalapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
)

// HeaderAPIKey carries the API key (the contract's apiKey security scheme).
const HeaderAPIKey = "Api-Key"

// authenticator accepts a verified client certificate (mutual TLS on the internal listener) or
// one of the configured API keys. Safe for concurrent use (read-only after newAuthenticator).
type authenticator struct {
	keys     []namedDigest
	subjects []string
}

type namedDigest struct {
	name   string
	digest [sha256.Size]byte
}

func newAuthenticator(c Config) (*authenticator, error) {
	a := &authenticator{subjects: c.ClientCertificates.Subjects}
	for _, k := range c.APIKeys {
		v, err := k.Key.Value()
		if err != nil {
			return nil, fmt.Errorf("internalapi: internal_api.api_keys %s: %w", k.Name, err)
		}
		a.keys = append(a.keys, namedDigest{name: k.Name, digest: sha256.Sum256([]byte(strings.TrimSpace(string(v))))})
	}
	return a, nil
}

// maxAPIKeyLength bounds the header value hashed: keys are tens of characters.
const maxAPIKeyLength = 512

// authenticate finds the client: the subject of a verified client certificate, or the name of the
// API key presented. Every key is compared, in constant time over SHA-256 digests, whatever
// matches: neither the time taken nor the error tells how close a wrong key was.
func (a *authenticator) authenticate(c *fiber.Ctx) (string, error) {
	if st := c.Context().TLSConnectionState(); st != nil && len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		leaf := st.VerifiedChains[0][0]
		if !a.allowed(leaf) {
			return "", problem.New(problem.Forbidden, "the client certificate is valid but not one this installation accepts (internal_api.client_certificates.subjects)").
				WithCode("internal-api.certificate-not-allowed")
		}
		return "cert:" + leaf.Subject.CommonName, nil
	}
	key := c.Request().Header.Peek(HeaderAPIKey)
	if len(key) == 0 {
		return "", unauthorized("internal-api.credentials-missing", "send a client certificate (mutual TLS) or an API key in the "+HeaderAPIKey+" header")
	}
	if len(key) > maxAPIKeyLength || len(a.keys) == 0 {
		return "", unauthorized("internal-api.api-key-invalid", "the API key is not one of this installation's")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(key))))
	found := -1
	for i, k := range a.keys {
		if subtle.ConstantTimeCompare(sum[:], k.digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", unauthorized("internal-api.api-key-invalid", "the API key is not one of this installation's")
	}
	return "key:" + a.keys[found].name, nil
}

func (a *authenticator) allowed(leaf *x509.Certificate) bool {
	if len(a.subjects) == 0 {
		return true
	}
	return slices.Contains(a.subjects, leaf.Subject.CommonName) || slices.ContainsFunc(leaf.DNSNames, func(n string) bool {
		return slices.Contains(a.subjects, n)
	})
}

func unauthorized(code, detail string) *problem.Error {
	e := problem.New(problem.Unauthorized, "%s", detail).WithCode(code)
	e.Header = map[string]string{"WWW-Authenticate": `ApiKey header="` + HeaderAPIKey + `"`}
	return e
}
