package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/demo/democonfig"
	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/gateway/app"
	"github.com/welfaregov/gateway/gateway/audit"
)

// repoFile is a path in the repository.
func repoFile(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", ".."}, parts...)...)
}

// TestWalkthrough runs README.md's walkthrough "Calling WelfareGOV's e-services as another
// administration" as written, against the configuration `make run` starts: pasim (its PDND, with the
// committed seed, and its backend with a generated key) and the gateway on deploy/config/demo.yaml
// completed as cmd/demo completes it (democonfig.Compose: pasim's ports and keys, credentials
// generated at start), and the modi CLI as the Comune di Trento: an accepted consultazione call,
// the same call without INTEGRITY_REST_02 refused with integrity.missing, and both calls in the audit
// trail, which `gateway audit verify` finds intact. Only the ports and the run directory differ
// from the demo's.
func TestWalkthrough(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	secrets, err := democonfig.NewSecrets(filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Start(ctx, sim.Options{RunDir: filepath.Join(dir, "pasim"), BackendAPIKey: secrets.BackendAPIKey,
		Hosts: map[string]string{"welfaregov": "https://127.0.0.1:8443"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	demo, err := os.ReadFile(repoFile("deploy", "config", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	text, err := democonfig.Compose(demo, r, secrets, democonfig.Options{RunDir: runDir, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	pdndURL := r.URLs["pdnd"]
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, text, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"WGW_LISTENERS__ESERVICES__ADDRESS=127.0.0.1:0", "WGW_LISTENERS__INTERNAL__ADDRESS=127.0.0.1:0", "WGW_LISTENERS__ADMIN__ADDRESS=127.0.0.1:0"}
	cfg, err := app.Load(path, env)
	if err != nil {
		t.Fatalf("the demo configuration does not load against pasim: %v", err)
	}
	gw, err := app.New(cfg, app.Options{LogOutput: io.Discard, Version: "walkthrough"})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- gw.Run(runCtx) }()
	stopped := false
	shutdown := func() {
		if !stopped {
			stopped = true
			stop()
			<-done
		}
	}
	t.Cleanup(shutdown)
	base := gw.Endpoints()[0].URL
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the demo serves e-services over TLS, got %s", base)
	}

	trento, _ := r.PDND.Credential("comune-trento")
	purpose, _ := r.PDND.Purpose("comune-trento-prestazioni")
	cf, on := subject(t, r.Population)
	body := filepath.Join(dir, "ricerca.json")
	if err := os.WriteFile(body, ricerca(cf, on), 0o600); err != nil {
		t.Fatal(err)
	}
	modi := buildCommand(t, "modi")
	call := func(extra ...string) (string, int) {
		args := append([]string{"call", "--url", base + "/rest/welfaregov/v1/prestazioni-sociali-agevolate/ricerca",
			"--body", body, "--token-url", pdndURL + "/token.oauth2", "--client-id", trento.ClientID,
			"--purpose-id", purpose.ID, "--key", trento.KeyFile, "--audience", purpose.Audience[0],
			"--audit", "userID=operatore-17,userLocation=postazione-3,LoA=SPID_L2", "--cacert", gw.DevRootFile()}, extra...)
		out, err := exec.Command(modi, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := call("--integrity")
	if code != 0 || !strings.Contains(out, "200 OK") || !strings.Contains(out, `"prestazioni":[{`) || !strings.Contains(strings.ToLower(out), "agid-jwt-signature:") {
		t.Fatalf("accepted call: exit %d\n%s", code, out)
	}
	out, code = call()
	if code != 1 || !strings.Contains(out, "400 Bad Request") || !strings.Contains(out, `"code":"integrity.missing"`) {
		t.Fatalf("call without INTEGRITY_REST_02: exit %d\n%s", code, out)
	}

	shutdown()
	entries := readAudit(t, filepath.Join(runDir, "audit"))
	if len(entries) != 2 || entries[0].Outcome != audit.OutcomeOK || entries[1].Outcome != "integrity.missing" ||
		entries[0].ClientID != trento.ClientID || entries[1].PurposeID != purpose.ID {
		b, _ := json.Marshal(entries)
		t.Fatalf("audit trail %s", b)
	}
	var stdout, stderr bytes.Buffer
	if code := audit.RunVerifyCommand([]string{filepath.Join(runDir, "audit")}, &stdout, &stderr); code != 0 {
		t.Fatalf("gateway audit verify: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
