package modi

import (
	"context"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/ttlcache"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/replay"
	"github.com/welfaregov/gateway/gateway/secerr"
	"github.com/welfaregov/gateway/gateway/store"
)

// Request is an inbound request as the e-service listener received it.
type Request struct {
	Method string
	// URL is the absolute URL the consumer addressed (scheme, public host, path, query): DPoP htu
	// and, with integrity.audience request_url, the integrity aud are compared with it.
	URL string
	// Header holds the request headers with canonical keys (http.Header.Add/Set). An adapter over
	// fasthttp must copy values: they are reused after the handler returns.
	Header http.Header
	// Body is the raw body bytes as received (still compressed when Content-Encoding is set):
	// Digest is computed over them.
	Body []byte
}

// Result is what a verified request carries, for authorization, forwarding and the audit trail.
type Result struct {
	// Voucher is the PDND voucher (trust pdnd); nil with X.509 authentication.
	Voucher *pdnd.Voucher
	// DPoP is the verified proof when the voucher is DPoP-bound.
	DPoP *pdnd.DPoPProof
	// IDAuth is the X.509 ModI token (trust x509).
	IDAuth *IDAuth
	// Integrity is the verified Agid-JWT-Signature; nil when not required and not sent.
	Integrity *Integrity
	// Audit is the verified tracking evidence; nil when the e-service requires none.
	Audit *Audit
}

// Inbound verifies requests to our e-services. Safe for concurrent use; one per gateway, shared by
// every e-service (each passes its Profile).
type Inbound struct {
	vouchers     *pdnd.VoucherVerifier
	dpop         *pdnd.DPoPVerifier
	consumerKeys KeyLookup
	replay       replay.Guard
	audits       *auditVerifier
	now          func() time.Time
}

// InboundOption configures NewInbound.
type InboundOption func(*Inbound)

// WithInboundClock sets the clock (default time.Now).
func WithInboundClock(now func() time.Time) InboundOption { return func(in *Inbound) { in.now = now } }

// NewInbound wires the verifiers: vouchers for the PDND environment, DPoP proofs, consumer key
// lookups on PDND (pdnd.KeyAPI.ConsumerKey) and the shared store for replay records.
func NewInbound(vouchers *pdnd.VoucherVerifier, dpop *pdnd.DPoPVerifier, consumerKeys KeyLookup, s store.Store, opts ...InboundOption) *Inbound {
	in := &Inbound{vouchers: vouchers, dpop: dpop, consumerKeys: consumerKeys, replay: replay.Guard{Store: s}, now: time.Now}
	for _, o := range opts {
		o(in)
	}
	in.audits = &auditVerifier{cache: ttlcache.New[string, *cachedAudit](0, in.nowFn)}
	return in
}

func (in *Inbound) nowFn() time.Time { return in.now() }

// Verify runs the provider checklist of pdnd-modi.md §7 (steps 2-6) for one request of the
// e-service described by p, in order: consumer authentication (the PDND voucher and its DPoP proof,
// or an X.509 ID_AUTH token), INTEGRITY_REST_01/02, AUDIT_REST_01/02. It stops at the first
// failure, a *secerr.Error whose Problem() is the response to send.
//
// The Result is never nil. After a failure it holds what was verified before the failing step
// (the voucher, when a later check failed; nothing when authentication failed), for the audit
// trail and PDND Tracing, which record refused calls with the ids of the tokens that did verify.
// A caller must not act on it as an authorisation when err is not nil.
func (in *Inbound) Verify(ctx context.Context, r *Request, p *Profile) (*Result, error) {
	now := in.now()
	res := &Result{}
	if err := in.authenticate(ctx, r, p, res, now); err != nil {
		return res, err
	}
	if err := in.integrity(ctx, r, p, res, now); err != nil {
		return res, err
	}
	if err := in.audit(ctx, r, p, res, now); err != nil {
		return res, err
	}
	return res, nil
}

