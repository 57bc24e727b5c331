package upstream

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// Config is the upstreams section: one entry per upstream system, keyed by its name ("inps",
// "anpr", "icef"), which prefixes its breakers ("anpr.C021"), budgets and metrics.
type Config map[string]*UpstreamConfig

// Authorization modes of an upstream.
const (
	// AuthPDND: every attempt is prepared by the PDND/ModI Authorizer (voucher, signatures). The
	// gateway refuses to start without one.
	AuthPDND = "pdnd"
	// AuthNone: requests are sent as the adapter built them (simulators, private networks).
	AuthNone = "none"
)

// Defaults of UpstreamConfig (and OperationConfig).
const (
	DefaultTimeout         = 10 * time.Second
	DefaultCallTimeout     = 30 * time.Second
	DefaultMaxResponseSize = 8 << 20
)

// Bounds of the configuration.
const (
	maxTimeout         = 5 * time.Minute
	maxMaxInFlight     = 10000
	maxMaxResponseSize = 256 << 20
	maxDailyQuota      = 1_000_000_000
)

// UpstreamConfig is one upstream system. Zero values mean the defaults in brackets.
type UpstreamConfig struct {
	// BaseURL is the upstream's address (https://api.inps.it/pdnd/soap/ConsultazioneISEE/v1,
	// https://modipa.anpr.interno.it/govway/rest/in/MinInternoPortaANPR-PDND/). The adapter builds
	// its requests from it, and the runtime refuses to send a request anywhere else, so a voucher
	// can never leak to another host. Required; https unless auth is none or the host is a
	// loopback address (a simulator on this machine).
	BaseURL string `yaml:"base_url"`
	// PlainHTTP accepts an http:// base_url with auth pdnd on a host that is not a loopback
	// address: for simulators on a private container network (deploy/compose.yaml) only, never in
	// production, where the voucher would travel in clear [false].
	PlainHTTP bool `yaml:"plain_http"`
	// Auth is how requests are authorised: pdnd (voucher and ModI headers) or none [pdnd].
	Auth string `yaml:"auth"`
	// Timeout bounds one attempt, from sending the request to reading the last byte of the answer
	// [10s]. 1ms..5m. Operations may override it.
	Timeout config.Duration `yaml:"timeout"`
	// CallTimeout bounds a whole call, retries and waits included, when the caller's own
	// deadline is later [30s]. At least timeout; at most 5m.
	CallTimeout config.Duration `yaml:"call_timeout"`
	// MaxInFlight is the bulkhead: at most that many calls to this upstream at once from this
	// replica; the HTTP connection pool is sized to it [32]. 1..10000.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxWait is how long a call waits for a free slot when the bulkhead is full before failing
	// with upstream-busy [0: fail at once]. At most 10s.
	MaxWait config.Duration `yaml:"max_wait"`
	// MaxResponseSize bounds an answer's body; a larger one fails as upstream-invalid-response
	// [8MiB]. At most 256MiB.
	MaxResponseSize config.Size `yaml:"max_response_size"`
	// DailyQuota is the daily budget of calls (PDND threshold) shared by the operations that have
	// none of their own, counted across replicas; midnight to midnight Europe/Rome [0: none].
	DailyQuota int64 `yaml:"daily_quota"`
	// QuotaFailClosed refuses calls while the shared store cannot count them [false: calls go
	// through uncounted, and the failure is logged].
	QuotaFailClosed bool `yaml:"quota_fail_closed"`
	// Breaker configures the circuit breaker of each operation.
	Breaker resilience.BreakerConfig `yaml:"breaker"`
	// Retry configures retries of idempotent operations.
	Retry resilience.RetryConfig `yaml:"retry"`
	// TLS secures the connections (on with an https base_url).
	TLS config.ClientTLS `yaml:"tls"`
	// PDND says how calls are authorised when auth is pdnd: the purpose, the audience of the ModI
	// tokens and the ModI patterns the e-service requires. Operations may override it.
	PDND PDNDConfig `yaml:"pdnd"`
	// Operations override settings per operation, keyed by the adapter's operation name
	// ("C030", "ConsultazioneAttestazione").
	Operations map[string]OperationConfig `yaml:"operations"`
}

