package democonfig

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/gateway/app"
)

// Fill completes a configuration and never changes what it says: new keys are added, mappings
// merged at any depth, base's comments kept; a key both set is an error naming its path.
func TestFill(t *testing.T) {
	base := "# the demo\nlog:\n  level: info   # chatty\nupstreams:\n  anpr:\n    operations:\n      C030: {daily_quota: 5000}\nbackend:\n"
	for name, c := range map[string]struct {
		overlay string
		want    map[string]string // path -> value in the result
		err     string
	}{
		"ok/new-section": {overlay: "admin: {token: {file: /t}}\n", want: map[string]string{"admin.token.file": "/t", "log.level": "info"}},
		"ok/deep-merge": {overlay: "upstreams:\n  anpr:\n    base_url: http://a\n    operations:\n      C030: {pdnd: {purpose_id: p}}\n",
			want: map[string]string{"upstreams.anpr.base_url": "http://a", "upstreams.anpr.operations.C030.pdnd.purpose_id": "p",
				"upstreams.anpr.operations.C030.daily_quota": "5000"}},
		"ok/empty-section-is-unset": {overlay: "backend: {url: http://b}\n", want: map[string]string{"backend.url": "http://b"}},
		"ok/empty-overlay":          {overlay: "", want: map[string]string{"log.level": "info"}},
		"fail/scalar-in-both":       {overlay: "log: {level: debug}\n", err: "log.level: already set"},
		"fail/deep-scalar":          {overlay: "upstreams: {anpr: {operations: {C030: {daily_quota: 1}}}}\n", err: "upstreams.anpr.operations.C030.daily_quota: already set"},
		"fail/mapping-over-scalar":  {overlay: "log: {level: {x: 1}}\n", err: "log.level: already set"},
		"fail/not-a-mapping":        {overlay: "- a\n- b\n", err: "not a mapping of sections"},
		"fail/not-yaml":             {overlay: "a: [\n", err: "overlay configuration"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Fill([]byte(base), []byte(c.overlay))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q\n%s", err, c.err, out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for path, v := range c.want {
				if got := Get(out, path); got != v {
					t.Errorf("%s = %q, want %q\n%s", path, got, v, out)
				}
			}
			if !strings.Contains(string(out), "# the demo") || !strings.Contains(string(out), "# chatty") {
				t.Errorf("base's comments are lost:\n%s", out)
			}
		})
	}
}

// Override replaces what both set, and merges the rest as Fill does.
func TestOverride(t *testing.T) {
	out, err := Override([]byte("store: {backend: memory}\nlog: {level: info}\n"), []byte("store: {backend: redis, redis: {url: redis://x}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if Get(out, "store.backend") != "redis" || Get(out, "store.redis.url") != "redis://x" || Get(out, "log.level") != "info" {
		t.Fatalf("%s", out)
	}
}

// NewSecrets makes three different values of SecretPattern's shape, each in its file of mode 0600
// in a directory of mode 0700, and new ones at every call (over the old files).
func TestNewSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	first, err := NewSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v %v", dir, fi, err)
	}
	values := map[string]string{AdminTokenFile: first.AdminToken, InternalAPIKeyFile: first.InternalAPIKey, BackendAPIKeyFile: first.BackendAPIKey}
	seen := map[string]bool{}
	for file, v := range values {
		b, err := os.ReadFile(first.Path(file))
		fi, _ := os.Stat(first.Path(file))
		if err != nil || strings.TrimSpace(string(b)) != v || fi.Mode().Perm() != 0o600 || SecretPattern.FindString(v) != v || seen[v] {
			t.Fatalf("%s: %q (%v, mode %v)", file, b, err, fi.Mode())
		}
		seen[v] = true
	}
	if err := os.Chmod(first.Path(AdminTokenFile), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := NewSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(second.Path(AdminTokenFile))
	if second.AdminToken == first.AdminToken || second.InternalAPIKey == first.InternalAPIKey || fi.Mode().Perm() != 0o600 {
		t.Fatal("a new start must make new secrets, in files of mode 0600")
	}
}

