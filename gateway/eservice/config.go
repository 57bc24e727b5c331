package eservice

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/store"
)

// Settings is what every published e-service configures for its inbound chain. Each e-service's
// section embeds it:
//
//	prestazioni:
//	  mount: /rest/welfaregov/v1/prestazioni-sociali-agevolate
//	  public_url: https://api.welfaregov.example/rest/welfaregov/v1/prestazioni-sociali-agevolate
//	  security: {audience: ..., id_auth: {producer_id: ..., eservice_id: ...}, integrity: {pattern: INTEGRITY_REST_02}}
//	  rate_limit: {requests: 600, period: 1m}
//	  concurrency: 64
//	  response_signing: {key: {private_key: {file: /run/secrets/eservice-signing.pem}}}
//
// The zero value of each feature means "off": no rate limit, no concurrency bound, no response
// signature, the listener's body limit. Security is always on (a PDND voucher at least).
type Settings struct {
	// Mount is the path prefix the e-service is served under on the e-service listener: lowercase
	// kebab-case segments, no trailing slash. Default: each e-service's own (README.md).
	Mount string `yaml:"mount"`
	// PublicURL is the absolute URL consumers address for Mount, as registered on the PDND
	// descriptor (a proxy or another host name may sit in front of the gateway). DPoP htu and
	// integrity.audience request_url are compared with it, and Location headers and the served
	// contract's servers use it. Default: eservices.public_base_url followed by Mount.
	PublicURL string `yaml:"public_url"`
	// BodyLimit is the largest request body this e-service accepts (413 above); at most the
	// listener's body_limit, which fasthttp enforces first. Default: the listener's.
	BodyLimit config.Size `yaml:"body_limit"`
	// Security is the e-service's PDND/ModI policy: audience, producer/e-service/descriptor ids,
	// allowed purposes and consumers, DPoP, INTEGRITY_REST_01/02, AUDIT_REST_01/02 and their claims
	// (gateway/modi/README.md). A malformed policy stops the start-up.
	Security modi.Policy `yaml:"security"`
	// RateLimit bounds each consumer's calls per purpose, across every replica.
	RateLimit RateLimit `yaml:"rate_limit"`
	// Concurrency bounds the requests this e-service serves at once on one replica; the next one
	// gets 503 overloaded with Retry-After. Default 0: no bound.
	Concurrency int `yaml:"concurrency"`
	// ResponseSigning, when set, signs every response (problems included) with Digest and
	// Agid-JWT-Signature (INTEGRITY_REST_02 on responses), with a key of the e-service's producer
	// keychain on PDND.
	ResponseSigning *ResponseSigning `yaml:"response_signing"`
}

// RateLimit is a GCRA limit per consumer and purpose (store.RateLimit): Requests per Period, with
// a burst of Requests. Every response carries X-RateLimit-Limit, -Remaining and -Reset; over the
// limit the answer is 429 with Retry-After.
type RateLimit struct {
	// Requests per Period; 0 (default) means no limit. At most 1e9.
	Requests int64 `yaml:"requests"`
	// Period is the window; required with requests. Between 1s and 1d.
	Period config.Duration `yaml:"period"`
}

// ResponseSigning configures INTEGRITY_REST_02 on responses.
type ResponseSigning struct {
	// Key signs the responses: a key of the e-service's producer keychain on PDND (consumers fetch
	// it with GET /producerKeys/{kid}); kid defaults to its RFC 7638 thumbprint.
	Key jose.KeyConfig `yaml:"key"`
	// Issuer is the iss of the response signature. Default: the e-service audience.
	Issuer string `yaml:"issuer"`
}

// Limits of the configuration.
const (
	maxConcurrency = 1 << 20
	minPeriod      = time.Second
	maxPeriod      = 24 * time.Hour
)

// mountPattern: lowercase kebab-case segments (RAC_REST_NAME_002), no Fiber parameters or
// wildcards, no trailing slash.
var mountPattern = regexp.MustCompile(`^(/[a-z0-9][a-z0-9.-]*)+$`)

// Check records every problem of s. listenerBodyLimit is the e-service listener's body limit (0
// when unknown); publicBase is eservices.public_base_url.
func (s *Settings) Check(ck config.Checker, defaultMount, publicBase string, listenerBodyLimit int64) {
	if s.Mount != "" && !mountPattern.MatchString(s.Mount) {
		ck.Errorf("mount", "%q: an absolute path of lowercase kebab-case segments without a trailing slash, such as %s", s.Mount, defaultMount)
	}
	switch {
	case s.PublicURL != "":
		if err := checkPublicURL(s.PublicURL); err != nil {
			ck.Errorf("public_url", "%q: %v", s.PublicURL, err)
		}
	case publicBase == "":
		ck.Errorf("public_url", "required: set it, or eservices.public_base_url (the URL consumers address, as registered on PDND)")
	}
	if b := s.BodyLimit.Bytes(); b < 0 || (listenerBodyLimit > 0 && b > listenerBodyLimit) {
		ck.Errorf("body_limit", "%s: between 1 byte and the e-service listener's body_limit (%d bytes)", s.BodyLimit, listenerBodyLimit)
	}
	s.Security.Check(ck.At("security"))
	s.RateLimit.check(ck.At("rate_limit"))
	if s.Concurrency < 0 || s.Concurrency > maxConcurrency {
		ck.Errorf("concurrency", "%d: between 1 and %d (0 means no bound)", s.Concurrency, maxConcurrency)
	}
	if s.ResponseSigning != nil {
		s.ResponseSigning.Key.Check(ck.At("response_signing").At("key"))
	}
}

func (r *RateLimit) check(ck config.Checker) {
	switch {
	case r.Requests == 0 && r.Period == 0:
	case r.Requests <= 0 || r.Requests > store.MaxRateLimit:
		ck.Errorf("requests", "%d: between 1 and %d (leave rate_limit out for no limit)", r.Requests, store.MaxRateLimit)
	case r.Period.D() < minPeriod || r.Period.D() > maxPeriod:
		ck.Errorf("period", "%s: between %s and 1d", r.Period, minPeriod)
	}
}

// CheckPublicBaseURL validates eservices.public_base_url.
func CheckPublicBaseURL(ck config.Checker, field, v string) {
	if v == "" {
		return
	}
	if err := checkPublicURL(v); err != nil {
		ck.Errorf(field, "%q: %v", v, err)
	}
}

func checkPublicURL(v string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("not an absolute http(s) URL")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("has a query, a fragment or credentials")
	case strings.HasSuffix(u.Path, "/"):
		return fmt.Errorf("ends with a slash")
	}
	return nil
}

// Resolved returns the mount path and public URL, with their defaults applied.
func (s *Settings) Resolved(defaultMount, publicBase string) (mount, publicURL string) {
	mount = s.Mount
	if mount == "" {
		mount = defaultMount
	}
	publicURL = s.PublicURL
	if publicURL == "" {
		publicURL = strings.TrimSuffix(publicBase, "/") + mount
	}
	return mount, publicURL
}
