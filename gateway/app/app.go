// Package app assembles the gateway: the root configuration (one section per component), the
// order in which components are built and closed, and Run.
//
// To add a component: give it a section in Config (a struct with yaml tags and a Check), call its
// Check in Config.Check, build it in New after what it depends on, register its close with
// a.onClose right after building it, and add its keys to the configuration reference in README.md
// (a test fails until you do).
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/internalapi"
	"github.com/welfaregov/gateway/gateway/logging"
	"github.com/welfaregov/gateway/gateway/lookup"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/storeconfig"
	"github.com/welfaregov/gateway/gateway/telemetry"
	"github.com/welfaregov/gateway/gateway/tracing"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// Config is the whole configuration file.
type Config struct {
	// RunDir is where the gateway writes run-time files (the development certificate of TLS mode
	// dev). Relative paths are from the working directory. Default ".run".
	RunDir string `yaml:"run_dir"`
	// Log configures the JSON log on standard error.
	Log logging.Config `yaml:"log"`
	// Listeners configures the e-service, internal API and admin listeners.
	Listeners server.Config `yaml:"listeners"`
	// Store says where the state shared by replicas lives (memory or Redis).
	Store store.Config `yaml:"store"`
	// Upstreams are the systems the gateway calls for WelfareGOV (INPS, ANPR, ICEF): address,
	// timeouts, bulkhead, circuit breaker, retries, daily quota, TLS.
	Upstreams upstream.Config `yaml:"upstreams"`
	// Cache keeps upstream answers: in process and in the shared store (encrypted).
	Cache cache.Config `yaml:"cache"`
	// PDND is the PDND Interoperabilità environment and clients: voucher verification for the
	// e-services, key lookups, PDND Tracing uploads, and (pdnd.client) the vouchers of the calls to
	// upstreams with auth pdnd. Required when an e-service is published.
	PDND *pdnd.Config `yaml:"pdnd"`
	// Backend is the WelfareGOV backend the e-services read. Required when one is published.
	Backend *welfaregov.Config `yaml:"backend"`
	// EServices are WelfareGOV's e-services published to other administrations through PDND.
	EServices EServices `yaml:"eservices"`
	// Audit is the audit trail of the e-service calls. Required when an e-service is published.
	Audit *audit.Config `yaml:"audit"`
	// Tracing is the daily report of e-service calls to PDND Tracing. Default off.
	Tracing tracing.Config `yaml:"tracing"`
	// Admin is how operators authenticate to the admin listener's protected endpoints.
	Admin server.AdminConfig `yaml:"admin"`
	// Telemetry configures what the gateway exports besides /metrics: OpenTelemetry traces.
	Telemetry telemetry.Config `yaml:"telemetry"`
	// InternalAPI is the API WelfareGOV calls on the internal listener (ISEE, anagrafe, ICEF,
	// self-declaration checks). Not served when absent.
	InternalAPI *internalapi.Config `yaml:"internal_api"`
}

// Check records every problem of every section, each with its full dotted path.
func (c *Config) Check(ck config.Checker) {
	c.Log.Check(ck.At("log"))
	c.Listeners.Check(ck.At("listeners"))
	c.Store.Check(ck.At("store"))
	c.Upstreams.Check(ck.At("upstreams"))
	c.Cache.Check(ck.At("cache"), c.Store.Backend == store.BackendRedis)
	if c.PDND != nil {
		c.PDND.Check(ck.At("pdnd"))
	}
	if c.Backend != nil {
		c.Backend.Check(ck.At("backend"))
	}
	if c.Audit != nil {
		c.Audit.Check(ck.At("audit"))
	}
	c.Tracing.Check(ck.At("tracing"))
	c.Admin.Check(ck.At("admin"))
	c.Telemetry.Check(ck.At("telemetry"))
	c.checkEServices(ck)
	c.checkConsumer(ck)
}

