package upstream

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// Connection settings of the upstream HTTP clients. The attempt timeout bounds a whole exchange;
// these bound its parts, so that a dead host is noticed before the attempt's budget is gone.
const (
	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxResponseHeaderSize = 64 << 10
)

// newHTTPClient is the client of one upstream: its own connection pool, sized to the bulkhead
// (as many connections as calls may be in flight, all of them kept idle between bursts), its TLS
// configuration, and no redirects (an upstream that redirects breaks its contract, and the
// credentials must not follow).
func newHTTPClient(maxInFlight int, tc *tls.Config) *http.Client {
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        tc,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		MaxIdleConns:           maxInFlight,
		MaxIdleConnsPerHost:    maxInFlight,
		MaxConnsPerHost:        maxInFlight,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: maxResponseHeaderSize,
		ExpectContinueTimeout:  time.Second,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
