package pdnd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
)

// DPoP proof defaults, as PDND documents them for producers (§1.5): iat within 60 s, 10 s tolerance.
const (
	DefaultDPoPWindow = 60 * time.Second
	DefaultDPoPSkew   = 10 * time.Second
)

// DPoPAlgorithms are the proof algorithms accepted (PDND's list).
var DPoPAlgorithms = []string{jose.RS256, jose.ES256}

// DPoPProof is a verified proof.
type DPoPProof struct {
	JTI string
	// JKT is the RFC 7638 thumbprint of the proof's key.
	JKT      string
	IssuedAt time.Time
}

type dpopClaims struct {
	IssuedAt jose.NumericDate `json:"iat"`
	JTI      string           `json:"jti"`
	HTM      string           `json:"htm"`
	HTU      string           `json:"htu"`
	ATH      string           `json:"ath,omitempty"`
}

// DPoPVerifier verifies RFC 9449 proofs. Safe for concurrent use.
type DPoPVerifier struct {
	replay replay.Guard
	window time.Duration
	skew   time.Duration
	now    func() time.Time
}

// DPoPOption configures NewDPoPVerifier.
type DPoPOption func(*DPoPVerifier)

// WithDPoPWindow sets how old a proof's iat may be, and the tolerance around it (defaults 60 s and
// 10 s). A proof's jti is remembered for window+skew, the time it could be accepted.
func WithDPoPWindow(window, skew time.Duration) DPoPOption {
	return func(d *DPoPVerifier) { d.window, d.skew = window, skew }
}

// WithDPoPClock sets the clock (default time.Now).
func WithDPoPClock(now func() time.Time) DPoPOption { return func(d *DPoPVerifier) { d.now = now } }

