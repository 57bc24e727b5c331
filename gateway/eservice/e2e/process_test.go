package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/store"
)

// redisDB is this package's database on the shared test Redis.
const redisDB = 15

// redisStore returns the store section of replicas sharing the real Redis (REDIS_URL, database
// 15) under a key prefix of their own, deleted at the end of the test. It fails, never skips,
// without Redis.
func redisStore(t testing.TB) storeSection {
	t.Helper()
	s, _ := redisShared(t)
	return s
}

// redisShared is redisStore plus a store client of the same keys, for the test to look at the
// shared state (PDND Tracing counters).
func redisShared(t testing.TB) (storeSection, store.Store) {
	t.Helper()
	u, prefix := redistest.Shared(t, redisDB)
	// Replicas share the cache key too (the cache requires one with Redis).
	return storeSection(fmt.Sprintf("store:\n  backend: redis\n  redis: {url: %q, key_prefix: %q}\ncache: {key: {file: %q}}\n", u, prefix, cacheKeyFile(t))),
		redistest.Store(t, u, prefix)
}

// cacheKeyFile writes a cache key for replicas sharing Redis.
func cacheKeyFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cache-key")
	if err := os.WriteFile(p, []byte(strings.Repeat("c", 48)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	buildMu  sync.Mutex
	binaries = map[string]string{}
)

// gatewayBinary builds cmd/gateway once per test binary.
func gatewayBinary(t testing.TB) string { return buildCommand(t, "gateway") }

// buildCommand builds ./cmd/<name> once per test binary and returns the executable's path.
func buildCommand(t testing.TB, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := binaries[name]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "wgw-e2e-bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	binaries[name] = bin
	return bin
}

// process is a gateway replica running as a child process (what a real replica is: it can be
// killed with SIGKILL, and its memory measured).
type process struct {
	cmd  *exec.Cmd
	base string
	pid  int
}

// startProcess runs the gateway binary on the configuration text and waits until it serves.
func (w *world) startProcess(t testing.TB, text string) *process {
	t.Helper()
	bin := gatewayBinary(t)
	path := filepath.Join(w.dir, fmt.Sprintf("process-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Env = append(os.Environ(), "WGW_E2E_BACKEND_KEY="+backend.DefaultAPIKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(w.dir, fmt.Sprintf("process-%d.log", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "eservices" {
				found <- f[1]
			}
		}
	}()
	select {
	case p.base = <-found:
	case <-time.After(60 * time.Second):
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("the gateway process did not start serving:\n%s", log)
	}
	return p
}

// kill ends the process with SIGKILL: no shutdown, no lease released.
func (p *process) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = p.cmd.Process.Wait()
}

// asGateway lets the HTTP helpers talk to the process.
func (p *process) asGateway() *gateway {
	return &gateway{base: p.base, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}
