package pdnd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/modi"
	gpdnd "github.com/welfaregov/gateway/gateway/pdnd"
)

// GuardOptions describe the security of one simulated e-service.
type GuardOptions struct {
	// EService is the e-service's name in the seed: the voucher's audience, producerId, eserviceId
	// and descriptorId must be its own.
	EService string
	// APIClient is the seed name of the producer's PDND-API client: consumer keys (kid of
	// Agid-JWT-Signature and Agid-JWT-TrackingEvidence) are looked up on this simulator's key API
	// with its vouchers, as a real producer does.
	APIClient string
	// Policy is the e-service's ModI section. Audience, and the voucher's producer, e-service and
	// descriptor ids, are filled from the seed when empty (RequireIDs too: the simulator always
	// issues them).
	Policy modi.Policy
	// WriteError answers refusals in the simulated producer's format; nil means problem+json.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
}

// Guard returns middleware that verifies requests to a simulated e-service for real: the PDND
// voucher against this simulator's JWKS (fetched over HTTP), DPoP proofs, and the ModI patterns of
// the policy with consumer keys from this simulator's PDND API. The other simulators put it in
// front of their operations (sim.Start does it by default).
func (s *Simulator) Guard(o GuardOptions) (func(http.Handler) http.Handler, error) {
	e, ok := s.eservices[o.EService]
	if !ok {
		return nil, fmt.Errorf("pdnd: guard: no e-service %q in the seed", o.EService)
	}
	api, ok := s.Credential(o.APIClient)
	if !ok || api.Kind != KindAPI {
		return nil, fmt.Errorf("pdnd: guard for %s: %q is not a PDND-API client of the seed", o.EService, o.APIClient)
	}
	p := o.Policy
	if p.Audience == "" {
		p.Audience = e.Audience[0]
	}
	if p.IDAuth.ProducerID == "" && p.IDAuth.EServiceID == "" && p.IDAuth.DescriptorID == "" {
		p.IDAuth.ProducerID, p.IDAuth.EServiceID, p.IDAuth.DescriptorID = e.ProducerID, e.EServiceID, e.DescriptorID
		p.IDAuth.RequireIDs = true
	}
	profile, err := p.Compile(o.EService)
	if err != nil {
		return nil, fmt.Errorf("pdnd: guard for %s: %w", o.EService, err)
	}
	in, err := s.inbound(api)
	if err != nil {
		return nil, err
	}
	g := &modi.HTTPGuard{Inbound: in, Profile: profile, WriteError: o.WriteError}
	return g.Wrap, nil
}

// guardSet is what the guards share: one JWKS of this simulator, one voucher and DPoP verifier,
// and one Inbound per PDND-API client (each producer looks keys up with its own client).
type guardSet struct {
	cancel   context.CancelFunc
	jwks     *gpdnd.JWKS
	vouchers *gpdnd.VoucherVerifier
	dpop     *gpdnd.DPoPVerifier
	inbound  map[string]*modi.Inbound
}

func (g *guardSet) close() error {
	g.cancel()
	return g.jwks.Close()
}

// inbound returns (building on first use) the verifier of the producer whose PDND-API client is
// api.
func (s *Simulator) inbound(api *Credential) (*modi.Inbound, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.guards == nil {
		// The JWKS refreshes in the background until Close cancels it.
		ctx, cancel := context.WithCancel(context.Background())
		// A short refetch interval: after an operator rotates the voucher key, the first voucher
		// with the new kid makes the guards fetch the JWKS again within a second.
		jwks, err := gpdnd.NewJWKS(ctx, s.env.JWKSURL, gpdnd.WithRefetchInterval(time.Second))
		if err != nil {
			cancel()
			return nil, err
		}
		s.guards = &guardSet{cancel: cancel, jwks: jwks, inbound: map[string]*modi.Inbound{},
			vouchers: gpdnd.NewVoucherVerifier(s.env.Issuer, jwks, gpdnd.WithReplayStore(s.store)),
			dpop:     gpdnd.NewDPoPVerifier(s.store)}
	}
	g := s.guards
	if in := g.inbound[api.Name]; in != nil {
		return in, nil
	}
	if api.Signer == nil {
		return nil, errors.New("pdnd: guard: the PDND-API client has no key")
	}
	client := &gpdnd.Client{ClientID: api.ClientID, TokenURL: s.env.TokenURL, AssertionAudience: s.env.AssertionAudience, Signer: api.Signer}
	keys := gpdnd.NewKeyAPI(s.env.APIURL, gpdnd.NewVoucherCache(client))
	in := modi.NewInbound(g.vouchers, g.dpop, keys.ConsumerKey, s.store)
	g.inbound[api.Name] = in
	return in, nil
}

// AuthenticateM2M verifies the Bearer voucher of a call to a PDND API served by another simulator
// (the Tracing API): a PDND-API voucher of this simulator, as the real API requires. It returns the
// caller's organizationId.
func (s *Simulator) AuthenticateM2M(_ *http.Request, token string) (string, error) {
	return s.auth.VerifyAPIVoucher(token)
}
