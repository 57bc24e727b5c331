package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/logging"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/pdnd/pdndtest"
	"github.com/welfaregov/gateway/gateway/server"
)

// payload is the 1 KiB the benchmark sends and answers.
var payload = []byte(`{"dati":"` + strings.Repeat("x", 1024-11) + `"}`)

// interleavedRounds is how many turns each side of subject-vs-baseline takes: with eight, turns of
// a third of a second still let the machine's drift show (one run in six 7% below the others);
// shorter turns add the end of each turn, when the last requests drain, to both sides alike.
const interleavedRounds = 16

// echoPath is where both servers answer: the bench e-service's mount and route.
const echoPath = "/bench/v1/echo"

// BenchmarkSecuredCall compares, over real HTTP on loopback with keep-alive connections and the
// same parallel load generator, a fully secured e-service call against a bare Fiber handler
// answering the same 1 KiB:
//
//   - subject: the gateway's e-service listener (request id, access log, recovery, deadline) and the
//     whole chain of one e-service: PDND voucher (cached after its first verification), INTEGRITY_REST_02
//     with a fresh Agid-JWT-Signature and Digest over a 1 KiB body on every request (RSA verify, replay
//     record in the store), AUDIT_REST_02 (evidence cached), rate limit (GCRA in the store), the audit
//     record (written to the JSON Lines file; fsync "never", so the disk's fsync latency does not
//     stand in for the gateway's cost), then a handler answering 1 KiB;
//   - baseline: fiber.New() with one handler answering the same bytes.
//
// Both receive the same requests, security headers included (the baseline ignores them), so the
// ratio prices the gateway's work and not the load generator's cost of sending 3 KB more headers.
// Signing is far dearer than verifying, so every request of the timed part is signed before it.
// The sub-benchmark subject-vs-baseline sends them to both sides in turns (interleavedRounds
// rounds, each side taking the next slice of the requests; benchcmp.Interleave), so that both are timed on the same
// machine: on a virtual machine the speed drifts by tens of percent over seconds, and two
// sub-benchmarks run a minute apart gave ratios from 0.32 to 0.56 for the same code. It reports
// baseline-ns/op, subject-ns/op and tput-ratio, the subject's throughput relative to the
// baseline's (target >= 0.45).
//
// A fresh Agid-JWT-Signature costs one RSA-2048 verification per call, whatever the gateway does
// around it. The sub-benchmark rsa-verify measures one on this machine, and subject-vs-baseline
// reports rsa-bound-ratio: the ratio a gateway doing nothing but that verification would reach (the
// baseline's time per call plus one verification shared among GOMAXPROCS cores). On a machine
// where that bound is near or under the target, the target cannot be met by any implementation
// that verifies the signature, and the distance between tput-ratio and rsa-bound-ratio is the
// gateway's own overhead.
//
// The sub-benchmark peak-rss then runs the gateway binary as a child process (all three
// e-services, the memory store, the backend simulator in this process), opens 1,000 concurrent
// keep-alive connections each sending secured consultazione calls, and reports the process's peak
// resident memory from /proc/<pid>/status VmHWM (target < 150 MB).
func BenchmarkSecuredCall(b *testing.B) {
	w := newWorld(b)
	subject := startSecuredEcho(b, w)
	bare := startBareEcho(b)
	c := w.newConsumer(clientID, purposeFull, audPrest, "/bench/v1", true, true)
	tr := &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	b.Cleanup(tr.CloseIdleConnections) // before the servers' shutdowns, which wait for open connections

	// Both sides get the same requests, signed before the timed part: the baseline ignores the
	// security headers it receives, so the ratio prices what the gateway does with them, not what
	// the load generator spends sending bigger requests.
	prepared := func(b *testing.B) []http.Header {
		pool := make([]http.Header, b.N)
		g := &gateway{base: subject}
		// One signer per core: an RSA signature costs about a millisecond, and signing the pool
		// takes most of the benchmark's run time.
		var wg sync.WaitGroup
		var failed atomic.Value
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(pool); i += workers {
					r, err := c.build(g, "POST", "/echo", payload)
					if err != nil {
						failed.Store(err)
						return
					}
					pool[i] = r.Header
				}
			})
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		return pool
	}
	// minimal is the request of baseline-minimal-request: a Content-Type and nothing else.
	minimal := func(b *testing.B) []http.Header {
		pool := make([]http.Header, b.N)
		for i := range pool {
			pool[i] = http.Header{"Content-Type": {"application/json"}}
		}
		return pool
	}
	// send posts payload to base+echoPath once with each header of pool, from 8 goroutines per core
	// (the parallelism of b.RunParallel with SetParallelism(8)), and returns the first failure.
	send := func(base string, pool []http.Header) error {
		var next atomic.Int64
		var failed atomic.Value
		var wg sync.WaitGroup
		for range 8 * runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(pool)); i = next.Add(1) - 1 {
					req, _ := http.NewRequest("POST", base+echoPath, bytes.NewReader(payload))
					req.Header = pool[i]
					resp, err := client.Do(req)
					if err != nil {
						failed.Store(err)
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || n != int64(len(payload)) {
						failed.Store(fmt.Errorf("%s: status %d, %d bytes", base, resp.StatusCode, n))
					}
				}
			})
		}
		wg.Wait()
		err, _ := failed.Load().(error)
		return err
	}
	var rsaNs float64 // one RSA-2048 PKCS#1 v1.5 verify, the floor of a fresh Agid-JWT-Signature
	b.Run("rsa-verify", func(b *testing.B) {
		b.ReportAllocs()
		rsaNs = rsaVerifyNs(b)
	})
	// The target: throughput at least 0.45 of the baseline's, i.e. time per call at most 1/0.45.
	// The two sides take turns over the same requests (benchcmp.Interleave): measured one after
	// the other, they would be timed on a virtual machine whose speed drifts between them.
	b.Run("subject-vs-baseline", func(b *testing.B) {
		pool := prepared(b)
		runtime.GC() // the signing's garbage is not the timed part's
		stopProfile := profileTimedPart(b)
		var failed error
		turn := func(base string) func(lo, hi int) {
			return func(lo, hi int) {
				if err := send(base, pool[lo:hi]); err != nil && failed == nil {
					failed = err
				}
			}
		}
		baseNs, _ := benchcmp.Interleave(b, interleavedRounds, turn(bare), turn(subject), 1/0.45)
		stopProfile()
		if failed != nil {
			b.Fatal(failed)
		}
		if rsaNs > 0 {
			// The ratio no gateway verifying one RSA signature per call can beat on this machine:
			// the baseline's time per call plus one verify spread over the cores.
			b.ReportMetric(baseNs/(baseNs+rsaNs/float64(runtime.GOMAXPROCS(0))), "rsa-bound-ratio")
		}
	})
	// For reference, not for the target: the bare handler sent only a Content-Type, as earlier
	// versions of this benchmark measured it. Its distance from baseline-ns/op is what the load
	// generator spends sending (and the server reading) the security headers.
	b.Run("baseline-minimal-request", func(b *testing.B) {
		pool := minimal(b)
		b.ResetTimer()
		if err := send(bare, pool); err != nil {
			b.Fatal(err)
		}
	})
	// One measurement per run: the benchmark framework calls the function again with a growing
	// b.N until it has run for -benchtime, and each call would start another gateway process.
	var rss []float64
	b.Run("peak-rss-1000-connections", func(b *testing.B) {
		if rss == nil {
			rss = peakRSS(b, w)
		}
		b.ReportMetric(rss[0], "peak-RSS-MB")
		b.ReportMetric(rss[1], "idle-RSS-MB")
		b.ReportMetric(rss[2], "calls-ok")
	})
}

