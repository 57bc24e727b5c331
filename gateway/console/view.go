package console

import (
	"context"
	"encoding/json"
	"html/template"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/quota"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/telemetry"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// View is what the dashboard shows, and GET /api/state answers (sparklines aside).
type View struct {
	Version    string                `json:"version"`
	Instance   string                `json:"instance"`
	Now        time.Time             `json:"now"`
	Window     string                `json:"window"` // the span of the windowed figures ("10m0s")
	Drained    *server.Maintenance   `json:"drained,omitempty"`
	Health     []server.CheckResult  `json:"health"`
	Listeners  []ListenerView        `json:"listeners"`
	Upstreams  []UpstreamView        `json:"upstreams"`
	EServices  []EServiceView        `json:"eservices"`
	Vouchers   []VoucherView         `json:"vouchers"`
	Cache      *CacheView            `json:"cache,omitempty"`
	JWKS       *pdnd.JWKSStatus      `json:"jwks,omitempty"`
	KeyStore   *pdnd.KeyStoreStats   `json:"keyStore,omitempty"`
	Keys       []KeyView             `json:"keys"`
	Tracing    []tracing.DayState    `json:"tracing"`
	TracingErr string                `json:"tracingError,omitempty"`
	SIUSS      []siussfeed.QueueSize `json:"siuss"`
	Store      StoreView             `json:"store"`
	Controls   bool                  `json:"controls"`
	Refresh    int                   `json:"-"`
}

// ListenerView is one listener's traffic over the window.
type ListenerView struct {
	Name                     string        `json:"name"`
	Requests, Client, Server uint64        `json:"-"`
	Spark                    template.HTML `json:"-"`
}

// MarshalJSON names the counts.
func (l ListenerView) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"name": l.Name, "requests": l.Requests, "clientErrors": l.Client, "serverErrors": l.Server})
}

// UpstreamView is one upstream's row.
type UpstreamView struct {
	Name string `json:"name"`
	// State is the worst effective state of its breakers (open beats half-open beats closed).
	State string `json:"state"`
	// Calls, ErrorRate, P50 and P95 are over the window (NaN latency: no call).
	Calls     uint64                     `json:"calls"`
	ErrorRate float64                    `json:"errorRate"`
	P50       Float                      `json:"p50Seconds"`
	P95       Float                      `json:"p95Seconds"`
	Breakers  []resilience.BreakerStatus `json:"breakers"`
	Quotas    []quota.Usage              `json:"quotas"`
	LastError *telemetry.UpstreamError   `json:"lastError,omitempty"`
	Spark     template.HTML              `json:"-"`
}

// EServiceView is one e-service's row.
type EServiceView struct {
	Name       string            `json:"name"`
	Calls      uint64            `json:"calls"`
	Rejections []telemetry.Count `json:"rejections"` // by problem code, over the process lifetime
	Consumers  []telemetry.Count `json:"topConsumers"`
	Spark      template.HTML     `json:"-"`
}

// VoucherView groups the vouchers held for one purpose.
type VoucherView struct {
	Purpose string    `json:"purpose"`
	Held    int       `json:"held"`
	Soonest time.Time `json:"soonestExpiry"`
}

// CacheView is the cache's row.
type CacheView struct {
	HitRatio     Float         `json:"hitRatio"` // over the window; null without lookups
	Hits         uint64        `json:"hits"`
	Misses       uint64        `json:"misses"`
	Stale        uint64        `json:"stale"`
	LocalBytes   int64         `json:"localBytes"`
	LocalEntries int           `json:"localEntries"`
	Spark        template.HTML `json:"-"`
}

// KeyView is one of our signing keys.
type KeyView struct {
	Name string `json:"name"`
	Kid  string `json:"kid"`
	Alg  string `json:"alg"`
}

// StoreView is the shared store's health.
type StoreView struct {
	Up          bool          `json:"up"`
	PingSeconds Float         `json:"pingSeconds"`
	Spark       template.HTML `json:"-"`
}

var stateRank = map[string]int{"closed": 0, "forced-closed": 1, "half-open": 2, "open": 3, "forced-open": 4}

