// Package democonfig composes the configuration of `make run` (cmd/demo): the committed
// deploy/config/demo.yaml, which holds every choice of the demo and nothing that exists only at
// run time, completed with what does: the ports pasim's simulators got, the PDND keys pasim
// generated, and the demo's own credentials (Secrets), generated at every start. Tests that run
// the demo's configuration (the README walkthrough, the two-replica test) compose it the same way.
package democonfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // PDND days are Europe/Rome days

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// TenantAPIClients maps the names demo.yaml's tracing.tenants use for other organisations'
// PDND-API clients (pdnd.tenant_api_clients) to the pasim seed's clients: the Comune di Trento's,
// whose SIUSS feed the demo serves and whose PDND Tracing files it uploads.
var TenantAPIClients = map[string]string{"comune-trento": "comune-trento-api"}

// ResponseSigningKeychain is the pasim seed's producer keychain whose key signs the prestazioni
// e-service's responses (WelfareGOV's, on PDND).
const ResponseSigningKeychain = "welfaregov-risposte"

// Options are the run-time facts Compose needs besides pasim and the secrets.
type Options struct {
	// RunDir is the demo's run directory: run_dir, and RunDir/audit the audit trail.
	RunDir string
	// Now is the start: its day before, in the report's time zone, is tracing.report_from.
	Now time.Time
}

// Compose returns base (demo.yaml) completed, with Fill, by:
//
//   - run_dir and audit.dir: o.RunDir and o.RunDir/audit;
//   - pdnd: pasim's endpoints and the gateway's e-service and PDND-API clients with their generated
//     keys (RUN-DIR/pdnd/gateway-pdnd.yaml), and pdnd.tenant_api_clients (TenantAPIClients);
//   - upstreams: base_url and PDND purposes of pasim's INPS, ANPR and ICEF (sim.GatewayUpstreams);
//   - eservices.prestazioni.response_signing.key, when base publishes prestazioni: the generated
//     key of ResponseSigningKeychain;
//   - backend: pasim's WelfareGOV backend and s.BackendAPIKey's file;
//   - tracing: pasim's Tracing API and, as report_from, the day before o.Now in the report's time
//     zone, so that the first run uploads it (with demo.yaml's submit_at 00:00) and the dashboard
//     shows a day going PENDING then COMPLETED within seconds of the start;
//   - internal_api.api_keys and admin.token: s's files.
//
// base must not set any of these: Fill refuses, naming the key. Paths are absolute.
func Compose(base []byte, r *sim.Running, s *Secrets, o Options) ([]byte, error) {
	if r == nil || r.PDND == nil {
		return nil, fmt.Errorf("democonfig: pasim's PDND is not running")
	}
	runDir, err := filepath.Abs(o.RunDir)
	if err != nil {
		return nil, err
	}
	pdndSection, err := os.ReadFile(r.GatewayPDNDFile())
	if err != nil {
		return nil, fmt.Errorf("democonfig: pasim's pdnd section: %w", err)
	}
	upstreams, err := r.GatewayUpstreams()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(orDefault(Get(base, "tracing.time_zone"), tracing.DefaultTimeZone))
	if err != nil {
		return nil, fmt.Errorf("democonfig: tracing.time_zone: %w", err)
	}
	keyFile := func(path string) (map[string]any, error) {
		abs, err := filepath.Abs(path)
		return map[string]any{"private_key": map[string]any{"file": abs}}, err
	}
	tenantClients := map[string]any{}
	for name, seedName := range TenantAPIClients {
		c, ok := r.PDND.Credential(seedName)
		if !ok {
			return nil, fmt.Errorf("democonfig: pasim's PDND seed has no client %q", seedName)
		}
		key, err := keyFile(c.KeyFile)
		if err != nil {
			return nil, err
		}
		tenantClients[name] = map[string]any{"client_id": c.ClientID, "key": key}
	}
	file := func(name string) map[string]any { return map[string]any{"file": s.Path(name)} }
	generated := map[string]any{
		"run_dir": runDir,
		"audit":   map[string]any{"dir": filepath.Join(runDir, "audit")},
		"pdnd":    map[string]any{"tenant_api_clients": tenantClients},
		"backend": map[string]any{"url": r.URLs["backend"], "api_key": file(BackendAPIKeyFile)},
		"tracing": map[string]any{"base_url": r.URLs["tracing"], "report_from": string(tracing.DayOf(o.Now, loc).Add(-1))},
		"internal_api": map[string]any{
			"api_keys": []any{map[string]any{"name": "demo", "key": file(InternalAPIKeyFile)}},
		},
		"admin": map[string]any{"token": file(AdminTokenFile)},
	}
	if Has(base, "eservices.prestazioni") {
		kc, ok := r.PDND.Keychain(ResponseSigningKeychain)
		if !ok || len(kc.Keys) == 0 {
			return nil, fmt.Errorf("democonfig: pasim's PDND seed has no producer keychain %q with a key", ResponseSigningKeychain)
		}
		key, err := keyFile(kc.Keys[0].PrivateKeyFile)
		if err != nil {
			return nil, err
		}
		generated["eservices"] = map[string]any{"prestazioni": map[string]any{"response_signing": map[string]any{"key": key}}}
	}
	// A credential or a path is one value: base must not set any part of it (Fill alone would
	// merge {env: X} with the generated {file: ...}).
	for _, path := range []string{"admin.token", "backend.api_key", "internal_api.api_keys", "eservices.prestazioni.response_signing.key"} {
		if Has(base, path) {
			return nil, fmt.Errorf("%s: already set, and the demo sets it at start (remove it; the demo generates its credentials)", path)
		}
	}
	own, err := yaml.Marshal(generated)
	if err != nil {
		return nil, err
	}
	text := base
	for _, part := range []struct {
		what string
		yaml []byte
	}{{"pasim's pdnd section", pdndSection}, {"pasim's upstreams section", []byte(upstreams)}, {"the demo's run directory and credentials", own}} {
		if text, err = Fill(text, part.yaml); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, part.what)
		}
	}
	header := "# Composed by cmd/demo at start: deploy/config/demo.yaml completed with pasim's ports and generated\n" +
		"# PDND keys, and the demo's credentials generated into " + s.Dir + " (democonfig.Compose).\n" +
		"# It changes at every start; edit deploy/config/demo.yaml instead.\n"
	return append([]byte(header), text...), nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
