package modi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/internal/jsonscan"
	"github.com/welfaregov/gateway/gateway/internal/ttlcache"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// TrackingEvidenceHeader carries the audit token (AUDIT_REST_01/02).
const TrackingEvidenceHeader = "Agid-JWT-TrackingEvidence"

// DefaultAuditClaims are the audit claims ModI suggests and GovWay requires by default: userID and
// userLocation. LoA is known but optional (GovWay's audit.pattern.default.claims.loa.required=false;
// pdnd-modi.md §2.4, §7.6).
var DefaultAuditClaims = []string{"userID", "userLocation"}

// Audit is a verified tracking evidence.
type Audit struct {
	JTI       string
	Issuer    string
	PurposeID string
	Audience  jose.Audience
	IssuedAt  time.Time
	Expiry    time.Time
	// Claims are the evidence's other claims (userID, userLocation, LoA and any agreed one), as
	// JSON text, for forwarding to the backend (GovWay-Audit-* style) and for the audit trail.
	Claims map[string]json.RawMessage
	// Hash is the SHA-256 of the header value (the AUDIT_REST_02 digest, in hex, is its encoding).
	Hash [32]byte
}

// ClaimString returns an agreed claim as a string: a JSON string's value, other JSON as text.
func (a *Audit) ClaimString(name string) (string, bool) {
	raw, ok := a.Claims[name]
	if !ok {
		return "", false
	}
	// raw was checked when the evidence was decoded, so a string is unquoted without a decoder (on
	// the audit record of every call).
	if len(raw) > 0 && raw[0] == '"' {
		return jsonscan.Unquote(raw), true
	}
	return string(raw), true
}

type auditClaims struct {
	jose.TimeClaims
	Iss       string        `json:"iss"`
	Aud       jose.Audience `json:"aud"`
	JTI       string        `json:"jti"`
	PurposeID string        `json:"purposeId"`
}

// registered are the claims that are not audit data.
var registered = map[string]bool{"iss": true, "sub": true, "aud": true, "iat": true, "nbf": true, "exp": true, "jti": true, "purposeId": true, "dnonce": true, "client_id": true}

// auditCheck is what one verification of a tracking evidence needs.
type auditCheck struct {
	trust    Trust
	lookup   KeyLookup
	roots    *trustRoots
	audience string
	// purposeID is the voucher's (required to match when not empty).
	purposeID string
	required  []string
	// bound is AUDIT_REST_02: voucherDigest (nil when the voucher had none) must be the hex SHA-256 of
	// the header value.
	bound         bool
	voucherDigest *pdnd.Digest
	// caller identifies who presents the evidence (PDND client and purpose, or an X.509 leaf): the
	// same evidence is accepted again from the same caller, and is a replay from another.
	caller      []byte
	replay      replay.Guard
	replayScope string
	skew        time.Duration
}

// auditVerifier verifies tracking evidence and caches the verified ones.
type auditVerifier struct {
	cache *ttlcache.Cache[string, *cachedAudit]
}

// cachedAudit is a verified evidence and the caller it was first accepted from (so the replay
// record in the store need not be read again for the same caller).
type cachedAudit struct {
	audit  *Audit
	times  jose.TimeClaims
	caller []byte
}

// verify checks a tracking evidence (§7.6). Signature, key and claims decoding are cached, keyed by
// the header value; the audience, purpose, required claims, voucher digest, times and the
// jti rule are checked on every call.
func (v *auditVerifier) verify(ctx context.Context, c *auditCheck, values []string, now time.Time) (*Audit, error) {
	const kind = secerr.Audit
	if len(values) > 1 {
		return nil, secerr.New(kind, secerr.Malformed, "the request has %d %s headers; send one", len(values), TrackingEvidenceHeader)
	}
	raw := values[0]
	ca, cached := v.cache.Get(raw)
	if !cached {
		var err error
		if ca, err = v.verifyToken(ctx, c, raw, sha256.Sum256([]byte(raw)), now); err != nil {
			return nil, err
		}
	}
	a := ca.audit
	if err := ca.times.Check(kind, jose.TimeRules{Skew: c.skew, RequireExp: true, Why: "the tracking evidence must expire"}, now); err != nil {
		return nil, err
	}
	if c.audience != "" && !a.Audience.Contains(c.audience) {
		return nil, secerr.AudienceMismatch(kind, a.Audience, c.audience)
	}
	if c.purposeID != "" {
		if a.PurposeID == "" {
			return nil, secerr.MissingClaim(kind, "purposeId", "it must be the voucher's purposeId")
		}
		if a.PurposeID != c.purposeID {
			return nil, secerr.Mismatch(kind, secerr.PurposeMismatch, "purposeId", a.PurposeID, c.purposeID, "the voucher's purposeId")
		}
	}
	for _, name := range c.required {
		if _, ok := a.Claims[name]; !ok {
			return nil, secerr.MissingClaim(kind, name, "the e-service requires it as audit data")
		}
	}
	if c.bound {
		if err := checkVoucherDigest(c.voucherDigest, a.Hash); err != nil {
			return nil, err
		}
	}
	if a.JTI == "" {
		return nil, secerr.MissingClaim(kind, "jti", "it identifies the tracking evidence")
	}
	if !cached || string(ca.caller) != string(c.caller) {
		if c.replay.Store != nil {
			if err := c.replay.Bound(ctx, kind, c.replayScope, a.JTI, c.caller, a.Expiry.Add(c.skew), now); err != nil {
				return nil, err
			}
		}
		// Cache (again) with this caller: until exp plus the skew, for the time check above.
		v.cache.Put(raw, &cachedAudit{audit: a, times: ca.times, caller: c.caller}, a.Expiry.Add(c.skew))
	}
	return a, nil
}

