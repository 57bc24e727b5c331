package store

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
)

// Config is the `store` section: where the state that replicas share lives. storeconfig.Open builds
// the Store it describes.
//
//	store:
//	  backend: redis
//	  redis:
//	    url: rediss://redis.internal:6380/2
//	    password: {env: WGW_REDIS_PASSWORD}
type Config struct {
	// Backend is "memory" (default: state lives in this process; right for a single instance and
	// for `make run`, wrong for several replicas, which would each keep their own replay records and
	// rate limits) or "redis" (state shared by every replica).
	Backend string `yaml:"backend"`
	// Redis configures the redis backend. Setting it while backend is memory is an error, so a
	// forgotten `backend: redis` cannot silently un-share replay protection.
	Redis RedisConfig `yaml:"redis"`
	// Memory configures the memory backend.
	Memory MemoryConfig `yaml:"memory"`
}

// Backend names.
const (
	BackendMemory = "memory"
	BackendRedis  = "redis"
)

// RedisConfig locates Redis. Give exactly one of: url (one server); addrs with one address (one
// server); addrs of the sentinels with master_name (Sentinel); addrs of some nodes with cluster: true
// (Cluster).
type RedisConfig struct {
	// URL of a single server: redis://[username@]host[:port][/db] or rediss://... for TLS (port
	// default 6379, db default 0), or unix:///path/to/redis.sock?db=N. Without a password and
	// without query options: use the fields below.
	URL string `yaml:"url"`
	// Addrs are host:port addresses: one server, the sentinels (with master_name) or cluster seed
	// nodes (with cluster: true).
	Addrs []string `yaml:"addrs"`
	// MasterName is the name the sentinels monitor; it turns on Sentinel mode.
	MasterName string `yaml:"master_name"`
	// Cluster turns on Redis Cluster mode (database 0 only).
	Cluster bool `yaml:"cluster"`
	// Username is the ACL user (Redis 6+); empty means the default user.
	Username string `yaml:"username"`
	// Password of the user (or the requirepass password), from a file or an environment variable.
	Password config.Secret `yaml:"password"`
	// SentinelUsername and SentinelPassword authenticate to the sentinels when they require it.
	SentinelUsername string        `yaml:"sentinel_username"`
	SentinelPassword config.Secret `yaml:"sentinel_password"`
	// DB is the database index for addrs modes (0..; Cluster only 0). With url, put it in the URL.
	DB int `yaml:"db"`
	// KeyPrefix is prepended to every key so several gateways or environments can share a Redis.
	// Default "wgw:". No Cluster hash tag ({...}): it would put every key in one slot.
	KeyPrefix string `yaml:"key_prefix"`
	// PoolSize is the number of connections per Redis node. Default 10 per CPU.
	PoolSize int `yaml:"pool_size"`
	// DialTimeout bounds establishing a connection. Default 2s.
	DialTimeout config.Duration `yaml:"dial_timeout"`
	// ReadTimeout and WriteTimeout bound one command's socket reads and writes. Redis is on the
	// request path (replay checks, rate limits), so a slow Redis should fail the call fast.
	// Default 1s each.
	ReadTimeout  config.Duration `yaml:"read_timeout"`
	WriteTimeout config.Duration `yaml:"write_timeout"`
	// TLS for the connections (a rediss:// url turns it on as well).
	TLS TLSConfig `yaml:"tls"`
}

// TLSConfig secures the connections to Redis (and to the sentinels); a rediss:// url implies it.
type TLSConfig = config.ClientTLS

// MemoryConfig bounds the memory backend.
type MemoryConfig struct {
	// MaxEntries bounds the number of keys held. When full, the entry closest to its expiry is
	// evicted (expired ones first); size it at peak writes per second × the longest ttl (e.g. 200
	// requests/s × 300 s of jti lifetime = 60000). Default 100000.
	MaxEntries int `yaml:"max_entries"`
	// SweepInterval is how often expired entries are removed in the background (at least 100ms).
	// Default 30s.
	SweepInterval config.Duration `yaml:"sweep_interval"`
}

// minSweepInterval keeps a misconfigured sweep from spinning on the CPU.
const minSweepInterval = 100 * time.Millisecond

// Check records every problem of the section, each with its field path. It reads the files named
// (CA, client certificate, secrets) but never touches the network.
func (c *Config) Check(ck config.Checker) {
	switch c.Backend {
	case "", BackendMemory:
		if !reflect.ValueOf(c.Redis).IsZero() {
			ck.Errorf("redis", "settings given but backend is %q: set backend: redis to share state between replicas, or remove the redis section", BackendMemory)
		}
	case BackendRedis:
		c.Redis.check(ck.At("redis"))
	default:
		ck.Errorf("backend", "%q is not a backend: use %q or %q", c.Backend, BackendMemory, BackendRedis)
	}
	c.Memory.check(ck.At("memory"))
}

