// Package storeconfig builds the store.Store that a store.Config describes. It is separate from
// package store because it imports both implementations, which import store.
package storeconfig

import (
	"context"
	"fmt"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// Open validates cfg with its Check (an invalid section is a *config.Invalid error whose field
// paths are relative to the section) and builds the store.
//
// An unreachable Redis is not an error: the gateway starts, store calls fail until Redis answers,
// and the client reconnects by itself. Callers report the state with Ping. When Redis does answer
// within ctx, Open preloads the Lua scripts so the first requests need no EVAL.
func Open(ctx context.Context, cfg store.Config) (store.Store, error) {
	ck := config.NewChecker()
	cfg.Check(ck)
	if err := ck.Err(); err != nil {
		return nil, err
	}
	if cfg.Backend != store.BackendRedis {
		return memory.New(memory.Options{MaxEntries: cfg.Memory.MaxEntries, SweepInterval: cfg.Memory.SweepInterval.D()})
	}
	opts, err := RedisOptions(cfg.Redis)
	if err != nil {
		return nil, err
	}
	s, err := redisstore.New(opts)
	if err != nil {
		return nil, err
	}
	preload, cancel := context.WithTimeout(ctx, redisstore.DefaultDialTimeout)
	defer cancel()
	_ = s.LoadScripts(preload) // best effort: an unknown script is sent with EVAL on first use
	return s, nil
}

// RedisOptions turns the section into redisstore options, reading the secrets and TLS files.
func RedisOptions(c store.RedisConfig) (redisstore.Options, error) {
	password, err := c.Password.Value()
	if err != nil {
		return redisstore.Options{}, fmt.Errorf("store: redis.password: %w", err)
	}
	sentinelPassword, err := c.SentinelPassword.Value()
	if err != nil {
		return redisstore.Options{}, fmt.Errorf("store: redis.sentinel_password: %w", err)
	}
	tlsConfig, err := c.ClientConfig()
	if err != nil {
		return redisstore.Options{}, fmt.Errorf("store: redis.tls: %w", err)
	}
	return redisstore.Options{
		URL:              c.URL,
		Addrs:            c.Addrs,
		MasterName:       c.MasterName,
		Cluster:          c.Cluster,
		Username:         c.Username,
		Password:         string(password),
		SentinelUsername: c.SentinelUsername,
		SentinelPassword: string(sentinelPassword),
		DB:               c.DB,
		TLS:              tlsConfig,
		KeyPrefix:        c.KeyPrefix,
		PoolSize:         c.PoolSize,
		DialTimeout:      c.DialTimeout.D(),
		ReadTimeout:      c.ReadTimeout.D(),
		WriteTimeout:     c.WriteTimeout.D(),
	}, nil
}