func (c *Config) runDir() string {
	if c.RunDir == "" {
		return ".run"
	}
	return c.RunDir
}

// Load reads the YAML file at path with the WGW_ overrides in env (os.Environ form), decodes it
// strictly and checks it. The error, a *config.Invalid, lists every problem found, decoding and
// checking alike, one per line, each naming its field.
func Load(path string, env []string) (*Config, error) {
	var c Config
	ck := config.NewChecker()
	config.Load(ck, path, env, &c)
	c.Check(ck)
	return &c, ck.Err()
}

// Options are what the process gives the application.
type Options struct {
	// LogOutput receives the JSON log. Default os.Stderr.
	LogOutput io.Writer
	// Version is logged at start ("v1.2.0 (abc1234)").
	Version string
	// SpanProcessor, when set, receives the request spans instead of the OTLP exporter (tests).
	SpanProcessor telemetry.SpanProcessor
	// DashboardInterval is the dashboard's sampling period (default 10s; tests shorten it).
	DashboardInterval time.Duration
}

// App is a built gateway, ready to Run.
type App struct {
	log        *slog.Logger
	srv        *server.Server
	store      store.Store
	upstreams  *upstream.Runtime
	cache      *cache.Cache
	tel        *telemetry.Telemetry
	obs        observed
	lookups    *lookup.Service
	background []background
	closers    []closer
	closed     bool
}

type closer struct {
	name  string
	close func() error
}

// New builds every component in dependency order. If a step fails, what was already built is
// closed (in reverse order) and the error names the step. cfg must have passed Check (Load does it).
func New(cfg *Config, opts Options) (_ *App, err error) {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	a := &App{log: logging.New(opts.LogOutput, cfg.Log)}
	defer func() {
		if err != nil {
			err = errors.Join(err, a.Close())
		}
	}()

	// 0. Telemetry: the registry and the tracer every component reports to.
	if err := a.buildTelemetry(cfg, opts); err != nil {
		return nil, err
	}

	// 1. Shared state. A Redis that does not answer yet is not an error: /status reports it.
	// go-redis logs through a process-wide logger; route it into ours (JSON, sanitized).
	redis.SetLogger(redisLogger{a.log})
	ctx, cancel := context.WithTimeout(context.Background(), storeOpenTimeout)
	a.store, err = storeconfig.Open(ctx, cfg.Store)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("app: store: %w", err)
	}
	a.onClose("store", a.store.Close)

	// 1b. The outbound path: the PDND/ModI Authorizer, the upstream runtime (breakers, bulkheads,
	// quotas, retries) and the cache in front of it.
	if err := a.buildOutbound(cfg); err != nil {
		return nil, err
	}

	// 2. Listeners: bound now (all or none), served by Run.
	runDir, err := filepath.Abs(cfg.runDir())
	if err != nil {
		return nil, fmt.Errorf("app: run_dir: %w", err)
	}
	if a.srv, err = server.New(cfg.Listeners, server.Options{Logger: a.log, RunDir: runDir, Observer: a.tel}); err != nil {
		return nil, err
	}
	a.onClose("listeners", a.srv.Close)

	// 3. Health: Redis is critical, because replay protection and rate limits depend on it.
	if cfg.Store.Backend == store.BackendRedis {
		a.srv.AddHealthCheck("redis", a.store.Ping, true)
	}

	// 4. The e-services: audit trail, PDND verification, PDND Tracing counters, then each
	// e-service's chain on the e-service listener.
	if cfg.EServices.any() {
		if err := a.buildEServiceStack(cfg, opts); err != nil {
			return nil, err
		}
	}

	// 5. The internal API WelfareGOV calls, over the outbound path.
	if cfg.InternalAPI != nil {
		if err := a.buildInternalAPI(cfg); err != nil {
			return nil, err
		}
	}

	// 6. What operators see and steer: /metrics, the dashboard, the controls, readiness bounds.
	if err := a.buildConsole(cfg, opts); err != nil {
		return nil, err
	}

	a.log.Info("gateway built", "version", opts.Version, "store", storeBackend(cfg.Store), "run_dir", runDir)
	return a, nil
}

