// Command demo is `make run`: the pasim simulators (PDND, INPS, ANPR, ICEF, the WelfareGOV
// backend) and the gateway in one process, on this machine, with nothing to install or generate
// by hand. pasim makes the PDND keys at start; the gateway is configured from
// deploy/config/demo.yaml plus what pasim generated (the pdnd section with its key files, the
// upstreams section with its ports and purposes) and a fresh internal API key. The composed
// configuration is written to .run/demo/gateway.yaml (so `gateway check-config` can read it), and
// the demo prints the URLs and working curl commands for the internal API.
//
// The production binary (cmd/gateway) imports no simulator: this command is the only place the
// two meet.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // PDND days are Europe/Rome days

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/app"
)

func main() {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	config := fs.String("config", "deploy/config/demo.yaml", "base configuration `FILE` of the gateway (pdnd, upstreams and internal_api are added)")
	runDir := fs.String("run-dir", ".run", "run-time `DIR`: pasim's keys in DIR/pasim, the composed configuration and the API key in DIR/demo")
	traffic := fs.Duration("traffic", 2*time.Second, "send one example call to the internal API every `INTERVAL`, so the dashboard's charts move (0: no traffic)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o := Options{Config: *config, RunDir: *runDir, Stdout: os.Stdout, Logs: os.Stderr, Env: os.Environ(), Traffic: *traffic}
	if err := Run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// Options configure Run.
type Options struct {
	// Config is the gateway's base configuration (without pdnd, upstreams or internal_api, which
	// the demo adds; a pdnd section already there is kept).
	Config string
	// RunDir receives pasim's files (RunDir/pasim) and the demo's (RunDir/demo).
	RunDir string
	// SimListen, when set, is the address of every simulator ("127.0.0.1:0" in tests); default
	// pasim's documented ports.
	SimListen string
	// Env are the WGW_ overrides of the gateway's configuration.
	Env []string
	// Stdout receives the banner with the URLs and curl commands; Logs the gateway's JSON log.
	Stdout, Logs io.Writer
	// Ready, when set, is called with the banner's facts once everything serves.
	Ready func(Banner)
	// Traffic, when positive, is the interval of the demo's background calls (trafficLoop).
	Traffic time.Duration
	// DashboardInterval is the dashboard's sampling period (default: the gateway's, 10s).
	DashboardInterval time.Duration
}

// Banner is what the demo prints: the URLs and the example calls.
type Banner struct {
	Internal, Admin, EServices, Simulators string
	// Dashboard is the operators' dashboard; AdminTokenFile holds the token its controls need.
	Dashboard, AdminTokenFile string
	// Calls are the example curl commands, as printed.
	Calls []Call
}

// Call is one example call of the internal API.
type Call struct {
	Title, Method, URL string
	Header             [][2]string
	Body               string
}

// Curl is the command line that makes the call.
func (c Call) Curl() string {
	var b strings.Builder
	b.WriteString("curl -s")
	if c.Method != "GET" {
		b.WriteString(" -X " + c.Method)
	}
	for _, h := range c.Header {
		fmt.Fprintf(&b, " \\\n    -H '%s: %s'", h[0], h[1])
	}
	if c.Body != "" {
		fmt.Fprintf(&b, " \\\n    -d '%s'", c.Body)
	}
	fmt.Fprintf(&b, " \\\n    '%s'", c.URL)
	return b.String()
}

// Run starts the simulators and the gateway, prints the banner, and serves until ctx ends.
func Run(ctx context.Context, o Options) error {
	simOpts := sim.Options{RunDir: filepath.Join(o.RunDir, "pasim"), Logger: slog.New(slog.DiscardHandler), Listen: map[string]string{}}
	for name, port := range sim.DefaultPorts {
		simOpts.Listen[name] = "127.0.0.1:" + strconv.Itoa(port)
		if o.SimListen != "" {
			simOpts.Listen[name] = o.SimListen
		}
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	defer stopSim()
	r, err := sim.Start(simCtx, simOpts)
	if err != nil {
		return fmt.Errorf("starting the simulators: %w (is another pasim or demo running?)", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Shutdown(sctx)
	}()
	path, key, tokenFile, err := compose(o, r)
	if err != nil {
		return err
	}
	env := o.Env
	if !slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, "WGW_RUN_DIR=") }) {
		env = append(slices.Clone(env), "WGW_RUN_DIR="+o.RunDir)
	}
	cfg, err := app.Load(path, env)
	if err != nil {
		return fmt.Errorf("the composed configuration %s: %w", path, err)
	}
	a, err := app.New(cfg, app.Options{LogOutput: o.Logs, Version: "demo", DashboardInterval: o.DashboardInterval})
	if err != nil {
		return fmt.Errorf("cannot start the gateway: %w", err)
	}
	b := banner(a, r, key)
	b.AdminTokenFile = tokenFile
	printBanner(o.Stdout, b, path, o.Traffic)
	if o.Ready != nil {
		o.Ready(b)
	}
	if o.Traffic > 0 {
		tctx, stopTraffic := context.WithCancel(ctx)
		defer stopTraffic()
		go trafficLoop(tctx, b, o.Traffic)
	}
	return a.Run(ctx)
}

// compose writes RunDir/demo/gateway.yaml: the base configuration, pasim's pdnd section (unless
// the base has one), pasim's upstreams section, an internal_api section with a new random API
// key in RunDir/demo/internal-api.key (mode 0600), and, unless the base has an admin section, a new
// admin token in RunDir/demo/admin-token (the dashboard's controls). It returns the file, the key
// and the token's file ("" when the base configures its own).
func compose(o Options, r *sim.Running) (path, key, tokenFile string, err error) {
	base, err := os.ReadFile(o.Config)
	if err != nil {
		return "", "", "", fmt.Errorf("reading the base configuration: %w", err)
	}
	var top map[string]any
	if err := yaml.Unmarshal(base, &top); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", o.Config, err)
	}
	for _, k := range []string{"upstreams", "internal_api"} {
		if _, ok := top[k]; ok {
			return "", "", "", fmt.Errorf("%s has a %s section: the demo writes its own from pasim's ports and keys", o.Config, k)
		}
	}
	dir := filepath.Join(o.RunDir, "demo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", "", err
	}
	key = hex.EncodeToString(raw)
	keyFile, err := filepath.Abs(filepath.Join(dir, "internal-api.key"))
	if err != nil {
		return "", "", "", err
	}
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		return "", "", "", err
	}
	pdnd, err := os.ReadFile(r.GatewayPDNDFile())
	if err != nil {
		return "", "", "", err
	}
	if _, ok := top["pdnd"]; ok {
		// The base names pasim's PDND already (the e-services demo): it gets pasim's e-service
		// client, which the calls to INPS, ANPR and ICEF need, unless it has one.
		if base, err = withClient(base, pdnd); err != nil {
			return "", "", "", fmt.Errorf("%s: %w", o.Config, err)
		}
	}
	var b strings.Builder
	b.Write(base)
	fmt.Fprintf(&b, "\n# ---- added by cmd/demo at start (pasim's generated credentials and ports; a new API key)\n")
	if _, ok := top["pdnd"]; !ok {
		b.Write(pdnd)
	}
	upstreams, err := r.GatewayUpstreams()
	if err != nil {
		return "", "", "", err
	}
	b.WriteString(upstreams)
	fmt.Fprintf(&b, "internal_api:\n  api_keys: [{name: demo, key: {file: %q}}]\n  inps: {user_id: \"80012345678\", codice_ufficio: \"001\"}\n", keyFile)
	if _, ok := top["admin"]; !ok {
		if _, err := rand.Read(raw); err != nil {
			return "", "", "", err
		}
		if tokenFile, err = filepath.Abs(filepath.Join(dir, "admin-token")); err != nil {
			return "", "", "", err
		}
		if err := os.WriteFile(tokenFile, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
			return "", "", "", err
		}
		fmt.Fprintf(&b, "admin:\n  token: {file: %q}\n", tokenFile)
	}
	path = filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", "", "", err
	}
	return path, key, tokenFile, nil
}

