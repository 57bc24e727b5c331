package check

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func composeOptions(t *testing.T) ComposeOptions {
	t.Helper()
	img := buildImage(t)
	pasim, err := PasimListeners(context.Background(), img.pasim)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	return ComposeOptions{Dockerfile: parseDockerfile(t, readFile(t, dockerfilePath)), DockerfilePath: abs, GatewayBin: img.gateway, PasimListeners: pasim}
}

func TestCompose(t *testing.T) {
	opts := composeOptions(t)
	workDir, err := filepath.Abs(deployDir)
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, file string) []Finding {
		t.Helper()
		p, err := LoadCompose(context.Background(), file, workDir)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := CheckCompose(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	t.Run("ok/deploy-compose", func(t *testing.T) {
		expectNone(t, check(t, composePath))
	})

	// Each broken case edits the decoded compose file (anchors already merged), writes it to a
	// temporary file whose relative paths still resolve from deploy/, and expects its finding.
	services := func(d map[string]any) map[string]any { return d["services"].(map[string]any) }
	svc := func(d map[string]any, name string) map[string]any { return services(d)[name].(map[string]any) }
	tmpFile := func(t *testing.T, name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct {
		edit   func(t *testing.T, d map[string]any)
		rule   Rule
		detail string
	}{
		"fail/one-replica": {func(t *testing.T, d map[string]any) {
			delete(services(d), "gateway-2")
			d["services"].(map[string]any)["prometheus"].(map[string]any)["depends_on"] = []any{"gateway-1"}
		}, RuleCompose, "1 gateway services"},
		"fail/writable-root": {func(t *testing.T, d map[string]any) { svc(d, "gateway-1")["read_only"] = false }, RuleCompose, "read_only must be true"},
		"fail/root-user":     {func(t *testing.T, d map[string]any) { svc(d, "gateway-2")["user"] = "0:0" }, RuleCompose, `user "0:0"`},
		"fail/published-on-all-interfaces": {func(t *testing.T, d map[string]any) {
			svc(d, "gateway-1")["ports"] = []any{"8443:8443", "127.0.0.1:8080:8080", "127.0.0.1:9090:9090"}
		}, RuleCompose, `publishes 8443 on ""`},
		"fail/admin-not-published": {func(t *testing.T, d map[string]any) {
			svc(d, "gateway-1")["ports"] = []any{"127.0.0.1:8443:8443", "127.0.0.1:8080:8080"}
		}, RuleCompose, "the admin listener (port 9090) is not published"},
		"fail/stop-grace-too-short": {func(t *testing.T, d map[string]any) { svc(d, "gateway-2")["stop_grace_period"] = "5s" }, RuleGracefulStop, "stop_grace_period must exceed"},
		"fail/no-redis-wait": {func(t *testing.T, d map[string]any) {
			svc(d, "gateway-1")["depends_on"] = map[string]any{"pasim": map[string]any{"condition": "service_started"}}
		}, RuleCompose, "must depend on redis being healthy"},
		"fail/simulator-on-loopback": {func(t *testing.T, d map[string]any) {
			var kept []any
			for _, arg := range svc(d, "pasim")["command"].([]any) {
				if !strings.HasPrefix(arg.(string), "--listen-backend") {
					kept = append(kept, arg)
				}
			}
			svc(d, "pasim")["command"] = kept
		}, RuleSimulatorExpose, "pasim listener backend"},
		"fail/unknown-build-target": {func(t *testing.T, d map[string]any) {
			svc(d, "pasim")["build"].(map[string]any)["target"] = "simulators"
		}, RuleCompose, `build target "simulators"`},
		"fail/config-invalid": {func(t *testing.T, d map[string]any) {
			cfg := edit(t, readFile(t, filepath.Join(deployDir, "config", "compose.yaml")), "shutdown_grace: 10s", "shutdown_grace: 10")
			svc(d, "gateway-2")["volumes"].([]any)[0] = tmpFile(t, "gateway.yaml", cfg) + ":/etc/welfaregov-gateway/gateway.yaml:ro"
		}, RuleConfig, "listeners.shutdown_grace"},
		"fail/config-unknown-env": {func(t *testing.T, d map[string]any) {
			svc(d, "gateway-1")["environment"] = map[string]any{"WGW_LISTENERS__ADMIN__ADRESS": "0.0.0.0:9090"}
		}, RuleConfig, "WGW_LISTENERS__ADMIN__ADRESS"},
		"fail/run-dir-read-only": {func(t *testing.T, d map[string]any) {
			svc(d, "gateway-1")["volumes"].([]any)[1] = "gateway-1-run:/run/welfaregov-gateway:ro"
		}, RuleCompose, "run_dir /run/welfaregov-gateway is not on a writable volume"},
		"fail/prometheus-misses-a-replica": {func(t *testing.T, d map[string]any) {
			prom := edit(t, readFile(t, filepath.Join(deployDir, "prometheus", "prometheus.yml")), `"gateway-1:9090", `, "")
			svc(d, "prometheus")["volumes"].([]any)[0] = tmpFile(t, "prometheus.yml", prom) + ":/etc/prometheus/prometheus.yml:ro"
		}, RulePrometheus, "no job scrapes gateway-1:9090"},
		"fail/prometheus-wrong-port": {func(t *testing.T, d map[string]any) {
			prom := edit(t, readFile(t, filepath.Join(deployDir, "prometheus", "prometheus.yml")), `"gateway-2:9090"`, `"gateway-2:8080"`)
			svc(d, "prometheus")["volumes"].([]any)[0] = tmpFile(t, "prometheus.yml", prom) + ":/etc/prometheus/prometheus.yml:ro"
		}, RulePrometheus, "gateway-2:8080 is not a gateway's admin listener"},
	} {
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			if err := yaml.Unmarshal([]byte(readFile(t, composePath)), &d); err != nil {
				t.Fatal(err)
			}
			tc.edit(t, d)
			b, err := yaml.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			expectFinding(t, check(t, tmpFile(t, "compose.yaml", string(b))), tc.rule, tc.detail)
		})
	}
}

// TestComposeSchema: compose-go refuses what docker compose would refuse.
func TestComposeSchema(t *testing.T) {
	workDir, _ := filepath.Abs(deployDir)
	bad := filepath.Join(t.TempDir(), "compose.yaml")
	src := edit(t, readFile(t, composePath), "read_only: true                 #", "read_onyl: true                 #")
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCompose(context.Background(), bad, workDir); err == nil || !strings.Contains(err.Error(), "read_onyl") {
		t.Errorf("LoadCompose accepted a misspelt key: %v", err)
	}
}
