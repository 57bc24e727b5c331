// Package pdndauth is the upstream runtime's PDND/ModI Authorizer: for every attempt of a call to
// an upstream whose auth is pdnd, it adds the PDND voucher for the operation's purpose (from a
// VoucherCache: cached, refreshed before expiry), and the ModI headers the e-service requires
// (INTEGRITY_REST_02 Digest and Agid-JWT-Signature; AUDIT_REST_01/02 Agid-JWT-TrackingEvidence with
// the operator's claims), through modi.Outbound.Prepare. When the upstream answers 401 it drops
// the voucher it used (CredentialRejecter), so the runtime's retry gets a fresh one.
package pdndauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// Authorizer prepares the calls of one upstream. Safe for concurrent use.
type Authorizer struct {
	name string
	cfg  *upstream.UpstreamConfig
	out  *modi.Outbound
}

var (
	_ upstream.Authorizer         = (*Authorizer)(nil)
	_ upstream.CredentialRejecter = (*Authorizer)(nil)
)

// New returns the Authorizer of the upstream name configured by cfg (which must have passed
// Check), preparing calls through out: its VoucherCache (with an EvidenceSigner when an operation
// uses an AUDIT pattern), its Integrity signer (for INTEGRITY_REST_02) and its Client's DPoP key
// (for dpop).
func New(name string, cfg *upstream.UpstreamConfig, out *modi.Outbound) (*Authorizer, error) {
	if out == nil || out.Vouchers == nil {
		return nil, fmt.Errorf("pdndauth: upstreams.%s: no PDND voucher client (configure pdnd.client)", name)
	}
	ops := []string{""}
	for op := range cfg.Operations {
		ops = append(ops, op)
	}
	for _, op := range ops {
		p := cfg.Resolved(op)
		if p.Integrity != "" && out.Integrity == nil {
			return nil, fmt.Errorf("pdndauth: upstreams.%s requires %s but no ModI signing key is configured", name, p.Integrity)
		}
		if p.DPoP && (out.Client == nil || out.Client.DPoP == nil) {
			return nil, fmt.Errorf("pdndauth: upstreams.%s asks for DPoP vouchers but pdnd.client.dpop_key is not configured", name)
		}
	}
	return &Authorizer{name: name, cfg: cfg, out: out}, nil
}

// ErrNoPurpose means the operation has no PDND purpose configured: nothing can be sent.
var ErrNoPurpose = errors.New("pdndauth: no PDND purpose configured for the operation")

// ErrNoCaller means an e-service requires AUDIT tracking evidence but the call carries no valid
// operator identity (adapters/upstream.WithCaller).
var ErrNoCaller = errors.New("pdndauth: the e-service requires the operator's tracking evidence, but the call carries no valid operator identity")

// Authorize implements upstream.Authorizer: the voucher, then the ModI headers, on req whose body
// is body. The operation comes from ctx (adapters/upstream.WithOperation), the operator from
// adapters/upstream.WithCaller.
func (a *Authorizer) Authorize(ctx context.Context, req *http.Request, body []byte) error {
	call, err := a.call(ctx, req, body)
	if err != nil {
		return err
	}
	if _, err := a.out.Prepare(ctx, call); err != nil {
		return fmt.Errorf("pdndauth: %s: %w", a.opName(ctx), err)
	}
	return nil
}

// Rejected implements upstream.CredentialRejecter: the upstream answered 401, so the voucher (and
// tracking evidence) of this operation and operator is dropped; the next attempt gets new ones.
func (a *Authorizer) Rejected(ctx context.Context, req *http.Request) {
	call, err := a.call(ctx, req, nil)
	if err != nil {
		return
	}
	// The same request Prepare made (call sets the evidence's audience), so the same cache key.
	a.out.Vouchers.Invalidate(pdnd.VoucherRequest{PurposeID: call.PurposeID, DPoP: call.DPoP, Audit: call.Audit})
}

