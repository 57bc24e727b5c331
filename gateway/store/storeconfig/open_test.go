package storeconfig_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/store/redisstore"
	"github.com/welfaregov/gateway/gateway/store/storeconfig"
)

func TestMain(m *testing.M) {
	redistest.Quiet()
	os.Exit(m.Run())
}

func open(t *testing.T, cfg store.Config) store.Store {
	t.Helper()
	s, err := storeconfig.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func roundTrip(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Set(t.Context(), "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(t.Context(), "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}

func TestOpenMemoryByDefault(t *testing.T) {
	s := open(t, store.Config{Memory: store.MemoryConfig{MaxEntries: 10}})
	if _, ok := s.(*memory.Store); !ok {
		t.Fatalf("the zero backend built a %T, want *memory.Store", s)
	}
	roundTrip(t, s)
}

func TestOpenRedisURL(t *testing.T) {
	url, prefix := redistest.Shared(t, redistest.DB)
	s := open(t, store.Config{Backend: "redis", Redis: store.RedisConfig{URL: url, KeyPrefix: prefix}})
	rs, ok := s.(*redisstore.Store)
	if !ok {
		t.Fatalf("backend redis built a %T", s)
	}
	roundTrip(t, s)
	if v, err := rs.Client().Get(t.Context(), prefix+"k").Result(); err != nil || v != "v" {
		t.Fatalf("the key prefix from the configuration is not used: %q, %v", v, err)
	}
}

// TestOpenRedisDown: a Redis that does not answer does not stop the start-up.
func TestOpenRedisDown(t *testing.T) {
	s := open(t, store.Config{Backend: "redis", Redis: store.RedisConfig{
		Addrs: []string{net.JoinHostPort("127.0.0.1", itoa(redistest.FreePort(t)))}, DialTimeout: config.Duration(100 * time.Millisecond)}})
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded with nothing listening")
	}
}

func TestOpenRejectsInvalidConfig(t *testing.T) {
	_, err := storeconfig.Open(t.Context(), store.Config{Backend: "redis", Redis: store.RedisConfig{URL: "redis://r", Addrs: []string{"r:1"}, PoolSize: -1}})
	var inv *config.Invalid
	if !errors.As(err, &inv) || strings.Join(inv.Fields(), ",") != "redis.url,redis.pool_size" {
		t.Fatalf("Open of an invalid section: %v, want problems in redis.url and redis.pool_size", err)
	}
}

// TestOpenRedisTLSAndPassword runs a throwaway Redis that listens only with TLS (certificate from
// a CA made in the test) and requires a password: the configuration's ca_file and password (from an
// environment variable) are what make the connection work.
func TestOpenRedisTLSAndPassword(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := writePKI(t, dir)
	const password = "tls-test-password"
	srv := redistest.NewServer(t, "--requirepass", password)
	port := srv.Addr()[strings.LastIndex(srv.Addr(), ":")+1:]
	srv.ClientTLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // readiness probe of a test server only
	srv.Args("--port", "0", "--tls-port", port, "--tls-cert-file", certFile, "--tls-key-file", keyFile,
		"--tls-ca-cert-file", caFile, "--tls-auth-clients", "no")
	srv.Start()
	t.Setenv("WGW_TEST_REDIS_PASSWORD", password)

	cfg := store.Config{Backend: "redis", Redis: store.RedisConfig{
		URL:      "rediss://" + srv.Addr() + "/0",
		Password: config.Secret{Env: "WGW_TEST_REDIS_PASSWORD"},
		TLS:      store.TLSConfig{CAFile: caFile},
	}}
	roundTrip(t, open(t, cfg))

	withoutCA := cfg
	withoutCA.Redis.TLS = store.TLSConfig{}
	if err := open(t, withoutCA).Ping(t.Context()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without ca_file the test CA must not be trusted: Ping = %v", err)
	}
	addrs := cfg
	addrs.Redis.URL, addrs.Redis.Addrs = "", []string{srv.Addr()}
	addrs.Redis.TLS = store.TLSConfig{Enabled: true, CAFile: caFile}
	roundTrip(t, open(t, addrs))
}

func itoa(n int) string { return strconv.Itoa(n) }

// writePKI writes a CA certificate and a server certificate for 127.0.0.1 with its key, all made
// now (no key is ever committed).
func writePKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "store test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	for path, block := range map[string]*pem.Block{
		caFile:   {Type: "CERTIFICATE", Bytes: caDER},
		certFile: {Type: "CERTIFICATE", Bytes: leafDER},
		keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}
