package telemetry

import (
	"context"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/welfaregov/gateway/gateway/cache"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/quota"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/store"
)

// Sources are the components whose state is read at each scrape. Every field is optional: a
// component the configuration leaves out is not reported.
type Sources struct {
	// Breakers lists the circuit breakers (upstream.Runtime.Breakers).
	Breakers func() []resilience.BreakerStatus
	// Quotas reads the daily budgets (upstream.Runtime.QuotaUsage).
	Quotas func(ctx context.Context) ([]quota.Usage, error)
	// Cache is the cache of upstream answers.
	Cache *cache.Cache
	// JWKS is the PDND voucher key set; KeyStore the PDND API key lookups.
	JWKS     *pdnd.JWKS
	KeyStore *pdnd.KeyAPI
	// Vouchers lists the vouchers held for calls to upstreams.
	Vouchers func() []pdnd.HeldVoucher
	// Store is the shared store, Backend its kind (memory or redis).
	Store   store.Store
	Backend string
	// SIUSSQueues counts the SIUSS operator queues.
	SIUSSQueues *siussfeed.QueueCounter
	// AuditDir is the audit trail's directory (its file system's free space is reported).
	AuditDir string
	// Drained reports whether an operator drained the replica for maintenance.
	Drained func() bool
}

// scrapeTimeout bounds the store reads of one scrape (quotas, Redis ping, SIUSS queues).
const scrapeTimeout = 3 * time.Second

// Watch registers a collector that reads s at every scrape.
func (t *Telemetry) Watch(s Sources) error { return t.reg.Register(&sourceCollector{s: s, t: t}) }

type sourceCollector struct {
	s Sources
	t *Telemetry
}