// call builds the modi.Call of one attempt from the operation's configuration and the caller.
func (a *Authorizer) call(ctx context.Context, req *http.Request, body []byte) (*modi.Call, error) {
	op := ""
	if o := adapter.OperationFrom(ctx); o != nil {
		op = o.Name
	}
	p := a.cfg.Resolved(op)
	if p.PurposeID == "" {
		return nil, fmt.Errorf("%w %s (set upstreams.%s.pdnd.purpose_id or upstreams.%s.operations.%s.pdnd.purpose_id)", ErrNoPurpose, a.opName(ctx), a.name, a.name, op)
	}
	c := &modi.Call{Method: req.Method, URL: req.URL.String(), Header: req.Header, Body: body,
		PurposeID: p.PurposeID, Audience: p.Audience, Integrity: p.Integrity != "", DPoP: p.DPoP}
	if p.Audit != "" {
		caller, ok := adapter.CallerFrom(ctx)
		if !ok {
			return nil, ErrNoCaller
		}
		if err := caller.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoCaller, err)
		}
		c.Audit = &pdnd.AuditRequest{Audience: p.Audience, Claims: AuditClaims(caller), Bind: p.Audit == upstream.AuditREST02}
	}
	return c, nil
}

// AuditClaims are the AUDIT_REST_01/02 claims of an operator (pdnd-modi.md §2.4, GovWay's names):
// userID, userLocation (the workstation) and LoA, each only when set. The voucher cache keys its
// vouchers by a MAC of them, because the evidence and its voucher are bound by the assertion
// digest and travel together.
func AuditClaims(c adapter.Caller) map[string]any {
	claims := map[string]any{"userID": c.UserID}
	if c.Workstation != "" {
		claims["userLocation"] = c.Workstation
	}
	if c.LoA != "" {
		claims["LoA"] = c.LoA
	}
	return claims
}

func (a *Authorizer) opName(ctx context.Context) string {
	if o := adapter.OperationFrom(ctx); o != nil && o.Name != "" {
		return a.name + "." + o.Name
	}
	return a.name
}

// Outbound builds the consumer side of the pdnd section: the token client of pdnd.client (its key
// signs the client assertions, the tracking evidence and the integrity tokens; its dpop_key, when
// set, the DPoP proofs) against the environment's token endpoint, and the voucher cache. It reads
// the key files; it touches no network. opts configure the voucher cache (a request observer).
func Outbound(cfg *pdnd.Config, opts ...pdnd.CacheOption) (*modi.Outbound, error) {
	if cfg == nil || cfg.Client == nil {
		return nil, errors.New("pdndauth: pdnd.client is required to call upstreams with auth pdnd")
	}
	env := cfg.Resolved()
	key, err := cfg.Client.Key.Load()
	if err != nil {
		return nil, fmt.Errorf("pdndauth: pdnd.client.key: %w", err)
	}
	client := &pdnd.Client{ClientID: cfg.Client.ClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key}
	if cfg.Client.DPoPKey != nil {
		if client.DPoP, err = cfg.Client.DPoPKey.Load(); err != nil {
			return nil, fmt.Errorf("pdndauth: pdnd.client.dpop_key: %w", err)
		}
	}
	return modi.NewOutbound(client, opts...), nil
}

// Authorizers builds the Authorizer of every upstream of cfg whose auth is pdnd, for the
// runtime's Deps.Authorizer (which refuses to build such an upstream without one).
func Authorizers(cfg upstream.Config, out *modi.Outbound) (func(name string) upstream.Authorizer, error) {
	m := map[string]upstream.Authorizer{}
	for name, u := range cfg {
		if u == nil || (u.Auth != "" && u.Auth != upstream.AuthPDND) {
			continue
		}
		a, err := New(name, u, out)
		if err != nil {
			return nil, err
		}
		m[name] = a
	}
	return func(name string) upstream.Authorizer { return m[name] }, nil
}
