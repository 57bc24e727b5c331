package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/config"
)

// StoreConfig is a placeholder for gateway/store.Config (branch store), with the same keys for
// the subset it supports, so configuration files stay valid when the real section replaces it.
// PLACEHOLDER: replace with store.Config and storeconfig.Open when gateway/store lands on main.
type StoreConfig struct {
	// Backend is memory (default) or redis.
	Backend string `yaml:"backend"`
	// Redis locates the Redis server of the redis backend.
	Redis RedisConfig `yaml:"redis"`
}

// RedisConfig is the placeholder's Redis location.
type RedisConfig struct {
	// URL is redis://[user@]host[:port][/db] or rediss://... for TLS.
	URL string `yaml:"url"`
	// Password comes from a file or an environment variable.
	Password config.Secret `yaml:"password"`
}

// Check records the section's problems.
func (c *StoreConfig) Check(ck config.Checker) {
	switch c.Backend {
	case "", "memory":
		if c.Redis.URL != "" || c.Redis.Password.IsSet() {
			ck.Errorf("redis", `settings given but backend is "memory": set backend: redis, or remove the redis section`)
		}
	case "redis":
		before := len(ck.Problems())
		config.CheckURL(ck.At("redis"), "url", c.Redis.URL, true, "redis", "rediss")
		if len(ck.Problems()) == before {
			if _, err := redis.ParseURL(c.Redis.URL); err != nil {
				ck.At("redis").Errorf("url", "%v", err)
			}
		}
		c.Redis.Password.Check(ck.At("redis"), "password", false)
	default:
		ck.Errorf("backend", "%q is not a backend: use memory or redis", c.Backend)
	}
}

// sharedStore is what the application needs from the store until gateway/store lands.
type sharedStore interface {
	Ping(ctx context.Context) error
	Close() error
}

type memoryStore struct{}

func (memoryStore) Ping(context.Context) error { return nil }
func (memoryStore) Close() error               { return nil }

type redisStore struct{ c *redis.Client }

func (r redisStore) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }
func (r redisStore) Close() error                   { return r.c.Close() }

// redisLogger sends go-redis's own messages (reconnect attempts) to the JSON log at debug level:
// the health check already logs once when Redis goes down and once when it recovers.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, args ...any) {
	l.log.Debug("redis client", "detail", fmt.Sprintf(format, args...))
}

// openStore builds the configured store. An unreachable Redis is not an error: the gateway starts
// degraded and the client reconnects when Redis answers.
func openStore(c StoreConfig) (sharedStore, error) {
	if c.Backend != "redis" {
		return memoryStore{}, nil
	}
	opts, err := redis.ParseURL(c.Redis.URL)
	if err != nil {
		return nil, fmt.Errorf("store: redis.url: %w", err)
	}
	pw, err := c.Redis.Password.Value()
	if err != nil {
		return nil, fmt.Errorf("store: redis.password: %w", err)
	}
	if len(pw) > 0 {
		opts.Password = string(pw)
	}
	return redisStore{redis.NewClient(opts)}, nil
}
