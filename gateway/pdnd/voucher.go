package pdnd

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/ttlcache"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
)

// Voucher is a verified PDND voucher (pdnd-modi.md §1.3). Values returned by the verifier are
// shared with its cache: treat them as read-only.
type Voucher struct {
	// KID is the PDND key that signed it.
	KID string
	// ClientID is the consumer's PDND client: the client_id claim, else sub (PDND sets both).
	ClientID string
	Issuer   string
	Subject  string
	Audience jose.Audience
	JTI      string
	// PurposeID is the purpose the voucher was issued for (absent only in m2m vouchers, which are
	// refused).
	PurposeID string
	// ConsumerID, ProducerID, EServiceID, DescriptorID are the tenant and e-service ids PDND adds
	// (behind a feature flag; empty when absent).
	ConsumerID, ProducerID, EServiceID, DescriptorID string
	IssuedAt, NotBefore, Expiry                      time.Time
	// Digest is the AUDIT_REST_02 binding copied from the client assertion, nil when absent.
	Digest *Digest
	// JKT is cnf.jkt, the RFC 7638 thumbprint of the DPoP key the voucher is bound to; empty for
	// Bearer vouchers.
	JKT string
	// Hash is SHA-256 of the token as received: base64url, it is the DPoP ath.
	Hash [32]byte

	times jose.TimeClaims
}

// ATH is base64url(SHA-256(voucher)), the value a DPoP proof's ath must carry (RFC 9449 §4.2).
func (v *Voucher) ATH() string { return base64.RawURLEncoding.EncodeToString(v.Hash[:]) }

// TokenHash is base64url(SHA-256(token)): a DPoP proof's ath for an access token.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Digest is the voucher's digest claim: {alg: "SHA256", value: 64 lowercase hex characters}.
type Digest struct {
	Alg   string `json:"alg"`
	Value string `json:"value"`
}

// voucherClaims is the voucher payload as PDND serialises it.
type voucherClaims struct {
	jose.TimeClaims
	Iss          string        `json:"iss"`
	Sub          string        `json:"sub"`
	Aud          jose.Audience `json:"aud"`
	JTI          string        `json:"jti"`
	ClientID     string        `json:"client_id"`
	PurposeID    string        `json:"purposeId"`
	ConsumerID   string        `json:"consumerId"`
	ProducerID   string        `json:"producerId"`
	EServiceID   string        `json:"eserviceId"`
	DescriptorID string        `json:"descriptorId"`
	Digest       *Digest       `json:"digest"`
	Cnf          *struct {
		JKT string `json:"jkt"`
	} `json:"cnf"`
	// PDND-API (m2m) vouchers carry these instead of purposeId.
	OrganizationID string `json:"organizationId"`
	Role           string `json:"role"`
}

// Scheme is how Authorization presented the voucher.
type Scheme int

const (
	// Bearer is `Authorization: Bearer <voucher>`.
	Bearer Scheme = iota
	// DPoPScheme is `Authorization: DPoP <voucher>`, with a DPoP proof header.
	DPoPScheme
)

// DPoPMode says whether an e-service accepts DPoP-bound vouchers.
type DPoPMode int

const (
	// DPoPAllowed accepts Bearer vouchers and DPoP-bound vouchers with a valid proof. Default.
	DPoPAllowed DPoPMode = iota
	// DPoPRequiredMode accepts only DPoP-bound vouchers.
	DPoPRequiredMode
	// DPoPRefused accepts only Bearer vouchers.
	DPoPRefused
)

// Expect is what one e-service requires of a voucher, beyond what the environment checks (typ, alg,
// PDND key, iss). The zero value of each field disables its check, except Audience, which is
// required.
type Expect struct {
	// Audience must be one of the voucher's audiences (the audience published on the descriptor).
	Audience string
	// ProducerID, EServiceID, DescriptorID, when set, must equal the voucher's claims when present.
	ProducerID, EServiceID, DescriptorID string
	// RequireIDs refuses vouchers without the configured ids (claim_missing) instead of accepting
	// them on aud alone: PDND puts them behind a feature flag (§9.5).
	RequireIDs bool
	// AllowedPurposes, AllowedConsumers, when non-empty, are allow-lists of purposeId and consumerId.
	AllowedPurposes, AllowedConsumers []string
	// DPoP says whether DPoP vouchers are allowed, required or refused.
	DPoP DPoPMode
	// UniqueJTI enforces ID_AUTH_REST_02 via PDND: each voucher jti is accepted once per
	// ReplayScope (§9.6; default off because PDND vouchers are meant to be reused until exp).
	UniqueJTI   bool
	ReplayScope string
	// Skew is the clock tolerance for exp, nbf and iat (default 5 s when zero; negative means none).
	Skew time.Duration
}

