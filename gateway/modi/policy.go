package modi

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// Pattern names, exactly as ModI and GovWay write them.
const (
	IDAuthREST01    = "ID_AUTH_REST_01"
	IDAuthREST02    = "ID_AUTH_REST_02"
	IntegrityREST01 = "INTEGRITY_REST_01"
	IntegrityREST02 = "INTEGRITY_REST_02"
	AuditREST01     = "AUDIT_REST_01"
	AuditREST02     = "AUDIT_REST_02"
)

// RequestURLAudience, as integrity.audience, makes the Agid-JWT-Signature aud the URL called
// (GovWay's default) instead of the e-service audience (ANPR's and PDND's practice, §9.12).
const RequestURLAudience = "request_url"

// Defaults of a Policy.
const (
	DefaultClockSkew = 5 * time.Second // GovWay's iat/nbf tolerance (§2.6)
	DefaultMaxAge    = 5 * time.Minute // GovWay rejects ModI tokens with iat older than 5 min
)

// Policy is the security section of one published e-service (provider side):
//
//	security:
//	  audience: https://api.welfaregov.it/rest/siuss/v1     # as published on the PDND descriptor
//	  id_auth: {pattern: ID_AUTH_REST_01, trust: pdnd, eservice_id: ..., producer_id: ...}
//	  integrity: {pattern: INTEGRITY_REST_02}
//	  audit: {pattern: AUDIT_REST_02}
//
// The zero value of every field means its documented default; Compile applies them.
type Policy struct {
	// Audience is the e-service audience: it must be in the voucher's aud and, by default, in the
	// aud of the ModI tokens. Required.
	Audience string `yaml:"audience"`
	// ClockSkew is the tolerance on every iat, nbf and exp. Default 5s; at most 5m.
	ClockSkew config.Duration `yaml:"clock_skew"`
	// TrustStore is a PEM file of the X.509 roots trusted for x5c tokens. Required when any
	// pattern uses X.509 trust.
	TrustStore string `yaml:"trust_store"`
	// IDAuth is how the consumer authenticates.
	IDAuth IDAuthPolicy `yaml:"id_auth"`
	// Integrity, when its pattern is set, requires Agid-JWT-Signature and Digest.
	Integrity IntegrityPolicy `yaml:"integrity"`
	// Audit, when its pattern is set, requires Agid-JWT-TrackingEvidence.
	Audit AuditPolicy `yaml:"audit"`
}

// IDAuthPolicy configures consumer authentication.
type IDAuthPolicy struct {
	// Pattern is ID_AUTH_REST_01 (default) or ID_AUTH_REST_02. With PDND trust, ID_AUTH_REST_02
	// accepts each voucher jti once, which forces a voucher per call (GovWay finds it impractical;
	// IT-Wallet requires it, §9.6).
	Pattern string `yaml:"pattern"`
	// Trust is pdnd (default: the PDND voucher in Authorization) or x509 (a ModI token with x5c).
	Trust string `yaml:"trust"`
	// DPoP is allowed (default), required or refused: whether DPoP-bound vouchers are accepted.
	DPoP string `yaml:"dpop"`
	// ProducerID, EServiceID, DescriptorID are checked against the voucher's claims when set
	// (PDND's recommendation; GovWay checks all three).
	ProducerID   string `yaml:"producer_id"`
	EServiceID   string `yaml:"eservice_id"`
	DescriptorID string `yaml:"descriptor_id"`
	// RequireIDs refuses vouchers that lack the configured ids (PDND adds them behind a feature
	// flag, §9.5). Default false: absent ids are accepted on aud alone.
	RequireIDs bool `yaml:"require_ids"`
	// AllowedPurposes and AllowedConsumers, when set, are allow-lists of purposeId and consumerId.
	AllowedPurposes  []string `yaml:"allowed_purposes"`
	AllowedConsumers []string `yaml:"allowed_consumers"`
	// MaxAge is the oldest iat accepted for x509 tokens. Default 5m.
	MaxAge config.Duration `yaml:"max_age"`
}

