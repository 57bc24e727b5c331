// Command demo is `make run`: the pasim simulators (PDND, its Tracing API, INPS, ANPR, ICEF, the
// WelfareGOV backend) and the gateway in one process, on this machine, with nothing to install or
// generate by hand. Everything the product does is on: the internal API against INPS, ANPR and ICEF;
// WelfareGOV's three e-services (prestazioni, estrazione, the Comune's SIUSS feed with its publisher);
// PDND Tracing; daily quotas; the audit trail; the dashboard with its controls.
//
// The gateway is configured from deploy/config/demo.yaml completed at start (democonfig.Compose)
// with what exists only then: the ports pasim got, the PDND keys pasim generated, and the demo's own
// credentials (admin token, internal API key, backend API key), generated into RUN-DIR/demo (mode
// 0600) so that none is ever committed. The composed configuration is written to
// RUN-DIR/demo/gateway.yaml (`gateway check-config` reads it). The demo prints the URLs, working
// curl commands for the internal API and a `modi call` for an e-service, and sends background
// traffic on both sides (traffic.go).
//
// The production binary (cmd/gateway) imports no simulator: this command is the only place the
// two meet.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	_ "time/tzdata" // PDND days are Europe/Rome days

	"github.com/welfaregov/gateway/cmd/demo/democonfig"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/gateway/app"
)

func main() {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	config := fs.String("config", "deploy/config/demo.yaml", "the demo's configuration `FILE`, which the demo completes with pasim's ports and keys and its generated credentials")
	runDir := fs.String("run-dir", ".run", "run-time `DIR`: pasim's keys in DIR/pasim, the composed configuration and the generated credentials in DIR/demo, the audit trail in DIR/audit")
	traffic := fs.Duration("traffic", 2*time.Second, "background traffic every `INTERVAL` on both sides (WelfareGOV, the Comune, INPS), so the dashboard moves (0: none)")
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
	// Config is the demo's configuration (deploy/config/demo.yaml): everything but what
	// democonfig.Compose adds.
	Config string
	// RunDir receives pasim's files (RunDir/pasim), the demo's (RunDir/demo), the audit trail
	// (RunDir/audit) and the development certificate (RunDir/dev-pki).
	RunDir string
	// SimListen, when set, is the address of every simulator ("127.0.0.1:0" in tests); default
	// pasim's documented ports.
	SimListen string
	// Env are the WGW_ overrides of the gateway's configuration.
	Env []string
	// Stdout receives the banner; Logs the gateway's JSON log.
	Stdout, Logs io.Writer
	// Ready, when set, is called with the banner's facts once everything serves.
	Ready func(Banner)
	// Traffic, when positive, is the interval of the demo's background calls (traffic.go).
	Traffic time.Duration
	// DashboardInterval is the dashboard's sampling period (default: the gateway's, 10s).
	DashboardInterval time.Duration
}

// Run generates the demo's credentials, starts the simulators and the gateway, prints the banner,
// and serves until ctx ends.
func Run(ctx context.Context, o Options) error {
	demoDir := filepath.Join(o.RunDir, "demo")
	secrets, err := democonfig.NewSecrets(demoDir)
	if err != nil {
		return err
	}
	simOpts := sim.Options{RunDir: filepath.Join(o.RunDir, "pasim"), Logger: slog.New(slog.DiscardHandler),
		BackendAPIKey: secrets.BackendAPIKey, Listen: map[string]string{}}
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
	base, err := os.ReadFile(o.Config)
	if err != nil {
		return fmt.Errorf("reading the demo configuration: %w", err)
	}
	composed, err := democonfig.Compose(base, r, secrets, democonfig.Options{RunDir: o.RunDir, Now: time.Now()})
	if err != nil {
		return fmt.Errorf("%s: %w", o.Config, err)
	}
	path := filepath.Join(demoDir, "gateway.yaml")
	if err := os.WriteFile(path, composed, 0o600); err != nil {
		return err
	}
	cfg, err := app.Load(path, o.Env)
	if err != nil {
		return fmt.Errorf("the composed configuration %s: %w", path, err)
	}
	a, err := app.New(cfg, app.Options{LogOutput: o.Logs, Version: "demo", DashboardInterval: o.DashboardInterval})
	if err != nil {
		return fmt.Errorf("cannot start the gateway: %w", err)
	}
	b, err := newBanner(a, cfg, r, secrets, path)
	if err != nil {
		_ = a.Close()
		return err
	}
	printBanner(o.Stdout, b, o.Traffic)
	if o.Ready != nil {
		o.Ready(b)
	}
	if o.Traffic > 0 {
		t, err := newTraffic(a, r, b, secrets.BackendAPIKey)
		if err != nil {
			_ = a.Close()
			return err
		}
		tctx, stopTraffic := context.WithCancel(ctx)
		defer stopTraffic()
		go t.run(tctx, o.Traffic)
	}
	return a.Run(ctx)
}
