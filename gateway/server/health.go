package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/singleflight"

	"github.com/welfaregov/gateway/gateway/problem"
)

const (
	// healthCheckTimeout bounds one run of one check: a dependency slower than this to answer a
	// ping counts as down.
	healthCheckTimeout = 2 * time.Second
	// healthCacheTTL is how long a report is reused, so a flood of /status probes (PDND probes
	// every e-service) costs at most one round of pings per second.
	healthCacheTTL = time.Second
	// statusRetryAfter is the Retry-After of a 503 from /status and /readyz.
	statusRetryAfter = 10 * time.Second
)

// AddHealthCheck registers a dependency check run by /status and /readyz. check returns nil when
// the dependency works and must honour ctx (it is given healthCheckTimeout). A failing critical
// check makes /status answer 503 dependency-unavailable with Retry-After; a failing non-critical
// one is reported by /readyz and logged but keeps /status at 200. Register checks before Serve;
// a duplicate or empty name panics (a programming error).
func (s *Server) AddHealthCheck(name string, check func(ctx context.Context) error, critical bool) {
	s.health.add(healthCheck{name: name, fn: check, critical: critical})
}

// AddReadinessCheck registers a check whose failure makes /readyz answer 503 (the orchestrator
// stops sending traffic to this replica) but leaves /status at 200: the replica still serves what
// it can, and the condition is this replica's (a key set grown too old), not a dependency every
// caller should hear about. Same rules as AddHealthCheck.
func (s *Server) AddReadinessCheck(name string, check func(ctx context.Context) error) {
	s.health.add(healthCheck{name: name, fn: check, readiness: true})
}

type healthCheck struct {
	name      string
	fn        func(context.Context) error
	critical  bool
	readiness bool
}

