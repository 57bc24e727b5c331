package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/welfaregov/gateway/gateway/logging/logtest"
)

// The real binary, built once on first use (so `go test -list` and benchmarks do not build it)
// into a directory TestMain removes.
var (
	buildOnce  sync.Once
	binDir     string
	gatewayBin string
	buildErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "gateway-bin-")
		if buildErr != nil {
			return
		}
		gatewayBin = filepath.Join(binDir, "gateway")
		out, err := exec.Command("go", "build", "-o", gatewayBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building the gateway: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return gatewayBin
}

// cleanEnv is the test process's environment without WGW_ variables, so a developer's own
// overrides cannot change what the binary under test sees.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WGW_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runGateway runs the binary to completion.
func runGateway(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsage(t *testing.T) {
	cases := map[string]struct {
		args   []string
		code   int
		output string
	}{
		"fail/no-command":         {nil, 2, "Usage: gateway COMMAND"},
		"fail/unknown-command":    {[]string{"start"}, 2, `unknown command "start"`},
		"fail/unknown-flag":       {[]string{"serve", "--port", "1"}, 2, "flag provided but not defined: -port"},
		"fail/missing-config":     {[]string{"check-config"}, 2, "--config FILE is required"},
		"fail/extra-argument":     {[]string{"check-config", "--config", "x.yaml", "y.yaml"}, 2, `unexpected argument "y.yaml"`},
		"ok/help":                 {[]string{"--help"}, 0, "check-config"},
		"ok/serve-help":           {[]string{"serve", "--help"}, 0, "Usage: gateway serve --config FILE"},
		"ok/check-config-help":    {[]string{"check-config", "-h"}, 0, "every\nproblem, one per line"},
		"ok/version-help":         {[]string{"version", "--help"}, 0, "Usage: gateway version"},
		"fail/missing-file":       {[]string{"check-config", "--config", "/nonexistent/gw.yaml"}, 1, "/nonexistent/gw.yaml: configuration file not found"},
		"fail/serve-missing-file": {[]string{"serve", "--config", "/nonexistent/gw.yaml"}, 1, "configuration file not found"},
		"fail/audit-no-command":   {[]string{"audit"}, 2, "Usage: gateway audit verify"},
		"fail/audit-verify-none":  {[]string{"audit", "verify", "/nonexistent/audit"}, 2, "/nonexistent/audit"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := runGateway(t, cleanEnv(), tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.output) {
				t.Fatalf("exit %d (want %d), output:\n%s%s\nwant %q", code, tc.code, out, errOut, tc.output)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runGateway(t, cleanEnv(), "version")
	if code != 0 || !regexp.MustCompile(`(?m)^gateway \S+\nmodule    github.com/welfaregov/gateway\n(?s).*^go        go1\.`).MatchString(out) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckConfigUnknownKeyAndEveryProblem(t *testing.T) {
	path := writeFile(t, "gw.yaml", `
listeners:
  admin:
    adress: 127.0.0.1:9191
  internal:
    request_timeout: soon
log:
  level: chatty
`)
	out, errOut, code := runGateway(t, cleanEnv("WGW_LISTENERS__EXTRA__ADDRESS=x"), "check-config", "--config", path)
	if code != 1 || out != "" {
		t.Fatalf("exit %d stdout %q", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	want := []string{
		"invalid configuration " + path + ": 4 problems",
		`listeners.admin.adress: unknown key (did you mean "address"?) at ` + path + ":4",
		`listeners.internal.request_timeout: "soon" is not a duration`,
		`WGW_LISTENERS__EXTRA__ADDRESS: no configuration key listeners.extra`,
		`log.level: "chatty" is not one of debug, info, warn, error`,
	}
	if len(lines) != len(want) {
		t.Fatalf("stderr:\n%s", errOut)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

// The committed configurations fail only for what exists at run time: demo.yaml for what cmd/demo
// adds at start (pasim's addresses and PDND clients, the generated credentials; the composed file
// is checked by cmd/demo's tests), the production template for its placeholder files and variables.
func TestCheckConfigCommittedConfigs(t *testing.T) {
	_, errOut, code := runGateway(t, cleanEnv(), "check-config", "--config", "../../deploy/config/demo.yaml")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")[1:]
	if code != 1 || len(lines) == 0 {
		t.Fatalf("demo.yaml alone: exit %d\n%s", code, errOut)
	}
	addedByTheDemo := regexp.MustCompile(`^(pdnd|pdnd\.client|backend|tracing\.base_url|tracing\.tenants\[\d+\]\.api_client|internal_api\.api_keys|upstreams\.[a-z]+\.(base_url|pdnd\.purpose_id)): `)
	for _, l := range lines {
		if !addedByTheDemo.MatchString(l) {
			t.Errorf("demo.yaml problem not about what cmd/demo adds at start: %s", l)
		}
	}
	// The production template fails only because its placeholder files and variables do not
	// exist here; every problem must say so.
	_, errOut, code = runGateway(t, cleanEnv(), "check-config", "--config", "../../deploy/config/production.yaml")
	if code != 1 {
		t.Fatalf("production.yaml passed without its files:\n%s", errOut)
	}
	lines = strings.Split(strings.TrimSpace(errOut), "\n")[1:]
	if len(lines) == 0 {
		t.Fatalf("no problems listed:\n%s", errOut)
	}
	placeholder := regexp.MustCompile(`(/etc/welfaregov-gateway/\S+: no such file or directory|environment variable WGW_[A-Z_]+ is not set)`)
	for _, l := range lines {
		if !placeholder.MatchString(l) {
			t.Errorf("production.yaml problem not caused by a missing placeholder: %s", l)
		}
	}
}

// gatewayProcess is a running `gateway serve`.
type gatewayProcess struct {
	cmd    *exec.Cmd
	urls   map[string]string
	root   string
	stderr *logtest.Buffer
	done   chan error
}

var bannerURL = regexp.MustCompile(`^  (eservices|internal|admin)\s+(https?://\S+)`)

const loopbackConfig = `
listeners:
  eservices: {address: "127.0.0.1:0"}
  internal: {address: "127.0.0.1:0"}
  admin: {address: "127.0.0.1:0"}
`

// startGateway runs `gateway serve` and waits for its banner.
func startGateway(t *testing.T, configText string) *gatewayProcess {
	t.Helper()
	path := writeFile(t, "gw.yaml", configText+"run_dir: "+t.TempDir()+"\n")
	cmd := exec.Command(binary(t), "serve", "--config", path)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	g := &gatewayProcess{cmd: cmd, urls: map[string]string{}, stderr: &logtest.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = g.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-g.done
	})
	banner := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := bannerURL.FindStringSubmatch(line); m != nil {
				g.urls[m[1]] = m[2]
			}
			if root, ok := strings.CutPrefix(line, "Development root certificate (new at every start): "); ok {
				g.root = root
			}
			if line == "Stop with Ctrl-C." {
				close(banner)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		g.done <- cmd.Wait()
	}()
	select {
	case <-banner:
	case err := <-g.done:
		g.done <- err
		t.Fatalf("gateway exited before serving: %v\n%s", err, g.stderr)
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		t.Fatalf("no banner; stderr:\n%s", g.stderr)
	}
	return g
}

// stop sends sig and returns the exit code.
func (g *gatewayProcess) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := g.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return g.wait(t)
}

// wait returns the exit code once the process has exited.
func (g *gatewayProcess) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-g.done:
		g.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatalf("gateway did not stop; stderr:\n%s", g.stderr)
	}
	return -1
}

func TestServeStatusOnEveryListener(t *testing.T) {
	g := startGateway(t, loopbackConfig)
	if len(g.urls) != 3 || !strings.HasPrefix(g.urls["eservices"], "https://127.0.0.1:") || g.root == "" {
		t.Fatalf("banner urls %v root %q", g.urls, g.root)
	}
	// Trust exactly the root the banner names, as a user following it with curl --cacert would.
	pemBytes, err := os.ReadFile(g.root)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("root file holds no certificate")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	for name, url := range g.urls {
		resp, err := client.Get(url + "/status")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var body struct {
			Status int    `json:"status"`
			Title  string `json:"title"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || body.Status != 200 || body.Title == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s /status: %d %q %+v %v", name, resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
		}
	}
	if code := g.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, g.stderr)
	}
	// Logs are JSON lines, one access line per request above.
	access := 0
	for _, l := range strings.Split(strings.TrimSpace(g.stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %q", l)
		}
		if m["msg"] == "request" && m["route"] == "/status" {
			access++
		}
	}
	if access != 3 {
		t.Fatalf("%d access lines for /status, want 3:\n%s", access, g.stderr)
	}
}

func TestServePortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	path := writeFile(t, "gw.yaml", strings.Replace(loopbackConfig, `internal: {address: "127.0.0.1:0"}`, `internal: {address: "`+addr+`"}`, 1)+
		"run_dir: "+t.TempDir()+"\n")
	out, errOut, code := runGateway(t, cleanEnv(), "serve", "--config", path)
	want := "gateway: cannot start: server: listeners.internal cannot listen on " + addr + ": address already in use"
	if code != 1 || out != "" || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d stdout %q stderr:\n%s\nwant %q", code, out, errOut, want)
	}
}

// TestServeSIGTERMDrains sends SIGTERM while a request is in flight: the gateway stops accepting
// connections but finishes that request, answers it in full, and exits 0. "In flight" is made
// certain with Expect: 100-continue: the gateway sends 100 Continue only once it has read the
// request head, and the body is sent only after SIGTERM.
func TestServeSIGTERMDrains(t *testing.T) {
	g := startGateway(t, loopbackConfig)
	host := strings.TrimPrefix(g.urls["admin"], "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"slow":"upload"}`
	head := fmt.Sprintf("POST /status HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", host, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q %v", blank, err)
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait until the gateway refuses new connections: shutdown has begun.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("in-flight connection closed during drain: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to the in-flight request: %v\n%s", err, g.stderr)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	// POST on /status is answered in full: 405 with Allow, as a problem.
	if err != nil || resp.StatusCode != 405 || resp.Header.Get("Allow") == "" || !strings.Contains(string(b), `"status":405`) {
		t.Fatalf("in-flight response %d %v %s", resp.StatusCode, err, b)
	}
	conn.Close()
	if code := g.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, g.stderr)
	}
	if !strings.Contains(g.stderr.String(), `"msg":"all requests drained"`) {
		t.Fatalf("stderr:\n%s", g.stderr)
	}
}