// ModI patterns an upstream e-service may require of its consumers (its interface documentation on
// PDND lists them).
const (
	// IntegrityREST02: Digest and Agid-JWT-Signature over the body, signed with the PDND client's key.
	IntegrityREST02 = "INTEGRITY_REST_02"
	// AuditREST01: Agid-JWT-TrackingEvidence with the operator's claims, reused with its voucher.
	AuditREST01 = "AUDIT_REST_01"
	// AuditREST02: the tracking evidence bound to the voucher by the client assertion's digest.
	AuditREST02 = "AUDIT_REST_02"
)

// PDNDConfig is how the PDND/ModI Authorizer prepares the calls of an upstream (or of one of its
// operations): the voucher's purpose, the ModI tokens' audience, and which ModI patterns to add.
// In an operation, empty fields take the upstream's values.
type PDNDConfig struct {
	// PurposeID is the PDND purpose (finalità) the voucher is requested for: a UUID from the PDND
	// back office. One e-service, one purpose: an upstream whose operations are separate e-services
	// (ANPR's use cases) gives one per operation. Required for every operation of an upstream
	// whose auth is pdnd.
	PurposeID string `yaml:"purpose_id"`
	// Audience is the aud of the ModI tokens (Agid-JWT-Signature, Agid-JWT-TrackingEvidence): the
	// e-service's audience as its PDND descriptor publishes it [base_url]. ANPR's differs from the
	// URL called (no -PDND segment), one per use case.
	Audience string `yaml:"audience"`
	// Integrity adds Digest and Agid-JWT-Signature to requests: none or INTEGRITY_REST_02
	// [none].
	Integrity string `yaml:"integrity"`
	// Audit adds the operator's Agid-JWT-TrackingEvidence (claims userID, userLocation, LoA from
	// the internal API's operator headers): none, AUDIT_REST_01 or AUDIT_REST_02 (bound to the
	// voucher) [none].
	Audit string `yaml:"audit"`
	// DPoP asks for DPoP-bound vouchers and sends a proof with every call (needs
	// pdnd.client.dpop_key) [false].
	DPoP bool `yaml:"dpop"`
}

// Resolved is the PDNDConfig that applies to operation op: the operation's fields where set, else
// the upstream's, with the audience defaulting to base_url.
func (u *UpstreamConfig) Resolved(op string) PDNDConfig {
	p := u.PDND
	if o, ok := u.Operations[op]; ok {
		q := o.PDND
		for _, f := range []struct{ dst, v *string }{
			{&p.PurposeID, &q.PurposeID}, {&p.Audience, &q.Audience}, {&p.Integrity, &q.Integrity}, {&p.Audit, &q.Audit},
		} {
			if *f.v != "" {
				*f.dst = *f.v
			}
		}
		p.DPoP = p.DPoP || q.DPoP
	}
	if p.Audience == "" {
		p.Audience = strings.TrimRight(u.BaseURL, "/")
	}
	if p.Integrity == "none" {
		p.Integrity = ""
	}
	if p.Audit == "none" {
		p.Audit = ""
	}
	return p
}

var purposeIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// maxAudience bounds an audience: descriptors publish URLs.
const maxAudience = 512

