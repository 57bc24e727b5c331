// Package upstream is the gateway's upstream runtime: the adapter.Transport every adapter's client
// calls, composing per upstream operation the circuit breaker, the bulkhead, the daily quota, the
// attempt timeout, retries with backoff, the Authorizer (PDND voucher and ModI headers) and a tuned
// HTTP client. See README.md for the policies and what each error means to an operator.
package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/quota"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store"
)

// Deps are what the runtime needs besides its configuration.
type Deps struct {
	// Store counts the daily quotas across replicas (required).
	Store store.Store
	// Authorizer returns the Authorizer of an upstream whose auth is pdnd: the security core's
	// voucher client and ModI signer. The runtime refuses to build such an upstream without one.
	Authorizer func(upstream string) Authorizer
	// Logger receives breaker transitions, retries and quota-store failures. Default: discarded.
	Logger *slog.Logger
	// Observer is told of every call and attempt (metrics, spans). Default: none.
	Observer Observer
}

// Runtime holds every configured upstream. Safe for concurrent use.
type Runtime struct {
	upstreams map[string]*Upstream
	quotas    *quota.Quotas
}

// New builds the upstreams of cfg, which must have passed Check. It touches no network.
func New(cfg Config, deps Deps) (*Runtime, error) {
	if deps.Store == nil {
		return nil, fmt.Errorf("upstream: a store is required for the daily quotas")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q, err := quota.New(deps.Store, log)
	if err != nil {
		return nil, err
	}
	r := &Runtime{upstreams: map[string]*Upstream{}, quotas: q}
	for _, name := range sortedKeys(cfg) {
		u, err := newUpstream(name, cfg[name], deps, q, log)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.upstreams[name] = u
	}
	return r, nil
}

func newUpstream(name string, c *UpstreamConfig, deps Deps, q *quota.Quotas, log *slog.Logger) (*Upstream, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("upstream: %s.base_url: %w", name, err)
	}
	auth := NoAuth
	if c.auth() == AuthPDND {
		if deps.Authorizer != nil {
			auth = deps.Authorizer(name)
		}
		if deps.Authorizer == nil || auth == nil {
			return nil, fmt.Errorf("upstream: upstreams.%s.auth is %s but no PDND authorizer is configured for it (set auth: none only for upstreams outside PDND)", name, AuthPDND)
		}
	}
	tc, err := c.TLS.Config()
	if err != nil {
		return nil, fmt.Errorf("upstream: %s.tls: %w", name, err)
	}
	maxInFlight := c.MaxInFlight
	if maxInFlight == 0 {
		maxInFlight = resilience.DefaultMaxInFlight
	}
	policy := c.Breaker.Policy()
	policy.OnStateChange = func(op string, from, to resilience.State) {
		level := slog.LevelWarn
		if to == resilience.StateClosed {
			level = slog.LevelInfo
		}
		log.Log(context.Background(), level, "upstream circuit breaker", "operation", op, "from", from.String(), "to", to.String())
	}
	u := &Upstream{
		name: name, base: base, client: newHTTPClient(maxInFlight, tc), auth: auth,
		bulkhead: resilience.NewBulkhead(name, maxInFlight, c.MaxWait.D()),
		retrier:  c.Retry.Retrier(), quotas: q, cfg: c,
		timeout: c.timeout(), callTimeout: c.callTimeout(), maxResponse: c.maxResponseSize(),
		policy: policy, log: log.With("upstream", name), breakers: map[string]*resilience.Breaker{},
		obs: deps.Observer,
	}
	if u.obs == nil {
		u.obs = noObserver{}
	}
	q.Define(name, quota.Budget{Daily: c.DailyQuota, FailClosed: c.QuotaFailClosed})
	for _, op := range sortedKeys(c.Operations) {
		u.breaker(u.operationName(&adapter.Operation{Name: op})) // listed on the dashboard before the first call
		q.Define(name+"."+op, quota.Budget{Daily: c.Operations[op].DailyQuota, FailClosed: c.QuotaFailClosed})
	}
	return u, nil
}

// Upstream returns the Transport of the named upstream.
func (r *Runtime) Upstream(name string) (*Upstream, bool) {
	u, ok := r.upstreams[name]
	return u, ok
}

// Names lists the configured upstreams, sorted.
func (r *Runtime) Names() []string { return sortedKeys(r.upstreams) }

// Breaker returns the breaker named "<upstream>.<operation>" (for the admin controls ForceOpen,
// ForceClosed, Reset), or nil when no such breaker exists yet.
func (r *Runtime) Breaker(name string) *resilience.Breaker {
	up, _, _ := strings.Cut(name, ".")
	u, ok := r.upstreams[up]
	if !ok {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.breakers[name]
}

// Breakers returns the status of every breaker, sorted by name, for the dashboard.
func (r *Runtime) Breakers() []resilience.BreakerStatus {
	var out []resilience.BreakerStatus
	for _, u := range r.upstreams {
		for _, b := range u.Breakers() {
			out = append(out, b.Status())
		}
	}
	slices.SortFunc(out, func(a, b resilience.BreakerStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Quotas are the daily budgets, for metrics and the dashboard (Remaining).
func (r *Runtime) Quotas() *quota.Quotas { return r.quotas }

// QuotaUsage reads every budget's usage today, sorted by name.
func (r *Runtime) QuotaUsage(ctx context.Context) ([]quota.Usage, error) {
	budgets := r.quotas.Budgets()
	out := make([]quota.Usage, 0, len(budgets))
	for _, b := range budgets {
		u, err := r.quotas.Remaining(ctx, b)
		if err != nil {
			return out, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Close releases the idle connections. Calls in flight finish; later calls open new connections.
func (r *Runtime) Close() error {
	for _, u := range r.upstreams {
		u.client.CloseIdleConnections()
	}
	return nil
}