// IntegrityPolicy configures INTEGRITY_REST_01/02.
type IntegrityPolicy struct {
	// Pattern is empty (no integrity), INTEGRITY_REST_01 (x5c) or INTEGRITY_REST_02 (PDND kid).
	Pattern string `yaml:"pattern"`
	// Audience is the aud required in Agid-JWT-Signature: empty for the e-service audience, or
	// "request_url" for the URL called (without query).
	Audience string `yaml:"audience"`
	// Bodiless is optional (default: requests without a body need no Agid-JWT-Signature, as
	// GovWay; a token that is sent is verified) or required (§9.10).
	Bodiless string `yaml:"bodiless"`
	// CheckClient requires iss and sub, when present, to be the voucher's client_id. Default true
	// for INTEGRITY_REST_02: consumers set iss = sub = client_id (§2.3, §8.5), and the check stops a
	// token signed by one PDND client from travelling with another's voucher. Default false for
	// INTEGRITY_REST_01, whose iss/sub name the certificate holder "according to service logic".
	CheckClient *bool `yaml:"check_client"`
	// KeyOwnedByClient requires the INTEGRITY_REST_02 key to belong to the voucher's client (PDND
	// returns the key's clientId). Default false: a consumer may sign with a key of another of its
	// clients (an inference of §7.5, not a published rule).
	KeyOwnedByClient bool `yaml:"key_owned_by_client"`
	// RequireJTI requires a jti (default true) so that replays are refused on every replica.
	RequireJTI *bool `yaml:"require_jti"`
	// MaxAge is the oldest iat accepted. Default 5m.
	MaxAge config.Duration `yaml:"max_age"`
}

// AuditPolicy configures AUDIT_REST_01/02.
type AuditPolicy struct {
	// Pattern is empty (no audit), AUDIT_REST_01 or AUDIT_REST_02 (bound to the voucher digest).
	Pattern string `yaml:"pattern"`
	// Trust is pdnd (default, kid) or x509 (x5c; AUDIT_REST_01 only).
	Trust string `yaml:"trust"`
	// RequiredClaims are the agreed audit claims that must be present. Default userID and
	// userLocation (LoA optional, as GovWay).
	RequiredClaims []string `yaml:"required_claims"`
	// Audience is the aud required in the evidence; empty for the e-service audience.
	Audience string `yaml:"audience"`
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Check records configuration problems (no network; it reads the trust store file).
func (p *Policy) Check(ck config.Checker) { p.check(ck, false) }

func (p *Policy) check(ck config.Checker, poolGiven bool) {
	if u, err := url.Parse(p.Audience); p.Audience == "" || err != nil {
		ck.Errorf("audience", "required: the audience published on the e-service descriptor")
	} else if u.Fragment != "" {
		ck.Errorf("audience", "%q has a fragment", p.Audience)
	}
	if d := p.ClockSkew.D(); d < 0 || d > 5*time.Minute {
		ck.Errorf("clock_skew", "%s is outside 0..5m", d)
	}
	ia, in, au := p.IDAuth, p.Integrity, p.Audit
	oneOf(ck, "id_auth.pattern", ia.Pattern, "", IDAuthREST01, IDAuthREST02)
	oneOf(ck, "id_auth.trust", ia.Trust, "", "pdnd", "x509")
	oneOf(ck, "id_auth.dpop", ia.DPoP, "", "allowed", "required", "refused")
	oneOf(ck, "integrity.pattern", in.Pattern, "", IntegrityREST01, IntegrityREST02)
	oneOf(ck, "integrity.bodiless", in.Bodiless, "", "optional", "required")
	oneOf(ck, "audit.pattern", au.Pattern, "", AuditREST01, AuditREST02)
	oneOf(ck, "audit.trust", au.Trust, "", "pdnd", "x509")
	for _, d := range []struct {
		field string
		v     config.Duration
	}{{"id_auth.max_age", ia.MaxAge}, {"integrity.max_age", in.MaxAge}} {
		if d.v.D() < 0 {
			ck.Errorf(d.field, "%s is negative", d.v)
		}
	}
	x509Auth := ia.Trust == "x509"
	if x509Auth && (ia.DPoP != "" || ia.ProducerID != "" || ia.EServiceID != "" || ia.DescriptorID != "" ||
		len(ia.AllowedPurposes) > 0 || len(ia.AllowedConsumers) > 0 || ia.RequireIDs) {
		ck.Errorf("id_auth", "dpop, the PDND ids and the allow-lists apply only to trust pdnd")
	}
	if au.Pattern == AuditREST02 && x509Auth {
		ck.Errorf("audit.pattern", "AUDIT_REST_02 binds the evidence to a PDND voucher; it needs id_auth.trust pdnd")
	}
	if au.Pattern == AuditREST02 && au.Trust == "x509" {
		ck.Errorf("audit.trust", "AUDIT_REST_02 uses PDND keys only")
	}
	if in.Pattern == IntegrityREST02 && x509Auth {
		ck.Errorf("integrity.pattern", "INTEGRITY_REST_02 uses PDND keys and goes with a PDND voucher; with id_auth.trust x509 use INTEGRITY_REST_01")
	}
	for i, c := range au.RequiredClaims {
		if registered[c] || c == "" {
			ck.Errorf(fmt.Sprintf("audit.required_claims[%d]", i), "%q is not an audit claim", c)
		}
	}
	if p.usesX509() && !poolGiven {
		if p.TrustStore == "" {
			ck.Errorf("trust_store", "required: a pattern uses X.509 certificates (x5c)")
		} else if _, err := readPool(p.TrustStore); err != nil {
			ck.Errorf("trust_store", "%v", err)
		}
	}
}

func oneOf(ck config.Checker, field, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		ck.Errorf(field, "%q is not one of %v", v, allowed[1:])
	}
}

