// Package pdndtest is PDND on loopback: an Authority (the authorization server and key registry as
// an http.Handler) that issues vouchers by the real token endpoint's rules and answers with PDND's
// error codes, serves the voucher JWKS and the PDND API v2 key lookups (GET /keys/{kid},
// GET /producerKeys/{kid}); and Server, the Authority on an httptest listener for unit tests, with
// fault injection (429s, JWKS outages, key rotation). The pasim PDND simulator serves the same
// Authority with a registry loaded from its seed file.
package pdndtest

import (
	"net/http/httptest"
	"strings"

	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/store"
)

// Issuer is the default voucher iss of the test PDND.
const Issuer = "test.interop.pagopa.local"

// M2MAudience is the default aud of vouchers issued to PDND-API clients.
const M2MAudience = "test.interop.pagopa.local/m2m"

// Server is the Authority on a loopback httptest listener. Create it with New; configure clients,
// keys and purposes before use.
type Server struct {
	*Authority
	*httptest.Server
}

// New starts a test PDND on a loopback port with a fresh RSA-2048 voucher key. replayStore holds
// DPoP proof jtis of token requests (any store.Store; tests use the memory one). The client
// assertion audience is "<host:port>/client-assertion", the shape of PDND's.
func New(replayStore store.Store) (*Server, error) {
	a, err := NewAuthority(replayStore)
	if err != nil {
		return nil, err
	}
	s := &Server{Authority: a, Server: httptest.NewServer(a.Handler())}
	a.TokenURL = s.URL + "/token.oauth2"
	a.AssertionAudiences = []string{strings.TrimPrefix(s.URL, "http://") + "/client-assertion"}
	return s, nil
}

// Environment is the pdnd.Environment of this server.
func (s *Server) Environment() pdnd.Environment {
	return pdnd.Environment{
		Issuer:            s.Issuer,
		JWKSURL:           s.URL + "/.well-known/jwks.json",
		TokenURL:          s.TokenURL,
		AssertionAudience: s.AssertionAudiences[0],
		APIURL:            s.URL + "/v2",
	}
}
