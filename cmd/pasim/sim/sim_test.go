package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	anpr "github.com/welfaregov/gateway/adapters/anpr"
	anprsim "github.com/welfaregov/gateway/cmd/pasim/sim/anpr"
	"github.com/welfaregov/gateway/cmd/pasim/sim/backend"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/cmd/pasim/sim/icef"
	"github.com/welfaregov/gateway/cmd/pasim/sim/inps"
)

func TestStartServesEverySimulatorAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := Start(ctx, Options{Faults: map[string]fault.Spec{"icef.status": {ErrorRate: 1, ErrorStatus: 503}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"admin", "icef", "backend", "anpr", "inps", "tracing"} {
		if !strings.HasPrefix(r.URLs[name], "http://127.0.0.1:") {
			t.Fatalf("%s URL %q", name, r.URLs[name])
		}
	}
	req, _ := http.NewRequest("GET", r.URLs["backend"]+"/prestazioni?limit=1", nil)
	req.Header.Set(backend.APIKeyHeader, backend.DefaultAPIKey)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("backend: %v %v", resp, err)
	}
	if resp, err := http.Get(r.URLs["icef"] + icef.BasePath + "/status"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("the start-up fault on icef.status is not applied: %v %v", resp, err)
	}
	if resp, err := http.Get(r.URLs["anpr"] + anprsim.DefaultBasePath(anpr.C021) + "/status"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("anpr: %v %v", resp, err)
	}
	// INPS answers SOAP at its WSDL path; without a voucher it refuses with 401.
	ireq, _ := http.NewRequest("POST", r.URLs["inps"]+inps.Path, strings.NewReader("<x/>"))
	ireq.Header.Set("SOAPAction", `"http://inps.it/ConsultazioneISEE/ISvcConsultazione/ConsultazioneAttestazione"`)
	if resp, err := http.DefaultClient.Do(ireq); err != nil || resp.StatusCode != 401 {
		t.Fatalf("inps: %v %v", resp, err)
	}
	if resp, err := http.Get(r.URLs["tracing"] + "/status"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("tracing: %v %v", resp, err)
	}
	resp, err := http.Get(r.URLs["admin"] + "/faults")
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	var list struct{ Endpoints []fault.EndpointState }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Endpoints) < 9 {
		t.Fatalf("admin lists %d endpoints", len(list.Endpoints))
	}
	// The gateway's upstreams section for these simulators is in the run directory (the gateway's
	// own tests decode and check it, and call every simulator with it: gateway/internal/pasimtest).
	up, err := os.ReadFile(filepath.Join(r.RunDir, GatewayUpstreamsFile))
	if err != nil || !strings.Contains(string(up), "base_url: "+r.URLs["anpr"]+"/govway/rest/in/MinInternoPortaANPR-PDND/") {
		t.Fatalf("%s: %v\n%s", GatewayUpstreamsFile, err, up)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := r.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(r.URLs["backend"] + "/status"); err == nil {
		t.Fatal("backend still answers after Shutdown")
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	if _, err := Start(context.Background(), Options{Faults: map[string]fault.Spec{"nope": {}}}); err == nil {
		t.Fatal("a fault for an unknown endpoint was accepted")
	}
	if _, err := Start(context.Background(), Options{Listen: map[string]string{"admin": "256.0.0.1:1"}}); err == nil {
		t.Fatal("an impossible listen address was accepted")
	}
}
