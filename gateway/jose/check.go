package jose

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/secerr"
)

// The helpers below run the checks every token kind shares and report failures as *secerr.Error
// of the given kind, so pdnd and modi write each check once.

// ParseAs is Parse with failures reported as kind.malformed.
func ParseAs(kind secerr.Kind, raw string) (*Token, error) {
	t, err := Parse(raw)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, secerr.Wrap(kind, secerr.Malformed, err, "%s %s %s", kind.TokenName(), pe.Part, pe.Why)
		}
		return nil, secerr.Wrap(kind, secerr.Malformed, err, "%s cannot be decoded", kind.TokenName())
	}
	return t, nil
}

// DecodeClaimsAs is DecodeClaims with failures reported as kind.claim_invalid (a member of the
// wrong type, naming it) or kind.malformed (not a JSON object, or a claim given twice).
func (t *Token) DecodeClaimsAs(kind secerr.Kind, v any) error {
	err := DecodeClaims(t.Payload, v)
	if err == nil {
		return nil
	}
	var ce *ClaimError
	if errors.As(err, &ce) {
		e := secerr.InvalidClaim(kind, ce.Claim, "has the wrong JSON type ("+ce.Found+")")
		if strings.HasSuffix(ce.Claim, "exp") || strings.HasSuffix(ce.Claim, "iat") || strings.HasSuffix(ce.Claim, "nbf") {
			e.Detail += "; NumericDate claims are JSON numbers of seconds, not strings"
		}
		return e
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return secerr.Wrap(kind, secerr.Malformed, err, "%s payload %s", kind.TokenName(), pe.Why)
	}
	return secerr.Wrap(kind, secerr.Malformed, err, "%s payload is not a valid JSON object", kind.TokenName())
}

// CheckTyp accepts the token when its typ equals one of want (compared case-insensitively, with or
// without the "application/" prefix, RFC 7515 §4.1.9). optional makes an absent typ acceptable.
func (t *Token) CheckTyp(kind secerr.Kind, optional bool, want ...string) error {
	got := t.Header.Typ
	if got == "" && optional {
		return nil
	}
	norm := strings.TrimPrefix(strings.ToLower(got), "application/")
	for _, w := range want {
		if norm == strings.ToLower(w) {
			return nil
		}
	}
	e := secerr.New(kind, secerr.TypInvalid, "%s typ %s is not %s", kind.TokenName(), secerr.Quote(got), strings.Join(want, " or "))
	if got == "" {
		e.Detail = fmt.Sprintf("%s has no typ; it must be %s", kind.TokenName(), strings.Join(want, " or "))
	}
	e.Claim, e.Got, e.Want = "typ", secerr.Cut(got), strings.Join(want, " or ")
	return e
}

// CheckAlg accepts the token when its alg is one of pinned.
func (t *Token) CheckAlg(kind secerr.Kind, pinned []string) error {
	if Allowed(t.Header.Alg, pinned) {
		return nil
	}
	e := secerr.New(kind, secerr.AlgNotAllowed, "%s alg %s is not accepted (accepted: %s)", kind.TokenName(),
		secerr.Quote(t.Header.Alg), strings.Join(pinned, ", "))
	e.Claim, e.Got, e.Want = "alg", secerr.Cut(t.Header.Alg), strings.Join(pinned, ", ")
	return e
}

// VerifyAs verifies the signature with key under the token's alg, which the caller has already
// accepted with CheckAlg. A key that does not fit the alg is kind.alg_not_allowed (an RSA key
// cannot verify ES256: the token names a different algorithm than its key has); a wrong signature
// is kind.signature_invalid.
func (t *Token) VerifyAs(kind secerr.Kind, key any) error {
	err := t.Verify(t.Header.Alg, key)
	var ke *KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke):
		return secerr.Wrap(kind, secerr.AlgNotAllowed, err, "%s alg %s does not fit its key: %s", kind.TokenName(),
			secerr.Quote(t.Header.Alg), ke.Why)
	}
	return secerr.Wrap(kind, secerr.SignatureInvalid, err, "%s signature does not verify with the key %s", kind.TokenName(), keyRef(t))
}

func keyRef(t *Token) string {
	switch {
	case t.Header.Kid != "":
		return "kid " + secerr.Quote(t.Header.Kid)
	case len(t.Header.X5C) > 0:
		return "of the x5c certificate"
	case len(t.Header.JWK) > 0:
		return "in jwk"
	}
	return "configured"
}

// TimeRules say how a token's iat, nbf and exp are checked.
type TimeRules struct {
	// Skew is the clock tolerance applied to every comparison: exp is accepted until exp+Skew,
	// nbf and iat up to now+Skew, and the maximum age is MaxAge+Skew.
	Skew time.Duration
	// MaxAge, when positive, rejects tokens whose iat is older (too_old).
	MaxAge time.Duration
	// RequireExp, RequireIat make the claims mandatory; Why says who requires them.
	RequireExp, RequireIat bool
	Why                    string
}

// TimeClaims are the registered time claims of a token.
type TimeClaims struct {
	IssuedAt  NumericDate `json:"iat"`
	NotBefore NumericDate `json:"nbf"`
	Expiry    NumericDate `json:"exp"`
}

// DecodeTimeClaim stores m if it is iat, nbf or exp, for the DecodeClaim of a ClaimsDecoder that
// embeds TimeClaims. (It is not DecodeClaim itself: every claims struct embedding TimeClaims would
// then be a ClaimsDecoder that reads the times only.)
func (c *TimeClaims) DecodeTimeClaim(m Member) error {
	switch string(m.Name) {
	case "iat":
		return m.NumericDate(&c.IssuedAt)
	case "nbf":
		return m.NumericDate(&c.NotBefore)
	case "exp":
		return m.NumericDate(&c.Expiry)
	}
	return nil
}

// Check applies r to c at now.
func (c *TimeClaims) Check(kind secerr.Kind, r TimeRules, now time.Time) error {
	switch {
	case r.RequireExp && !c.Expiry.IsSet():
		return secerr.MissingClaim(kind, "exp", r.Why)
	case r.RequireIat && !c.IssuedAt.IsSet():
		return secerr.MissingClaim(kind, "iat", r.Why)
	}
	if c.Expiry.IsSet() && now.After(c.Expiry.Time().Add(r.Skew)) {
		return secerr.Skewed(kind, secerr.Expired, "exp", c.Expiry.Time(), now, r.Skew)
	}
	if c.NotBefore.IsSet() && c.NotBefore.Time().After(now.Add(r.Skew)) {
		return secerr.Skewed(kind, secerr.NotYetValid, "nbf", c.NotBefore.Time(), now, r.Skew)
	}
	if c.IssuedAt.IsSet() {
		if c.IssuedAt.Time().After(now.Add(r.Skew)) {
			return secerr.Skewed(kind, secerr.IssuedInFuture, "iat", c.IssuedAt.Time(), now, r.Skew)
		}
		if r.MaxAge > 0 && now.Sub(c.IssuedAt.Time()) > r.MaxAge+r.Skew {
			e := secerr.Skewed(kind, secerr.TooOld, "iat", c.IssuedAt.Time(), now, r.Skew)
			e.Detail += fmt.Sprintf("; the maximum age is %s", r.MaxAge)
			return e
		}
	}
	return nil
}