// Check records the problems of a PDND section (of the upstream, or of an operation).
func (p PDNDConfig) Check(ck config.Checker) {
	if p.PurposeID != "" && !purposeIDPattern.MatchString(p.PurposeID) {
		ck.Errorf("purpose_id", "%q is not a PDND purpose id (a UUID, as the back office shows it)", p.PurposeID)
	}
	if len(p.Audience) > maxAudience || strings.ContainsAny(p.Audience, " \t\r\n") {
		ck.Errorf("audience", "give the e-service audience as its PDND descriptor publishes it: at most %d characters, no spaces", maxAudience)
	}
	config.OneOf(ck, "integrity", p.Integrity, "none", IntegrityREST02)
	config.OneOf(ck, "audit", p.Audit, "none", AuditREST01, AuditREST02)
}

// IsZero reports whether nothing is set.
func (p PDNDConfig) IsZero() bool { return p == PDNDConfig{} }

// OperationConfig overrides an upstream's settings for one operation.
type OperationConfig struct {
	// Timeout bounds one attempt of this operation [the upstream's timeout].
	Timeout config.Duration `yaml:"timeout"`
	// DailyQuota gives the operation its own daily budget (an ANPR use case is its own PDND
	// e-service with its own threshold: C030 5000, C020 2000) [0: the upstream's daily_quota].
	DailyQuota int64 `yaml:"daily_quota"`
	// PDND overrides the upstream's pdnd section for this operation (its own purpose and
	// audience when it is its own e-service).
	PDND PDNDConfig `yaml:"pdnd"`
}

