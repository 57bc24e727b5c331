package modi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/pdnd"
)

// Call is an outbound request to another administration's e-service, before the security headers.
type Call struct {
	Method string
	// URL is the absolute URL called (DPoP htu).
	URL string
	// Header is modified in place: Authorization, DPoP, Digest, Agid-JWT-Signature and
	// Agid-JWT-TrackingEvidence are set. Set Content-Type (and Content-Encoding) first: they are signed.
	Header http.Header
	// Body is the exact bytes that will be sent (after compression, if any).
	Body []byte
	// PurposeID is the purpose the voucher is requested for.
	PurposeID string
	// Audience is the e-service audience (aud of the ModI tokens).
	Audience string
	// Integrity adds Digest and Agid-JWT-Signature (INTEGRITY_REST_01/02, by the signer's key).
	Integrity bool
	// Audit, when set, adds the Agid-JWT-TrackingEvidence (bound to the voucher when Bind).
	Audit *pdnd.AuditRequest
	// DPoP asks for a DPoP-bound voucher and adds a fresh proof.
	DPoP bool
}

// Outbound prepares calls to other e-services (pdnd-modi.md §8): the voucher (cached per purpose
// and audit claims, with its tracking evidence), a fresh DPoP proof, Digest and a fresh
// Agid-JWT-Signature for every call. Safe for concurrent use.
type Outbound struct {
	// Vouchers obtains and caches vouchers (and tracking evidence, through its EvidenceSigner).
	Vouchers *pdnd.VoucherCache
	// Client signs DPoP proofs with its DPoP key (needed only for DPoP calls).
	Client *pdnd.Client
	// Integrity signs requests (needed only for Integrity calls); its Issuer is the client id.
	Integrity *MessageSigner
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewOutbound returns the Outbound of a PDND consumer client whose key (client.Signer) signs the
// client assertions, the tracking evidence (bound to the vouchers through a VoucherCache with an
// AuditSigner) and the integrity tokens, with iss = sub = the client id, as PDND keys require
// (pdnd-modi.md §8.5). opts configure the voucher cache.
func NewOutbound(client *pdnd.Client, opts ...pdnd.CacheOption) *Outbound {
	evidence := &AuditSigner{Signer: client.Signer, ClientID: client.ClientID}
	cache := pdnd.NewVoucherCache(client, append([]pdnd.CacheOption{pdnd.WithEvidenceSigner(evidence)}, opts...)...)
	return &Outbound{Vouchers: cache, Client: client, Integrity: &MessageSigner{Signer: client.Signer, Issuer: client.ClientID}}
}

// Prepare adds the security headers to c and returns the credentials used, so the caller can
// Invalidate them if the e-service rejects the voucher.
func (o *Outbound) Prepare(ctx context.Context, c *Call) (*pdnd.Credentials, error) {
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	if c.Audit != nil && c.Audit.Audience == "" {
		a := *c.Audit
		a.Audience = c.Audience
		c.Audit = &a
	}
	creds, err := o.Vouchers.Get(ctx, pdnd.VoucherRequest{PurposeID: c.PurposeID, DPoP: c.DPoP, Audit: c.Audit})
	if err != nil {
		return nil, fmt.Errorf("modi: voucher for purpose %s: %w", c.PurposeID, err)
	}
	c.Header.Set("Authorization", creds.TokenType+" "+creds.AccessToken)
	if c.DPoP {
		if o.Client == nil || o.Client.DPoP == nil {
			return nil, errors.New("modi: a DPoP call needs Outbound.Client with a DPoP key")
		}
		proof, err := pdnd.NewDPoPProof(o.Client.DPoP, c.Method, c.URL, creds.AccessToken, now)
		if err != nil {
			return nil, err
		}
		c.Header.Set("DPoP", proof)
	}
	if c.Audit != nil {
		c.Header.Set(TrackingEvidenceHeader, creds.Evidence)
	}
	if c.Integrity {
		if o.Integrity == nil {
			return nil, errors.New("modi: an integrity call needs Outbound.Integrity")
		}
		if err := o.Integrity.SignRequest(c.Header, c.Body, c.Audience, now); err != nil {
			return nil, err
		}
	}
	return creds, nil
}
