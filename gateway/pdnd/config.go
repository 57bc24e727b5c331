package pdnd

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/jose"
)

// Environment is a PDND environment's endpoints (pdnd-modi.md §1.1).
type Environment struct {
	// Issuer is the voucher iss.
	Issuer string `yaml:"issuer"`
	// JWKSURL publishes the keys that sign vouchers.
	JWKSURL string `yaml:"jwks_url"`
	// TokenURL is the token endpoint.
	TokenURL string `yaml:"token_url"`
	// AssertionAudience is the aud of client assertions.
	AssertionAudience string `yaml:"assertion_audience"`
	// APIURL is the PDND API v2 base URL (key lookups).
	APIURL string `yaml:"api_url"`
}

// Environments are the published values of PDND's environments. PDND says they may change; the
// back office shows the authoritative ones, and Config fields override them.
var Environments = map[string]Environment{
	"production": {
		Issuer:            "interop.pagopa.it",
		JWKSURL:           "https://interop.pagopa.it/.well-known/jwks.json",
		TokenURL:          "https://auth.interop.pagopa.it/token.oauth2",
		AssertionAudience: "auth.interop.pagopa.it/client-assertion",
		APIURL:            "https://api.interop.pagopa.it/v2",
	},
	"uat": {
		Issuer:            "uat.interop.pagopa.it",
		JWKSURL:           "https://uat.interop.pagopa.it/.well-known/jwks.json",
		TokenURL:          "https://auth.uat.interop.pagopa.it/token.oauth2",
		AssertionAudience: "auth.uat.interop.pagopa.it/client-assertion",
		APIURL:            "https://api.uat.interop.pagopa.it/v2",
	},
	"att": {
		Issuer:            "att.interop.pagopa.it", // inferred from the pattern of the others (§1.1)
		JWKSURL:           "https://att.interop.pagopa.it/.well-known/jwks.json",
		TokenURL:          "https://auth.att.interop.pagopa.it/token.oauth2",
		AssertionAudience: "auth.att.interop.pagopa.it/client-assertion",
		APIURL:            "https://api.att.interop.pagopa.it/v2",
	},
}

// Config is the pdnd section:
//
//	pdnd:
//	  environment: uat            # production | uat | att: fills every URL below
//	  jwks_refetch_interval: 30s  # at most one on-demand JWKS fetch per interval
//	  client:                     # the e-service client the gateway calls others with
//	    client_id: 5f3e...
//	    key: {private_key: {file: /run/secrets/pdnd-client.pem}}
//	  api_client:                 # the PDND-API client for key lookups (its own key, GovWay rule)
//	    client_id: 9a1b...
//	    key: {private_key: {file: /run/secrets/pdnd-api.pem}}
//	  tenant_api_clients:         # other organisations' PDND-API clients (their PDND Tracing uploads)
//	    comune-trento: {client_id: 3c4d..., key: {private_key: {file: /run/secrets/trento-api.pem}}}
type Config struct {
	// Environment selects the published endpoints: production, uat or att. Required unless every
	// endpoint below is given.
	Environment string `yaml:"environment"`
	// Overrides of the environment's endpoints (empty: the environment's value).
	Endpoints Environment `yaml:",inline"`
	// JWKSRefetchInterval bounds on-demand JWKS fetches on an unknown kid. Default 30s, minimum 1s.
	JWKSRefetchInterval config.Duration `yaml:"jwks_refetch_interval"`
	// JWKSMaxAge is how old the voucher JWKS may grow (time since a fetch last succeeded, or since
	// the start before the first) before the replica reports itself not ready: PDND could not be
	// reached for that long, and a key rotated meanwhile would refuse every voucher. Default 6h;
	// at least 2h, as the background refresh runs at least hourly and retries every 5 minutes.
	JWKSMaxAge config.Duration `yaml:"jwks_max_age"`
	// Client is the e-service client used to call other administrations' e-services.
	Client *ClientConfig `yaml:"client"`
	// APIClient is the PDND-API client used for GET /keys and /producerKeys. Its key must differ
	// from the e-service client's (GovWay rule, §1.1).
	APIClient *ClientConfig `yaml:"api_client"`
	// TenantAPIClients are the PDND-API clients of the other organisations whose e-services this
	// gateway serves (a Comune whose SIUSS feed it publishes as the Comune's e-service), by a name
	// tracing.tenants[i].api_client refers to. PDND Tracing takes the tenant of an upload from the
	// organizationId of the voucher, so each organisation's daily file needs that organisation's
	// own client (pdnd-tracing.md §3.2). Each has its own key.
	TenantAPIClients map[string]*ClientConfig `yaml:"tenant_api_clients"`
}

// tenantClientName is what a tenant_api_clients name may be: it appears in tracing.tenants and in
// logs.
var tenantClientName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// APIClientName is how tracing.tenants[i].api_client names pdnd.api_client (the other names are
// those of tenant_api_clients).
const APIClientName = "api_client"