// CheckResult is one health check's outcome (the /readyz body, the dashboard).
type CheckResult struct {
	Name     string `json:"name"`
	Critical bool   `json:"critical"`
	// Readiness marks a check that fails /readyz only (AddReadinessCheck).
	Readiness bool   `json:"readiness,omitempty"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
}

// Health runs the health checks (or reuses a report younger than a second) and returns each one's
// outcome, for the dashboard.
func (s *Server) Health() []CheckResult { return slices.Clone(s.health.report().results) }

type healthReport struct {
	results []CheckResult
}

// failing lists the failed checks: the critical ones (criticalOnly), or every one.
func (r healthReport) failing(criticalOnly bool) []CheckResult {
	var out []CheckResult
	for _, c := range r.results {
		if !c.OK && (c.Critical || !criticalOnly) {
			out = append(out, c)
		}
	}
	return out
}

// unready lists the failed checks that make /readyz fail: critical and readiness checks.
func (r healthReport) unready() []CheckResult {
	var out []CheckResult
	for _, c := range r.results {
		if !c.OK && (c.Critical || c.Readiness) {
			out = append(out, c)
		}
	}
	return out
}

type health struct {
	log      *slog.Logger
	group    singleflight.Group
	mu       sync.Mutex
	checks   []healthCheck
	cached   *healthReport
	cachedAt time.Time
	lastOK   map[string]bool // for logging transitions only
}

func newHealth(log *slog.Logger) *health {
	return &health{log: log, lastOK: map[string]bool{}}
}

func (h *health) add(hc healthCheck) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hc.name == "" || hc.fn == nil || slices.ContainsFunc(h.checks, func(c healthCheck) bool { return c.name == hc.name }) {
		panic(fmt.Sprintf("server: health check %q is empty or registered twice", hc.name))
	}
	h.checks = append(h.checks, hc)
	h.cached = nil
}

// report returns the current state, reusing a report younger than healthCacheTTL; concurrent
// callers share one run.
func (h *health) report() healthReport {
	h.mu.Lock()
	if h.cached != nil && time.Since(h.cachedAt) < healthCacheTTL {
		r := *h.cached
		h.mu.Unlock()
		return r
	}
	checks := slices.Clone(h.checks)
	h.mu.Unlock()
	v, _, _ := h.group.Do("report", func() (any, error) {
		r := runChecks(checks)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.cached, h.cachedAt = &r, time.Now()
		h.logTransitions(r)
		return r, nil
	})
	return v.(healthReport)
}

func runChecks(checks []healthCheck) healthReport {
	r := healthReport{results: make([]CheckResult, len(checks))}
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			// Detached from any caller: one impatient prober must not fail the report for all.
			ctx, cancel := context.WithTimeout(context.Background(), healthCheckTimeout)
			defer cancel()
			err := safeCheck(ctx, c.fn)
			r.results[i] = CheckResult{Name: c.name, Critical: c.critical, Readiness: c.readiness, OK: err == nil}
			if err != nil {
				r.results[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	return r
}

func safeCheck(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("health check panicked: %v", r)
		}
	}()
	return fn(ctx)
}

func (h *health) logTransitions(r healthReport) {
	for _, c := range r.results {
		was, seen := h.lastOK[c.Name]
		h.lastOK[c.Name] = c.OK
		switch {
		case !c.OK && (was || !seen):
			h.log.Warn("dependency down", "check", c.Name, "critical", c.Critical, "err", c.Error)
		case c.OK && seen && !was:
			h.log.Info("dependency recovered", "check", c.Name, "critical", c.Critical)
		}
	}
}

// status answers /status (RAC_REST_NAME_011): 200 application/problem+json when every critical
// dependency answers, else 503 dependency-unavailable with Retry-After. On the public e-service
// listener the 503 detail does not name internal components.
func (l *listener) status(c *fiber.Ctx) error {
	if l.srv.draining.Load() {
		return problem.New(problem.MaintenanceDraining, "the gateway is shutting down").WithRetryAfter(statusRetryAfter)
	}
	r := l.srv.health.report()
	if down := r.failing(true); len(down) > 0 {
		detail := "a dependency the service needs is unavailable; retry later"
		if l.name != EServicesName {
			detail = "critical dependency unavailable: " + names(down)
		}
		return problem.New(problem.DependencyDown, "%s", detail).WithRetryAfter(statusRetryAfter)
	}
	p := problem.Problem{Type: problem.Healthy.URI(), Title: problem.Healthy.Title, Status: fiber.StatusOK}
	if degraded := r.failing(false); len(degraded) > 0 && l.name != EServicesName {
		p.Detail = "degraded, not critical: " + names(degraded)
	}
	c.Set(fiber.HeaderContentType, problem.ContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(p.JSON())
}

// Status answers a request as the listener's own /status does: the same health checks and body,
// with the e-service listener's discretion about dependency names. E-services answer
// {mount}/status with it, before authentication.
func Status(c *fiber.Ctx) error {
	l, ok := c.Locals(listenerKey).(*listener)
	if !ok {
		return problem.New(problem.Internal, "status asked outside a listener")
	}
	return l.status(c)
}

func names(rs []CheckResult) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return strings.Join(out, ", ")
}

// livez answers whether the process serves HTTP at all (Kubernetes liveness): always 200.
func (l *listener) livez(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(map[string]string{"status": "alive"})
}

// readyzBody is /readyz's 200 body: every check with its state, for operators.
type readyzBody struct {
	Status string        `json:"status"`
	Checks []CheckResult `json:"checks"`
}

// readyz answers whether this replica should receive traffic (Kubernetes readiness): 503 while
// draining or while a critical check fails (the detail lists each failing check and its error,
// as this listener is internal), else 200 with every check.
func (l *listener) readyz(c *fiber.Ctx) error {
	if l.srv.draining.Load() {
		return problem.New(problem.MaintenanceDraining, "the gateway is shutting down").WithRetryAfter(statusRetryAfter)
	}
	if m, ok := l.srv.Maintenance(); ok {
		detail := "drained for maintenance since " + m.Since.UTC().Format(time.RFC3339)
		if m.Reason != "" {
			detail += " (" + m.Reason + ")"
		}
		return problem.New(problem.MaintenanceDraining, "%s", detail).WithRetryAfter(statusRetryAfter)
	}
	r := l.srv.health.report()
	if down := r.unready(); len(down) > 0 {
		parts := make([]string, len(down))
		for i, d := range down {
			parts[i] = d.Name + ": " + d.Error
		}
		return problem.New(problem.DependencyDown, "not ready: %s", strings.Join(parts, "; ")).WithRetryAfter(statusRetryAfter)
	}
	body, err := json.Marshal(readyzBody{Status: "ready", Checks: r.results})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