// withClient returns the configuration base with pdnd.client taken from generated (pasim's
// gateway-pdnd.yaml) when base's pdnd section has none; base unchanged otherwise.
func withClient(base, generated []byte) ([]byte, error) {
	var doc, gen yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(generated, &gen); err != nil {
		return nil, err
	}
	section := func(n *yaml.Node, key string) *yaml.Node {
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	pdnd, genPDND := section(&doc, "pdnd"), section(&gen, "pdnd")
	if pdnd == nil || genPDND == nil || section(pdnd, "client") != nil {
		return base, nil
	}
	client := section(genPDND, "client")
	if client == nil {
		return nil, errors.New("pasim's gateway-pdnd.yaml has no pdnd.client")
	}
	pdnd.Content = append(pdnd.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "client"}, client)
	return yaml.Marshal(&doc)
}

// demoOperator is who the example calls say they are.
var demoOperator = [][2]string{
	{"Operatore-Id", "mario.rossi"}, {"Operatore-Postazione", "TN-SERVIZI-SOCIALI-04"},
	{"Operatore-LoA", "SPID_L2"}, {"Riferimento-Pratica", "PRAT-2025-000123"},
}

// banner picks example subjects from pasim's population: a family with an ISEE and a minor, and
// a declaration with one of the population's deliberate discrepancies.
func banner(a *app.App, r *sim.Running, key string) Banner {
	b := Banner{Simulators: r.URLs["admin"]}
	for _, e := range a.Endpoints() {
		switch e.Name {
		case "internal":
			b.Internal = e.URL
		case "admin":
			b.Admin = e.URL
			b.Dashboard = e.URL + "/dashboard"
		case "eservices":
			b.EServices = e.URL
		}
	}
	p := r.Population
	rif := population.ReferenceDate.String()
	header := append([][2]string{{"Api-Key", key}}, demoOperator...)
	isee := subjectWithISEE(p)
	b.Calls = append(b.Calls,
		Call{Title: "The ISEE of a family (" + isee.Cognome + " " + isee.Nome + "), valid on the population's reference date", Method: "GET",
			URL: b.Internal + "/api/v1/soggetti/" + isee.CodiceFiscale + "/isee?dataValidita=" + rif, Header: header},
		Call{Title: "The same person's registry data (ANPR)", Method: "GET",
			URL: b.Internal + "/api/v1/soggetti/" + isee.CodiceFiscale + "?dataRiferimento=" + rif, Header: header})
	d := p.Household(p.Discrepancies()[0].HouseholdID).DSU
	decl := map[string]any{"codiceFiscaleDichiarante": d.Dichiarante.CodiceFiscale, "dataRiferimento": rif,
		"isee": map[string]string{"valore": contracts.NewDecimal(d.Ordinario.Calcolo.ISEE).String(), "protocolloDSU": d.Protocollo}}
	var members []map[string]string
	for _, c := range d.Nucleo {
		members = append(members, map[string]string{"codiceFiscale": c.Persona.CodiceFiscale, "rapportoConDichiarante": c.Rapporto})
	}
	decl["componenti"] = members
	body, _ := json.Marshal(decl)
	b.Calls = append(b.Calls, Call{Title: "Check a self-declaration against ANPR and INPS (this household declares someone ANPR does not register with it)",
		Method: "POST", URL: b.Internal + "/api/v1/verifiche", Header: append(header, [2]string{"Content-Type", "application/json"}), Body: string(body)})
	return b
}

