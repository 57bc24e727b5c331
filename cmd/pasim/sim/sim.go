// Package sim starts the pasim simulators in-process: one HTTP listener per simulator plus an admin
// listener, all serving one deterministic population with shared fault injection. The pasim binary,
// the end-to-end tests and `make run` use Start.
//
// To add a simulator, append a Registration to Registrations with its documented default port
// (DefaultPorts) and a constructor that wraps every endpoint with env.Faults.
//
// PDND comes first: every listener is open before any simulator is built (so each knows the
// others' URLs), and the simulators after PDND put its real verification in front of their
// e-services and of the Tracing API (security.go).
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/icef"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
	pdndsim "github.com/welfaregov/gateway/cmd/pasim/sim/pdnd"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
	"github.com/welfaregov/gateway/gateway/problem"
)

// DefaultPorts are the documented ports of `pasim serve`, reserved for every simulator, including
// those not written yet.
var DefaultPorts = map[string]int{"admin": 7000, "pdnd": 7001, "inps": 7002, "anpr": 7003, "icef": 7004, "backend": 7005, "tracing": 7006}

// Env is what a simulator constructor gets.
type Env struct {
	Population *population.Population
	Faults     *fault.Injector
	Options    *Options
	// URLs are the base URLs of every listener (all open before the first constructor runs).
	URLs map[string]string
	// RunDir is the run directory (Options.RunDir, or a temporary one).
	RunDir string
	// PDND is the simulated PDND, set by its registration (the first one) for those after it.
	PDND *pdndsim.Simulator
}

// Registration declares one simulator.
type Registration struct {
	Name string
	// New builds the simulator's handler. Every endpoint must be wrapped with env.Faults.Wrap.
	New func(env *Env) (http.Handler, error)
}

// Registrations lists the simulators, in start order (PDND first: the others verify with it).
func Registrations() []Registration {
	return []Registration{
		{Name: "pdnd", New: newPDND}, // token endpoint, JWKS, PDND API keys (port 7001)
		{Name: "inps", New: func(env *Env) (http.Handler, error) { // ConsultazioneISEE SOAP (port 7002)
			o := inps.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.INPSSecurity}
			if o.Security == nil && verifies(env) {
				var err error
				if o.Security, err = inpsGuard(env.PDND); err != nil {
					return nil, err
				}
			}
			return inps.Handler(o), nil
		}},
		{Name: "anpr", New: func(env *Env) (http.Handler, error) { // E002 REST (port 7003)
			o := anpr.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.ANPRSecurity}
			if o.Security == nil && verifies(env) {
				var err error
				if o.SecurityFor, err = anprGuards(env.PDND); err != nil {
					return nil, err
				}
			}
			return anpr.Handler(o), nil
		}},
		{Name: "icef", New: func(env *Env) (http.Handler, error) {
			o := icef.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.ICEFSecurity}
			if o.Security == nil && verifies(env) {
				var err error
				if o.Security, err = icefGuard(env.PDND); err != nil {
					return nil, err
				}
			}
			return icef.Handler(o), nil
		}},
		{Name: "backend", New: func(env *Env) (http.Handler, error) {
			return backend.New(backend.Options{Population: env.Population, Faults: env.Faults, APIKey: env.Options.BackendAPIKey}).Handler(), nil
		}},
		// PDND Tracing API (port 7006). It belongs with PDND; it has its own listener because the real
		// API has its own host (api.tracing.interop.pagopa.it).
		{Name: "tracing", New: func(env *Env) (http.Handler, error) {
			o := tracing.Options{Faults: env.Faults, Authenticate: env.Options.TracingAuthenticate}
			if o.Authenticate == nil && verifies(env) {
				o.Authenticate = env.PDND.AuthenticateM2M
			}
			return tracing.New(o).Handler(), nil
		}},
	}
}

// Options configure Start. The zero value starts every simulator on a random loopback port with the
// default seed and no faults.
type Options struct {
	// Seed of the population and of the fault streams; zero means population.DefaultSeed.
	Seed uint64
	// Listen maps a simulator name (or "admin") to a host:port; missing names get 127.0.0.1:0.
	Listen map[string]string
	// Faults are applied at start, by endpoint name.
	Faults map[string]fault.Spec
	// BackendAPIKey is the backend simulator's key (backend.DefaultAPIKey when empty).
	BackendAPIKey string
	// ICEFSecurity replaces the ICEF e-service's security; nil means the real verification against
	// the PDND simulator (security.go), or none with PresenceOnly.
	ICEFSecurity func(http.Handler) http.Handler
	// INPSSecurity replaces ConsultazioneISEE's security; nil means the real verification of the
	// voucher against the PDND simulator (security.go), or with PresenceOnly inps.RequireBearer (a
	// Bearer header must be present).
	INPSSecurity func(http.Handler) http.Handler
	// TracingAuthenticate replaces the Tracing API's authentication (it returns the caller's
	// organizationId); nil means the PDND simulator verifies the PDND-API voucher, or with
	// PresenceOnly any Bearer token is accepted (tenant from X-Organization-Id or the token's
	// unverified organizationId claim).
	TracingAuthenticate func(r *http.Request, token string) (string, error)
	// ANPRSecurity replaces the ANPR e-services' security; nil means the real verification against
	// the PDND simulator (security.go), or with PresenceOnly the check that the headers are present
	// (anpr.RequireModIHeaders).
	ANPRSecurity func(http.Handler) http.Handler
	// PresenceOnly gives the simulators their stand-alone security (the headers must be present, or
	// nothing is checked) instead of the real verification against the PDND simulator.
	PresenceOnly bool
	// RunDir is where simulators write run-time files: the PDND simulator's generated keys and
	// credentials.json go to RunDir/pdnd. Empty means a temporary directory removed by Shutdown.
	RunDir string
	// PDND configures the PDND simulator (seed, issuer, strictness, rate limit ...). Its BaseURL,
	// RunDir, Faults and Hosts are set by Start.
	PDND pdndsim.Options
	// Hosts add values for the {{name}} placeholders of the PDND seed's audiences (the simulators'
	// own names are set by Start); DefaultHosts when nil.
	Hosts map[string]string
	// FaultNow and FaultSleep replace the clock and timer of fault injection (tests).
	FaultNow   func() time.Time
	FaultSleep func(ctx context.Context, d time.Duration) error
	Logger     *slog.Logger
}

