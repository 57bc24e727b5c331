// Command pasim runs the simulators of the national systems (PDND, INPS, ANPR, ICEF and the
// WelfareGOV backend) the gateway talks to, for the demo, the end-to-end tests and the benchmarks.
//
//	pasim [serve] [--seed N] [--listen-NAME host:port ...] [--fault endpoint=spec ...]
//	pasim population [--seed N] --list
//
// See README.md in this folder for the endpoints, the fault syntax and the population.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	pdndsim "github.com/welfaregov/gateway/cmd/pasim/sim/pdnd"
	"github.com/welfaregov/gateway/cmd/pasim/sim/population"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pasim:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "population":
		return listPopulation(args, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (serve, population)", cmd)
}

type faultFlags map[string]fault.Spec

func (f faultFlags) String() string { return "" }
func (f faultFlags) Set(v string) error {
	ep, spec, err := fault.ParseFlag(v)
	if err != nil {
		return err
	}
	f[ep] = spec
	return nil
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pasim serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", population.DefaultSeed, "seed of the population and of the fault streams")
	apiKey := fs.String("backend-api-key", backend.DefaultAPIKey, "API key the backend simulator requires (X-Api-Key)")
	runDir := fs.String("run-dir", ".run/pasim", "directory for run-time files: the PDND simulator writes the generated keys and credentials.json to RUN-DIR/pdnd")
	seedFile := fs.String("pdnd-seed", "", "PDND registry YAML (tenants, e-services, purposes, clients); default: the committed cmd/pasim/sim/pdnd/seed.yaml")
	issuer := fs.String("pdnd-issuer", pdndsim.DefaultIssuer, "iss of the simulated PDND's vouchers")
	lenient := fs.Bool("pdnd-lenient-claims", false, "accept client-assertion claims outside PDND's whitelist (PDND's behaviour while its strict-claims flag is off)")
	opaque := fs.Bool("pdnd-opaque-errors", false, "answer token refusals exactly like production (only 015-0008, no diagnosis)")
	rateLimit := fs.Int("pdnd-rate-limit", 0, "vouchers per consumer tenant per --pdnd-rate-interval (0: no limit)")
	rateInterval := fs.Duration("pdnd-rate-interval", time.Second, "window of --pdnd-rate-limit")
	grace := fs.Duration("pdnd-rotation-grace", pdndsim.DefaultRotationGrace, "how long a rotated voucher key stays in the JWKS")
	presence := fs.Bool("presence-only", false, "simulators check only that the PDND/ModI headers are present instead of verifying them against the PDND simulator")
	faults := faultFlags{}
	fs.Var(faults, "fault", "endpoint=spec, repeatable (e.g. backend.esiti=error=0.2/503,retry-after=2s)")
	listen := map[string]*string{}
	names := []string{"admin"}
	for _, r := range sim.Registrations() {
		names = append(names, r.Name)
	}
	for _, n := range names {
		listen[n] = fs.String("listen-"+n, "127.0.0.1:"+strconv.Itoa(sim.DefaultPorts[n]), "host:port of the "+n+" listener (port 0: any free port)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := sim.Options{Seed: *seed, Faults: faults, BackendAPIKey: *apiKey, Listen: map[string]string{},
		Logger: slog.New(slog.NewJSONHandler(stderr, nil)), RunDir: *runDir, PresenceOnly: *presence,
		PDND: pdndsim.Options{Issuer: *issuer, LenientClaims: *lenient, Opaque: *opaque, RateLimit: *rateLimit,
			RateInterval: *rateInterval, RotationGrace: *grace}}
	if *seedFile != "" {
		data, err := os.ReadFile(*seedFile)
		if err != nil {
			return fmt.Errorf("--pdnd-seed: %w", err)
		}
		if opts.PDND.Seed, err = pdndsim.ParseSeed(data); err != nil {
			return fmt.Errorf("--pdnd-seed %s: %w", *seedFile, err)
		}
	}
	for n, v := range listen {
		opts.Listen[n] = *v
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := sim.Start(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pasim: seed %d, %d people\n", r.Population.Seed, len(r.Population.People))
	sorted := make([]string, 0, len(r.URLs))
	for n := range r.URLs {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		fmt.Fprintf(stdout, "  %-8s %s\n", n, r.URLs[n])
	}
	if r.PDND != nil {
		fmt.Fprintf(stdout, "PDND credentials (client ids, kids, key files; new keys at every start): %s\n", r.PDND.ManifestFile())
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