func (p *Policy) usesX509() bool {
	return p.IDAuth.Trust == "x509" || p.Integrity.Pattern == IntegrityREST01 || p.Audit.Trust == "x509"
}

func readPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", file, err)
	}
	certs, err := jose.ParseCertificates(b)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", file, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// Profile is a compiled Policy: what Inbound.Verify applies to each request of one e-service.
// Immutable; safe for concurrent use.
type Profile struct {
	name     string
	audience string
	skew     time.Duration

	x509Auth  bool
	idAuth02  bool
	voucher   pdnd.Expect
	idMaxAge  time.Duration
	integrity struct {
		pattern          string
		audience         string
		useURL           bool
		bodilessRequired bool
		checkClient      bool
		keyOwned         bool
		requireJTI       bool
		maxAge           time.Duration
	}
	audit struct {
		pattern  string
		x509     bool
		required []string
		audience string
	}
	roots *trustRoots
}

// CompileOption configures Compile.
type CompileOption func(*compileOptions)

type compileOptions struct {
	pool *x509.CertPool
	now  func() time.Time
}

// WithTrustPool gives the X.509 roots directly instead of reading Policy.TrustStore (tests, and
// callers that load trust material themselves).
func WithTrustPool(pool *x509.CertPool) CompileOption {
	return func(o *compileOptions) { o.pool = pool }
}

// WithProfileClock sets the clock of the x5c verification cache (default time.Now).
func WithProfileClock(now func() time.Time) CompileOption {
	return func(o *compileOptions) { o.now = now }
}

// Compile checks p and builds its Profile. name identifies the e-service in replay records (jtis
// are unique per e-service).
func (p *Policy) Compile(name string, opts ...CompileOption) (*Profile, error) {
	o := compileOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	ck := config.NewChecker()
	p.check(ck, o.pool != nil)
	if err := ck.Err(); err != nil {
		return nil, err
	}
	skew := orDefault(p.ClockSkew.D(), DefaultClockSkew)
	pr := &Profile{name: name, audience: p.Audience, skew: skew}
	ia := p.IDAuth
	pr.x509Auth = ia.Trust == "x509"
	pr.idAuth02 = ia.Pattern == IDAuthREST02
	pr.idMaxAge = orDefault(ia.MaxAge.D(), DefaultMaxAge)
	pr.voucher = pdnd.Expect{
		Audience: p.Audience, ProducerID: ia.ProducerID, EServiceID: ia.EServiceID, DescriptorID: ia.DescriptorID,
		RequireIDs: ia.RequireIDs, AllowedPurposes: ia.AllowedPurposes, AllowedConsumers: ia.AllowedConsumers,
		DPoP:      map[string]pdnd.DPoPMode{"": pdnd.DPoPAllowed, "allowed": pdnd.DPoPAllowed, "required": pdnd.DPoPRequiredMode, "refused": pdnd.DPoPRefused}[ia.DPoP],
		UniqueJTI: pr.idAuth02 && !pr.x509Auth, ReplayScope: name, Skew: skew,
	}
	in := &pr.integrity
	in.pattern = p.Integrity.Pattern
	in.useURL = p.Integrity.Audience == RequestURLAudience
	in.audience = orDefault(p.Integrity.Audience, p.Audience)
	in.bodilessRequired = p.Integrity.Bodiless == "required"
	in.checkClient = boolOr(p.Integrity.CheckClient, p.Integrity.Pattern == IntegrityREST02)
	in.keyOwned = p.Integrity.KeyOwnedByClient
	in.requireJTI = boolOr(p.Integrity.RequireJTI, true)
	in.maxAge = orDefault(p.Integrity.MaxAge.D(), DefaultMaxAge)
	au := &pr.audit
	au.pattern = p.Audit.Pattern
	au.x509 = p.Audit.Trust == "x509"
	au.required = p.Audit.RequiredClaims
	if au.required == nil {
		au.required = DefaultAuditClaims
	}
	au.audience = orDefault(p.Audit.Audience, p.Audience)
	if p.usesX509() {
		pool := o.pool
		if pool == nil {
			var err error
			if pool, err = readPool(p.TrustStore); err != nil {
				return nil, fmt.Errorf("modi: e-service %s: trust_store: %w", name, err)
			}
		}
		pr.roots = newTrustRoots(pool, o.now)
	}
	return pr, nil
}

// Name is the e-service name the profile was compiled for.
func (pr *Profile) Name() string { return pr.name }

// Audience is the e-service audience the profile checks.
func (pr *Profile) Audience() string { return pr.audience }
