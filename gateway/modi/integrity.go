package modi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// SignatureHeader is the header that carries the integrity token (ModI 2021+).
const SignatureHeader = "Agid-JWT-Signature"

// Integrity is a verified Agid-JWT-Signature.
type Integrity struct {
	JTI      string
	Issuer   string
	Subject  string
	Audience jose.Audience
	IssuedAt time.Time
	Expiry   time.Time
	// KID is the PDND key id (INTEGRITY_REST_02); X5TS256 the leaf thumbprint (INTEGRITY_REST_01).
	KID, X5TS256 string
	// SignedHeaders are the headers the token covers, as verified.
	SignedHeaders []SignedHeader
}

type integrityClaims struct {
	jose.TimeClaims
	Iss           string          `json:"iss"`
	Sub           string          `json:"sub"`
	Aud           jose.Audience   `json:"aud"`
	JTI           string          `json:"jti"`
	SignedHeaders json.RawMessage `json:"signed_headers"`
}

// DecodeClaim implements jose.ClaimsDecoder: the integrity token is decoded on every signed request.
func (c *integrityClaims) DecodeClaim(m jose.Member) error {
	switch string(m.Name) {
	case "iss":
		return m.String(&c.Iss)
	case "sub":
		return m.String(&c.Sub)
	case "aud":
		return m.Audience(&c.Aud)
	case "jti":
		return m.String(&c.JTI)
	case "signed_headers":
		m.Raw(&c.SignedHeaders)
		return nil
	}
	return c.DecodeTimeClaim(m)
}

// integrityCheck is everything one verification of an integrity token needs to know.
type integrityCheck struct {
	kind   secerr.Kind // Integrity (requests) or Response
	trust  Trust
	lookup KeyLookup
	roots  *trustRoots
	// audience, when not empty, must be in aud.
	audience string
	// clientID, when not empty, must equal iss and sub when they are present (the voucher's client).
	clientID string
	// keyOwner, when not empty, must own the PDND key (key_client_mismatch).
	keyOwner   string
	requireJTI bool
	// replay, when Store is set, records the jti under replayScope.
	replay      replay.Guard
	replayScope string
	rules       jose.TimeRules
}

// verifyIntegrity checks the Agid-JWT-Signature of a message (headers and raw body), in the order
// of pdnd-modi.md §7.5: token, key, signature, times, aud, iss/sub, signed_headers, Digest, jti.
// The token's presence has been established by the caller.
func verifyIntegrity(ctx context.Context, c *integrityCheck, tokens []string, h http.Header, body []byte, now time.Time) (*Integrity, error) {
	kind := c.kind
	if len(tokens) > 1 {
		return nil, secerr.New(kind, secerr.Malformed, "the message has %d %s headers; send one", len(tokens), SignatureHeader)
	}
	t, key, err := verifyToken(ctx, kind, tokens[0], c.trust, c.lookup, c.roots, now)
	if err != nil {
		return nil, err
	}
	if c.keyOwner != "" && key.clientID != "" && key.clientID != c.keyOwner {
		e := secerr.New(kind, secerr.KeyClientMismatch, "the %s is signed with a key of PDND client %s, not of the voucher's client %s",
			kind.TokenName(), secerr.Quote(key.clientID), secerr.Quote(c.keyOwner))
		e.Claim, e.Got, e.Want = "kid", key.clientID, c.keyOwner
		return nil, e
	}
	var cl integrityClaims
	if err := t.DecodeClaimsAs(kind, &cl); err != nil {
		return nil, err
	}
	if err := cl.Check(kind, c.rules, now); err != nil {
		return nil, err
	}
	if c.audience != "" && !cl.Aud.Contains(c.audience) {
		return nil, secerr.AudienceMismatch(kind, cl.Aud, c.audience)
	}
	if c.clientID != "" {
		if cl.Iss != "" && cl.Iss != c.clientID {
			return nil, secerr.Mismatch(kind, secerr.IssMismatch, "iss", cl.Iss, c.clientID, "the voucher's client_id")
		}
		if cl.Sub != "" && cl.Sub != c.clientID {
			return nil, secerr.Mismatch(kind, secerr.SubMismatch, "sub", cl.Sub, c.clientID, "the voucher's client_id")
		}
	}
	listed, err := ParseSignedHeaders(cl.SignedHeaders)
	if err != nil {
		if len(cl.SignedHeaders) == 0 || string(cl.SignedHeaders) == "null" {
			return nil, secerr.MissingClaim(kind, "signed_headers", "it lists the signed headers (at least digest when there is a body)")
		}
		e := secerr.New(kind, secerr.SignedHeadersInvalid, "signed_headers of the %s %s", kind.TokenName(), err.Error())
		e.Claim = "signed_headers"
		return nil, e
	}
	if err := checkSignedHeaders(kind, listed, h); err != nil {
		return nil, err
	}
	if digests := h.Values(DigestHeader); len(digests) > 0 || len(body) > 0 {
		if err := checkDigest(kind, digests, body); err != nil {
			return nil, err
		}
	}
	if cl.JTI == "" && c.requireJTI {
		return nil, secerr.MissingClaim(kind, "jti", "it makes each signed request unique (replay protection)")
	}
	// Recorded last: a token refused for another reason does not burn its jti.
	if cl.JTI != "" && c.replay.Store != nil {
		if err := c.replay.Once(ctx, kind, c.replayScope, cl.JTI, cl.Expiry.Time().Add(c.rules.Skew), now); err != nil {
			return nil, err
		}
	}
	return &Integrity{JTI: cl.JTI, Issuer: cl.Iss, Subject: cl.Sub, Audience: cl.Aud, IssuedAt: cl.IssuedAt.Time(),
		Expiry: cl.Expiry.Time(), KID: t.Header.Kid, X5TS256: key.x5t, SignedHeaders: listed}, nil
}