// ClientConfig is one PDND client.
type ClientConfig struct {
	// ClientID is the client's id as the back office shows it (a UUID).
	ClientID string `yaml:"client_id"`
	// Key signs client assertions (and, for the e-service client, the ModI tokens unless modi
	// configures another key).
	Key jose.KeyConfig `yaml:"key"`
	// DPoPKey, when set, enables DPoP vouchers; it must differ from Key.
	DPoPKey *jose.KeyConfig `yaml:"dpop_key"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Bounds of jwks_max_age.
const (
	DefaultJWKSMaxAge = 6 * time.Hour
	MinJWKSMaxAge     = 2 * time.Hour
)

// MaxJWKSAge is jwks_max_age or its default.
func (c *Config) MaxJWKSAge() time.Duration {
	if d := c.JWKSMaxAge.D(); d > 0 {
		return d
	}
	return DefaultJWKSMaxAge
}

// Resolved returns the environment's endpoints with the overrides applied.
func (c *Config) Resolved() Environment {
	env := Environments[c.Environment]
	o := c.Endpoints
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&env.Issuer, o.Issuer}, {&env.JWKSURL, o.JWKSURL}, {&env.TokenURL, o.TokenURL},
		{&env.AssertionAudience, o.AssertionAudience}, {&env.APIURL, o.APIURL},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return env
}

// Check records configuration problems.
func (c *Config) Check(ck config.Checker) {
	if _, ok := Environments[c.Environment]; c.Environment != "" && !ok {
		ck.Errorf("environment", "%q is not production, uat or att", c.Environment)
	}
	env := c.Resolved()
	for _, f := range []struct {
		name, v string
		isURL   bool
	}{
		{"issuer", env.Issuer, false}, {"jwks_url", env.JWKSURL, true}, {"token_url", env.TokenURL, true},
		{"assertion_audience", env.AssertionAudience, false}, {"api_url", env.APIURL, true},
	} {
		switch {
		case f.v == "":
			ck.Errorf(f.name, "required: set environment (production, uat, att) or this field")
		case f.isURL:
			if u, err := url.Parse(f.v); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
				ck.Errorf(f.name, "%q is not an absolute http(s) URL", f.v)
			}
		}
	}
	if d := c.JWKSRefetchInterval.D(); d != 0 && d < 1e9 {
		ck.Errorf("jwks_refetch_interval", "%s is below the 1s minimum (PDND must not be hammered)", d)
	}
	if d := c.JWKSMaxAge.D(); d != 0 && d < MinJWKSMaxAge {
		ck.Errorf("jwks_max_age", "%s is below the %s minimum: the JWKS is refreshed hourly, so a shorter bound would fail readiness while PDND is fine", d, MinJWKSMaxAge)
	}
	if c.Client != nil {
		c.Client.Check(ck.At("client"))
	}
	if c.APIClient != nil {
		c.APIClient.Check(ck.At("api_client"))
		if c.Client != nil && c.Client.Key.PrivateKey == c.APIClient.Key.PrivateKey && c.Client.Key.PrivateKey.IsSet() {
			ck.Errorf("api_client.key", "must differ from client.key: the PDND-API client needs its own key (GovWay rule, pdnd-modi.md §1.1)")
		}
	}
	c.checkTenantClients(ck)
}

// checkTenantClients checks tenant_api_clients: names, each client, and that no key is shared
// with another client (each client of PDND has keys of its own).
func (c *Config) checkTenantClients(ck config.Checker) {
	owners := map[config.Secret]string{}
	if c.Client != nil && c.Client.Key.PrivateKey.IsSet() {
		owners[c.Client.Key.PrivateKey] = "client.key"
	}
	if c.APIClient != nil && c.APIClient.Key.PrivateKey.IsSet() {
		owners[c.APIClient.Key.PrivateKey] = "api_client.key"
	}
	ids := map[string]string{}
	if c.APIClient != nil {
		ids[strings.ToLower(c.APIClient.ClientID)] = "api_client"
	}
	for _, name := range slices.Sorted(maps.Keys(c.TenantAPIClients)) {
		tc := c.TenantAPIClients[name]
		at := ck.At("tenant_api_clients").At(name)
		switch {
		case name == APIClientName:
			at.Errorf("", "%q names pdnd.api_client in tracing.tenants: choose another name", name)
			continue
		case !tenantClientName.MatchString(name):
			at.Errorf("", "%q is not a client name: lower-case letters, digits, '.', '-', '_', at most 63", name)
			continue
		case tc == nil:
			at.Errorf("", "empty: client_id and key are required")
			continue
		}
		tc.Check(at)
		if other, dup := ids[strings.ToLower(tc.ClientID)]; dup && tc.ClientID != "" {
			at.Errorf("client_id", "the same client as %s", other)
		} else {
			ids[strings.ToLower(tc.ClientID)] = "tenant_api_clients." + name
		}
		if k := tc.Key.PrivateKey; k.IsSet() {
			if other, dup := owners[k]; dup {
				at.Errorf("key", "the same key as %s: every PDND client has keys of its own", other)
			} else {
				owners[k] = "tenant_api_clients." + name + ".key"
			}
		}
	}
}

// Check records configuration problems.
func (c *ClientConfig) Check(ck config.Checker) {
	if !uuidPattern.MatchString(c.ClientID) {
		ck.Errorf("client_id", "%q is not a PDND client id (a UUID)", c.ClientID)
	}
	c.Key.Check(ck.At("key"))
	if c.DPoPKey != nil {
		c.DPoPKey.Check(ck.At("dpop_key"))
		if c.DPoPKey.PrivateKey == c.Key.PrivateKey {
			ck.Errorf("dpop_key", "must differ from key")
		}
	}
}