func (c *RedisConfig) check(ck config.Checker) {
	switch {
	case c.URL != "" && len(c.Addrs) > 0:
		ck.Errorf("url", "give either url or addrs, not both")
	case c.URL == "" && len(c.Addrs) == 0:
		ck.Errorf("", "required: give url (one server) or addrs (one server, sentinels with master_name, or cluster nodes with cluster: true)")
	case c.URL != "":
		c.checkURL(ck)
	default:
		c.checkAddrs(ck)
	}
	if c.SentinelUsername != "" && c.MasterName == "" {
		ck.Errorf("sentinel_username", "given without master_name (Sentinel mode)")
	}
	if c.SentinelPassword.IsSet() && c.MasterName == "" {
		ck.Errorf("sentinel_password", "given without master_name (Sentinel mode)")
	}
	c.Password.Check(ck, "password", false)
	c.SentinelPassword.Check(ck, "sentinel_password", false)
	if c.DB < 0 {
		ck.Errorf("db", "%d is negative", c.DB)
	}
	if c.Cluster && strings.Contains(c.KeyPrefix, "{") {
		ck.Errorf("key_prefix", "%q contains a hash tag: on Cluster every key would land in one slot", c.KeyPrefix)
	}
	if c.PoolSize < 0 {
		ck.Errorf("pool_size", "%d is negative", c.PoolSize)
	}
	for _, d := range []struct {
		field string
		value config.Duration
	}{{"dial_timeout", c.DialTimeout}, {"read_timeout", c.ReadTimeout}, {"write_timeout", c.WriteTimeout}} {
		if d.value < 0 {
			ck.Errorf(d.field, "%v is negative", d.value)
		}
	}
	c.TLS.Check(ck.At("tls"), c.tlsImplied())
}

// checkURL validates the url without repeating it in messages (it could carry a password).
func (c *RedisConfig) checkURL(ck config.Checker) {
	u, err := url.Parse(c.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		ck.Errorf("url", "not a URL: %v", err)
		return
	}
	if _, has := u.User.Password(); has {
		ck.Errorf("url", "contains a password: give it in password ({file: PATH} or {env: VARIABLE}) so the configuration holds no secret")
	}
	if c.MasterName != "" || c.Cluster {
		ck.Errorf("url", "names one server: for Sentinel or Cluster give addrs")
	}
	if c.DB != 0 {
		ck.Errorf("db", "give the database in the url (redis://host:6379/%d), not in db", c.DB)
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.RawQuery != "" {
			ck.Errorf("url", "query options are not supported: use the fields of this section (dial_timeout, pool_size...)")
		}
		if u.Hostname() == "" {
			ck.Errorf("url", "has no host")
		}
		if p := u.Port(); p != "" {
			checkPort(ck, "url", p)
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				ck.Errorf("url", "path %q is not a database index (redis://host:6379/2)", u.Path)
			}
		}
	case "unix":
		if u.Path == "" {
			ck.Errorf("url", "has no socket path (unix:///run/redis/redis.sock)")
		}
		for k, v := range u.Query() {
			if n, err := strconv.Atoi(v[0]); k != "db" || len(v) != 1 || err != nil || n < 0 {
				ck.Errorf("url", "query option %q: only db=N is supported", k)
			}
		}
	default:
		ck.Errorf("url", "scheme %q: use redis://, rediss:// (TLS) or unix://", u.Scheme)
	}
}

func (c *RedisConfig) checkAddrs(ck config.Checker) {
	if c.MasterName != "" && c.Cluster {
		ck.Errorf("cluster", "master_name (Sentinel) and cluster exclude each other")
	}
	if c.Cluster && c.DB != 0 {
		ck.Errorf("db", "Redis Cluster has only database 0")
	}
	if len(c.Addrs) > 1 && c.MasterName == "" && !c.Cluster {
		ck.Errorf("addrs", "%d addresses: set master_name (Sentinel) or cluster: true, or give one address", len(c.Addrs))
	}
	for i, a := range c.Addrs {
		host, port, err := net.SplitHostPort(a)
		switch {
		case err != nil:
			ck.At("addrs").Index(i).Errorf("", "%q is not host:port", a)
		case host == "":
			ck.At("addrs").Index(i).Errorf("", "%q has no host", a)
		default:
			checkPort(ck.At("addrs").Index(i), "", port)
		}
		if slices.Index(c.Addrs, a) < i {
			ck.At("addrs").Index(i).Errorf("", "%q is listed twice", a)
		}
	}
}

func checkPort(ck config.Checker, field, port string) {
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ck.Errorf(field, "port %q is not in 1..65535", port)
	}
}

func (c *RedisConfig) tlsImplied() bool { return strings.HasPrefix(c.URL, "rediss:") }

// ClientConfig builds the TLS configuration the section describes, or nil when TLS is off (and the
// url is not rediss://, which go-redis secures with the system roots by itself).
func (c *RedisConfig) ClientConfig() (*tls.Config, error) {
	t := c.TLS
	if !t.Enabled && (!c.tlsImplied() || t == (TLSConfig{})) {
		return nil, nil
	}
	tc, err := t.Config()
	if err != nil {
		return nil, fmt.Errorf("store: redis tls: %w", err)
	}
	return tc, nil
}

func (m *MemoryConfig) check(ck config.Checker) {
	if m.MaxEntries < 0 {
		ck.Errorf("max_entries", "%d is negative", m.MaxEntries)
	}
	if m.SweepInterval < 0 || (m.SweepInterval > 0 && m.SweepInterval.D() < minSweepInterval) {
		ck.Errorf("sweep_interval", "%v: give at least %v (or leave empty for 30s)", m.SweepInterval, minSweepInterval)
	}
}
