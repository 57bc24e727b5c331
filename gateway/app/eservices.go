package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/console"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/eservice/estrazione"
	"github.com/welfaregov/gateway/gateway/eservice/prestazioni"
	"github.com/welfaregov/gateway/gateway/eservice/waas"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// EServices is the eservices section: WelfareGOV's e-services published on PDND. Each one left out
// is not served.
type EServices struct {
	// PublicBaseURL is the scheme and host (and path prefix, if a proxy adds one) consumers use to
	// reach the e-service listener, such as https://api.welfaregov.example: an e-service without its
	// own public_url is addressed at this URL followed by its mount path.
	PublicBaseURL string `yaml:"public_base_url"`
	// Prestazioni is "Consultazione prestazioni sociali agevolate" (BLOCK_REST).
	Prestazioni *prestazioni.Config `yaml:"prestazioni"`
	// Estrazione is "Estrazione prestazioni sociali agevolate" (NONBLOCK_PULL_REST).
	Estrazione *estrazione.Config `yaml:"estrazione"`
	// SIUSS is INPS's SIUSS "Welfare as a Service" feed.
	SIUSS *waas.Config `yaml:"siuss"`
}

// any reports whether at least one e-service is published.
func (e *EServices) any() bool { return e.Prestazioni != nil || e.Estrazione != nil || e.SIUSS != nil }

// policies lists the security policies of the configured e-services that may verify ModI tokens
// (the SIUSS feed takes the voucher alone).
func (e *EServices) policies() []modi.Policy {
	var out []modi.Policy
	if e.Prestazioni != nil {
		out = append(out, e.Prestazioni.Security)
	}
	if e.Estrazione != nil {
		out = append(out, e.Estrazione.Security)
	}
	return out
}

// tenants lists the PDND producer ids the configured e-services answer for, with the field that
// sets each ("" where none is set).
func (e *EServices) tenants() map[string]string {
	out := map[string]string{}
	if e.Prestazioni != nil {
		out["eservices.prestazioni.security.id_auth.producer_id"] = e.Prestazioni.Security.IDAuth.ProducerID
	}
	if e.Estrazione != nil {
		out["eservices.estrazione.security.id_auth.producer_id"] = e.Estrazione.Security.IDAuth.ProducerID
	}
	if e.SIUSS != nil {
		for i, en := range e.SIUSS.Enti {
			out[fmt.Sprintf("eservices.siuss.enti[%d].producer_id", i)] = en.ProducerID
		}
	}
	return out
}

// needsKeyLookups reports whether a policy verifies tokens signed with consumer keys registered on
// PDND (INTEGRITY_REST_02, AUDIT_REST_0x with trust pdnd): the PDND-API client is then required.
func needsKeyLookups(ps []modi.Policy) bool {
	for _, p := range ps {
		if p.Integrity.Pattern == modi.IntegrityREST02 || (p.Audit.Pattern != "" && p.Audit.Trust != "x509") {
			return true
		}
	}
	return false
}

