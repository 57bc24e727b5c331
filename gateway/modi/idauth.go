package modi

import (
	"context"
	"crypto/x509"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// IDAuth is a verified ID_AUTH_REST_01/02 token with X.509 direct trust.
type IDAuth struct {
	Issuer   string
	Subject  string
	JTI      string
	IssuedAt time.Time
	Expiry   time.Time
	// Certificate is the verified leaf: the caller's identity.
	Certificate *x509.Certificate
	// X5TS256 is base64url(SHA-256) of the leaf.
	X5TS256 string
}

type idAuthClaims struct {
	jose.TimeClaims
	Iss string        `json:"iss"`
	Sub string        `json:"sub"`
	Aud jose.Audience `json:"aud"`
	JTI string        `json:"jti"`
}

type idAuthCheck struct {
	roots       *trustRoots
	audience    string
	requireJTI  bool // ID_AUTH_REST_02
	replay      replay.Guard
	replayScope string
	rules       jose.TimeRules
}

// verifyIDAuth checks an X.509 ModI token from Authorization (ModI 2021 ID_AUTH_REST_01/02, the
// sequence of smallstep's authorizeToken): parse, typ, alg, x5c chain against the trust store at the
// real time, digitalSignature on the leaf, signature with the leaf's key, iat/exp (and nbf), aud,
// and for ID_AUTH_REST_02 a jti used once. Messages do not reveal whether a caller exists.
func verifyIDAuth(ctx context.Context, c *idAuthCheck, authorization string, now time.Time) (*IDAuth, error) {
	const kind = secerr.IDAuth
	if authorization == "" {
		return nil, secerr.New(kind, secerr.Missing, "the request has no Authorization header; send the ModI token as Authorization: Bearer <JWS>")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, secerr.New(kind, secerr.SchemeInvalid, "Authorization %s is not Bearer followed by the ModI token", pdnd.DescribeScheme(scheme))
	}
	t, key, err := verifyToken(ctx, kind, strings.TrimSpace(tok), TrustX509, nil, c.roots, now)
	if err != nil {
		return nil, err
	}
	var cl idAuthClaims
	if err := t.DecodeClaimsAs(kind, &cl); err != nil {
		return nil, err
	}
	if err := cl.Check(kind, c.rules, now); err != nil {
		return nil, err
	}
	if !cl.Aud.Contains(c.audience) {
		return nil, secerr.AudienceMismatch(kind, cl.Aud, c.audience)
	}
	if c.requireJTI {
		if cl.JTI == "" {
			return nil, secerr.MissingClaim(kind, "jti", "ID_AUTH_REST_02 requires a unique jti")
		}
		if err := c.replay.Once(ctx, kind, c.replayScope, cl.JTI, cl.Expiry.Time().Add(c.rules.Skew), now); err != nil {
			return nil, err
		}
	}
	return &IDAuth{Issuer: cl.Iss, Subject: cl.Sub, JTI: cl.JTI, IssuedAt: cl.IssuedAt.Time(), Expiry: cl.Expiry.Time(),
		Certificate: key.cert, X5TS256: key.x5t}, nil
}

// SignIDAuth makes an ID_AUTH_REST_01/02 token for Authorization: header {alg, typ JWT, x5c};
// claims iss, sub, aud, iat, nbf, exp (iat+lifetime) and a fresh jti. s must have a certificate
// chain.
func SignIDAuth(s *jose.Signer, issuer, subject, audience string, lifetime time.Duration, now time.Time) (string, error) {
	claims := map[string]any{
		"iss": issuer, "sub": subject, "aud": audience, "iat": jose.NewNumericDate(now), "nbf": jose.NewNumericDate(now),
		"exp": jose.NewNumericDate(now.Add(lifetime)), "jti": uuid.NewString(),
	}
	return s.SignJSON(jose.SignHeader{Typ: "JWT", X5C: true}, claims)
}
