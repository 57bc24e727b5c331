// Package console is the operators' console on the admin listener: a dashboard that shows every
// integration at a glance (server-rendered with html/template, refreshing itself) and the controls
// that act on them (breakers, cache purge, PDND keys, our signing keys, maintenance drain), as a
// JSON API the dashboard's buttons call.
//
// Access. The dashboard and GET /api/state are read-only and carry no personal data: they are
// served without a token on the admin listener, which must be bound to an internal address (the
// Kubernetes NetworkPolicy admits only the monitoring namespace). Every control requires the
// admin token in Authorization: Bearer, compared in constant time, and a JSON body: the
// dashboard's buttons send both with fetch, the token kept in the tab's sessionStorage. A
// cross-site page can neither read the token nor send that header or a JSON body without a CORS
// preflight, which the gateway never grants, so the controls need no CSRF token. Without
// admin.token the controls are not served (the page says so).
//
// Every control is logged (msg "admin action": action, target, outcome, request id, client
// address), never with personal data: a purge logs that a subject was purged, not whom.
package console

import (
	"context"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/telemetry"
	"github.com/welfaregov/gateway/gateway/tracing"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// SigningKey is one of our signing keys that an operator can reload from its files.
type SigningKey struct {
	// Name is the configuration field of the key ("pdnd.client.key").
	Name   string
	Config jose.KeyConfig
	Signer *jose.Signer
}

// Deps are what the console shows and acts on. Only Telemetry and Server are required; a
// component left nil is not shown and its controls answer 404.
type Deps struct {
	Telemetry *telemetry.Telemetry
	Server    *server.Server
	Upstreams *upstream.Runtime
	Cache     *cache.Cache
	JWKS      *pdnd.JWKS
	KeyStore  *pdnd.KeyAPI
	// Vouchers lists the vouchers held for calls to upstreams and for the PDND API.
	Vouchers func() []pdnd.HeldVoucher
	// Keys are our signing keys (PDND client keys, response signing keys).
	Keys []SigningKey
	// Tracing is the PDND Tracing reporter.
	Tracing *tracing.Reporter
	// SIUSS counts the SIUSS operator queues.
	SIUSS *siussfeed.QueueCounter
	// EServices names the published e-services.
	EServices []string
	// PurposeNames names purpose ids on the page (configured names).
	PurposeNames map[string]string
	// Token is the admin token; nil: the controls are not served.
	Token []byte
	// Logger receives the admin actions.
	Logger *slog.Logger
	// Version and Instance identify the replica on the page.
	Version, Instance string
	// Interval between samples of the trends (default 10s); Samples kept (default 60: 10 minutes).
	Interval time.Duration
	Samples  int
	// Refresh is how often the page reloads its panel (default 5s).
	Refresh time.Duration
}

// Console serves the dashboard and the controls. Safe for concurrent use.
type Console struct {
	d    Deps
	ring *ring
	page *template.Template
	log  *slog.Logger
}

// New builds the console; Run samples the trends.
func New(d Deps) *Console {
	if d.Interval <= 0 {
		d.Interval = 10 * time.Second
	}
	if d.Samples <= 1 {
		d.Samples = 60
	}
	if d.Refresh <= 0 {
		d.Refresh = 5 * time.Second
	}
	c := &Console{d: d, ring: newRing(d.Samples), page: pageTemplate, log: d.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Run samples the counters every Interval until ctx ends.
func (c *Console) Run(ctx context.Context) {
	c.sample()
	t := time.NewTicker(c.d.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.sample()
		}
	}
}

func (c *Console) sample() { c.ring.push(read(c.d.Telemetry.Registry(), time.Now())) }

// Mount registers the dashboard, the state API and (with a token) the controls on r, the admin
// listener's router.
func (c *Console) Mount(r fiber.Router) {
	r.Get("/", func(ctx *fiber.Ctx) error { return ctx.Redirect("/dashboard", fiber.StatusFound) })
	r.Get("/dashboard", c.dashboard)
	r.Get("/dashboard/panel", c.panel)
	r.Get("/api/state", c.state)
	if c.d.Token == nil {
		return
	}
	api := r.Group("/api", server.RequireBearer(c.d.Token, "welfaregov-gateway admin"), server.RequireContentType(fiber.MIMEApplicationJSON))
	api.Post("/breakers/:name/force-open", c.forceOpen)
	api.Post("/breakers/:name/force-closed", c.forceClosed)
	api.Post("/breakers/:name/reset", c.resetBreaker)
	api.Post("/cache/purge", c.purge)
	api.Post("/pdnd/jwks/refresh", c.refreshJWKS)
	api.Post("/pdnd/keys/refresh", c.refreshKeys)
	api.Post("/keys/reload", c.reloadKeys)
	api.Post("/drain", c.drain)
	api.Post("/undrain", c.undrain)
	api.Post("/tracing/:tenant/:day/reset", c.resetTracingDay)
}