// checkEServices records the problems of the e-services and of what they require elsewhere.
func (c *Config) checkEServices(ck config.Checker) {
	e := &c.EServices
	eck := ck.At("eservices")
	eservice.CheckPublicBaseURL(eck, "public_base_url", e.PublicBaseURL)
	limit := c.Listeners.EServices.BodyLimit.Bytes()
	if limit <= 0 {
		limit = server.DefaultBodyLimit.Bytes()
	}
	shared := c.Store.Backend == store.BackendRedis
	if e.Prestazioni != nil {
		e.Prestazioni.Check(eck.At("prestazioni"), e.PublicBaseURL, limit)
	}
	if e.Estrazione != nil {
		e.Estrazione.Check(eck.At("estrazione"), e.PublicBaseURL, limit, shared)
	}
	if e.SIUSS != nil {
		e.SIUSS.Check(eck.At("siuss"), e.PublicBaseURL, limit)
	}
	if !e.any() {
		return
	}
	if c.PDND == nil {
		ck.Errorf("pdnd", "required: the e-services verify PDND vouchers (set environment: production, uat or att)")
	} else if c.PDND.APIClient == nil && needsKeyLookups(e.policies()) {
		ck.Errorf("pdnd.api_client", "required: an e-service verifies INTEGRITY_REST_02 or AUDIT_REST tokens, whose keys are looked up on the PDND API")
	}
	if c.Backend == nil {
		ck.Errorf("backend", "required: the e-services read the WelfareGOV backend (url and api_key)")
	}
	if c.Audit == nil {
		ck.Errorf("audit", "required: every e-service call is recorded in the audit trail (RAC_GEN_LOG_01); configure dir and pseudonym_key")
	}
	if !c.Tracing.Enabled {
		return
	}
	tenants := map[string]bool{}
	for _, t := range c.Tracing.Tenants {
		tenants[strings.ToLower(t.ID)] = true
	}
	for field, id := range e.tenants() {
		switch {
		case id == "":
			ck.Errorf(field, "required with tracing enabled: calls are reported to PDND Tracing under the producer's id")
		case !tenants[strings.ToLower(id)]:
			ck.Errorf(field, "%s is not one of tracing.tenants: its calls would be counted but never reported", id)
		}
	}
	usesAPIClient := false
	for i, t := range c.Tracing.Tenants {
		switch {
		case t.APIClient == pdnd.APIClientName:
			usesAPIClient = true
		case t.APIClient == "":
			// tracing's own check names it
		case c.PDND == nil || c.PDND.TenantAPIClients[t.APIClient] == nil:
			ck.At("tracing.tenants").Index(i).Errorf("api_client", "%q is neither %q (pdnd.api_client) nor a name under pdnd.tenant_api_clients: the tenant's uploads need its own PDND-API client",
				t.APIClient, pdnd.APIClientName)
		}
	}
	if usesAPIClient && c.PDND != nil && c.PDND.APIClient == nil {
		ck.Errorf("pdnd.api_client", "required with tracing enabled: it authenticates the uploads to PDND Tracing")
	}
}

// pdndParts are the PDND components the e-services share.
type pdndParts struct {
	inbound *modi.Inbound
	jwks    *pdnd.JWKS
	api     *pdnd.VoucherCache // nil without pdnd.api_client
}

// buildPDND builds the voucher verification, the DPoP verifier and the PDND key lookups.
func (a *App) buildPDND(cfg *pdnd.Config) (*pdndParts, error) {
	env := cfg.Resolved()
	var opts []pdnd.JWKSOption
	if d := cfg.JWKSRefetchInterval.D(); d > 0 {
		opts = append(opts, pdnd.WithRefetchInterval(d))
	}
	jwks, err := pdnd.NewJWKS(context.Background(), env.JWKSURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("app: pdnd.jwks_url: %w", err)
	}
	a.onClose("pdnd jwks", jwks.Close)
	a.obs.jwks = jwks
	a.srv.AddHealthCheck("pdnd-jwks", func(context.Context) error {
		if !jwks.Ready() {
			return fmt.Errorf("the PDND JWKS %s has not been fetched yet", env.JWKSURL)
		}
		return nil
	}, false)
	p := &pdndParts{jwks: jwks}
	lookup := modi.KeyLookup(func(context.Context, string) (*pdnd.APIKey, error) {
		return nil, &pdnd.UnavailableError{Source: "PDND API keys", Err: fmt.Errorf("pdnd.api_client is not configured")}
	})
	if ac := cfg.APIClient; ac != nil {
		key, err := ac.Key.Load()
		if err != nil {
			return nil, fmt.Errorf("app: pdnd.api_client.key: %w", err)
		}
		p.api = pdnd.NewVoucherCache(&pdnd.Client{ClientID: ac.ClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key},
			pdnd.WithRequestObserver(a.tel.VoucherRequested))
		keys := pdnd.NewKeyAPI(env.APIURL, p.api)
		lookup = keys.ConsumerKey
		a.obs.keyStore = keys
		a.obs.vouchers = append(a.obs.vouchers, p.api)
		a.obs.keys = append(a.obs.keys, console.SigningKey{Name: "pdnd.api_client.key", Config: ac.Key, Signer: key})
	}
	vouchers := pdnd.NewVoucherVerifier(env.Issuer, jwks, pdnd.WithReplayStore(a.store))
	p.inbound = modi.NewInbound(vouchers, pdnd.NewDPoPVerifier(a.store), lookup, a.store)
	return p, nil
}