var (
	breakerStateDesc = prometheus.NewDesc("wgw_upstream_breaker_state",
		"1 for the state each circuit breaker is in (closed, half-open, open, forced-open, forced-closed), 0 for the others.",
		[]string{"upstream", "operation", "state"}, nil)
	breakerFailuresDesc = prometheus.NewDesc("wgw_upstream_breaker_consecutive_failures",
		"Consecutive failures each circuit breaker has counted.", []string{"upstream", "operation"}, nil)
	quotaUsedDesc = prometheus.NewDesc("wgw_upstream_quota_used",
		"Calls counted today (Europe/Rome) against each daily budget, across replicas.", []string{"budget"}, nil)
	quotaRemainingDesc = prometheus.NewDesc("wgw_upstream_quota_remaining",
		"Calls left today in each daily budget with a limit, across replicas.", []string{"budget"}, nil)
	quotaLimitDesc = prometheus.NewDesc("wgw_upstream_quota_limit",
		"Each daily budget's limit (budgets without one are not listed).", []string{"budget"}, nil)
	quotaUpDesc = prometheus.NewDesc("wgw_upstream_quota_read_up",
		"1 when the daily budgets could be read from the store during this scrape.", nil, nil)
	cacheRequestsDesc = prometheus.NewDesc("wgw_cache_requests_total",
		"Cache lookups per kind and result: hit (in process), hit_shared (from the shared tier), miss (loaded), stale (served past freshness because the upstream failed), error (load failed, nothing stale to serve).",
		[]string{"kind", "result"}, nil)
	cacheBytesDesc = prometheus.NewDesc("wgw_cache_local_bytes",
		"Bytes accounted in the in-process cache tier.", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc("wgw_cache_local_entries",
		"Entries in the in-process cache tier.", nil, nil)
	cacheEvictionsDesc = prometheus.NewDesc("wgw_cache_local_evictions_total",
		"Entries the in-process tier dropped to stay within local_max_size.", nil, nil)
	cacheSharedErrorsDesc = prometheus.NewDesc("wgw_cache_shared_errors_total",
		"Failed reads and writes of the shared cache tier.", nil, nil)
	jwksAgeDesc = prometheus.NewDesc("wgw_pdnd_jwks_age_seconds",
		"Time since a fetch of the PDND voucher JWKS last succeeded (absent before the first).", nil, nil)
	jwksKeysDesc = prometheus.NewDesc("wgw_pdnd_jwks_keys",
		"Keys in the PDND voucher JWKS in use.", nil, nil)
	keysDesc = prometheus.NewDesc("wgw_pdnd_keystore_keys",
		"Consumer and producer keys looked up on the PDND API and cached.", nil, nil)
	keysAgeDesc = prometheus.NewDesc("wgw_pdnd_keystore_oldest_age_seconds",
		"Age of the least recently fetched cached PDND key (0 with none cached).", nil, nil)
	voucherExpiryDesc = prometheus.NewDesc("wgw_pdnd_voucher_expiry_seconds",
		"Time until the soonest-expiring voucher held for each purpose (configured names, else other) expires.",
		[]string{"purpose"}, nil)
	vouchersHeldDesc = prometheus.NewDesc("wgw_pdnd_vouchers_held",
		"Vouchers held for calls to upstreams, per purpose (configured names, else other).", []string{"purpose"}, nil)
	storeUpDesc = prometheus.NewDesc("wgw_store_up",
		"1 when the shared store answered a ping during this scrape.", []string{"backend"}, nil)
	storePingDesc = prometheus.NewDesc("wgw_store_ping_duration_seconds",
		"Duration of this scrape's ping of the shared store.", []string{"backend"}, nil)
	siussQueueDesc = prometheus.NewDesc("wgw_siuss_queue_entries",
		"Entries in each SIUSS operator queue (scarti: flows refused before publication; attenzione: esiti that need an operator), per ente.",
		[]string{"ente", "queue"}, nil)
	siussLastDesc = prometheus.NewDesc("wgw_siuss_queue_last_entry_timestamp_seconds",
		"When the newest entry of each SIUSS operator queue was recorded.", []string{"ente", "queue"}, nil)
	auditFreeDesc = prometheus.NewDesc("wgw_audit_disk_free_bytes",
		"Free bytes (for unprivileged users) on the file system of the audit trail.", nil, nil)
	drainedDesc = prometheus.NewDesc("wgw_maintenance_drained",
		"1 while an operator has drained this replica for maintenance.", nil, nil)
)

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{breakerStateDesc, breakerFailuresDesc, quotaUsedDesc, quotaRemainingDesc,
		quotaLimitDesc, quotaUpDesc, cacheRequestsDesc, cacheBytesDesc, cacheEntriesDesc, cacheEvictionsDesc,
		cacheSharedErrorsDesc, jwksAgeDesc, jwksKeysDesc, keysDesc, keysAgeDesc, voucherExpiryDesc, vouchersHeldDesc,
		storeUpDesc, storePingDesc, siussQueueDesc, siussLastDesc, auditFreeDesc, drainedDesc} {
		ch <- d
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

// BreakerStates are the values of the state label of wgw_upstream_breaker_state.
var BreakerStates = []string{"closed", "half-open", "open", "forced-open", "forced-closed"}

// EffectiveState is what a breaker does with calls now: its mode when an operator forced it, else
// its automatic state.
func EffectiveState(b resilience.BreakerStatus) string {
	if b.Mode != resilience.ModeAuto.String() {
		return b.Mode
	}
	return b.State
}

// SplitBreaker splits a breaker name "anpr.C021" into upstream and operation ("" for an upstream's
// own breaker).
func SplitBreaker(name string) (upstream, operation string) {
	up, op, _ := strings.Cut(name, ".")
	return up, op
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s := c.s
	if s.Breakers != nil {
		for _, b := range s.Breakers() {
			up, op := SplitBreaker(b.Name)
			op = c.t.operations.value(op)
			state := EffectiveState(b)
			for _, st := range BreakerStates {
				v := 0.0
				if st == state {
					v = 1
				}
				ch <- gauge(breakerStateDesc, v, up, op, st)
			}
			ch <- gauge(breakerFailuresDesc, float64(b.ConsecutiveFailures), up, op)
		}
	}
	if s.Quotas != nil {
		us, err := s.Quotas(ctx)
		up := 1.0
		if err != nil {
			up = 0
		}
		ch <- gauge(quotaUpDesc, up)
		for _, u := range us {
			ch <- gauge(quotaUsedDesc, float64(u.Used), u.Budget)
			if u.Limit > 0 {
				ch <- gauge(quotaRemainingDesc, float64(u.Remaining), u.Budget)
				ch <- gauge(quotaLimitDesc, float64(u.Limit), u.Budget)
			}
		}
	}
	if s.Cache != nil {
		for kind, st := range s.Cache.KindStats() {
			ch <- counter(cacheRequestsDesc, float64(st.LocalHits), kind, "hit")
			ch <- counter(cacheRequestsDesc, float64(st.SharedHits), kind, "hit_shared")
			ch <- counter(cacheRequestsDesc, float64(st.Misses), kind, "miss")
			ch <- counter(cacheRequestsDesc, float64(st.Stale), kind, "stale")
			ch <- counter(cacheRequestsDesc, float64(st.LoadErrors), kind, "error")
		}
		st := s.Cache.Stats()
		ch <- gauge(cacheBytesDesc, float64(st.LocalBytes))
		ch <- gauge(cacheEntriesDesc, float64(st.LocalEntries))
		ch <- counter(cacheEvictionsDesc, float64(st.LocalEvictions))
		ch <- counter(cacheSharedErrorsDesc, float64(st.SharedErrors))
	}
	if s.JWKS != nil {
		st := s.JWKS.Status()
		if !st.FetchedAt.IsZero() {
			ch <- gauge(jwksAgeDesc, time.Since(st.FetchedAt).Seconds())
		}
		ch <- gauge(jwksKeysDesc, float64(st.Keys))
	}
	if s.KeyStore != nil {
		st := s.KeyStore.Stats()
		ch <- gauge(keysDesc, float64(st.Keys))
		age := 0.0
		if !st.OldestFetched.IsZero() {
			age = time.Since(st.OldestFetched).Seconds()
		}
		ch <- gauge(keysAgeDesc, age)
	}
	if s.Vouchers != nil {
		held := map[string]int{}
		soonest := map[string]time.Duration{}
		for _, v := range s.Vouchers() {
			p := c.t.purpose(v.PurposeID)
			if p == "" {
				p = "pdnd-api" // a PDND-API client's voucher has no purpose
			}
			held[p]++
			left := time.Until(v.Expires)
			if d, ok := soonest[p]; !ok || left < d {
				soonest[p] = left
			}
		}
		for p, n := range held {
			ch <- gauge(vouchersHeldDesc, float64(n), p)
			ch <- gauge(voucherExpiryDesc, soonest[p].Seconds(), p)
		}
	}
	if s.Store != nil {
		start := time.Now()
		err := s.Store.Ping(ctx)
		up := 1.0
		if err != nil {
			up = 0
		}
		ch <- gauge(storeUpDesc, up, s.Backend)
		ch <- gauge(storePingDesc, time.Since(start).Seconds(), s.Backend)
	}
	if s.SIUSSQueues != nil {
		sizes, _ := s.SIUSSQueues.Sizes(ctx) // a store failure shows as wgw_store_up 0
		for _, q := range sizes {
			ch <- gauge(siussQueueDesc, float64(q.Entries), q.Ente, q.Queue)
			if !q.Last.IsZero() {
				ch <- gauge(siussLastDesc, float64(q.Last.Unix()), q.Ente, q.Queue)
			}
		}
	}
	if s.AuditDir != "" {
		if free, ok := FreeBytes(s.AuditDir); ok {
			ch <- gauge(auditFreeDesc, float64(free))
		}
	}
	if s.Drained != nil {
		v := 0.0
		if s.Drained() {
			v = 1
		}
		ch <- gauge(drainedDesc, v)
	}
}

// FreeBytes is the space available to unprivileged users on dir's file system.
func FreeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
