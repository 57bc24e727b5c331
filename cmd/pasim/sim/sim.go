// Package sim starts the pasim simulators in-process: one HTTP listener per simulator plus an admin
// listener, all serving one deterministic population with shared fault injection. The pasim binary,
// the end-to-end tests and `make run` use Start.
//
// To add a simulator (PDND is due), append a Registration to Registrations with its
// documented default port (DefaultPorts) and a constructor that wraps every endpoint with env.Faults.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/icef"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
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
}

// Registration declares one simulator.
type Registration struct {
	Name string
	// New builds the simulator's handler. Every endpoint must be wrapped with env.Faults.Wrap.
	New func(env *Env) (http.Handler, error)
}

// Registrations lists the simulators, in start order. Registration point for PDND.
func Registrations() []Registration {
	return []Registration{
		// {Name: "pdnd", New: ...}, // PDND token endpoint and JWKS (port 7001)
		{Name: "inps", New: func(env *Env) (http.Handler, error) { // ConsultazioneISEE SOAP (port 7002)
			return inps.Handler(inps.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.INPSSecurity}), nil
		}},
		{Name: "anpr", New: func(env *Env) (http.Handler, error) { // E002 REST (port 7003)
			return anpr.Handler(anpr.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.ANPRSecurity}), nil
		}},
		{Name: "icef", New: func(env *Env) (http.Handler, error) {
			return icef.Handler(icef.Options{Population: env.Population, Faults: env.Faults, Security: env.Options.ICEFSecurity}), nil
		}},
		{Name: "backend", New: func(env *Env) (http.Handler, error) {
			return backend.New(backend.Options{Population: env.Population, Faults: env.Faults, APIKey: env.Options.BackendAPIKey}).Handler(), nil
		}},
		// PDND Tracing API (port 7006). It belongs with PDND; it has its own listener because the real
		// API has its own host (api.tracing.interop.pagopa.it).
		{Name: "tracing", New: func(env *Env) (http.Handler, error) {
			return tracing.New(tracing.Options{Faults: env.Faults, Authenticate: env.Options.TracingAuthenticate}).Handler(), nil
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
	// ICEFSecurity verifies inbound PDND security on the ICEF e-service; nil allows all.
	ICEFSecurity func(http.Handler) http.Handler
	// INPSSecurity verifies the PDND voucher on ConsultazioneISEE; nil means inps.RequireBearer (a
	// Bearer header must be present).
	INPSSecurity func(http.Handler) http.Handler
	// TracingAuthenticate verifies the PDND-API voucher on the Tracing API and returns its
	// organizationId; nil accepts any Bearer token (tenant from X-Organization-Id or the token's
	// unverified organizationId claim).
	TracingAuthenticate func(r *http.Request, token string) (string, error)
	// ANPRSecurity verifies the PDND voucher and ModI headers on the ANPR e-services; nil checks only
	// that they are present (anpr.RequireModIHeaders).
	ANPRSecurity func(http.Handler) http.Handler
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
	servers    []*http.Server
	wg         sync.WaitGroup
	errOnce    sync.Once
	err        error
}

// Start builds the population, starts every simulator and the admin listener, and returns once all
// are accepting connections. Cancelling ctx shuts them down; so does Shutdown.
func Start(ctx context.Context, o Options) (*Running, error) {
	seed := o.Seed
	if seed == 0 {
		seed = population.DefaultSeed
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Running{URLs: map[string]string{}, Population: population.Build(seed)}
	r.Faults = fault.New(fault.Options{Seed: seed, Now: o.FaultNow, Sleep: o.FaultSleep})
	env := &Env{Population: r.Population, Faults: r.Faults, Options: &o}
	handlers := map[string]http.Handler{}
	names := []string{}
	for _, reg := range Registrations() {
		h, err := reg.New(env)
		if err != nil {
			return nil, fmt.Errorf("sim: starting %s: %w", reg.Name, err)
		}
		handlers[reg.Name] = h
		names = append(names, reg.Name)
	}
	for ep, spec := range o.Faults {
		if err := r.Faults.Set(ep, spec); err != nil {
			return nil, fmt.Errorf("sim: fault for %q: %w", ep, err)
		}
	}
	handlers["admin"] = r.adminHandler()
	names = append(names, "admin")
	for _, name := range names {
		addr := o.Listen[name]
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = r.Shutdown(context.Background())
			return nil, fmt.Errorf("sim: listening for %s on %s: %w", name, addr, err)
		}
		r.URLs[name] = "http://" + ln.Addr().String()
		srv := &http.Server{Handler: handlers[name], ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		r.servers = append(r.servers, srv)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
