package cache

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/store"
)

// Config is the cache section. Zero values mean the defaults in brackets.
type Config struct {
	// Key is the secret from which the cache derives the keyed hash of its key names and the
	// encryption key of its values: at least 32 bytes (openssl rand -base64 48). Every replica
	// needs the same. Required with the Redis store; with the memory store a random key is drawn
	// at each start (the cache dies with the process anyway). Changing it empties the shared tier
	// in effect: old values no longer decrypt and are reloaded.
	Key config.Secret `yaml:"key"`
	// LocalMaxSize bounds the in-process tier of each replica (payloads, keys and a fixed
	// overhead per entry); the least recently used entries go first [64MiB]. 1MiB..16GiB.
	LocalMaxSize config.Size `yaml:"local_max_size"`
	// LocalTTL is how long a replica uses its in-process copy without re-reading the shared tier:
	// the longest a purge made on another replica takes to be honoured here [30s]. 1s..1h.
	LocalTTL config.Duration `yaml:"local_ttl"`
	// LoadTimeout bounds one upstream lookup made for the callers waiting on it [60s]. 1s..10m.
	LoadTimeout config.Duration `yaml:"load_timeout"`
	// Kinds change the policy of the built-in kinds (isee_attestazione, isee_indicatore,
	// anpr_idanpr, anpr_residenza, anpr_famiglia, anpr_generalita, anpr_cittadinanza,
	// anpr_esistenza, icef_indicatore) or add kinds; unset fields keep the built-in values.
	Kinds map[string]KindConfig `yaml:"kinds"`
}

// KindConfig is the policy of one kind.
type KindConfig struct {
	// TTL is how long an answer is fresh (at most: an ISEE ends with its DataValidita). Required
	// for a new kind. 1s..365d.
	TTL config.Duration `yaml:"ttl"`
	// StaleFor is how long past its freshness an answer may be served while the upstream fails;
	// 0s: never. At most 365d.
	StaleFor *config.Duration `yaml:"stale_for"`
	// NegativeTTL is how long a "not found" answer is cached; 0s: not cached. At most 1d.
	NegativeTTL *config.Duration `yaml:"negative_ttl"`
}

// Check records every problem with its field. sharedStore says the store is Redis, shared by
// replicas, which then need a common key.
func (c *Config) Check(ck config.Checker, sharedStore bool) {
	c.Key.Check(ck, "key", sharedStore)
	if c.Key.IsSet() {
		if k, err := c.Key.Value(); err == nil && len(k) < MinKeySize {
			ck.Errorf("key", "the secret is %d bytes long; give at least %d random bytes (openssl rand -base64 48)", len(k), MinKeySize)
		}
	}
	if c.LocalMaxSize != 0 && (c.LocalMaxSize < 1<<20 || c.LocalMaxSize > 16<<30) {
		ck.Errorf("local_max_size", "%s is not between 1MiB and 16GiB", c.LocalMaxSize)
	}
	config.CheckDuration(ck, "local_ttl", c.LocalTTL, time.Second, time.Hour)
	config.CheckDuration(ck, "load_timeout", c.LoadTimeout, time.Second, 10*time.Minute)
	builtin := builtinKinds()
	for _, name := range slices.Sorted(maps.Keys(c.Kinds)) {
		k, kck := c.Kinds[name], ck.At("kinds").At(name)
		if !kindName.MatchString(name) {
			kck.Errorf("", "kind name %q: use 1-64 lower-case letters, digits and '_' (names are also environment variable segments)", name)
		}
		if _, known := builtin[name]; !known && k.TTL == 0 {
			kck.Errorf("ttl", "required for a kind that is not built in")
		}
		config.CheckDuration(kck, "ttl", k.TTL, time.Second, 365*24*time.Hour)
		if k.StaleFor != nil && (*k.StaleFor < 0 || k.StaleFor.D() > 365*24*time.Hour) {
			kck.Errorf("stale_for", "%s is not between 0s and 365d", *k.StaleFor)
		}
		if k.NegativeTTL != nil && (*k.NegativeTTL < 0 || k.NegativeTTL.D() > 24*time.Hour) {
			kck.Errorf("negative_ttl", "%s is not between 0s and 1d", *k.NegativeTTL)
		}
	}
}

func builtinKinds() map[string]Kind {
	m := make(map[string]Kind, len(DefaultKinds))
	for _, k := range DefaultKinds {
		m[k.Name] = k
	}
	return m
}

// Kinds are the built-in kinds with the section's changes, and its new kinds.
func (c *Config) kinds() []Kind {
	all := builtinKinds()
	for name, kc := range c.Kinds {
		k := all[name]
		k.Name = name
		if kc.TTL != 0 {
			k.TTL = kc.TTL.D()
		}
		if kc.StaleFor != nil {
			k.StaleFor = kc.StaleFor.D()
		}
		if kc.NegativeTTL != nil {
			k.NegativeTTL = kc.NegativeTTL.D()
		}
		all[name] = k
	}
	return slices.SortedFunc(maps.Values(all), func(a, b Kind) int { return strings.Compare(a.Name, b.Name) })
}

// Options turns a checked section into Options over st, reading the key (or drawing an
// ephemeral one when none is configured).
func (c *Config) Options(st store.Store, log *slog.Logger) (Options, error) {
	key, err := c.Key.Value()
	if err != nil {
		return Options{}, fmt.Errorf("cache: key: %w", err)
	}
	if key == nil {
		key = make([]byte, MinKeySize)
		_, _ = rand.Read(key)
		if log != nil {
			log.Info("cache: no key configured; using a random one for this process (fine with the memory store only)")
		}
	}
	return Options{
		Store: st, Key: key, Kinds: c.kinds(), LocalMaxBytes: c.LocalMaxSize.Bytes(),
		LocalTTL: c.LocalTTL.D(), LoadTimeout: c.LoadTimeout.D(), Logger: log,
	}, nil
}