func (in *Inbound) authenticate(ctx context.Context, r *Request, p *Profile, res *Result, now time.Time) error {
	auth := r.Header.Values("Authorization")
	if len(auth) > 1 {
		kind := secerr.Voucher
		if p.x509Auth {
			kind = secerr.IDAuth
		}
		return secerr.New(kind, secerr.Malformed, "the request has %d Authorization headers; send one", len(auth))
	}
	header := ""
	if len(auth) == 1 {
		header = auth[0]
	}
	if p.x509Auth {
		rules := jose.TimeRules{Skew: p.skew, MaxAge: p.idMaxAge, RequireExp: true, RequireIat: true, Why: "ModI ID_AUTH_REST requires it"}
		id, err := verifyIDAuth(ctx, &idAuthCheck{roots: p.roots, audience: p.audience, requireJTI: p.idAuth02,
			replay: in.replay, replayScope: p.name, rules: rules}, header, now)
		if err != nil {
			return err
		}
		res.IDAuth = id
		return nil
	}
	scheme, token, err := pdnd.ParseAuthorization(header)
	if err != nil {
		return err
	}
	if res.Voucher, err = in.vouchers.Verify(ctx, token, scheme, &p.voucher); err != nil {
		return err
	}
	if scheme == pdnd.DPoPScheme {
		res.DPoP, err = in.dpop.Verify(ctx, r.Header.Values("DPoP"), r.Method, r.URL, res.Voucher)
	}
	return err
}

func (in *Inbound) integrity(ctx context.Context, r *Request, p *Profile, res *Result, now time.Time) error {
	ip := &p.integrity
	if ip.pattern == "" {
		return nil
	}
	tokens := r.Header.Values(SignatureHeader)
	if len(tokens) == 0 {
		if len(r.Body) == 0 && !ip.bodilessRequired {
			return nil
		}
		why := "the request has a body"
		if len(r.Body) == 0 {
			why = "the e-service requires it on requests without a body too"
		}
		return secerr.New(secerr.Integrity, secerr.Missing, "the e-service requires %s and the request has no %s header (%s)", ip.pattern, SignatureHeader, why)
	}
	c := &integrityCheck{
		kind: secerr.Integrity, trust: TrustPDND, lookup: in.consumerKeys, roots: p.roots,
		audience: ip.audience, requireJTI: ip.requireJTI, replay: in.replay, replayScope: p.name,
		rules: jose.TimeRules{Skew: p.skew, MaxAge: ip.maxAge, RequireExp: true, RequireIat: true, Why: "ModI INTEGRITY_REST requires it"},
	}
	if ip.pattern == IntegrityREST01 {
		c.trust = TrustX509
	}
	if ip.useURL {
		u, err := pdnd.NormalizeHTU(r.URL)
		if err != nil {
			return err
		}
		c.audience = u
	}
	if v := res.Voucher; v != nil {
		if ip.checkClient {
			c.clientID = v.ClientID
		}
		if ip.keyOwned {
			c.keyOwner = v.ClientID
		}
	}
	var err error
	res.Integrity, err = verifyIntegrity(ctx, c, tokens, r.Header, r.Body, now)
	return err
}

func (in *Inbound) audit(ctx context.Context, r *Request, p *Profile, res *Result, now time.Time) error {
	ap := &p.audit
	if ap.pattern == "" {
		return nil
	}
	values := r.Header.Values(TrackingEvidenceHeader)
	if len(values) == 0 {
		return secerr.New(secerr.Audit, secerr.Missing, "the e-service requires %s and the request has no %s header", ap.pattern, TrackingEvidenceHeader)
	}
	c := &auditCheck{trust: TrustPDND, lookup: in.consumerKeys, roots: p.roots, audience: ap.audience, required: ap.required,
		bound: ap.pattern == AuditREST02, replay: in.replay, replayScope: p.name, skew: p.skew}
	if ap.x509 {
		c.trust = TrustX509
	}
	switch {
	case res.Voucher != nil:
		c.purposeID, c.voucherDigest = res.Voucher.PurposeID, res.Voucher.Digest
		c.caller = []byte("pdnd:" + res.Voucher.ClientID + ":" + res.Voucher.PurposeID)
	case res.IDAuth != nil:
		c.caller = []byte("x509:" + res.IDAuth.X5TS256)
	}
	var err error
	res.Audit, err = in.audits.verify(ctx, c, values, now)
	return err
}
