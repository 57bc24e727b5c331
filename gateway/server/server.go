// Package server runs the gateway's three Fiber listeners (e-services, internal API, admin) from
// configuration, with the behaviour every route shares: request ids, access logs, panic recovery,
// body limits, per-request deadlines, problem+json errors through one writer per listener, /status
// per the Italian guidelines, health checks, and a graceful shutdown.
//
// Other packages add routes and middleware to [Server.EServices], [Server.Internal] and
// [Server.Admin] and health checks with [Server.AddHealthCheck], before [Server.Serve]. Routes run
// after the shared chain; /status (and /livez, /readyz on admin) are registered first, so no
// authentication middleware added later applies to them: PDND probes /status without a voucher.
//
// Fiber stays inside this package and the handler packages: handlers return errors (preferably
// *problem.Error) and never write error bodies themselves.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/certs"
)

// Options are the Server's dependencies.
type Options struct {
	// Logger receives access logs and errors. Default: slog.Default().
	Logger *slog.Logger
	// RunDir is where run-time files go (the development certificate). Default ".run".
	RunDir string
	// Observer, when set, is told of every request of every listener (metrics, traces).
	Observer Observer
}

// Server owns the three listeners. Its methods are safe for concurrent use, except that routes
// and health checks must be added before Serve.
type Server struct {
	log       *slog.Logger
	grace     time.Duration
	listeners []*listener
	dev       *certs.DevServer
	health    *health

	// base is the parent of every request context; cancelled when the grace period ends, so
	// handlers still running are told to stop.
	base       context.Context
	cancelBase context.CancelFunc
	draining   atomic.Bool
	closeOnce  sync.Once

	observer    Observer
	maintenance atomic.Pointer[Maintenance] // an operator's drain (Drain), nil when serving
}

// listener is one Fiber app bound to one socket.
type listener struct {
	name string
	cfg  Listener
	app  *fiber.App
	ln   net.Listener
	url  string
	srv  *Server
}

// BindError reports a listener that could not bind its address.
type BindError struct {
	Listener string
	Address  string
	Err      error
}

func (e *BindError) Error() string {
	hint := ""
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		hint = fmt.Sprintf(": address already in use (stop whatever listens there, or set listeners.%s.address / WGW_LISTENERS__%s__ADDRESS)",
			e.Listener, strings.ToUpper(e.Listener))
	} else {
		hint = ": " + e.Err.Error()
	}
	return fmt.Sprintf("server: listeners.%s cannot listen on %s%s", e.Listener, e.Address, hint)
}

func (e *BindError) Unwrap() error { return e.Err }

// New binds every listener (all of them or none: on failure it closes what it opened) and
// prepares their shared middleware. It does not serve; call Serve. cfg must have passed Check.
func New(cfg Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RunDir == "" {
		opts.RunDir = ".run"
	}
	s := &Server{log: opts.Logger, grace: cfg.shutdownGrace(), health: newHealth(opts.Logger), observer: opts.Observer}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	ls := cfg.listeners()
	dev, err := writeDevPKI(opts.RunDir, ls)
	if err != nil {
		return nil, err
	}
	s.dev = dev
	for _, n := range ls {
		l, err := s.bind(n)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.listeners = append(s.listeners, l)
	}
	return s, nil
}

func (s *Server) bind(n named) (*listener, error) {
	tlsCfg, err := n.cfg.TLS.serverConfig(s.dev)
	if err != nil {
		return nil, fmt.Errorf("server: listeners.%s.%w", n.name, err)
	}
	ln, err := net.Listen("tcp", n.cfg.Address)
	if err != nil {
		return nil, &BindError{Listener: n.name, Address: n.cfg.Address, Err: err}
	}
	scheme := "http"
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
		scheme = "https"
	}
	l := &listener{name: n.name, cfg: n.cfg, ln: ln, srv: s, url: scheme + "://" + reachable(ln.Addr())}
	l.app = s.newApp(l)
	return l, nil
}

// reachable turns a bound address into one a local client can call: a wildcard bind is reached
// through the loopback address.
func reachable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip.IsUnspecified() {
		if ip.To4() != nil {
			ip = net.IPv4(127, 0, 0, 1)
		} else {
			ip = net.IPv6loopback
		}
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// EServices is the router of the public e-service listener.
func (s *Server) EServices() fiber.Router { return s.listeners[0].app }

// Internal is the router of the WelfareGOV internal API listener.
func (s *Server) Internal() fiber.Router { return s.listeners[1].app }

// Admin is the router of the operators' listener.
func (s *Server) Admin() fiber.Router { return s.listeners[2].app }

// Endpoint describes a bound listener.
type Endpoint struct {
	Name string // eservices, internal or admin
	URL  string // base URL a local client can call, with the port actually bound
}

// Endpoints lists the listeners in order: e-services, internal, admin.
func (s *Server) Endpoints() []Endpoint {
	out := make([]Endpoint, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = Endpoint{Name: l.name, URL: l.url}
	}
	return out
}

// DevPKI returns the development certificate generated at start, or nil when no listener uses
// TLS mode dev. Its RootFile is what curl --cacert needs.
func (s *Server) DevPKI() *certs.DevServer { return s.dev }

// Serve serves every listener until ctx is done (or a listener fails), then shuts down: it stops
// accepting connections, lets requests in flight finish for up to the grace period
// (listeners.shutdown_grace), then cancels the contexts of those still running. It returns nil
// after a shutdown requested through ctx, or the listener's error. Stores are the caller's to
// close after Serve returns. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		go func() {
			if err := l.app.Listener(l.ln); err != nil {
				errc <- fmt.Errorf("server: listeners.%s: %w", l.name, err)
				return
			}
			errc <- nil
		}()
		s.log.Info("listener started", "listener", l.name, "url", l.url)
	}
	var failed error
	serving := len(s.listeners)
	select {
	case <-ctx.Done():
	case failed = <-errc:
		serving--
		if failed == nil {
			failed = errors.New("server: a listener stopped unexpectedly")
		}
	}
	s.shutdown()
	for ; serving > 0; serving-- {
		<-errc // wait for every serving goroutine to return
	}
	return failed
}

// shutdown drains every listener concurrently within the grace period.
func (s *Server) shutdown() {
	s.draining.Store(true)
	s.log.Info("shutting down: no new connections, draining requests in flight", "grace", s.grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range s.listeners {
		wg.Go(func() {
			if err := l.app.ShutdownWithContext(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				s.log.Warn("listener shutdown", "listener", l.name, "err", err)
			}
			_ = l.ln.Close() // in case Serve had not registered it with fasthttp yet
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		s.log.Warn("grace period over with requests still in flight: cancelling them", "grace", s.grace.String())
	} else {
		s.log.Info("all requests drained")
	}
	s.cancelBase()
}

// Close releases the listeners of a Server that will not Serve (a failed start). It is a no-op
// after Serve.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		for _, l := range s.listeners {
			_ = l.ln.Close()
		}
		s.cancelBase()
	})
	return nil
}