// Running is a started set of simulators.
type Running struct {
	// URLs maps each simulator name (and "admin") to its base URL, e.g. "http://127.0.0.1:7005".
	URLs       map[string]string
	Population *population.Population
	Faults     *fault.Injector
	// PDND is the simulated PDND: its environment, the generated credentials (Credential, with key
	// files, kids and in-process signers), the purposes, the authority for tampering tests.
	PDND *pdndsim.Simulator
	// RunDir is the run directory in use.
	RunDir    string
	tempDir   bool
	servers   []*http.Server
	wg        sync.WaitGroup
	errOnce   sync.Once
	closeOnce sync.Once
	err       error
}

// Start builds the population, starts every simulator and the admin listener, and returns once all
// are accepting connections. Cancelling ctx shuts them down; so does Shutdown.
func Start(ctx context.Context, o Options) (_ *Running, err error) {
	seed := o.Seed
	if seed == 0 {
		seed = population.DefaultSeed
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Running{URLs: map[string]string{}, Population: population.Build(seed), RunDir: o.RunDir}
	r.Faults = fault.New(fault.Options{Seed: seed, Now: o.FaultNow, Sleep: o.FaultSleep})
	defer func() {
		if err != nil {
			_ = r.Shutdown(context.Background())
		}
	}()
	if r.RunDir == "" {
		if r.RunDir, err = os.MkdirTemp("", "pasim-"); err != nil {
			return nil, fmt.Errorf("sim: run directory: %w", err)
		}
		r.tempDir = true
	}
	names := []string{}
	for _, reg := range Registrations() {
		names = append(names, reg.Name)
	}
	names = append(names, "admin")
	listeners := map[string]net.Listener{}
	for _, name := range names {
		addr := o.Listen[name]
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("sim: listening for %s on %s: %w", name, addr, err)
		}
		listeners[name] = ln
		r.URLs[name] = "http://" + ln.Addr().String()
	}
	env := &Env{Population: r.Population, Faults: r.Faults, Options: &o, URLs: r.URLs, RunDir: r.RunDir}
	handlers := map[string]http.Handler{}
	for _, reg := range Registrations() {
		h, err := reg.New(env)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			r.PDND = env.PDND
			return nil, fmt.Errorf("sim: starting %s: %w", reg.Name, err)
		}
		handlers[reg.Name] = h
	}
	r.PDND = env.PDND
	for ep, spec := range o.Faults {
		if err := r.Faults.Set(ep, spec); err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("sim: fault for %q: %w", ep, err)
		}
	}
	if err := r.writeGatewayUpstreams(); err != nil {
		for _, l := range listeners {
			_ = l.Close()
		}
		return nil, err
	}
	handlers["admin"] = r.adminHandler()
	for _, name := range names {
		srv := &http.Server{Handler: handlers[name], ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		r.servers = append(r.servers, srv)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := srv.Serve(listeners[name]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.errOnce.Do(func() { r.err = fmt.Errorf("sim: %s listener: %w", name, err) })
			}
		}()
		log.Info("simulator listening", "simulator", name, "url", r.URLs[name])
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Shutdown(sctx)
	}()
	return r, nil
}

// Shutdown stops every listener gracefully (in-flight requests finish until ctx ends) and returns
// the first serving error, if any.
func (r *Running) Shutdown(ctx context.Context) error {
	var errs []error
	for _, s := range r.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = s.Close() // hung requests (fault hangs) are cut once the grace period is over
		}
	}
	r.wg.Wait()
	r.closeOnce.Do(func() {
		if r.PDND != nil {
			errs = append(errs, r.PDND.Close())
		}
		if r.tempDir {
			errs = append(errs, os.RemoveAll(r.RunDir))
		}
	})
	return errors.Join(append(errs, r.err)...)
}

// adminHandler serves /faults (see fault.AdminHandler), /simulators and /status.
func (r *Running) adminHandler() http.Handler {
	mux := http.NewServeMux()
	faults := r.Faults.AdminHandler()
	mux.Handle("/faults", faults)
	mux.Handle("/faults/", faults)
	mux.HandleFunc("GET /simulators", func(w http.ResponseWriter, _ *http.Request) {
		names := make([]string, 0, len(r.URLs))
		for n := range r.URLs {
			names = append(names, n)
		}
		sort.Strings(names)
		type sim struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		}
		out := []sim{}
		for _, n := range names {
			out = append(out, sim{n, r.URLs[n]})
		}
		simhttp.WriteJSON(w, http.StatusOK, map[string]any{"seed": r.Population.Seed, "simulators": out})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		simhttp.WriteJSON(w, http.StatusOK, problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: 200})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		simhttp.WriteProblem(w, problem.New(problem.NotFound, "no admin operation %s %s", req.Method, req.URL.Path))
	})
	return mux
}
