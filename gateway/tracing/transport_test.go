package tracing

import "net/http"

// orgHeader tells the simulator the tenant (X-Organization-Id): the tests' vouchers are opaque
// strings, not JWTs with an organizationId claim.
type orgHeader struct {
	org  string
	next http.RoundTripper
}

func (o orgHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Organization-Id", o.org)
	next := o.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}
