package app

import (
	"fmt"
	"time"

	"github.com/welfaregov/gateway/adapters/anpr"
	"github.com/welfaregov/gateway/adapters/icef"
	"github.com/welfaregov/gateway/adapters/inps"
	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/console"
	"github.com/welfaregov/gateway/gateway/internalapi"
	"github.com/welfaregov/gateway/gateway/lookup"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/upstream"
	"github.com/welfaregov/gateway/gateway/upstream/pdndauth"
)

// The upstreams the internal API's lookups call, by name in the upstreams section, with the
// operations their adapters declare.
var adapterOperations = map[string][]*adapter.Operation{
	"inps": inps.Operations(),
	"anpr": anpr.Operations(),
	"icef": icef.Operations(),
}

// checkConsumer records the problems of the consumer side across sections: the operations and
// purposes of each upstream against its adapter, the PDND client that upstreams with auth pdnd
// need, and a way for WelfareGOV to authenticate to the internal API.
func (c *Config) checkConsumer(ck config.Checker) {
	pdndNeeded := false
	for name, u := range c.Upstreams {
		if u == nil {
			continue
		}
		if ops, ok := adapterOperations[name]; ok {
			names := make([]string, len(ops))
			for i, op := range ops {
				names[i] = op.Name
			}
			u.CheckOperations(ck.At("upstreams").At(name), names)
		}
		pdndNeeded = pdndNeeded || u.Auth == "" || u.Auth == upstream.AuthPDND
	}
	if pdndNeeded && (c.PDND == nil || c.PDND.Client == nil) {
		ck.Errorf("pdnd.client", "required: an upstream has auth pdnd, and its vouchers are requested with this PDND client (client_id and key)")
	}
	if api := c.InternalAPI; api != nil {
		api.Check(ck.At("internal_api"))
		mtls := c.Listeners.Internal.TLS.ClientAuth == "require" || c.Listeners.Internal.TLS.ClientAuth == "optional"
		if len(api.APIKeys) == 0 && !mtls {
			ck.Errorf("internal_api.api_keys", "required unless listeners.internal.tls.client_auth is require or optional: WelfareGOV must authenticate")
		}
		if len(api.ClientCertificates.Subjects) > 0 && !mtls {
			ck.Errorf("internal_api.client_certificates.subjects", "set, but listeners.internal.tls.client_auth is none: no client certificate is ever asked for")
		}
	}
}

// buildOutbound builds the outbound path: the PDND/ModI Authorizer (when an upstream needs it),
// the upstream runtime (breakers, bulkheads, quotas, retries) and the cache in front of it.
func (a *App) buildOutbound(cfg *Config) error {
	deps := upstream.Deps{Store: a.store, Logger: a.log, Observer: a.tel}
	if cfg.PDND != nil && cfg.PDND.Client != nil {
		out, err := pdndauth.Outbound(cfg.PDND, pdnd.WithRequestObserver(a.tel.VoucherRequested))
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		a.obs.vouchers = append(a.obs.vouchers, out.Vouchers)
		a.obs.keys = append(a.obs.keys, console.SigningKey{Name: "pdnd.client.key", Config: cfg.PDND.Client.Key, Signer: out.Client.Signer})
		if k := cfg.PDND.Client.DPoPKey; k != nil {
			a.obs.keys = append(a.obs.keys, console.SigningKey{Name: "pdnd.client.dpop_key", Config: *k, Signer: out.Client.DPoP})
		}
		if deps.Authorizer, err = pdndauth.Authorizers(cfg.Upstreams, out); err != nil {
			return fmt.Errorf("app: %w", err)
		}
	}
	var err error
	if a.upstreams, err = upstream.New(cfg.Upstreams, deps); err != nil {
		return fmt.Errorf("app: upstreams: %w", err)
	}
	a.onClose("upstreams", a.upstreams.Close)
	cacheOpts, err := cfg.Cache.Options(a.store, a.log)
	if err != nil {
		return fmt.Errorf("app: cache: %w", err)
	}
	if a.cache, err = cache.New(cacheOpts); err != nil {
		return fmt.Errorf("app: cache: %w", err)
	}
	return nil
}

// buildInternalAPI builds the adapters over the runtime's Transports, the lookups over the cache,
// and mounts the internal API on the internal listener.
func (a *App) buildInternalAPI(cfg *Config) error {
	api := cfg.InternalAPI
	deps := lookup.Deps{Cache: a.cache}
	if u, ok := a.upstreams.Upstream("inps"); ok {
		deps.INPS = &inps.Client{Transport: u, Endpoint: u.BaseURL().String(), Identity: api.Identity()}
	}
	if u, ok := a.upstreams.Upstream("anpr"); ok {
		ids, err := anpr.NewIDGenerator(api.ANPR.IDPrefix, time.Now)
		if err != nil {
			return fmt.Errorf("app: internal_api.anpr.id_prefix: %w", err)
		}
		deps.ANPR = &anpr.Client{Transport: u, Endpoints: anpr.EndpointsUnder(u.BaseURL().String()), IDs: ids, Now: time.Now}
	}
	if u, ok := a.upstreams.Upstream("icef"); ok {
		deps.ICEF = &icef.Client{Transport: u, BaseURL: u.BaseURL().String()}
	}
	svc, err := lookup.New(deps)
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.lookups = svc
	var st store.Store
	if api.RateLimit != nil {
		st = a.store
	}
	h, err := internalapi.New(*api, internalapi.Deps{Lookups: svc, Store: st, Logger: a.log})
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	h.Mount(a.srv.Internal())
	return nil
}
