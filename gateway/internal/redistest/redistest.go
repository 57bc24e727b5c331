// Package redistest gives the gateway's tests real Redis deployments: the shared server at
// REDIS_URL (a database per package family: the store's is 10; a random key prefix per test, keys
// deleted at the end: Shared, and Store for a replica's store on it) and throwaway redis-server
// processes on free loopback ports (single, Sentinel, Cluster) that the test stops itself.
package redistest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/store/redisstore"
)

// DB is the database index the store's tests use on the shared Redis.
const DB = 10

// SharedURL is REDIS_URL (default redis://127.0.0.1:6379) pointed at DB. The suite fails, not
// skips, when that Redis does not answer: CI guarantees one.
func SharedURL(t testing.TB) string {
	t.Helper()
	return SharedURLDB(t, DB)
}

// SharedURLDB is REDIS_URL pointed at database db, checked to answer like SharedURL.
func SharedURLDB(t testing.TB, db int) string {
	t.Helper()
	raw := os.Getenv("REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("REDIS_URL is not a URL: %v", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("no Redis answers at %s (%v): these tests need a real Redis; start one (redis-server) or set REDIS_URL", u.Redacted(), err)
	}
	return u.String()
}

// Prefix is a random key prefix, so parallel tests and other helpers never see each other's keys.
func Prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "wgwtest:" + hex.EncodeToString(b) + ":"
}

// DeleteKeys removes every key under prefix on the server at rawURL when the test ends.
func DeleteKeys(t testing.TB, rawURL, prefix string) {
	t.Cleanup(func() {
		opt, _ := redis.ParseURL(rawURL)
		c := redis.NewClient(opt)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleaning up %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleaning up %s*: %v", prefix, err)
			}
		}
	})
}

// Shared is one test's room on the shared Redis: REDIS_URL pointed at database db (checked to
// answer, as SharedURLDB) and a fresh Prefix whose keys are deleted when the test ends.
func Shared(t testing.TB, db int) (url, prefix string) {
	t.Helper()
	url, prefix = SharedURLDB(t, db), Prefix()
	DeleteKeys(t, url, prefix)
	return url, prefix
}

// Store is a store under prefix on the Redis at url with a client of its own (its own connections,
// as a separate gateway replica has; go-redis's default timeouts), closed when the test ends. Call
// it again with the same url and prefix for another replica's view of the same keys.
func Store(t testing.TB, url, prefix string) *redisstore.Store {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redis URL: %v", err)
	}
	s := redisstore.NewFromClient(redis.NewClient(opt), prefix)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Server is a throwaway redis-server this test started on a free loopback port.
type Server struct {
	t    testing.TB
	port int
	dir  string
	conf string // config file, when the server needs one (a sentinel rewrites its own)
	args []string
	// ClientTLS, when the server listens with TLS only, is what Start's readiness probe dials with.
	ClientTLS *tls.Config
	cmd       *exec.Cmd
}

// FreePort returns a loopback port nothing listens on (it was free an instant ago).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// NewServer prepares (does not start) a redis-server on a free port with extra arguments; the test's
// end stops it.
func NewServer(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not on PATH (apt-get install redis-server): it is needed to start throwaway servers for outage, Sentinel and Cluster tests")
	}
	s := &Server{t: t, port: FreePort(t), dir: t.TempDir(), args: args}
	t.Cleanup(s.Stop)
	return s
}

// Args appends arguments for the next Start (later ones override earlier ones, as in redis.conf).
func (s *Server) Args(args ...string) { s.args = append(s.args, args...) }

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start launches the server and waits until it answers PING.
func (s *Server) Start() {
	s.t.Helper()
	var args []string
	if s.conf != "" {
		args = append(args, s.conf) // the file must be the first argument
	}
	args = append(args, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	s.cmd = exec.Command("redis-server", append(args, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: 200 * time.Millisecond, TLSConfig: s.ClientTLS})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		var reply redis.Error // NOAUTH and the like: the server is up
		if err == nil || errors.As(err, &reply) {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d did not answer within 5s", s.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (if running) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// StartCluster starts three masters and joins them into a Cluster covering every slot.
func StartCluster(t testing.TB) []string {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is not on PATH: it is needed to create the throwaway Cluster")
	}
	var addrs []string
	for range 3 {
		s := NewServer(t, "--cluster-enabled", "yes", "--cluster-node-timeout", "2000")
		s.args = append(s.args, "--cluster-config-file", filepath.Join(s.dir, "nodes.conf"))
		s.Start()
		addrs = append(addrs, s.Addr())
	}
	out, err := exec.Command("redis-cli", append([]string{"--cluster", "create"}, append(addrs, "--cluster-replicas", "0", "--cluster-yes")...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node must see the whole cluster before a test runs, or a command may meet CLUSTERDOWN.
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("cluster node %s not ok after 10s: %v %s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	return addrs
}

// StartSentinel starts a master and one sentinel watching it; it returns the sentinel's address.
func StartSentinel(t testing.TB, masterName string) string {
	t.Helper()
	master := NewServer(t)
	master.Start()
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 5000\n", masterName, master.port, masterName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel := NewServer(t, "--sentinel")
	sentinel.conf = conf
	sentinel.Start()
	return sentinel.Addr()
}

// Quiet silences go-redis's own logger (process-wide): outage tests make it print every failed
// dial. Call it from TestMain.
func Quiet() { redis.SetLogger(quietLogger{}) }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