// NewDPoPVerifier returns a verifier that records proof jtis in s (shared by the replicas).
func NewDPoPVerifier(s store.Store, opts ...DPoPOption) *DPoPVerifier {
	d := &DPoPVerifier{replay: replay.Guard{Store: s}, window: DefaultDPoPWindow, skew: DefaultDPoPSkew, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Verify checks the DPoP header values of a request (method, and URL as the caller addressed it)
// and, when voucher is non-nil, the proof's binding to it: ath is the voucher's hash and the proof
// key is cnf.jkt. With a nil voucher (a token endpoint, which has no access token yet) the binding
// checks are skipped and the proof's JKT is returned for the voucher to be bound to.
// Failures are *secerr.Error of kind dpop.
func (d *DPoPVerifier) Verify(ctx context.Context, headers []string, method, requestURL string, voucher *Voucher) (*DPoPProof, error) {
	const kind = secerr.DPoP
	switch {
	case voucher != nil && voucher.JKT == "":
		return nil, secerr.New(kind, secerr.NotBound, "Authorization uses the DPoP scheme but the voucher has no cnf.jkt: it is a Bearer voucher, send it as Authorization: Bearer")
	case len(headers) == 0:
		return nil, secerr.New(kind, secerr.Missing, "Authorization uses the DPoP scheme but the request has no DPoP header")
	case len(headers) > 1 || strings.Contains(headers[0], ","):
		return nil, secerr.New(kind, secerr.Multiple, "the request has more than one DPoP proof; send exactly one (RFC 9449 §4.3)")
	}
	t, err := jose.ParseAs(kind, strings.TrimSpace(headers[0]))
	if err != nil {
		return nil, err
	}
	if err := t.CheckTyp(kind, false, "dpop+jwt"); err != nil {
		return nil, err
	}
	if err := t.CheckAlg(kind, DPoPAlgorithms); err != nil {
		return nil, err
	}
	if len(t.Header.JWK) == 0 || string(t.Header.JWK) == "null" {
		return nil, secerr.New(kind, secerr.JWKMissing, "the DPoP proof has no jwk header with the public key that signed it")
	}
	pub, err := jose.ParsePublicJWK(t.Header.JWK)
	if err != nil {
		var pe *jose.PrivateJWKError
		if errors.As(err, &pe) {
			return nil, secerr.Wrap(kind, secerr.JWKPrivate, err, "the DPoP proof jwk contains the private key member %q; send only the public key", pe.Member)
		}
		return nil, secerr.Wrap(kind, secerr.JWKInvalid, err, "the DPoP proof jwk is not a usable public key: %s", strings.TrimPrefix(err.Error(), "jose: "))
	}
	if err := jose.CheckKey(t.Header.Alg, pub); err != nil {
		return nil, secerr.Wrap(kind, secerr.JWKInvalid, err, "the DPoP proof jwk does not fit alg %s: %s", secerr.Quote(t.Header.Alg), strings.TrimPrefix(err.Error(), "jose: "))
	}
	if err := t.VerifyAs(kind, pub); err != nil {
		return nil, err
	}
	var c dpopClaims
	if err := t.DecodeClaimsAs(kind, &c); err != nil {
		return nil, err
	}
	for _, req := range []struct{ name, v string }{{"jti", c.JTI}, {"htm", c.HTM}, {"htu", c.HTU}} {
		if req.v == "" {
			return nil, secerr.MissingClaim(kind, req.name, "RFC 9449 §4.2 requires it")
		}
	}
	if c.HTM != method {
		return nil, secerr.Mismatch(kind, secerr.HTMMismatch, "htm", c.HTM, method, "the request method")
	}
	want, err := NormalizeHTU(requestURL)
	if err != nil {
		return nil, fmt.Errorf("pdnd: the request URL %q cannot be normalised: %w", requestURL, err)
	}
	if got, err := NormalizeHTU(c.HTU); err != nil || got != want {
		return nil, secerr.Mismatch(kind, secerr.HTUMismatch, "htu", c.HTU, want, "the request URL")
	}
	now := d.now()
	times := jose.TimeClaims{IssuedAt: c.IssuedAt}
	rules := jose.TimeRules{Skew: d.skew, MaxAge: d.window, RequireIat: true, Why: "RFC 9449 §4.2 requires it"}
	if err := times.Check(kind, rules, now); err != nil {
		return nil, err
	}
	jkt, err := jose.Thumbprint(pub)
	if err != nil {
		return nil, secerr.Wrap(kind, secerr.JWKInvalid, err, "the DPoP proof jwk has no RFC 7638 thumbprint")
	}
	if voucher != nil {
		if c.ATH == "" {
			return nil, secerr.MissingClaim(kind, "ath", "a proof sent with an access token must carry its hash (RFC 9449 §4.2)")
		}
		if c.ATH != voucher.ATH() {
			return nil, secerr.Mismatch(kind, secerr.ATHMismatch, "ath", c.ATH, voucher.ATH(), "base64url(SHA-256) of the voucher in Authorization")
		}
		if jkt != voucher.JKT {
			return nil, secerr.Mismatch(kind, secerr.JKTMismatch, "jwk thumbprint", jkt, voucher.JKT, "the voucher's cnf.jkt")
		}
	}
	// Recorded last, so a proof refused for another reason does not burn its jti.
	until := c.IssuedAt.Time().Add(d.window + d.skew)
	if err := d.replay.Once(ctx, kind, jkt, c.JTI, until, now); err != nil {
		return nil, err
	}
	return &DPoPProof{JTI: c.JTI, JKT: jkt, IssuedAt: c.IssuedAt.Time()}, nil
}

// NormalizeHTU normalises a URL for htu comparison (RFC 9449 §4.3 with RFC 3986 §6.2.2-6.2.3):
// lowercase scheme and host, no default port, canonical percent-encoding, empty path as "/", and no
// query, fragment or userinfo.
func NormalizeHTU(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if !u.IsAbs() || u.Host == "" {
		return "", errors.New("not an absolute URL")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, nil
}

// NewDPoPProof creates a proof for a request: htm method, htu the URL without query and fragment,
// and, when accessToken is not empty, ath = base64url(SHA-256(accessToken)).
func NewDPoPProof(s *jose.Signer, method, requestURL, accessToken string, now time.Time) (string, error) {
	htu, err := NormalizeHTU(requestURL)
	if err != nil {
		return "", fmt.Errorf("pdnd: DPoP proof for %q: %w", requestURL, err)
	}
	c := dpopClaims{IssuedAt: jose.NewNumericDate(now), JTI: uuid.NewString(), HTM: method, HTU: htu}
	if accessToken != "" {
		c.ATH = TokenHash(accessToken)
	}
	return s.SignJSON(jose.SignHeader{Typ: "dpop+jwt", JWK: true}, c)
}
