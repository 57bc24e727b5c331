package upstream

import (
	"context"
	"net/http"
)

// Authorizer prepares one attempt of an upstream call: it adds the PDND voucher (Authorization)
// and the ModI headers (Digest, Agid-JWT-Signature, Agid-JWT-TrackingEvidence) to req, whose body
// is exactly body. The runtime calls it for every attempt, since each needs fresh signatures and
// token ids, inside the bulkhead and the attempt's timeout (ctx), after the quota was taken. The
// operator and case (adapter.CallerFrom(ctx)) give the tracking evidence's claims.
//
// A non-nil error means the attempt cannot be sent; the runtime sends nothing, gives the quota
// back, and returns a ReasonCredentials error wrapping it (a failure to obtain a voucher does not
// count against the upstream's breaker: PDND, not the upstream, failed). Implementations are safe
// for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request, body []byte) error
}

// CredentialRejecter is implemented by Authorizers that cache credentials. When the upstream
// answers 401 to an attempt they prepared, the runtime calls Rejected (drop the cached voucher),
// then sends the call once more with fresh credentials, whether or not the operation is
// idempotent: a 401 means the request was refused before it was processed.
type CredentialRejecter interface {
	Rejected(ctx context.Context, req *http.Request)
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx context.Context, req *http.Request, body []byte) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, req *http.Request, body []byte) error {
	return f(ctx, req, body)
}

// NoAuth sends requests as they are: for upstreams outside PDND (the simulators of `make run`, a
// regional system on a private network). Configure it with auth: none.
var NoAuth Authorizer = AuthorizerFunc(func(context.Context, *http.Request, []byte) error { return nil })
