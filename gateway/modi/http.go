package modi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/welfaregov/gateway/gateway/problem"
)

// DefaultMaxBody bounds the body HTTPGuard reads to compute its digest.
const DefaultMaxBody = 4 << 20

// HTTPGuard is net/http middleware that runs Inbound.Verify for one e-service: for simulators,
// tools and tests that serve with net/http (the gateway's Fiber listener has its own adapter). A
// refused request gets the problem+json of its *secerr.Error; an accepted one reaches next with the
// Result in its context (ResultFrom) and its body intact.
type HTTPGuard struct {
	Inbound *Inbound
	Profile *Profile
	// MaxBody bounds the body read (default DefaultMaxBody); a larger body is refused with 413.
	MaxBody int64
	// PublicURL returns the URL the consumer addressed (DPoP htu, request_url audiences). Default:
	// http or https by r.TLS, r.Host and r.URL.RequestURI(); behind a proxy give the public one.
	PublicURL func(*http.Request) string
	// WriteError, when set, answers a refused request instead of the default problem+json: for
	// simulators that mimic another product's error format (ANPR's GovWay). err is the
	// *secerr.Error of the failed check, or a *problem.Error for an unreadable or oversized body.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
}

type resultKey struct{}

// ResultFrom returns the verification result HTTPGuard stored in a request context.
func ResultFrom(ctx context.Context) (*Result, bool) {
	r, ok := ctx.Value(resultKey{}).(*Result)
	return r, ok
}

// Wrap returns next behind the guard.
func (g *HTTPGuard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := g.MaxBody
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				g.refuse(w, r, problem.New(problem.PayloadTooLarge, "the request body exceeds %d bytes", limit))
			} else {
				g.refuse(w, r, problem.Wrap(problem.BadRequest, err, "the request body could not be read"))
			}
			return
		}
		u := g.publicURL(r)
		res, err := g.Inbound.Verify(r.Context(), &Request{Method: r.Method, URL: u, Header: r.Header, Body: body}, g.Profile)
		if err != nil {
			g.refuse(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), resultKey{}, res)))
	})
}

func (g *HTTPGuard) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if g.WriteError != nil {
		g.WriteError(w, r, err)
		return
	}
	problem.WriteHTTP(w, err) // a *secerr.Error maps through problem.From
}

func (g *HTTPGuard) publicURL(r *http.Request) string {
	if g.PublicURL != nil {
		return g.PublicURL(r)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
