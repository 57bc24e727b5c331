package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/demo/democonfig"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/opstest"
	"github.com/welfaregov/gateway/gateway/internal/pasimtest"
	"github.com/welfaregov/gateway/gateway/internal/redistest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// redisDB is this package's database on the shared test Redis.
const redisDB = 5

// The public URL the replicas are published at (what PDND audiences name): both replicas are one
// e-service.
const publicBase = "https://127.0.0.1:8443"

const (
	mountPrest = "/rest/welfaregov/v1/prestazioni-sociali-agevolate"
	mountEstr  = "/rest/welfaregov/v1/estrazione-prestazioni"
)

// repoRoot is the module root.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildGateway builds cmd/gateway into a temporary directory: the binary operators run.
func buildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gateway")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gateway: %v\n%s", err, out)
	}
	return bin
}

// cluster is pasim (in-process), the shared Redis, and the configuration every replica shares.
type cluster struct {
	dir    string
	bin    string
	sim    *sim.Running
	config string // the YAML, with INSTANCE where each replica puts its name
	apiKey string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{dir: t.TempDir(), bin: buildGateway(t)}
	secrets, err := democonfig.NewSecrets(filepath.Join(c.dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	c.sim = pasimtest.Start(t, sim.Options{RunDir: filepath.Join(c.dir, "pasim"), BackendAPIKey: secrets.BackendAPIKey,
		Hosts: map[string]string{"welfaregov": publicBase}})
	url, prefix := redistest.Shared(t, redisDB)
	write := func(name, content string) string {
		p := filepath.Join(c.dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cacheKey := write("cache-key", strings.Repeat("c", 48))
	jobKey := write("job-key", strings.Repeat("j", 48))
	demo, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The demo's configuration as `make run` composes it (pasim's ports and keys, credentials
	// generated into the test's directory), then what makes it a cluster: a shared Redis, one run
	// directory and audit chain per replica, every listener on a free port.
	composed, err := democonfig.Compose(demo, c.sim, secrets, democonfig.Options{RunDir: filepath.Join(c.dir, "run-INSTANCE"), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	text, err := democonfig.Override(composed, []byte(fmt.Sprintf(`
log: {level: warn}
listeners:
  eservices: {address: "127.0.0.1:0", tls: {mode: "off"}}
  internal: {address: "127.0.0.1:0"}
  admin: {address: "127.0.0.1:0"}
store: {backend: redis, redis: {url: %q, key_prefix: %q}}
cache: {key: {file: %q}}
audit: {dir: %q, instance_id: INSTANCE}
eservices:
  prestazioni:
    rate_limit: {requests: 100000, period: 1m}   # the load must not meet it: the replica is killed while it accepts
  estrazione:
    encryption_key: {file: %q}
    rate_limit: {requests: 5, period: 1h}         # small enough to exceed across both replicas
`, url, prefix, cacheKey, filepath.Join(c.dir, "audit-INSTANCE"), jobKey)))
	if err != nil {
		t.Fatal(err)
	}
	c.apiKey = secrets.InternalAPIKey
	c.config = string(text)
	return c
}

// replica is one gateway process.
type replica struct {
	name                     string
	cmd                      *exec.Cmd
	eservices, internal, adm string
	auditDir                 string
	log                      string
}

// start runs a replica of the cluster's configuration as a process of the gateway binary.
func (c *cluster) start(t *testing.T, name string) *replica {
	t.Helper()
	path := filepath.Join(c.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(c.config, "INSTANCE", name)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, auditDir: filepath.Join(c.dir, "audit-"+name), log: filepath.Join(c.dir, name+".log")}
	if out, err := exec.Command(c.bin, "check-config", "--config", path).CombinedOutput(); err != nil {
		t.Fatalf("gateway check-config: %v\n%s", err, out)
	}
	r.cmd = exec.Command(c.bin, "serve", "--config", path)
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = logFile
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		_ = logFile.Close()
	})
	urls := make(chan map[string]string, 1)
	go func() {
		found := map[string]string{}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && (f[0] == "eservices" || f[0] == "internal" || f[0] == "admin") {
				found[f[0]] = f[1]
				if len(found) == 3 {
					urls <- found
				}
			}
		}
	}()
	select {
	case u := <-urls:
		r.eservices, r.internal, r.adm = u["eservices"], u["internal"], u["admin"]
	case <-time.After(60 * time.Second):
		b, _ := os.ReadFile(r.log)
		t.Fatalf("replica %s did not start serving:\n%s", name, b)
	}
	return r
}

// kill ends the replica with SIGKILL: no shutdown, nothing flushed.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = r.cmd.Process.Wait()
}

// consumer is the Comune di Trento calling WelfareGOV's e-services through pasim's PDND, as the
// modi CLI does: vouchers, Agid-JWT-Signature, tracking evidence bound to the voucher.
type consumer struct {
	out      *modi.Outbound
	purpose  string
	audience string
	mount    string
	client   *http.Client
}

func (c *cluster) consumer(t *testing.T, purposeName, mount string) *consumer {
	t.Helper()
	trento, ok := c.sim.PDND.Credential("comune-trento")
	if !ok {
		t.Fatal("pasim has no comune-trento client")
	}
	purpose, ok := c.sim.PDND.Purpose(purposeName)
	if !ok {
		t.Fatalf("pasim has no purpose %s", purposeName)
	}
	key, err := (&jose.KeyConfig{PrivateKey: config.Secret{File: trento.KeyFile}}).Load()
	if err != nil {
		t.Fatal(err)
	}
	env := pdnd.Environment{TokenURL: c.sim.URLs["pdnd"] + "/token.oauth2", AssertionAudience: strings.TrimPrefix(c.sim.URLs["pdnd"], "http://") + "/client-assertion"}
	client := &pdnd.Client{ClientID: trento.ClientID, TokenURL: env.TokenURL, AssertionAudience: env.AssertionAudience, Signer: key}
	return &consumer{out: modi.NewOutbound(client), purpose: purpose.ID, audience: purpose.Audience[0], mount: mount,
		client: &http.Client{Timeout: 30 * time.Second}}
}

// prepare signs a call to path below the consumer's mount path, to be sent to base.
func (c *consumer) prepare(t testing.TB, base, path string, body []byte) *http.Request {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	call := &modi.Call{Method: "POST", URL: publicBase + c.mount + path, Header: h, Body: body, PurposeID: c.purpose,
		Audience: c.audience, Integrity: true,
		Audit: &pdnd.AuditRequest{Claims: map[string]any{"userID": "operatore-17", "userLocation": "postazione-3", "LoA": "SPID_L2"}, Bind: true}}
	if _, err := c.out.Prepare(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", base+c.mount+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	return req
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (c *consumer) send(req *http.Request) (*answer, error) {
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &answer{resp.StatusCode, resp.Header, b}, nil
}

func code(a *answer) string {
	var p struct{ Code string }
	_ = json.Unmarshal(a.body, &p)
	return p.Code
}

// TestTwoReplicaProcesses starts two processes of the gateway binary on one real Redis, with
// pasim's PDND, INPS, ANPR and backend in-process, and shows that they act as one service: a
// signed request accepted by one is a replay on the other, the rate limit holds across both, a
// lookup through one is a cache hit on the other; then it kills one with SIGKILL under load and
// finds the audit record of every call the load generator saw answered 2xx, the chain verified by
// `gateway audit verify` up to the torn tail.
func TestTwoReplicaProcesses(t *testing.T) {
	c := newCluster(t)
	a, b := c.start(t, "gw-a"), c.start(t, "gw-b")
	on := population.ReferenceDate
	var cf string
	for _, p := range c.sim.Population.Prestazioni {
		cf = p.Beneficiario.CodiceFiscale
		break
	}
	if cf == "" {
		t.Fatal("pasim's population has no prestazione")
	}
	ricerca, _ := json.Marshal(map[string]string{"codiceFiscale": cf, "dataRiferimento": on.String()})
	prest := c.consumer(t, "comune-trento-prestazioni", mountPrest)

	t.Run("replay refused by the other replica", func(t *testing.T) {
		req := prest.prepare(t, a.eservices, "/ricerca", ricerca)
		header := req.Header.Clone()
		got, err := prest.send(req)
		if err != nil || got.status != 200 {
			t.Fatalf("replica A: %v %+v", err, got)
		}
		again, _ := http.NewRequest("POST", b.eservices+mountPrest+"/ricerca", bytes.NewReader(ricerca))
		again.Header = header
		got, err = prest.send(again)
		if err != nil || got.status != 400 || code(got) != "integrity.replay" {
			t.Fatalf("the same signed request on replica B: %v %d %s", err, got.status, got.body)
		}
	})

	t.Run("rate limit across replicas", func(t *testing.T) {
		estr := c.consumer(t, "comune-trento-estrazione", mountEstr)
		body, _ := json.Marshal(map[string]any{"codiciFiscali": []string{cf}, "dataRiferimento": on.String()})
		accepted, limited := 0, map[string]int{}
		for i := range 12 {
			r := []*replica{a, b}[i%2]
			got, err := estr.send(estr.prepare(t, r.eservices, "/estrazioni", body))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case got.status/100 == 2:
				accepted++
			case got.status == 429 && code(got) == "rate-limited" && got.header.Get("Retry-After") != "":
				limited[r.name]++
			default:
				t.Fatalf("call %d on %s: %d %s", i, r.name, got.status, got.body)
			}
		}
		if accepted != 5 || limited["gw-a"] == 0 || limited["gw-b"] == 0 {
			t.Fatalf("limit 5 per hour for the consumer and purpose: %d accepted, refused %v", accepted, limited)
		}
	})

	t.Run("cache shared", func(t *testing.T) {
		get := func(r *replica) string {
			req, _ := http.NewRequest("GET", r.internal+"/api/v1/soggetti/"+cf+"?dataRiferimento="+on.String(), nil)
			for k, v := range map[string]string{"Api-Key": c.apiKey, "Operatore-Id": "mario.rossi", "Operatore-Postazione": "TN-04",
				"Operatore-LoA": "SPID_L2", "Riferimento-Pratica": "PRAT-2025-000123"} {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("lookup on %s: %d %s", r.name, resp.StatusCode, body)
			}
			return string(body)
		}
		if first := get(a); !strings.Contains(first, `"cache":"MISS"`) {
			t.Fatalf("first lookup (replica A) is not a MISS: %s", first)
		}
		if second := get(b); !strings.Contains(second, `"cache":"HIT"`) || strings.Contains(second, `"cache":"MISS"`) {
			t.Fatalf("the same lookup on replica B is not a HIT: %s", second)
		}
		// A's metrics: the vouchers it requested for ANPR, each purpose named by its upstream
		// operation (never its id), and B's shared-tier hit.
		fa, fb := opstest.Scrape(t, a.adm+"/metrics"), opstest.Scrape(t, b.adm+"/metrics")
		named := 0
		for _, m := range fa["wgw_pdnd_voucher_requests_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "purpose" {
					if !regexp.MustCompile(`^(anpr\.C0[0-9]{2}|inps|icef|pdnd-api)$`).MatchString(l.GetValue()) {
						t.Errorf("voucher purpose label %q", l.GetValue())
					}
					named++
				}
			}
		}
		if named == 0 {
			t.Error("replica A counted no voucher request for its ANPR calls")
		}
		if v, ok := opstest.Value(fb, "wgw_cache_requests_total", map[string]string{"result": "hit_shared", "kind": "anpr_generalita"}); !ok || v < 1 {
			t.Errorf("replica B's shared-tier hits: %v %v", v, ok)
		}
	})

	t.Run("SIGKILL under load loses no acknowledged record", func(t *testing.T) {
		var (
			mu      sync.Mutex
			ok2xx   []string // request ids of the calls answered 2xx
			stop    atomic.Bool
			wg      sync.WaitGroup
			started = make(chan struct{})
			once    sync.Once
		)
		for w := range 4 {
			wg.Go(func() {
				for n := 0; !stop.Load(); n++ {
					req := prest.prepare(t, b.eservices, "/ricerca", ricerca)
					id := fmt.Sprintf("load-%d-%d", w, n)
					req.Header.Set("X-Correlation-ID", id)
					got, err := prest.send(req)
					if err != nil {
						return // the replica is gone
					}
					if got.status/100 == 2 {
						mu.Lock()
						ok2xx = append(ok2xx, id)
						if len(ok2xx) >= 100 {
							once.Do(func() { close(started) })
						}
						mu.Unlock()
					}
				}
			})
		}
		select {
		case <-started:
		case <-time.After(60 * time.Second):
			t.Fatal("the load generator got no 2xx answers")
		}
		time.Sleep(200 * time.Millisecond) // keep calls in flight while the replica dies
		b.kill(t)
		stop.Store(true)
		wg.Wait()

		entries := map[string]audit.Entry{}
		files, _ := filepath.Glob(filepath.Join(b.auditDir, "audit-gw-b-*.jsonl"))
		if len(files) == 0 {
			t.Fatalf("no audit file in %s", b.auditDir)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range bytes.Split(data, []byte("\n")) {
				if e, err := audit.ParseLine(line); err == nil && e.Kind == audit.KindCall {
					entries[e.RequestID] = *e
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ok2xx {
			e, found := entries[id]
			if !found || e.Status/100 != 2 || e.Outcome != audit.OutcomeOK {
				t.Errorf("the call %s was answered 2xx but its record is %+v (found %v)", id, e, found)
			}
		}
		t.Logf("%d calls answered 2xx before the SIGKILL, each with its record", len(ok2xx))
		if len(ok2xx) <= 100 {
			t.Errorf("only %d calls were answered 2xx: the replica was not killed while accepting load", len(ok2xx))
		}

		out, err := exec.Command(c.bin, "audit", "verify", "-json", b.auditDir).Output()
		var rep audit.Report
		if jerr := json.Unmarshal(out, &rep); jerr != nil {
			t.Fatalf("gateway audit verify: %v %v\n%s", err, jerr, out)
		}
		for _, p := range rep.Problems {
			if p.Kind != audit.FindingTornTail {
				t.Errorf("gateway audit verify after the SIGKILL: %s", p)
			}
		}
		if len(rep.Chains) != 1 || rep.Chains[0].Instance != "gw-b" {
			t.Errorf("chains: %+v", rep.Chains)
		}
		if out, err := exec.Command(c.bin, "audit", "verify", a.auditDir).CombinedOutput(); err != nil {
			t.Errorf("replica A's trail: %v\n%s", err, out)
		}
	})
}