func (v *auditVerifier) verifyToken(ctx context.Context, c *auditCheck, raw string, hash [32]byte, now time.Time) (*cachedAudit, error) {
	const kind = secerr.Audit
	t, _, err := verifyToken(ctx, kind, raw, c.trust, c.lookup, c.roots, now)
	if err != nil {
		return nil, err
	}
	var cl auditClaims
	if err := t.DecodeClaimsAs(kind, &cl); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(t.Payload, &all); err != nil {
		return nil, secerr.Wrap(kind, secerr.Malformed, err, "the tracking evidence payload is not a JSON object")
	}
	claims := map[string]json.RawMessage{}
	for k, v := range all {
		if !registered[k] {
			claims[k] = v
		}
	}
	a := &Audit{JTI: cl.JTI, Issuer: cl.Iss, PurposeID: cl.PurposeID, Audience: cl.Aud, IssuedAt: cl.IssuedAt.Time(),
		Expiry: cl.Expiry.Time(), Claims: claims, Hash: hash}
	return &cachedAudit{audit: a, times: cl.TimeClaims}, nil
}

// checkVoucherDigest is the AUDIT_REST_02 binding (§1.6): the voucher's digest.alg is SHA256 and
// digest.value is the hex SHA-256 of the exact header value, compared case-insensitively.
func checkVoucherDigest(d *pdnd.Digest, hash [32]byte) error {
	const kind = secerr.Audit
	if d == nil {
		return secerr.New(kind, secerr.VoucherDigestMissing,
			"AUDIT_REST_02 binds the tracking evidence to the voucher, but the voucher has no digest claim; put digest {alg: SHA256, value: hex SHA-256 of the evidence} in the client assertion")
	}
	if !strings.EqualFold(d.Alg, pdnd.DigestAlg) {
		e := secerr.New(kind, secerr.DigestAlgInvalid, "the voucher digest.alg %s is not SHA256", secerr.Quote(d.Alg))
		e.Claim, e.Got, e.Want = "digest.alg", secerr.Cut(d.Alg), pdnd.DigestAlg
		return e
	}
	got := hex.EncodeToString(hash[:])
	if !strings.EqualFold(d.Value, got) {
		e := secerr.New(kind, secerr.DigestMismatch,
			"the hex SHA-256 of the Agid-JWT-TrackingEvidence received is %s, not the voucher digest.value %s (hash the exact JWS text, without a trailing newline)",
			got, secerr.Quote(d.Value))
		e.Claim, e.Got, e.Want = "digest.value", got, secerr.Cut(d.Value)
		return e
	}
	return nil
}

// AuditSigner signs tracking evidence for calls to other e-services. It implements
// pdnd.EvidenceSigner, so pdnd.VoucherCache binds each evidence to its voucher.
type AuditSigner struct {
	// Signer holds the key (registered on PDND, kid; or with a certificate chain for X.509).
	Signer *jose.Signer
	// ClientID is the iss of the evidence (the consumer's PDND client id).
	ClientID string
	// X509 puts x5c instead of kid in the header (AUDIT_REST_01 with X.509 trust).
	X509 bool
	// Lifetime is exp - iat (default 10 minutes, PDND's common voucher lifetime, so an evidence
	// cached with its voucher lives as long).
	Lifetime time.Duration
}

// dnonceMin and dnonceSpan make dnonce a 13-digit number (GovWay's audit.dnonce.size=13).
var (
	dnonceMin  = big.NewInt(1_000_000_000_000)
	dnonceSpan = big.NewInt(9_000_000_000_000)
)

// SignEvidence signs an Agid-JWT-TrackingEvidence: header {alg, kid (or x5c), typ JWT}; claims
// iss, aud, iat, nbf, exp, jti, purposeId, dnonce (a random 13-digit JSON number) and the agreed
// audit claims, which cannot override those.
func (s *AuditSigner) SignEvidence(purposeID, audience string, claims map[string]any, now time.Time) (string, time.Time, error) {
	lifetime := s.Lifetime
	if lifetime <= 0 {
		lifetime = 10 * time.Minute
	}
	n, err := rand.Int(rand.Reader, dnonceSpan)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("modi: dnonce: %w", err)
	}
	exp := now.Add(lifetime)
	body := make(map[string]any, len(claims)+9)
	for k, v := range claims {
		if registered[k] {
			return "", time.Time{}, fmt.Errorf("modi: audit claim %q would override a registered claim", k)
		}
		body[k] = v
	}
	for k, v := range map[string]any{
		"iss": s.ClientID, "aud": audience, "iat": jose.NewNumericDate(now), "nbf": jose.NewNumericDate(now),
		"exp": jose.NewNumericDate(exp), "jti": uuid.NewString(), "purposeId": purposeID,
		"dnonce": json.Number(new(big.Int).Add(n, dnonceMin).String()),
	} {
		body[k] = v
	}
	tok, err := s.Signer.SignJSON(jose.SignHeader{Typ: "JWT", Kid: !s.X509, X5C: s.X509}, body)
	if err != nil {
		return "", time.Time{}, err
	}
	return tok, exp.Truncate(time.Second), nil
}

var _ pdnd.EvidenceSigner = (*AuditSigner)(nil)
