package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/problem"
)

// AdminConfig is the `admin` section: how operators authenticate to the admin listener's
// protected endpoints (the SIUSS operator queues; later the controls).
//
//	admin:
//	  token: {file: /run/secrets/admin-token}   # openssl rand -base64 32
type AdminConfig struct {
	// Token is the bearer token operators send (Authorization: Bearer <token>): at least 24
	// bytes. Without it the protected endpoints are not served (health and /status stay open).
	Token config.Secret `yaml:"token"`
}

// minAdminToken bounds the token's length from below: shorter tokens can be guessed online.
const minAdminToken = 24

// Check records every problem of the section.
func (c *AdminConfig) Check(ck config.Checker) {
	c.Token.Check(ck, "token", false)
	if !c.Token.IsSet() || len(ck.Problems()) > 0 {
		return
	}
	if v, err := c.Token.Value(); err == nil && len(v) < minAdminToken {
		ck.Errorf("token", "has %d bytes; use at least %d (openssl rand -base64 32)", len(v), minAdminToken)
	}
}

// RequireBearer returns middleware that admits a request only with Authorization: Bearer <token>.
// The comparison takes the same time whatever the token sent (both sides are hashed first, so not
// even the length leaks). A refusal is 401 unauthorized with WWW-Authenticate.
func RequireBearer(token []byte, realm string) fiber.Handler {
	want := sha256.Sum256(token)
	challenge := `Bearer realm="` + realm + `"`
	return func(c *fiber.Ctx) error {
		scheme, got, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			e := problem.New(problem.Unauthorized, "this endpoint needs the operators' token: Authorization: Bearer <admin.token>")
			e.Header = map[string]string{fiber.HeaderWWWAuthenticate: challenge}
			return e
		}
		return c.Next()
	}
}