// startSim starts pasim with its files in the test's directory.
func startSim(t *testing.T, dir string) *sim.Running {
	t.Helper()
	r, err := sim.Start(context.Background(), sim.Options{RunDir: filepath.Join(dir, "pasim")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

// Compose completes the committed demo.yaml into a configuration the gateway accepts: pasim's
// ports, keys by path, the secrets by path, the run directory, and as report_from the day before
// the start in Rome (also across Rome's midnight, when UTC is still on the day before); a base that
// sets what the demo generates is refused, naming the key.
func TestCompose(t *testing.T) {
	dir := t.TempDir()
	r := startSim(t, dir)
	s, err := NewSecrets(filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join("..", "..", "..", "deploy", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	// 00:30 in Rome on 2 March is 23:30 UTC on 1 March: Rome's yesterday is 1 March.
	out, err := Compose(base, r, s, Options{RunDir: runDir, Now: time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"run_dir": runDir, "audit.dir": filepath.Join(runDir, "audit"), "tracing.report_from": "2026-03-01",
		"tracing.base_url": r.URLs["tracing"], "backend.url": r.URLs["backend"], "pdnd.token_url": r.PDND.Environment().TokenURL,
		"backend.api_key.file": s.Path(BackendAPIKeyFile), "admin.token.file": s.Path(AdminTokenFile),
		"pdnd.tenant_api_clients.comune-trento.client_id": "5e8b2f1a-7c4d-4a9e-b3f6-2d1c8a7e9b40",
	} {
		if got := Get(out, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	var doc struct {
		InternalAPI struct {
			APIKeys []struct {
				Key struct{ File string } `yaml:"key"`
			} `yaml:"api_keys"`
		} `yaml:"internal_api"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil || len(doc.InternalAPI.APIKeys) != 1 || doc.InternalAPI.APIKeys[0].Key.File != s.Path(InternalAPIKeyFile) {
		t.Fatalf("internal_api.api_keys: %v %+v", err, doc)
	}
	for _, secret := range []string{s.AdminToken, s.InternalAPIKey, s.BackendAPIKey} {
		if strings.Contains(string(out), secret) {
			t.Fatal("the composed configuration must name the secrets' files, never hold them")
		}
	}
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Load(path, []string{"WGW_LISTENERS__ESERVICES__ADDRESS=127.0.0.1:0"}); err != nil {
		t.Fatalf("the composed configuration does not load: %v\n%s", err, out)
	}

	for name, c := range map[string]struct{ extra, field string }{
		"fail/backend-url":    {"backend: {url: http://127.0.0.1:7005}\n", "backend.url"},
		"fail/report-from":    {"tracing: {report_from: 2026-01-01}\n", "tracing.report_from"},
		"fail/pdnd-endpoint":  {"pdnd: {token_url: http://127.0.0.1:7001/token.oauth2}\n", "pdnd.token_url"},
		"fail/upstream-url":   {"upstreams: {inps: {base_url: http://127.0.0.1:7002}}\n", "upstreams.inps.base_url"},
		"fail/admin-token":    {"admin: {token: {file: deploy/config/demo-secrets/admin-token}}\n", "admin.token"},
		"fail/audit-dir":      {"audit: {dir: .run/audit}\n", "audit.dir"},
		"fail/response-key":   {"eservices: {prestazioni: {response_signing: {key: {private_key: {file: k.pem}}}}}\n", "eservices.prestazioni.response_signing.key"},
		"fail/internal-api-k": {"internal_api: {api_keys: [{name: x, key: {env: K}}]}\n", "internal_api.api_keys"},
	} {
		t.Run(name, func(t *testing.T) {
			withExtra, err := Override(base, []byte(c.extra))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compose(withExtra, r, s, Options{RunDir: runDir, Now: time.Now()})
			if err == nil || !strings.Contains(err.Error(), c.field+": already set") {
				t.Fatalf("err %v, want one naming %s", err, c.field)
			}
		})
	}
}
