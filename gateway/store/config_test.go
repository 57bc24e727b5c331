package store_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/store"
)

// writeCert writes a fresh self-signed certificate and its key (generated now, never committed)
// and returns their paths.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redis test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return certFile, keyFile
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigCheck(t *testing.T) {
	cert, key := writeCert(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	write(t, notPEM, "hello")
	t.Setenv("WGW_TEST_REDIS_PASSWORD", "s3cret")
	password := config.Secret{Env: "WGW_TEST_REDIS_PASSWORD"}
	redis := func(r store.RedisConfig) store.Config { return store.Config{Backend: "redis", Redis: r} }

	for name, tc := range map[string]struct {
		cfg        store.Config
		wantFields []string // nil: valid
	}{
		"ok/zero-is-memory":    {cfg: store.Config{}},
		"ok/memory-bounds":     {cfg: store.Config{Backend: "memory", Memory: store.MemoryConfig{MaxEntries: 5000, SweepInterval: config.Duration(time.Second)}}},
		"ok/url":               {cfg: redis(store.RedisConfig{URL: "redis://127.0.0.1:6379/2", Username: "gw", Password: password})},
		"ok/url-no-port-no-db": {cfg: redis(store.RedisConfig{URL: "redis://redis.internal"})},
		"ok/rediss-ca":         {cfg: redis(store.RedisConfig{URL: "rediss://redis.internal:6380/0", TLS: store.TLSConfig{CAFile: cert}})},
		"ok/unix":              {cfg: redis(store.RedisConfig{URL: "unix:///run/redis.sock?db=3"})},
		"ok/one-addr":          {cfg: redis(store.RedisConfig{Addrs: []string{"10.0.0.5:6379"}, DB: 4})},
		"ok/sentinel": {cfg: redis(store.RedisConfig{Addrs: []string{"s1:26379", "s2:26379", "[::1]:26379"}, MasterName: "mymaster",
			SentinelUsername: "sentinel", SentinelPassword: password, Password: password})},
		"ok/cluster":         {cfg: redis(store.RedisConfig{Addrs: []string{"n1:7000", "n2:7000"}, Cluster: true, KeyPrefix: "wgw-prod:"})},
		"ok/tls-client-cert": {cfg: redis(store.RedisConfig{Addrs: []string{"n1:6380"}, TLS: store.TLSConfig{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "redis"}})},
		"ok/timeouts": {cfg: redis(store.RedisConfig{URL: "redis://r", PoolSize: 50, DialTimeout: config.Duration(time.Second),
			ReadTimeout: config.Duration(300 * time.Millisecond), WriteTimeout: config.Duration(300 * time.Millisecond)})},

		"fail/backend":              {cfg: store.Config{Backend: "etcd"}, wantFields: []string{"backend"}},
		"fail/redis-under-memory":   {cfg: store.Config{Redis: store.RedisConfig{URL: "redis://r"}}, wantFields: []string{"redis"}},
		"fail/redis-nothing":        {cfg: redis(store.RedisConfig{}), wantFields: []string{"redis"}},
		"fail/url-and-addrs":        {cfg: redis(store.RedisConfig{URL: "redis://r", Addrs: []string{"r:6379"}}), wantFields: []string{"redis.url"}},
		"fail/url-unparseable":      {cfg: redis(store.RedisConfig{URL: "redis://r:6379/%zz"}), wantFields: []string{"redis.url"}},
		"fail/url-scheme":           {cfg: redis(store.RedisConfig{URL: "http://r:6379"}), wantFields: []string{"redis.url"}},
		"fail/url-bad-port":         {cfg: redis(store.RedisConfig{URL: "redis://r:99999"}), wantFields: []string{"redis.url"}},
		"fail/url-bad-db":           {cfg: redis(store.RedisConfig{URL: "redis://r:6379/two"}), wantFields: []string{"redis.url"}},
		"fail/url-no-host":          {cfg: redis(store.RedisConfig{URL: "redis:///2"}), wantFields: []string{"redis.url"}},
		"fail/url-query":            {cfg: redis(store.RedisConfig{URL: "redis://r/0?dial_timeout=1s"}), wantFields: []string{"redis.url"}},
		"fail/url-password":         {cfg: redis(store.RedisConfig{URL: "redis://gw:inline@r/0"}), wantFields: []string{"redis.url"}},
		"fail/url-with-db-field":    {cfg: redis(store.RedisConfig{URL: "redis://r/1", DB: 2}), wantFields: []string{"redis.db"}},
		"fail/url-with-sentinel":    {cfg: redis(store.RedisConfig{URL: "redis://r", MasterName: "m"}), wantFields: []string{"redis.url"}},
		"fail/unix-no-path":         {cfg: redis(store.RedisConfig{URL: "unix://"}), wantFields: []string{"redis.url"}},
		"fail/unix-bad-query":       {cfg: redis(store.RedisConfig{URL: "unix:///s.sock?timeout=1"}), wantFields: []string{"redis.url"}},
		"fail/several-addrs":        {cfg: redis(store.RedisConfig{Addrs: []string{"a:1", "b:2"}}), wantFields: []string{"redis.addrs"}},
		"fail/addr-forms":           {cfg: redis(store.RedisConfig{Addrs: []string{"nohost", ":6379", "h:0", "h:x", "ok:1", "ok:1"}, Cluster: true}), wantFields: []string{"redis.addrs[0]", "redis.addrs[1]", "redis.addrs[2]", "redis.addrs[3]", "redis.addrs[5]"}},
		"fail/sentinel-and-cluster": {cfg: redis(store.RedisConfig{Addrs: []string{"a:1"}, MasterName: "m", Cluster: true}), wantFields: []string{"redis.cluster"}},
		"fail/cluster-db":           {cfg: redis(store.RedisConfig{Addrs: []string{"a:1"}, Cluster: true, DB: 1}), wantFields: []string{"redis.db"}},
		"fail/cluster-hash-tag":     {cfg: redis(store.RedisConfig{Addrs: []string{"a:1"}, Cluster: true, KeyPrefix: "{wgw}:"}), wantFields: []string{"redis.key_prefix"}},
		"fail/sentinel-auth-without-sentinel": {cfg: redis(store.RedisConfig{Addrs: []string{"a:1"}, SentinelUsername: "s", SentinelPassword: password}),
			wantFields: []string{"redis.sentinel_username", "redis.sentinel_password"}},
		"fail/password-both-sources": {cfg: redis(store.RedisConfig{URL: "redis://r", Password: config.Secret{Env: "X", File: "/y"}}), wantFields: []string{"redis.password"}},
		"fail/password-env-unset":    {cfg: redis(store.RedisConfig{URL: "redis://r", Password: config.Secret{Env: "WGW_TEST_UNSET_VARIABLE"}}), wantFields: []string{"redis.password.env"}},
		"fail/negatives": {cfg: redis(store.RedisConfig{Addrs: []string{"a:1"}, DB: -1, PoolSize: -1, DialTimeout: -1, ReadTimeout: -1, WriteTimeout: -1}),
			wantFields: []string{"redis.db", "redis.pool_size", "redis.dial_timeout", "redis.read_timeout", "redis.write_timeout"}},
		"fail/tls-off-with-settings": {cfg: redis(store.RedisConfig{URL: "redis://r", TLS: store.TLSConfig{CAFile: cert}}), wantFields: []string{"redis.tls.enabled"}},
		"fail/tls-ca-missing":        {cfg: redis(store.RedisConfig{URL: "rediss://r", TLS: store.TLSConfig{CAFile: "/nonexistent/ca.pem"}}), wantFields: []string{"redis.tls.ca_file"}},
		"fail/tls-ca-not-pem":        {cfg: redis(store.RedisConfig{URL: "rediss://r", TLS: store.TLSConfig{CAFile: notPEM}}), wantFields: []string{"redis.tls.ca_file"}},
		"fail/tls-cert-without-key":  {cfg: redis(store.RedisConfig{URL: "rediss://r", TLS: store.TLSConfig{CertFile: cert}}), wantFields: []string{"redis.tls.cert_file"}},
		"fail/tls-key-mismatch":      {cfg: redis(store.RedisConfig{URL: "rediss://r", TLS: store.TLSConfig{CertFile: cert, KeyFile: notPEM}}), wantFields: []string{"redis.tls.cert_file"}},
		"fail/memory-negative":       {cfg: store.Config{Memory: store.MemoryConfig{MaxEntries: -5, SweepInterval: -1}}, wantFields: []string{"memory.max_entries", "memory.sweep_interval"}},
		"fail/memory-sweep-too-fast": {cfg: store.Config{Memory: store.MemoryConfig{SweepInterval: config.Duration(time.Millisecond)}}, wantFields: []string{"memory.sweep_interval"}},
	} {
		t.Run(name, func(t *testing.T) {
			ck := config.NewChecker()
			tc.cfg.Check(ck)
			var got []string
			if err := ck.Err(); err != nil {
				var inv *config.Invalid
				if !errors.As(err, &inv) {
					t.Fatalf("Err() is %T", err)
				}
				got = inv.Fields()
				if strings.Contains(err.Error(), "inline") || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("a problem repeats a password: %v", err)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.wantFields))
			if !slices.Equal(got, want) {
				t.Fatalf("problems in %v, want %v\n%v", got, want, ck.Err())
			}
		})
	}
}