// DefaultSkew is the clock tolerance used when Expect.Skew is zero: GovWay's 5000 ms (§2.6).
const DefaultSkew = 5 * time.Second

func (e *Expect) skew() time.Duration {
	switch {
	case e.Skew == 0:
		return DefaultSkew
	case e.Skew < 0:
		return 0
	}
	return e.Skew
}

// VoucherVerifier verifies vouchers of one PDND environment. Safe for concurrent use.
//
// A voucher whose signature, header and issuer have been verified is cached (keyed by the token
// itself: an exact match, and cheaper than hashing it on every call; until its exp) so that the many calls a consumer makes with one voucher pay for one RSA
// verification. Everything that depends on the e-service or on the time (aud, ids, allow-lists,
// exp/nbf/iat, jti uniqueness, DPoP binding) is checked on every call, so a voucher cached for one
// e-service is never accepted by another because of the cache.
type VoucherVerifier struct {
	issuer string
	keys   KeySet
	cache  *ttlcache.Cache[string, *Voucher]
	replay replay.Guard
	now    func() time.Time
}

// VerifierOption configures NewVoucherVerifier.
type VerifierOption func(*VoucherVerifier)

// WithClock sets the verifier's clock (default time.Now). Tests use fixed clocks.
func WithClock(now func() time.Time) VerifierOption {
	return func(v *VoucherVerifier) { v.now = now }
}

// WithCacheSize bounds the verified-voucher cache (default 10000 entries).
func WithCacheSize(n int) VerifierOption {
	return func(v *VoucherVerifier) { v.cache = ttlcache.New[string, *Voucher](n, v.nowFn) }
}

// WithReplayStore sets the store for ID_AUTH_REST_02 voucher jti records (needed only when some
// Expect has UniqueJTI).
func WithReplayStore(s store.Store) VerifierOption {
	return func(v *VoucherVerifier) { v.replay = replay.Guard{Store: s} }
}

// NewVoucherVerifier returns a verifier for vouchers issued by issuer (the environment's PDND
// domain, "interop.pagopa.it" in production) and signed by a key of keys.
func NewVoucherVerifier(issuer string, keys KeySet, opts ...VerifierOption) *VoucherVerifier {
	v := &VoucherVerifier{issuer: issuer, keys: keys, now: time.Now}
	for _, o := range opts {
		o(v)
	}
	if v.cache == nil {
		v.cache = ttlcache.New[string, *Voucher](0, v.nowFn)
	}
	return v
}

func (v *VoucherVerifier) nowFn() time.Time { return v.now() }

