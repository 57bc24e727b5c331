// Package upstreamtest has test doubles of the upstream runtime's collaborators, for this
// package's tests and for adapters' end-to-end tests.
package upstreamtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
)

// Authorizer stands in for the PDND/ModI authorizer: it sets "Authorization: Bearer
// test-<generation>-<n>" (a fresh n per attempt, a new generation after each Rejected, like a
// voucher cache that drops a refused voucher) and "Digest: SHA-256=<base64>" over the exact body,
// and records what it was given. Fail makes it fail. Safe for concurrent use.
type Authorizer struct {
	mu         sync.Mutex
	err        error
	calls      []Authorization
	generation int
	rejected   int
}

// Authorization is one recorded Authorize call.
type Authorization struct {
	Token  string
	Digest string
	Caller adapter.Caller
	// HasCaller reports whether the context carried a Caller.
	HasCaller bool
}

// Authorize implements upstream.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, req *http.Request, body []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	rec := Authorization{Token: fmt.Sprintf("test-%d-%d", a.generation, len(a.calls)+1), Digest: DigestOf(body)}
	rec.Caller, rec.HasCaller = adapter.CallerFrom(ctx)
	req.Header.Set("Authorization", "Bearer "+rec.Token)
	req.Header.Set("Digest", rec.Digest)
	a.calls = append(a.calls, rec)
	return nil
}

// Fail makes every later Authorize return err (nil: succeed again).
func (a *Authorizer) Fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

// Rejected implements upstream.CredentialRejecter: the next tokens belong to a new generation.
func (a *Authorizer) Rejected(context.Context, *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.generation++
	a.rejected++
}

// Recorded returns a copy of the calls so far and how many times credentials were rejected.
func (a *Authorizer) Recorded() ([]Authorization, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Authorization(nil), a.calls...), a.rejected
}

// DigestOf is the Digest header value the Authorizer sets for body.
func DigestOf(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}
