package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/contracts/openapi"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/logging/logtest"
)

// curlCommand is one printed curl command line, parsed back.
type curlCommand struct {
	method, url, body string
	header            http.Header
}

var (
	curlToken = regexp.MustCompile(`-X (\S+)|-H '([^']*)'|-d '([^']*)'|'(https?://[^']*)'|(https?://\S+)`)
)

// printedCurls reads every curl command of the banner (continuation lines joined).
func printedCurls(t *testing.T, banner string) []curlCommand {
	t.Helper()
	joined := strings.ReplaceAll(banner, "\\\n", " ")
	var out []curlCommand
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		c := curlCommand{method: "GET", header: http.Header{}}
		for _, m := range curlToken.FindAllStringSubmatch(line, -1) {
			switch {
			case m[1] != "":
				c.method = m[1]
			case m[2] != "":
				k, v, _ := strings.Cut(m[2], ": ")
				c.header.Add(k, v)
			case m[3] != "":
				c.body = m[3]
			case m[4] != "":
				c.url = m[4]
			case m[5] != "":
				c.url = m[5]
			}
		}
		out = append(out, c)
	}
	return out
}

// `make run` end to end: the demo starts pasim and the gateway with no key or certificate made by
// hand, prints working curl commands, each of which (run as the HTTP request it describes)
// answers 200 with a body the contract accepts; the composed configuration passes the gateway's
// own check; and the demo stops cleanly.
func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Banner, 1)
	done := make(chan error, 1)
	env := []string{"WGW_RUN_DIR=" + dir + "/gateway", "WGW_LISTENERS__INTERNAL__ADDRESS=127.0.0.1:0",
		"WGW_LISTENERS__ADMIN__ADDRESS=127.0.0.1:0", "WGW_LISTENERS__ESERVICES__ADDRESS=127.0.0.1:0"}
	go func() {
		done <- Run(ctx, Options{Config: "../../deploy/config/demo.yaml", RunDir: dir, SimListen: "127.0.0.1:0",
			Env: env, Stdout: out, Logs: io.Discard, Ready: func(b Banner) { ready <- b },
			Traffic: 50 * time.Millisecond, DashboardInterval: 100 * time.Millisecond})
	}()
	var b Banner
	select {
	case b = <-ready:
	case err := <-done:
		t.Fatalf("the demo stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the demo did not start")
	}
	time.Sleep(100 * time.Millisecond) // Run is serving: its listeners were bound before Ready
	banner := out.String()
	if _, err := app.Load(dir+"/demo/gateway.yaml", env); err != nil {
		t.Fatalf("the composed configuration does not pass the gateway's check: %v", err)
	}
	if fi, err := os.Stat(dir + "/demo/internal-api.key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("API key file: %v %v", fi, err)
	}
	contract, err := openapi.NewContract(openapi.InternalAPI())
	if err != nil {
		t.Fatal(err)
	}
	curls := printedCurls(t, banner)
	if len(curls) != 5 {
		t.Fatalf("%d curl commands printed, want 5 (ISEE, registry, verifica, fault on, fault off):\n%s", len(curls), banner)
	}
	for i, c := range curls {
		req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = c.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("curl %d: %v", i+1, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && !(i >= 3 && resp.StatusCode == 204) {
			t.Fatalf("curl %d (%s %s): %d %s", i+1, c.method, c.url, resp.StatusCode, body)
		}
		if strings.HasPrefix(c.url, b.Internal) {
			if err := contract.CheckResponse(c.method, req.URL.Path, resp.StatusCode, resp.Header, body); err != nil {
				t.Fatalf("curl %d: %v", i+1, err)
			}
		}
		if i == 2 && !strings.Contains(string(body), `"esito":"DIFFORME"`) {
			t.Fatalf("the example declaration should show its discrepancy: %s", body)
		}
	}
	for _, want := range []string{b.Internal, b.Admin, b.EServices, b.Simulators, "/api/v1/openapi.yaml", b.Admin + "/dashboard", b.AdminTokenFile} {
		if !strings.Contains(banner, want) {
			t.Fatalf("the banner does not print %s:\n%s", want, banner)
		}
	}
	checkLiveDashboard(t, b)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the demo stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop")
	}
}

// A base configuration that names pasim's PDND without the e-service client (the e-services demo)
// gets pasim's client, which the calls to INPS, ANPR and ICEF need; one with a client keeps it.
func TestWithClient(t *testing.T) {
	generated := []byte("pdnd:\n  issuer: pasim.interop.local\n  client:\n    client_id: f8518787-aa58-4f99-b5d9-ffb56256c2b7\n    key: {private_key: {file: /k.pem}}\n")
	base := []byte("log: {level: info}\npdnd:\n  issuer: pasim.interop.local\n  api_client:\n    client_id: 70cc9907-f21b-4701-acc0-955443fa5d55\n")
	out, err := withClient(base, generated)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PDND struct {
			Client struct {
				ClientID string `yaml:"client_id"`
			} `yaml:"client"`
			APIClient struct {
				ClientID string `yaml:"client_id"`
			} `yaml:"api_client"`
		} `yaml:"pdnd"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil || got.PDND.Client.ClientID != "f8518787-aa58-4f99-b5d9-ffb56256c2b7" ||
		got.PDND.APIClient.ClientID != "70cc9907-f21b-4701-acc0-955443fa5d55" {
		t.Fatalf("%v %+v\n%s", err, got, out)
	}
	own := append(base, []byte("  client: {client_id: 11111111-1111-4111-8111-111111111111}\n")...)
	if out, err := withClient(own, generated); err != nil || !bytes.Equal(out, own) {
		t.Fatalf("a base with its own client must be kept as it is: %v\n%s", err, out)
	}
}

// checkLiveDashboard reads the dashboard's state while the demo's traffic runs: calls to the
// upstreams, cache hits, and a page that renders them.
func checkLiveDashboard(t *testing.T, b Banner) {
	t.Helper()
	var state struct {
		Upstreams []struct {
			Name  string `json:"name"`
			Calls int    `json:"calls"`
		} `json:"upstreams"`
		Cache    struct{ Hits int } `json:"cache"`
		Controls bool               `json:"controls"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(b.Admin + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&state)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		calls := map[string]int{}
		for _, u := range state.Upstreams {
			calls[u.Name] = u.Calls
		}
		if calls["inps"] > 0 && calls["anpr"] > 0 && state.Cache.Hits > 0 && state.Controls {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard shows no live data from the demo's traffic: %+v", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get(b.Dashboard)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`data-name="inps"`, `data-name="anpr"`, "<polyline"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the dashboard page lacks %s", want)
		}
	}
}