// profileEnv names the file where BenchmarkSecuredCall writes a CPU profile of the timed part of
// subject-vs-baseline only (both sides: the gateway's share is under server.(*listener)); go test
// -cpuprofile covers the whole run, where signing the pool of requests dominates.
const profileEnv = "WGW_BENCH_CPUPROFILE"

// profileTimedPart starts the CPU profile of profileEnv and returns what stops it. Each b.N round
// overwrites the file, so it ends up holding the longest round.
func profileTimedPart(b *testing.B) (stop func()) {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatalf("%s: %v", profileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatalf("%s: %v", profileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatalf("%s: %v", profileEnv, err)
		}
	}
}

// startSecuredEcho serves a test e-service whose handler answers payload, behind the whole chain.
func startSecuredEcho(b *testing.B, w *world) string {
	st := sectest.NewMemory(b)
	env := w.pdnd.Environment()
	ctx := context.Background()
	jwks, err := pdnd.NewJWKS(ctx, env.JWKSURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = jwks.Close() })
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := jwks.WaitReady(wctx); err != nil {
		b.Fatal(err)
	}
	apiKey, err := jose.NewSigner(sectest.RSAKey(b, 6))
	if err != nil {
		b.Fatal(err)
	}
	keys := pdnd.NewKeyAPI(env.APIURL, pdnd.NewVoucherCache(&pdnd.Client{ClientID: apiClient, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: apiKey}))
	in := modi.NewInbound(pdnd.NewVoucherVerifier(pdndtest.Issuer, jwks, pdnd.WithReplayStore(st)), pdnd.NewDPoPVerifier(st), keys.ConsumerKey, st)
	trail, err := audit.Open(audit.Config{Dir: b.TempDir(), PseudonymKeyEphemeral: true, Fsync: "never"}, audit.Options{Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = trail.Close() })
	srv, err := server.New(server.Config{
		EServices: server.Listener{Address: "127.0.0.1:0", TLS: server.TLS{Mode: server.TLSOff}},
		Internal:  server.Listener{Address: "127.0.0.1:0"},
		Admin:     server.Listener{Address: "127.0.0.1:0"},
	}, server.Options{Logger: slog.New(logging.NewHandler(io.Discard, slog.LevelInfo)), RunDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	spec := eservice.Spec{Name: "bench", DefaultMount: "/bench/v1", PublicBase: publicBase,
		Settings: eservice.Settings{
			Security: modi.Policy{Audience: audPrest, IDAuth: modi.IDAuthPolicy{ProducerID: producerID, EServiceID: eservPrest},
				Integrity: modi.IntegrityPolicy{Pattern: modi.IntegrityREST02}, Audit: modi.AuditPolicy{Pattern: modi.AuditREST02}},
			RateLimit: eservice.RateLimit{Requests: 1_000_000_000, Period: config.Duration(time.Second)},
		},
		Routes: []eservice.Route{{Method: "POST", Path: "/echo", OperationID: "echo", Accepts: []string{"application/json"},
			Handler: func(c *fiber.Ctx) error { return c.Send(payload) }}},
	}
	chain, err := eservice.Build(spec, eservice.Deps{Inbound: in, Store: st, Audit: trail})
	if err != nil {
		b.Fatal(err)
	}
	chain.Register(srv.EServices())
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx) }()
	b.Cleanup(func() { stop(); <-done })
	return srv.Endpoints()[0].URL
}