// TestConfigYAML decodes the documented example strictly, so a renamed yaml tag breaks it.
func TestConfigYAML(t *testing.T) {
	const doc = `
backend: redis
redis:
  addrs: [s1:26379, s2:26379]
  master_name: mymaster
  username: gateway
  password: {env: WGW_REDIS_PASSWORD}
  sentinel_username: sentinel
  sentinel_password: {file: /run/secrets/sentinel}
  db: 2
  key_prefix: "wgw-test:"
  pool_size: 20
  dial_timeout: 2s
  read_timeout: 500ms
  write_timeout: 500ms
  tls: {enabled: true, ca_file: /etc/redis/ca.pem, cert_file: /c.pem, key_file: /k.pem, server_name: redis, insecure_skip_verify: false}
memory:
  max_entries: 5000
  sweep_interval: 10s
`
	var cfg store.Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	r := cfg.Redis
	if cfg.Backend != "redis" || r.MasterName != "mymaster" || len(r.Addrs) != 2 || r.Password.Env != "WGW_REDIS_PASSWORD" ||
		r.SentinelPassword.File != "/run/secrets/sentinel" || r.DB != 2 || r.KeyPrefix != "wgw-test:" || r.PoolSize != 20 ||
		r.ReadTimeout.D() != 500*time.Millisecond || !r.TLS.Enabled || r.TLS.ServerName != "redis" ||
		cfg.Memory.MaxEntries != 5000 || cfg.Memory.SweepInterval.D() != 10*time.Second {
		t.Fatalf("decoded %+v", cfg)
	}
}