// view builds the view from the components and the samples.
func (c *Console) view(ctx context.Context) *View {
	ss := c.ring.all()
	now := time.Now()
	latest := read(c.d.Telemetry.Registry(), now) // the current figures, not the last sample's
	var first *sample
	if len(ss) > 0 {
		first = ss[0]
	}
	series := append(ss, latest)
	v := &View{Version: c.d.Version, Instance: c.d.Instance, Now: now, Controls: c.d.Token != nil,
		Health: c.d.Server.Health(), Refresh: int(c.d.Refresh / time.Second)}
	if first != nil {
		v.Window = now.Sub(first.at).Round(time.Second).String()
	}
	if m, ok := c.d.Server.Maintenance(); ok {
		v.Drained = &m
	}
	for _, name := range []string{server.EServicesName, server.InternalName, server.AdminName} {
		r := latest.requests[name]
		if first != nil {
			old := first.requests[name]
			for i := range r {
				r[i] -= min(old[i], r[i])
			}
		}
		v.Listeners = append(v.Listeners, ListenerView{Name: name, Requests: r[0], Client: r[1], Server: r[2],
			Spark: sparkline(counts(series, func(s *sample) uint64 { return s.requests[name][0] }), name+" requests per interval")})
	}
	if c.d.Upstreams != nil {
		v.Upstreams = c.upstreams(ctx, latest, first, series)
	}
	for _, name := range c.d.EServices {
		v.EServices = append(v.EServices, c.eservice(name, series))
	}
	if c.d.Vouchers != nil {
		v.Vouchers = c.vouchers()
	}
	if c.d.Cache != nil {
		v.Cache = c.cacheView(latest, first, series)
	}
	if c.d.JWKS != nil {
		st := c.d.JWKS.Status()
		v.JWKS = &st
	}
	if c.d.KeyStore != nil {
		st := c.d.KeyStore.Stats()
		v.KeyStore = &st
	}
	for _, k := range c.d.Keys {
		v.Keys = append(v.Keys, KeyView{Name: k.Name, Kid: k.Signer.Kid(), Alg: k.Signer.Alg()})
	}
	if c.d.Tracing != nil {
		days, err := c.d.Tracing.Status(ctx)
		if err != nil {
			v.TracingErr = err.Error()
		}
		v.Tracing = lastDays(days, 7)
	}
	if c.d.SIUSS != nil {
		v.SIUSS, _ = c.d.SIUSS.Sizes(ctx)
	}
	v.Store = StoreView{Up: latest.storeUp, PingSeconds: Float(latest.storePing),
		Spark: sparkline(values(series, func(s *sample) float64 { return s.storePing * 1000 }), "store ping, ms")}
	return v
}

func (c *Console) upstreams(ctx context.Context, latest, first *sample, series []*sample) []UpstreamView {
	breakers := map[string][]resilience.BreakerStatus{}
	for _, b := range c.d.Upstreams.Breakers() {
		up, _ := telemetry.SplitBreaker(b.Name)
		breakers[up] = append(breakers[up], b)
	}
	quotas := map[string][]quota.Usage{}
	if us, err := c.d.Upstreams.QuotaUsage(ctx); err == nil {
		for _, u := range us {
			up, _ := telemetry.SplitBreaker(u.Budget)
			if u.Limit > 0 {
				quotas[up] = append(quotas[up], u)
			}
		}
	}
	lastErrors := c.d.Telemetry.LastUpstreamErrors()
	var out []UpstreamView
	for _, name := range c.d.Upstreams.Names() {
		u := UpstreamView{Name: name, State: "closed", Breakers: breakers[name], Quotas: quotas[name], P50: Float(math.NaN()), P95: Float(math.NaN())}
		for _, b := range u.Breakers {
			if s := telemetry.EffectiveState(b); stateRank[s] > stateRank[u.State] {
				u.State = s
			}
		}
		if h := latest.upstreams[name]; h != nil {
			var old *histSample
			var oldFail uint64
			if first != nil {
				old, oldFail = first.upstreams[name], first.failures[name]
			}
			d := h.delta(old)
			u.Calls = d.count
			u.P50, u.P95 = Float(d.quantile(0.5)), Float(d.quantile(0.95))
			if d.count > 0 {
				u.ErrorRate = float64(latest.failures[name]-min(oldFail, latest.failures[name])) / float64(d.count)
			}
		}
		if e, ok := lastErrors[name]; ok {
			u.LastError = &e
		}
		u.Spark = sparkline(counts(series, func(s *sample) uint64 {
			if h := s.upstreams[name]; h != nil {
				return h.count
			}
			return 0
		}), "calls to "+name+" per interval")
		out = append(out, u)
	}
	return out
}

func (c *Console) eservice(name string, series []*sample) EServiceView {
	e := EServiceView{Name: name, Consumers: c.d.Telemetry.TopConsumers(name, 5)}
	latest := series[len(series)-1]
	e.Calls = latest.eservices[name]
	e.Rejections = c.rejections(name)
	for i, k := range e.Consumers {
		if n, ok := c.d.PurposeNames[k.Key]; ok {
			e.Consumers[i].Key = n
		}
	}
	e.Spark = sparkline(counts(series, func(s *sample) uint64 { return s.eservices[name] }), "calls to "+name+" per interval")
	return e
}