// buildAudit opens the audit trail.
func (a *App) buildAudit(cfg *audit.Config, version string) (*audit.Logger, error) {
	l, err := audit.Open(*cfg, audit.Options{Version: version})
	if err != nil {
		return nil, fmt.Errorf("app: audit: %w", err)
	}
	a.obs.auditDir = cfg.Dir
	if a.obs.auditDir == "" {
		a.obs.auditDir = audit.DefaultDir
	}
	a.onClose("audit", l.Close)
	return l, nil
}

// buildTracing builds the PDND Tracing reporter (its Run is started by App.Run): each tenant's
// uploads are authenticated by the PDND-API client it names, pdnd.api_client or one of
// pdnd.tenant_api_clients (one voucher cache per client, whatever the number of its tenants).
func (a *App) buildTracing(cfg tracing.Config, p *pdnd.Config, api *pdnd.VoucherCache) (*tracing.Reporter, error) {
	sources := map[string]*pdnd.VoucherCache{pdnd.APIClientName: api}
	tokens := map[string]tracing.TokenSource{}
	for _, t := range cfg.Tenants {
		vc, ok := sources[t.APIClient]
		if !ok {
			var err error
			if vc, err = a.tenantAPIClient(p, t.APIClient); err != nil {
				return nil, err
			}
			sources[t.APIClient] = vc
		}
		tokens[t.ID] = vc
	}
	r, err := tracing.New(cfg, tracing.Options{Store: a.store, Tokens: tokens, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("app: tracing: %w", err)
	}
	return r, nil
}

// tenantAPIClient builds the voucher cache of pdnd.tenant_api_clients.<name>, shown on the
// dashboard with its key like pdnd.api_client.
func (a *App) tenantAPIClient(p *pdnd.Config, name string) (*pdnd.VoucherCache, error) {
	c := p.TenantAPIClients[name]
	if c == nil {
		return nil, fmt.Errorf("app: pdnd.tenant_api_clients has no client %q", name) // unreachable after Check
	}
	field := "pdnd.tenant_api_clients." + name + ".key"
	key, err := c.Key.Load()
	if err != nil {
		return nil, fmt.Errorf("app: %s: %w", field, err)
	}
	env := p.Resolved()
	vc := pdnd.NewVoucherCache(&pdnd.Client{ClientID: c.ClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key},
		pdnd.WithRequestObserver(a.tel.VoucherRequested))
	a.obs.vouchers = append(a.obs.vouchers, vc)
	a.obs.keys = append(a.obs.keys, console.SigningKey{Name: field, Config: c.Key, Signer: key})
	return vc, nil
}

// buildEServices builds and mounts every configured e-service on the e-service listener, the SIUSS
// operator queues on the admin listener, and the SIUSS publisher (started by Run).
func (a *App) buildEServices(cfg *Config, deps eservice.Deps) error {
	e := &cfg.EServices
	backend, err := cfg.Backend.NewClient()
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	svc := &prestazioni.Service{Backend: backend}
	var specs []eservice.Spec
	if e.Prestazioni != nil {
		spec, err := prestazioni.Spec(e.Prestazioni, svc, e.PublicBaseURL)
		if err != nil {
			return fmt.Errorf("app: eservices.prestazioni: %w", err)
		}
		specs = append(specs, spec)
	}
	if e.Estrazione != nil {
		key, err := jobKey(e.Estrazione)
		if err != nil {
			return err
		}
		spec, jobs, err := estrazione.Spec(e.Estrazione, svc, e.PublicBaseURL, deps, key)
		if err != nil {
			return fmt.Errorf("app: eservices.estrazione: %w", err)
		}
		a.onClose("estrazione jobs", jobs.Close)
		specs = append(specs, spec)
	}
	if e.SIUSS != nil {
		feed, err := siussfeed.NewFeedFrom(&e.SIUSS.Config, a.store, nil)
		if err != nil {
			return fmt.Errorf("app: eservices.siuss: %w", err)
		}
		auth, err := waas.NewAuthenticator(e.SIUSS, deps.Inbound)
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		specs = append(specs, waas.Spec(e.SIUSS, feed, backend, auth, e.PublicBaseURL))
		if !e.SIUSS.Publisher.Disabled {
			pub := siussfeed.NewPublisherFrom(&e.SIUSS.Config, feed, backend, siussfeed.PublisherOptions{Logger: a.log})
			interval := e.SIUSS.Publisher.IntervalOrDefault()
			a.background = append(a.background, background{"siuss publisher", func(ctx context.Context) { pub.Run(ctx, interval) }})
		}
		a.obs.siuss = siussfeed.NewQueueCounter(feed)
		if err := a.mountAdmin(cfg, &siussfeed.QueueHandlers{Feed: feed}); err != nil {
			return err
		}
	}
	for _, spec := range specs {
		chain, err := eservice.Build(spec, deps)
		if err != nil {
			return fmt.Errorf("app: eservices.%s: %w", spec.Name, err)
		}
		chain.Register(a.srv.EServices())
		a.obs.eservices = append(a.obs.eservices, spec.Name)
		if signer := chain.ResponseSigner(); signer != nil {
			a.obs.keys = append(a.obs.keys, console.SigningKey{Name: "eservices." + spec.Name + ".response_signing.key",
				Config: spec.Settings.ResponseSigning.Key, Signer: signer})
		}
		a.log.Info("e-service published", "eservice", spec.Name, "mount", chain.Mount(), "public_url", chain.PublicURL())
	}
	return nil
}

// jobKey is the encryption key material of the extraction jobs: the configured secret, or, with
// the memory store (one process), a random key.
func jobKey(c *estrazione.Config) ([]byte, error) {
	if c.EncryptionKey.IsSet() {
		k, err := c.EncryptionKey.Value()
		if err != nil {
			return nil, fmt.Errorf("app: eservices.estrazione.encryption_key: %w", err)
		}
		return k, nil
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k, nil
}

// mountAdmin serves the SIUSS operator queues on the admin listener behind the admin token; without
// a token they are not served.
func (a *App) mountAdmin(cfg *Config, queues *siussfeed.QueueHandlers) error {
	if !cfg.Admin.Token.IsSet() {
		a.log.Warn("admin.token is not set: the SIUSS operator queues (scarti, attenzione) are not served on the admin listener")
		return nil
	}
	token, err := cfg.Admin.Token.Value()
	if err != nil {
		return fmt.Errorf("app: admin.token: %w", err)
	}
	r := a.srv.Admin().Group("/siuss", server.RequireBearer(token, "welfaregov-gateway admin"))
	queues.Mount(r)
	return nil
}

// background is a long-running component App.Run starts and waits for.
type background struct {
	name string
	run  func(ctx context.Context)
}

// The backend client must satisfy what the e-services need of it.
var (
	_ prestazioni.Searcher = (*welfaregov.Client)(nil)
	_ siussfeed.EsitiSink  = (*welfaregov.Client)(nil)
	_ siussfeed.Source     = (*welfaregov.Client)(nil)
)