// storeOpenTimeout bounds what opening the store may wait for (preloading Redis scripts when
// Redis answers); a Redis that does not answer in time is reported by /status, not fatal.
const storeOpenTimeout = 2 * time.Second

func storeBackend(c store.Config) string {
	if c.Backend == "" {
		return store.BackendMemory
	}
	return c.Backend
}

// redisLogger sends go-redis's own messages (reconnect attempts) to the JSON log at debug level:
// the health check already logs once when Redis goes down and once when it recovers.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, args ...any) {
	l.log.Debug("redis client", "detail", fmt.Sprintf(format, args...))
}

func (a *App) onClose(name string, f func() error) {
	a.closers = append(a.closers, closer{name, f})
}

// buildEServiceStack builds what the e-services share and the e-services themselves.
func (a *App) buildEServiceStack(cfg *Config, opts Options) error {
	logger, err := a.buildAudit(cfg.Audit, opts.Version)
	if err != nil {
		return err
	}
	p, err := a.buildPDND(cfg.PDND)
	if err != nil {
		return err
	}
	deps := eservice.Deps{Inbound: p.inbound, Store: a.store, Audit: a.tel.ObserveAudit(logger), Logger: a.log, Observer: a.tel}
	if cfg.Tracing.Enabled {
		reporter, err := a.buildTracing(cfg.Tracing, cfg.PDND, p.api)
		if err != nil {
			return err
		}
		a.obs.reporter = reporter
		deps.Tracing = reporter.Recorder()
		a.background = append(a.background, background{"pdnd tracing reporter", func(ctx context.Context) {
			if err := reporter.Run(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("PDND Tracing reporter stopped", "err", err)
			}
		}})
	}
	return a.buildEServices(cfg, deps)
}

// Run serves until ctx is done (SIGINT/SIGTERM in cmd/gateway), drains requests in flight within
// listeners.shutdown_grace, then closes every component. Background components (the SIUSS
// publisher, the PDND Tracing reporter) run meanwhile and are stopped before the close. It returns
// the first serving error and any close errors.
func (a *App) Run(ctx context.Context) error {
	bctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, b := range a.background {
		wg.Go(func() { b.run(bctx) })
		a.log.Info("background component started", "component", b.name)
	}
	serveErr := a.srv.Serve(ctx)
	stop()
	wg.Wait()
	closeErr := a.Close()
	if serveErr == nil && closeErr == nil {
		a.log.Info("stopped")
	}
	return errors.Join(serveErr, closeErr)
}

// Close closes the components in reverse build order, once; it reports every failure.
func (a *App) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		c := a.closers[i]
		if err := c.close(); err != nil {
			errs = append(errs, fmt.Errorf("app: closing %s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// Endpoints lists the listeners' URLs (e-services, internal, admin).
func (a *App) Endpoints() []server.Endpoint { return a.srv.Endpoints() }

// DevRootFile is the PEM file of the development root certificate, or "" when no listener uses
// TLS mode dev. curl --cacert FILE trusts the e-service listener with it.
func (a *App) DevRootFile() string {
	if dev := a.srv.DevPKI(); dev != nil {
		return dev.RootFile
	}
	return ""
}

// Upstreams is the upstream runtime: the Transports adapters call, breakers and quotas for the
// admin controls and the dashboard.
func (a *App) Upstreams() *upstream.Runtime { return a.upstreams }

// Cache is the cache of upstream answers.
func (a *App) Cache() *cache.Cache { return a.cache }

// Lookups is the service behind the internal API (nil when internal_api is not configured).
func (a *App) Lookups() *lookup.Service { return a.lookups }

// Logger is the application's logger.
func (a *App) Logger() *slog.Logger { return a.log }