// startBareEcho serves the baseline: a bare Fiber app answering payload.
func startBareEcho(b *testing.B) string {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post(echoPath, func(c *fiber.Ctx) error { return c.Send(payload) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String()
}

// peakRSS runs the gateway binary, drives 1,000 concurrent keep-alive connections each sending
// secured consultazione calls, and returns its VmHWM and the VmHWM before the load (MB), and the
// calls that succeeded.
func peakRSS(b *testing.B, w *world) []float64 {
	const connections, perConnection = 1000, 2
	b.StopTimer()
	// The consumer's 2,000 calls must not meet the e-service's rate limit.
	text := strings.Replace(w.config(memoryStore(), ""), "rate_limit: {requests: 1000, period: 1m}", "rate_limit: {requests: 1000000, period: 1m}", 1)
	proc := w.startProcess(b, text)
	g := proc.asGateway()
	cf, on := subject(b, w.pop)
	c := w.newConsumer(clientID, purposeMin, audPrest, mountPrest, true, true)
	body := ricerca(cf, on)
	pool := make([]*http.Request, connections*perConnection)
	for i := range pool {
		pool[i] = c.prepare(b, g, "POST", "/ricerca", body)
	}
	before := vmHWM(b, proc.pid)
	tr := &http.Transport{MaxIdleConnsPerHost: connections, MaxConnsPerHost: connections, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	start := make(chan struct{})
	b.StartTimer()
	for i := range connections {
		wg.Go(func() {
			<-start
			for j := range perConnection {
				r := pool[i*perConnection+j]
				r.Body = io.NopCloser(bytes.NewReader(body))
				resp, err := client.Do(r)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	b.StopTimer()
	peak := vmHWM(b, proc.pid)
	tr.CloseIdleConnections()
	verdict := "met"
	if peak > 150*1024 {
		verdict = "MISSED"
	}
	b.Logf("gateway process peak RSS %.1f MB after %d concurrent keep-alive connections (%d calls ok, %d failed; %.1f MB before the load); target < 150 MB: %s",
		float64(peak)/1024, connections, ok.Load(), failed.Load(), float64(before)/1024, verdict)
	if failed.Load() > 0 {
		b.Fatalf("%d calls failed", failed.Load())
	}
	return []float64{float64(peak) / 1024, float64(before) / 1024, float64(ok.Load())}
}

// vmHWM reads the peak resident set size (kB) of pid.
func vmHWM(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("reading the gateway's memory: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

// rsaVerifyNs measures one RSA-2048 PKCS#1 v1.5 SHA-256 verification (RS256, the Agid-JWT-Signature
// of the benchmark) on this machine, single-threaded, and returns its time per op.
func rsaVerifyNs(b *testing.B) float64 {
	key := sectest.RSAKey(b, 2)
	digest := sha256.Sum256(payload)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
