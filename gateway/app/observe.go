package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/console"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/telemetry"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// observed gathers, while New builds the components, what the metrics, the dashboard and the
// controls read and act on.
type observed struct {
	jwks      *pdnd.JWKS
	keyStore  *pdnd.KeyAPI
	vouchers  []*pdnd.VoucherCache
	keys      []console.SigningKey
	reporter  *tracing.Reporter
	siuss     *siussfeed.QueueCounter
	eservices []string
	auditDir  string
}

// instanceName names this replica on spans and the dashboard: the audit instance id, else the host.
func instanceName(cfg *Config) string {
	if cfg.Audit != nil && cfg.Audit.InstanceID != "" {
		return cfg.Audit.InstanceID
	}
	return audit.DefaultInstanceID()
}

// purposeNames are the purpose ids of the configuration, the only purpose values a metric label may
// carry: consumer-side purposes by the upstream (or "upstream.operation") that calls with them, the
// provider side's each by its own id (it names nothing else).
func purposeNames(cfg *Config) map[string]string {
	out := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(cfg.Upstreams)) {
		u := cfg.Upstreams[name]
		if u == nil {
			continue
		}
		if id := u.Resolved("").PurposeID; id != "" {
			out[id] = name
		}
		for _, op := range slices.Sorted(maps.Keys(u.Operations)) {
			if id := u.Resolved(op).PurposeID; id != "" && out[id] == "" {
				out[id] = name + "." + op
			}
		}
	}
	add := func(ids ...string) {
		for _, id := range ids {
			if id != "" && out[id] == "" {
				out[id] = id
			}
		}
	}
	e := cfg.EServices
	if e.Prestazioni != nil {
		for id := range e.Prestazioni.Purposes {
			add(id)
		}
		add(e.Prestazioni.Security.IDAuth.AllowedPurposes...)
	}
	if e.Estrazione != nil {
		for id := range e.Estrazione.Purposes {
			add(id)
		}
		add(e.Estrazione.Security.IDAuth.AllowedPurposes...)
	}
	if e.SIUSS != nil {
		add(e.SIUSS.Security.IDAuth.AllowedPurposes...)
	}
	return out
}

// buildTelemetry builds the registry and the tracer first: every later component reports to them.
func (a *App) buildTelemetry(cfg *Config, opts Options) error {
	t, err := telemetry.New(telemetry.Options{Version: opts.Version, Instance: instanceName(cfg),
		Purposes: purposeNames(cfg), Traces: cfg.Telemetry.Traces, SpanProcessor: opts.SpanProcessor, Logger: a.log})
	if err != nil {
		return fmt.Errorf("app: telemetry: %w", err)
	}
	a.tel = t
	a.onClose("telemetry", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return t.Close(ctx)
	})
	if t.TracesEnabled() {
		a.log.Info("OpenTelemetry traces exported", "endpoint", cfg.Telemetry.Traces.Endpoint)
	}
	return nil
}

// buildConsole serves /metrics, the dashboard and the controls on the admin listener, registers
// the readers of the components' state, and the readiness bound on the JWKS age.
func (a *App) buildConsole(cfg *Config, opts Options) error {
	admin := a.srv.Admin()
	admin.Get("/metrics", a.tel.Handler())
	if a.obs.reporter != nil {
		if err := a.tel.Register(a.obs.reporter.Collector()); err != nil {
			return fmt.Errorf("app: metrics: %w", err)
		}
	}
	src := telemetry.Sources{
		Breakers: a.upstreams.Breakers, Quotas: a.upstreams.QuotaUsage, Cache: a.cache,
		JWKS: a.obs.jwks, KeyStore: a.obs.keyStore, Vouchers: a.heldVouchers,
		Store: a.store, Backend: storeBackend(cfg.Store), SIUSSQueues: a.obs.siuss, AuditDir: a.obs.auditDir,
		Drained: func() bool { _, ok := a.srv.Maintenance(); return ok },
	}
	if a.obs.keyStore == nil {
		src.KeyStore = nil // a typed nil would read as a component
	}
	if a.obs.jwks == nil {
		src.JWKS = nil
	}
	if err := a.tel.Watch(src); err != nil {
		return fmt.Errorf("app: metrics: %w", err)
	}
	if j := a.obs.jwks; j != nil {
		a.srv.AddReadinessCheck("pdnd-jwks-age", jwksAgeCheck(j, cfg.PDND.MaxJWKSAge(), time.Now(), time.Now))
	}
	var token []byte
	if cfg.Admin.Token.IsSet() {
		v, err := cfg.Admin.Token.Value()
		if err != nil {
			return fmt.Errorf("app: admin.token: %w", err)
		}
		token = v
	} else {
		a.log.Warn("admin.token is not set: the dashboard is read-only and the controls are not served")
	}
	c := console.New(console.Deps{
		Telemetry: a.tel, Server: a.srv, Upstreams: a.upstreams, Cache: a.cache, JWKS: a.obs.jwks,
		KeyStore: a.obs.keyStore, Vouchers: a.heldVouchers, Keys: a.obs.keys, Tracing: a.obs.reporter,
		SIUSS: a.obs.siuss, EServices: a.obs.eservices, PurposeNames: purposeNames(cfg), Token: token, Logger: a.log,
		Version: opts.Version, Instance: instanceName(cfg), Interval: opts.DashboardInterval,
	})
	c.Mount(admin)
	a.background = append(a.background, background{"dashboard sampler", c.Run})
	return nil
}

// jwksAgeCheck fails while the voucher JWKS was last fetched more than bound ago (before the first
// fetch: while the gateway started more than bound ago).
func jwksAgeCheck(j *pdnd.JWKS, bound time.Duration, started time.Time, now func() time.Time) func(context.Context) error {
	return func(context.Context) error {
		st := j.Status()
		since, what := st.FetchedAt, "was last fetched"
		if since.IsZero() {
			since, what = started, "has not been fetched since the start"
		}
		if age := now().Sub(since); age > bound {
			return fmt.Errorf("the PDND JWKS %s %s ago, more than pdnd.jwks_max_age (%s)%s", what, age.Round(time.Second), bound, lastErr(st.LastError))
		}
		return nil
	}
}

func lastErr(s string) string {
	if s == "" {
		return ""
	}
	return "; last attempt: " + s
}

// heldVouchers lists the vouchers of every voucher cache.
func (a *App) heldVouchers() []pdnd.HeldVoucher {
	var out []pdnd.HeldVoucher
	for _, vc := range a.obs.vouchers {
		out = append(out, vc.Held()...)
	}
	return out
}

// The observer the listeners are given.
var _ server.Observer = (*telemetry.Telemetry)(nil)