// subjectWithISEE is the declarant of the first living household with a DSU and a minor.
func subjectWithISEE(p *population.Population) *population.Person {
	for _, h := range p.Households {
		if h.DSU == nil || h.DSU.Dichiarante.Deceduto() {
			continue
		}
		for _, m := range h.Members {
			if m.Minorenne() {
				return h.DSU.Dichiarante
			}
		}
	}
	return p.DSUs[0].Dichiarante
}

func printBanner(w io.Writer, b Banner, config string, traffic time.Duration) {
	var s strings.Builder
	s.WriteString("WelfareGOV gateway demo is serving, with the pasim simulators:\n")
	fmt.Fprintf(&s, "  internal API  %-28s WelfareGOV (contract: %s/api/v1/openapi.yaml)\n", b.Internal, b.Internal)
	fmt.Fprintf(&s, "  admin         %-28s operators\n", b.Admin)
	fmt.Fprintf(&s, "  eservices     %-28s other administrations, through PDND\n", b.EServices)
	fmt.Fprintf(&s, "  pasim         %-28s simulators' faults and status (GET /faults, GET /simulators)\n", b.Simulators)
	fmt.Fprintf(&s, "  dashboard     %-28s integrations at a glance (no token needed to look)\n", b.Dashboard)
	if b.AdminTokenFile != "" {
		fmt.Fprintf(&s, "Dashboard controls (force a breaker, purge a subject, drain ...): paste the token in %s\n", b.AdminTokenFile)
	}
	if traffic > 0 {
		fmt.Fprintf(&s, "Background traffic: one example call every %s, so the charts move (--traffic 0 turns it off)\n", traffic)
	}
	fmt.Fprintf(&s, "Configuration (pasim's keys and ports, a new API key): %s\n", config)
	for i, c := range b.Calls {
		fmt.Fprintf(&s, "\n%d. %s:\n%s\n", i+1, c.Title, c.Curl())
	}
	s.WriteString("\nMake INPS fail: cached answers still come (HIT), new questions get 503 upstream-unavailable,\n")
	s.WriteString("and after 5 failures in a row 503 upstream-circuit-open without calling INPS; DELETE heals it:\n")
	fmt.Fprintf(&s, "  curl -s -X PUT %s/faults/inps.consultazioneAttestazione -H 'Content-Type: application/json' -d '{\"errorRate\":1,\"errorStatus\":503}'\n", b.Simulators)
	fmt.Fprintf(&s, "  curl -s -X DELETE %s/faults/inps.consultazioneAttestazione\n", b.Simulators)
	s.WriteString("Or from the dashboard: force the breaker open, watch the stale answers and the refusals, reset it.\n")
	s.WriteString("Stop with Ctrl-C.\n")
	fmt.Fprint(w, s.String())
}

// trafficLoop sends the banner's internal API calls in turn, one every interval, and every fifth
// round a call with a malformed codice fiscale (a 400 the dashboard shows), until ctx ends. It is
// the demo's stand-in for WelfareGOV: answers are read and dropped.
func trafficLoop(ctx context.Context, b Banner, interval time.Duration) {
	var calls []Call
	for _, c := range b.Calls {
		if strings.HasPrefix(c.URL, b.Internal) {
			calls = append(calls, c)
		}
	}
	if len(calls) == 0 {
		return
	}
	bad := calls[0]
	if i := strings.Index(bad.URL, "/soggetti/"); i >= 0 {
		bad.URL = bad.URL[:i] + "/soggetti/NONVALIDO0000000/isee"
	}
	client := &http.Client{Timeout: 30 * time.Second}
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c := calls[n%len(calls)]
		if n%5 == 4 {
			c = bad
		}
		req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, strings.NewReader(c.Body))
		if err != nil {
			continue
		}
		for _, h := range c.Header {
			req.Header.Set(h[0], h[1])
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}