// rejections reads the e-service's calls by outcome (not ok) from the registry.
func (c *Console) rejections(name string) []telemetry.Count {
	fams, _ := c.d.Telemetry.Registry().Gather()
	byCode := map[string]uint64{}
	for _, f := range fams {
		if f.GetName() != "wgw_eservice_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := labels(m)
			if l["eservice"] == name && l["outcome"] != "ok" {
				byCode[l["outcome"]] += uint64(m.GetCounter().GetValue())
			}
		}
	}
	out := make([]telemetry.Count, 0, len(byCode))
	for _, code := range sortedKeys(byCode) {
		out = append(out, telemetry.Count{Key: code, Calls: byCode[code]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Calls > out[j].Calls })
	return out
}

func (c *Console) vouchers() []VoucherView {
	by := map[string]*VoucherView{}
	for _, h := range c.d.Vouchers() {
		name := h.PurposeID
		if n, ok := c.d.PurposeNames[name]; ok {
			name = n
		}
		if name == "" {
			name = "PDND API"
		}
		v, ok := by[name]
		if !ok {
			v = &VoucherView{Purpose: name}
			by[name] = v
		}
		v.Held++
		if v.Soonest.IsZero() || h.Expires.Before(v.Soonest) {
			v.Soonest = h.Expires
		}
	}
	out := make([]VoucherView, 0, len(by))
	for _, k := range sortedKeys(by) {
		out = append(out, *by[k])
	}
	return out
}

func (c *Console) cacheView(latest, first *sample, series []*sample) *CacheView {
	v := &CacheView{HitRatio: Float(math.NaN()), Hits: latest.cacheHits, Misses: latest.cacheMisses, Stale: latest.cacheStale}
	hits, lookups := latest.cacheHits, latest.cacheHits+latest.cacheMisses+latest.cacheStale
	if first != nil {
		hits -= min(first.cacheHits, hits)
		lookups -= min(first.cacheHits+first.cacheMisses+first.cacheStale, lookups)
	}
	if lookups > 0 {
		v.HitRatio = Float(float64(hits) / float64(lookups))
	}
	st := c.d.Cache.Stats()
	v.LocalBytes, v.LocalEntries = st.LocalBytes, st.LocalEntries
	v.Spark = sparkline(ratios(series), "cache hit ratio per interval")
	return v
}

// ratios are the per-interval hit ratios (NaN for an interval without lookups).
func ratios(ss []*sample) []float64 {
	if len(ss) < 2 {
		return nil
	}
	out := make([]float64, 0, len(ss)-1)
	for i := 1; i < len(ss); i++ {
		a, b := ss[i-1], ss[i]
		hits := b.cacheHits - min(a.cacheHits, b.cacheHits)
		all := hits + b.cacheMisses - min(a.cacheMisses, b.cacheMisses) + b.cacheStale - min(a.cacheStale, b.cacheStale)
		r := math.NaN()
		if all > 0 {
			r = float64(hits) / float64(all)
		}
		out = append(out, r)
	}
	return out
}

func values(ss []*sample, get func(*sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = get(s)
	}
	return out
}

// lastDays keeps each tenant's n most recent days, most recent first.
func lastDays(days []tracing.DayState, n int) []tracing.DayState {
	sort.SliceStable(days, func(i, j int) bool {
		if days[i].Tenant != days[j].Tenant {
			return days[i].Tenant < days[j].Tenant
		}
		return days[j].Date.Before(days[i].Date)
	})
	var out []tracing.DayState
	per := map[string]int{}
	for _, d := range days {
		if per[d.Tenant] < n {
			out = append(out, d)
			per[d.Tenant]++
		}
	}
	return out
}

func (c *Console) dashboard(ctx *fiber.Ctx) error { return c.render(ctx, "page") }

func (c *Console) panel(ctx *fiber.Ctx) error { return c.render(ctx, "panel") }

func (c *Console) render(ctx *fiber.Ctx, name string) error {
	v := c.view(ctx.UserContext())
	var b strings.Builder
	if err := c.page.ExecuteTemplate(&b, name, v); err != nil {
		return err
	}
	ctx.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	ctx.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	ctx.Set("X-Frame-Options", "DENY")
	ctx.Set("Referrer-Policy", "no-referrer")
	return ctx.SendString(b.String())
}

func (c *Console) state(ctx *fiber.Ctx) error {
	v := c.view(ctx.UserContext())
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	return ctx.JSON(v)
}

// Float is a number that is JSON null when it is not a number (no observation yet).
type Float float64

// MarshalJSON writes null for NaN and infinities.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// Valid reports whether f is a number.
func (f Float) Valid() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }
