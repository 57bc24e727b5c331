// Package redisstore is the Redis implementation of store.Store, shared by every gateway replica. It
// speaks to a single server (redis:// or rediss:// URL, or one address), a Sentinel-managed master
// (addresses of the sentinels plus the master name) or a Cluster (addresses of some nodes), through
// go-redis v9's UniversalClient.
//
// Every operation is one round trip: a single command, or a Lua script (EVALSHA, falling back to
// EVAL) for the conditional ones, each script touching one key so that it is valid on Cluster.
//
// A Redis that is down does not stop the gateway: New does not dial, operations fail with errors
// while it is away, Ping reports the outage, and the client reconnects by itself when Redis returns
// (go-redis redials on demand and, after repeated dial failures, probes once a second while failing
// fast). go-redis retries a command whose connection broke (MaxRetries, default 3): if the break came
// after Redis executed it, a non-idempotent operation can be applied twice (a counter counts one
// call twice; a replay check answers "seen" to its own first attempt). Both err on the safe side.
package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/internal/gcra"
	"github.com/welfaregov/gateway/gateway/store/internal/precheck"
)

// Defaults for the zero Options fields. The gateway calls Redis on the request path (replay check,
// rate limit), so timeouts are short: a slow Redis must fail the call, not queue requests.
const (
	DefaultKeyPrefix    = "wgw:"
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
)

// Options configures a Store. Give URL for a single server, or Addrs: one address for a single
// server, the sentinels' addresses with MasterName, or cluster nodes with Cluster.
type Options struct {
	// URL is redis://[user[:password]@]host[:port][/db] or rediss://... (TLS); go-redis query
	// options (?dial_timeout=3s...) are accepted.
	URL string
	// Addrs are host:port addresses (sentinels with MasterName, seed nodes with Cluster).
	Addrs      []string
	MasterName string
	Cluster    bool
	// Username and Password authenticate to Redis (ACL user, or the requirepass password with no
	// username); with URL they replace the URL's credentials when set.
	Username string
	Password string
	// SentinelUsername and SentinelPassword authenticate to the sentinels, when they need it.
	SentinelUsername string
	SentinelPassword string
	// DB is the database index (single server and Sentinel; Cluster has only 0). With URL the URL's
	// path gives it.
	DB int
	// TLS, when not nil, encrypts the connections (with a rediss:// URL, it replaces the default
	// configuration; an empty ServerName is taken from the URL's host).
	TLS *tls.Config
	// KeyPrefix is prepended to every key, so several gateways (or environments) can share a Redis.
	// Default DefaultKeyPrefix.
	KeyPrefix string
	// PoolSize is the number of connections per node. Default go-redis's: 10 per GOMAXPROCS.
	PoolSize int
	// Timeouts of one dial, one read and one write. Defaults above.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
}

// Store is a store.Store on Redis, safe for concurrent use.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	cluster *redis.ClusterClient // nil unless Cluster: multi-key commands go node by node
	secrets []string             // redacted from every error message
	closed  atomic.Bool
}

var _ store.Store = (*Store)(nil)

// New builds the client without dialing: it fails only for options that cannot work (an
// unparseable URL, both URL and Addrs, ...), never because Redis is unreachable. The error never
// contains the URL or a password.
func New(opts Options) (*Store, error) {
	client, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	s := NewFromClient(client, prefix)
	for _, secret := range []string{opts.Password, opts.SentinelPassword, urlPassword(opts.URL)} {
		if secret != "" {
			s.secrets = append(s.secrets, secret)
		}
	}
	return s, nil
}

// NewFromClient wraps an existing client, whose options (timeouts, ContextTimeoutEnabled) are the
// caller's; Close closes it. keyPrefix may be empty.
func NewFromClient(client redis.UniversalClient, keyPrefix string) *Store {
	cluster, _ := client.(*redis.ClusterClient)
	return &Store{client: client, prefix: keyPrefix, cluster: cluster}
}

// Client is the underlying client, for tests and tools (key inspection, clean-up).
func (s *Store) Client() redis.UniversalClient { return s.client }

// LoadScripts sends the Lua scripts to Redis (to every master on Cluster), so the first calls use
// EVALSHA. Optional: a script Redis does not know is sent with EVAL on first use.
func (s *Store) LoadScripts(ctx context.Context) error {
	load := func(ctx context.Context, c redis.Scripter) error {
		for _, sc := range scripts {
			if err := sc.Load(ctx, c).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	if s.cluster != nil {
		err = s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return load(ctx, c) })
	} else {
		err = load(ctx, s.client)
	}
	return s.fail("load scripts", err)
}

func newClient(o Options) (redis.UniversalClient, error) {
	if o.URL != "" && len(o.Addrs) > 0 {
		return nil, errors.New("store: redis: give either a URL or addresses, not both")
	}
	if o.URL != "" {
		if o.MasterName != "" || o.Cluster {
			return nil, errors.New("store: redis: a URL names a single server; use addresses for Sentinel or Cluster")
		}
		ro, err := parseURL(o.URL)
		if err != nil {
			return nil, err
		}
		if o.Username != "" {
			ro.Username = o.Username
		}
		if o.Password != "" {
			ro.Password = o.Password
		}
		if o.TLS != nil {
			host, _, _ := net.SplitHostPort(ro.Addr)
			ro.TLSConfig = withServerName(o.TLS, host)
		}
		ro.ContextTimeoutEnabled = true
		ro.DialerRetries = 1 // go-redis's command retries already redial; do not multiply them
		ro.PoolSize = o.PoolSize
		ro.DialTimeout = orDefault(o.DialTimeout, DefaultDialTimeout)
		ro.ReadTimeout = orDefault(o.ReadTimeout, DefaultReadTimeout)
		ro.WriteTimeout = orDefault(o.WriteTimeout, DefaultWriteTimeout)
		return redis.NewClient(ro), nil
	}
	switch {
	case len(o.Addrs) == 0:
		return nil, errors.New("store: redis: give a URL or addresses")
	case o.MasterName != "" && o.Cluster:
		return nil, errors.New("store: redis: Sentinel (master name) and Cluster exclude each other")
	case o.Cluster && o.DB != 0:
		return nil, errors.New("store: redis: Cluster has only database 0")
	case len(o.Addrs) > 1 && o.MasterName == "" && !o.Cluster:
		return nil, errors.New("store: redis: several addresses need a Sentinel master name or Cluster mode")
	}
	for _, a := range o.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("store: redis: address %q is not host:port", a)
		}
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 o.Addrs,
		MasterName:            o.MasterName,
		IsClusterMode:         o.Cluster,
		Username:              o.Username,
		Password:              o.Password,
		SentinelUsername:      o.SentinelUsername,
		SentinelPassword:      o.SentinelPassword,
		DB:                    o.DB,
		TLSConfig:             o.TLS,
		PoolSize:              o.PoolSize,
		DialTimeout:           orDefault(o.DialTimeout, DefaultDialTimeout),
		ReadTimeout:           orDefault(o.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:          orDefault(o.WriteTimeout, DefaultWriteTimeout),
		ContextTimeoutEnabled: true,
		DialerRetries:         1,
	}), nil
}

// parseURL is redis.ParseURL with errors that never repeat the URL (it may carry a password).
func parseURL(raw string) (*redis.Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("store: redis: URL: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix" {
		return nil, fmt.Errorf("store: redis: URL scheme %q: want redis, rediss or unix", u.Scheme)
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		msg := err.Error()
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, redacted)
		}
		return nil, fmt.Errorf("store: redis: URL: %s", msg)
	}
	return o, nil
}

func urlPassword(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		p, _ := u.User.Password()
		return p
	}
	return ""
}

func withServerName(c *tls.Config, host string) *tls.Config {
	c = c.Clone()
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Close closes the client. Later operations fail with store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.fail("close", s.client.Close())
}

// Ping implements store.Store. On Cluster it pings every master, so nil means every slot is served.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.begin(ctx, "ping"); err != nil {
		return err
	}
	if s.cluster != nil {
		return s.fail("ping", s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}))
	}
	return s.fail("ping", s.client.Ping(ctx).Err())
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, "get"); err != nil {
		return nil, err
	}
	v, err := s.client.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	return v, s.fail("get", err)
}

// Set implements store.Store.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.beginWrite(ctx, "set", ttl); err != nil {
		return err
	}
	return s.fail("set", s.client.Set(ctx, s.prefix+key, value, ceilMillis(ttl)).Err())
}

// SetIfAbsent implements store.Store with SET NX PX.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := s.beginWrite(ctx, "set if absent", ttl); err != nil {
		return false, err
	}
	ok, err := s.client.SetNX(ctx, s.prefix+key, value, ceilMillis(ttl)).Result()
	return ok, s.fail("set if absent", err)
}

// Delete implements store.Store: one DEL, or on Cluster one DEL per key in a pipeline (keys in
// different slots cannot share a command).
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if err := s.begin(ctx, "delete"); err != nil || len(keys) == 0 {
		return err
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = s.prefix + k
	}
	if s.cluster == nil || len(full) == 1 {
		return s.fail("delete", s.client.Del(ctx, full...).Err())
	}
	_, err := s.cluster.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range full {
			p.Del(ctx, k)
		}
		return nil
	})
	return s.fail("delete", err)
}

// CompareAndDelete implements store.Store.
func (s *Store) CompareAndDelete(ctx context.Context, key string, expected []byte) (bool, error) {
	if err := s.begin(ctx, "compare and delete"); err != nil {
		return false, err
	}
	n, err := compareAndDelete.Run(ctx, s.client, []string{s.prefix + key}, expected).Int64()
	return n == 1, s.fail("compare and delete", err)
}

// CompareAndExpire implements store.Store.
func (s *Store) CompareAndExpire(ctx context.Context, key string, expected []byte, ttl time.Duration) (bool, error) {
	if err := s.beginWrite(ctx, "compare and expire", ttl); err != nil {
		return false, err
	}
	n, err := compareAndExpire.Run(ctx, s.client, []string{s.prefix + key}, expected, ceilMillis(ttl).Milliseconds()).Int64()
	return n == 1, s.fail("compare and expire", err)
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := s.beginWrite(ctx, "incr", ttl); err != nil {
		return 0, err
	}
	n, err := incr.Run(ctx, s.client, []string{s.prefix + key}, delta, ceilMillis(ttl).Milliseconds()).Int64()
	return n, s.fail("incr", err)
}

// IncrUpTo implements store.Store.
func (s *Store) IncrUpTo(ctx context.Context, key string, delta, limit int64, ttl time.Duration) (int64, bool, error) {
	if err := s.beginWrite(ctx, "incr up to", ttl); err != nil {
		return 0, false, err
	}
	r, err := incrUpTo.Run(ctx, s.client, []string{s.prefix + key}, delta, limit, ceilMillis(ttl).Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, s.fail("incr up to", err)
	}
	if len(r) != 2 {
		return 0, false, fmt.Errorf("store: redis incr up to: script returned %d values, want 2", len(r))
	}
	return r[0], r[1] == 1, nil
}

// HIncr implements store.Store.
func (s *Store) HIncr(ctx context.Context, key, field string, delta int64, ttl time.Duration) (int64, error) {
	if err := s.beginWrite(ctx, "hincr", ttl); err != nil {
		return 0, err
	}
	n, err := hincr.Run(ctx, s.client, []string{s.prefix + key}, field, delta, ceilMillis(ttl).Milliseconds()).Int64()
	return n, s.fail("hincr", err)
}

// HGetAll implements store.Store.
func (s *Store) HGetAll(ctx context.Context, key string) (map[string]int64, error) {
	if err := s.begin(ctx, "hgetall"); err != nil {
		return nil, err
	}
	raw, err := s.client.HGetAll(ctx, s.prefix+key).Result()
	if err != nil {
		return nil, s.fail("hgetall", err)
	}
	out := make(map[string]int64, len(raw))
	for f, v := range raw {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: redis hgetall: field %q is not an integer: %w", f, store.ErrWrongType)
		}
		out[f] = n
	}
	return out, nil
}

// RateLimit implements store.Store on the Redis server's clock.
func (s *Store) RateLimit(ctx context.Context, key string, limit int64, period time.Duration) (store.RateLimitResult, error) {
	if err := s.begin(ctx, "rate limit"); err != nil {
		return store.RateLimitResult{}, err
	}
	l, err := gcra.New(limit, period)
	if err != nil {
		return store.RateLimitResult{}, err
	}
	r, err := rateLimit.Run(ctx, s.client, []string{s.prefix + key}, l.Interval(), l.Tolerance()).Int64Slice()
	if err != nil {
		return store.RateLimitResult{}, s.fail("rate limit", err)
	}
	if len(r) != 2 {
		return store.RateLimitResult{}, fmt.Errorf("store: redis rate limit: script returned %d values, want 2", len(r))
	}
	return l.Result(r[0] == 1, r[1]), nil
}

func (s *Store) begin(ctx context.Context, op string) error {
	return precheck.Call(ctx, s.closed.Load(), "redis", op)
}

func (s *Store) beginWrite(ctx context.Context, op string, ttl time.Duration) error {
	return precheck.Write(ctx, s.closed.Load(), "redis", op, ttl)
}

// ceilMillis rounds ttl up to Redis's resolution, so a sub-millisecond ttl still expires.
func ceilMillis(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
}