// ParseAuthorization splits an Authorization header value into its scheme and voucher. Schemes are
// case-insensitive (RFC 9110 §11.1).
func ParseAuthorization(header string) (Scheme, string, error) {
	if header == "" {
		return 0, "", secerr.New(secerr.Voucher, secerr.Missing,
			"the request has no Authorization header; send the PDND voucher as Authorization: Bearer <voucher>")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	switch {
	case ok && token != "" && strings.EqualFold(scheme, "Bearer"):
		return Bearer, token, nil
	case ok && token != "" && strings.EqualFold(scheme, "DPoP"):
		return DPoPScheme, token, nil
	}
	return 0, "", secerr.New(secerr.Voucher, secerr.SchemeInvalid,
		"Authorization %s is not Bearer or DPoP followed by the voucher", DescribeScheme(scheme))
}

// DescribeScheme names what Authorization starts with, without echoing a token sent without a
// scheme (a message must never carry a token or its signature).
func DescribeScheme(scheme string) string {
	if len(scheme) > 16 || strings.ContainsAny(scheme, ".=") {
		return "does not start with a scheme: it"
	}
	return "scheme " + secerr.Quote(scheme)
}

// Verify checks a voucher presented with scheme against the environment and against e, in the
// order of pdnd-modi.md §7.3, and returns its claims. Failures are *secerr.Error of kind voucher.
// A DPoP-scheme voucher is returned with its JKT set; the caller must then verify the DPoP proof
// (DPoPVerifier) before trusting it.
func (v *VoucherVerifier) Verify(ctx context.Context, token string, scheme Scheme, e *Expect) (*Voucher, error) {
	now := v.now()
	vc, ok := v.cache.Get(token)
	if !ok {
		var err error
		if vc, err = v.verifyToken(ctx, token, sha256.Sum256([]byte(token))); err != nil {
			return nil, err
		}
		// Cached until exp plus the largest skew an e-service may use; the time check below runs
		// on every call with the e-service's own skew.
		v.cache.Put(token, vc, vc.Expiry.Add(maxCachedSkew))
	}
	if err := v.checkFor(ctx, vc, scheme, e, now); err != nil {
		return nil, err
	}
	return vc, nil
}

// maxCachedSkew is how long after exp a verified voucher stays cached, so that an e-service with a
// skew up to this value still finds it. Larger skews only cost a re-verification.
const maxCachedSkew = time.Minute

// verifyToken runs the checks that depend only on the token and the environment: these are cached.
func (v *VoucherVerifier) verifyToken(ctx context.Context, token string, hash [32]byte) (*Voucher, error) {
	const kind = secerr.Voucher
	t, err := jose.ParseAs(kind, token)
	if err != nil {
		return nil, err
	}
	if err := t.CheckTyp(kind, false, "at+jwt"); err != nil {
		return nil, err
	}
	if err := t.CheckAlg(kind, []string{jose.RS256}); err != nil {
		return nil, err
	}
	if t.Header.Kid == "" {
		return nil, secerr.New(kind, secerr.KidMissing, "the voucher has no kid in its JOSE header; send the access_token exactly as PDND issued it")
	}
	key, err := v.keys.Key(ctx, t.Header.Kid)
	if err != nil {
		var ue *UnavailableError
		if errors.As(err, &ue) {
			return nil, secerr.Wrap(kind, secerr.JWKSUnavailable, err, "the PDND keys cannot be fetched now, so the voucher cannot be verified; retry later")
		}
		e := secerr.Wrap(kind, secerr.KidUnknown, err, "the voucher kid %s is not a key of the PDND environment %s", secerr.Quote(t.Header.Kid), secerr.Quote(v.issuer))
		e.Claim, e.Got = "kid", secerr.Cut(t.Header.Kid)
		return nil, e
	}
	if err := t.VerifyAs(kind, key); err != nil {
		return nil, err
	}
	var c voucherClaims
	if err := t.DecodeClaimsAs(kind, &c); err != nil {
		return nil, err
	}
	if c.Iss != v.issuer {
		return nil, secerr.Mismatch(kind, secerr.IssMismatch, "iss", c.Iss, v.issuer, "the configured PDND issuer")
	}
	vc := &Voucher{
		KID: t.Header.Kid, ClientID: c.ClientID, Issuer: c.Iss, Subject: c.Sub, Audience: c.Aud, JTI: c.JTI,
		PurposeID: c.PurposeID, ConsumerID: c.ConsumerID, ProducerID: c.ProducerID, EServiceID: c.EServiceID,
		DescriptorID: c.DescriptorID, IssuedAt: c.IssuedAt.Time(), NotBefore: c.NotBefore.Time(),
		Expiry: c.Expiry.Time(), Digest: c.Digest, Hash: hash, times: c.TimeClaims,
	}
	if vc.ClientID == "" {
		vc.ClientID = c.Sub
	}
	if c.Cnf != nil {
		vc.JKT = c.Cnf.JKT
	}
	switch {
	case !c.Expiry.IsSet():
		return nil, secerr.MissingClaim(kind, "exp", "every PDND voucher has one")
	case c.PurposeID == "" && (c.OrganizationID != "" || c.Role != ""):
		return nil, secerr.New(kind, secerr.M2MNotAllowed,
			"the voucher was issued to a PDND-API client (organizationId/role, no purposeId); e-services accept only vouchers issued for a purpose")
	case c.PurposeID == "":
		return nil, secerr.MissingClaim(kind, "purposeId", "e-service vouchers are issued for a purpose")
	case vc.ClientID == "":
		return nil, secerr.MissingClaim(kind, "sub", "it identifies the consumer's PDND client")
	case c.Cnf != nil && c.Cnf.JKT == "":
		return nil, secerr.InvalidClaim(kind, "cnf", "has no jkt")
	}
	return vc, nil
}

// checkFor runs the per-e-service and per-call checks.
func (v *VoucherVerifier) checkFor(ctx context.Context, vc *Voucher, scheme Scheme, e *Expect, now time.Time) error {
	const kind = secerr.Voucher
	skew := e.skew()
	if err := vc.times.Check(kind, jose.TimeRules{Skew: skew}, now); err != nil {
		return err
	}
	if !vc.Audience.Contains(e.Audience) {
		return secerr.AudienceMismatch(kind, vc.Audience, e.Audience)
	}
	for _, id := range []struct {
		claim, got, want string
		reason           secerr.Reason
		what             string
	}{
		{"producerId", vc.ProducerID, e.ProducerID, secerr.ProducerMismatch, "this e-service's producer"},
		{"eserviceId", vc.EServiceID, e.EServiceID, secerr.EServiceMismatch, "this e-service"},
		{"descriptorId", vc.DescriptorID, e.DescriptorID, secerr.DescriptorMismatch, "this e-service version"},
	} {
		switch {
		case id.want == "":
		case id.got == "" && e.RequireIDs:
			return secerr.MissingClaim(kind, id.claim, "the e-service requires it to bind the voucher to itself")
		case id.got != "" && id.got != id.want:
			return secerr.Mismatch(kind, id.reason, id.claim, id.got, id.want, id.what)
		}
	}
	if len(e.AllowedPurposes) > 0 && !contains(e.AllowedPurposes, vc.PurposeID) {
		err := secerr.New(kind, secerr.PurposeNotAllowed, "the voucher purposeId %s is not authorised for this e-service", secerr.Quote(vc.PurposeID))
		err.Claim, err.Got = "purposeId", vc.PurposeID
		return err
	}
	if len(e.AllowedConsumers) > 0 && !contains(e.AllowedConsumers, vc.ConsumerID) {
		err := secerr.New(kind, secerr.ConsumerNotAllowed, "the voucher consumerId %s is not authorised for this e-service", secerr.Quote(vc.ConsumerID))
		err.Claim, err.Got = "consumerId", vc.ConsumerID
		return err
	}
	switch {
	case scheme == Bearer && vc.JKT != "":
		return secerr.New(kind, secerr.DPoPBoundAsBearer,
			"the voucher is bound to a DPoP key (cnf.jkt) and must be sent as Authorization: DPoP with a DPoP proof, not as Bearer")
	case scheme == Bearer && e.DPoP == DPoPRequiredMode:
		return secerr.New(kind, secerr.DPoPRequired,
			"this e-service accepts only DPoP-bound vouchers; request the voucher with a DPoP proof and send it as Authorization: DPoP")
	case scheme == DPoPScheme && e.DPoP == DPoPRefused:
		return secerr.New(kind, secerr.SchemeInvalid, "this e-service does not accept DPoP vouchers; send a Bearer voucher")
	}
	if e.UniqueJTI {
		if vc.JTI == "" {
			return secerr.MissingClaim(kind, "jti", "the e-service enforces ID_AUTH_REST_02 (one use per voucher)")
		}
		if v.replay.Store == nil {
			return secerr.New(kind, secerr.ReplayUnavailable, "the gateway has no replay store configured for ID_AUTH_REST_02")
		}
		if err := v.replay.Once(ctx, kind, e.ReplayScope, vc.JTI, vc.Expiry.Add(skew), now); err != nil {
			if se := secerr.As(err); se != nil && se.Reason == secerr.Replay {
				se.Detail = "the voucher jti " + secerr.Quote(vc.JTI) + " was already used; this e-service enforces ID_AUTH_REST_02 via PDND (one call per voucher)"
			}
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
