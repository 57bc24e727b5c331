package pdnd

import (
	"fmt"

	"github.com/welfaregov/gateway/gateway/modi"
	gpdnd "github.com/welfaregov/gateway/gateway/pdnd"
)

// Consumer returns the consumer side of a simulated client (seed name), ready to call the
// simulated e-services: its token client, a voucher cache that binds tracking evidence signed with
// the client's key (AUDIT_REST_02), and an integrity signer with iss = sub = the client id. Tests and
// the demo use it as the gateway's own outbound path would.
func (s *Simulator) Consumer(name string) (*modi.Outbound, error) {
	c, ok := s.Credential(name)
	if !ok {
		return nil, fmt.Errorf("pdnd: no client %q in the seed", name)
	}
	client := &gpdnd.Client{ClientID: c.ClientID, TokenURL: s.env.TokenURL, AssertionAudience: s.env.AssertionAudience, Signer: c.Signer}
	return modi.NewOutbound(client), nil
}