var (
	upstreamName  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	operationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_]{0,63}$`)
)

// Check records every problem of every upstream with its field path.
func (c Config) Check(ck config.Checker) {
	for _, name := range sortedKeys(c) {
		u := c[name]
		uck := ck.At(name)
		if !upstreamName.MatchString(name) {
			uck.Errorf("", "upstream name %q: use 1-32 lower-case letters, digits and '_', starting with a letter (names are also environment variable segments)", name)
		}
		if u == nil {
			uck.Errorf("", "empty: give at least base_url")
			continue
		}
		u.Check(uck)
	}
}

// Check records every problem of the upstream with its field path.
func (u *UpstreamConfig) Check(ck config.Checker) {
	config.OneOf(ck, "auth", u.Auth, AuthPDND, AuthNone)
	schemes := []string{"https"}
	if u.Auth == AuthNone || loopback(u.BaseURL) || u.PlainHTTP {
		schemes = append(schemes, "http")
	}
	config.CheckURL(ck, "base_url", u.BaseURL, true, schemes...)
	if b, err := url.Parse(u.BaseURL); err == nil && (b.User != nil || b.RawQuery != "" || b.Fragment != "") {
		ck.Errorf("base_url", "%q: give scheme, host and path only (no credentials, query or fragment)", config.RedactURL(u.BaseURL))
	}
	config.CheckDuration(ck, "timeout", u.Timeout, time.Millisecond, maxTimeout)
	config.CheckDuration(ck, "call_timeout", u.CallTimeout, time.Millisecond, maxTimeout)
	if u.CallTimeout != 0 && u.CallTimeout.D() < u.timeout() {
		ck.Errorf("call_timeout", "%s is shorter than timeout %s: not even one attempt would fit", u.CallTimeout, u.timeout())
	}
	if u.MaxInFlight < 0 || u.MaxInFlight > maxMaxInFlight {
		ck.Errorf("max_in_flight", "%d is not in 1..%d", u.MaxInFlight, maxMaxInFlight)
	}
	config.CheckDuration(ck, "max_wait", u.MaxWait, time.Millisecond, 10*time.Second)
	if u.MaxResponseSize < 0 || u.MaxResponseSize > maxMaxResponseSize {
		ck.Errorf("max_response_size", "%s is not in 1B..256MiB", u.MaxResponseSize)
	}
	checkQuota(ck, "daily_quota", u.DailyQuota)
	u.Breaker.Check(ck.At("breaker"))
	u.Retry.Check(ck.At("retry"))
	u.TLS.Check(ck.At("tls"), strings.HasPrefix(u.BaseURL, "https:"))
	u.PDND.Check(ck.At("pdnd"))
	if u.Auth == AuthNone && !u.PDND.IsZero() {
		ck.Errorf("pdnd", "set, but auth is none: the calls carry no PDND voucher (set auth: pdnd, or remove the section)")
	}
	for _, op := range sortedKeys(u.Operations) {
		o := u.Operations[op]
		ock := ck.At("operations").At(op)
		if !operationName.MatchString(op) {
			ock.Errorf("", "operation name %q: use 1-64 letters, digits and '_'", op)
		}
		config.CheckDuration(ock, "timeout", o.Timeout, time.Millisecond, maxTimeout)
		if o.Timeout != 0 && o.Timeout.D() > u.callTimeout() {
			ock.Errorf("timeout", "%s is longer than the upstream's call_timeout %s", o.Timeout, u.callTimeout())
		}
		checkQuota(ock, "daily_quota", o.DailyQuota)
		o.PDND.Check(ock.At("pdnd"))
		if u.Auth == AuthNone && !o.PDND.IsZero() {
			ock.Errorf("pdnd", "set, but the upstream's auth is none")
		}
	}
}

func checkQuota(ck config.Checker, field string, q int64) {
	if q < 0 || q > maxDailyQuota {
		ck.Errorf(field, "%d is not in 0..%d (0: no daily budget)", q, maxDailyQuota)
	}
}

func (u *UpstreamConfig) timeout() time.Duration {
	if u.Timeout == 0 {
		return DefaultTimeout
	}
	return u.Timeout.D()
}

func (u *UpstreamConfig) callTimeout() time.Duration {
	if u.CallTimeout == 0 {
		return max(DefaultCallTimeout, u.timeout())
	}
	return u.CallTimeout.D()
}

func (u *UpstreamConfig) auth() string {
	if u.Auth == "" {
		return AuthPDND
	}
	return u.Auth
}

func (u *UpstreamConfig) maxResponseSize() int64 {
	if u.MaxResponseSize == 0 {
		return DefaultMaxResponseSize
	}
	return u.MaxResponseSize.Bytes()
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// budgetOf names the daily budget an operation spends, or "" when none applies.
func (u *UpstreamConfig) budgetOf(upstream, op string) string {
	if o, ok := u.Operations[op]; ok && o.DailyQuota > 0 {
		return fmt.Sprintf("%s.%s", upstream, op)
	}
	if u.DailyQuota > 0 {
		return upstream
	}
	return ""
}

// CheckOperations checks the upstream against the operations its adapter declares (ops, their
// names): a configured operation the adapter does not have is a typo, and with auth pdnd every
// declared operation needs a purpose id (its own, or the upstream's).
func (u *UpstreamConfig) CheckOperations(ck config.Checker, ops []string) {
	for _, name := range sortedKeys(u.Operations) {
		if !slices.Contains(ops, name) {
			ck.At("operations").Errorf(name, "the adapter has no operation %q (it has %s)", name, strings.Join(ops, ", "))
		}
	}
	if u.auth() != AuthPDND {
		return
	}
	var missing []string
	for _, op := range ops {
		if u.Resolved(op).PurposeID == "" {
			missing = append(missing, op)
		}
	}
	switch {
	case len(missing) == 0:
	case len(missing) == len(ops) && len(ops) > 1:
		ck.Errorf("pdnd.purpose_id", "required with auth pdnd: set it here, or operations.<op>.pdnd.purpose_id for each of %s", strings.Join(ops, ", "))
	default:
		for _, op := range missing {
			ck.At("operations").At(op).Errorf("pdnd.purpose_id", "required with auth pdnd (no pdnd.purpose_id for the upstream either): the PDND purpose of this e-service")
		}
	}
}

// loopback reports whether raw is a URL on a loopback host (127.0.0.0/8, ::1, localhost): there a
// voucher sent in clear never leaves the machine, so plain http is accepted with auth pdnd (the
// simulators of the demo and the tests speak http).
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
