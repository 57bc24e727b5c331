// Package pasimtest starts the pasim simulators in-process for the gateway's tests, and gives the
// gateway's configuration sections for them exactly as pasim generates them (the pdnd section of
// RUN-DIR/pdnd/gateway-pdnd.yaml and the upstreams section of RUN-DIR/gateway-upstreams.yaml), decoded
// and checked by the gateway's own strict loader.
package pasimtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// Sections are the gateway configuration sections pasim generated.
type Sections struct {
	PDND      *pdnd.Config    `yaml:"pdnd"`
	Upstreams upstream.Config `yaml:"upstreams"`
}

// Start starts every simulator on loopback (real PDND security, random ports) and shuts them down
// when the test ends.
func Start(t testing.TB, o sim.Options) *sim.Running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := sim.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = r.Shutdown(sctx)
	})
	return r
}

// GatewayYAML is the text of both generated sections.
func GatewayYAML(t testing.TB, r *sim.Running) string {
	t.Helper()
	pdndSection, err := os.ReadFile(r.GatewayPDNDFile())
	if err != nil {
		t.Fatal(err)
	}
	upstreams, err := r.GatewayUpstreams()
	if err != nil {
		t.Fatal(err)
	}
	return string(pdndSection) + upstreams
}

// Config decodes the generated sections with the gateway's strict loader and checks them.
func Config(t testing.TB, r *sim.Running) Sections {
	t.Helper()
	var s Sections
	ck := config.NewChecker()
	config.Decode(ck, "pasim", []byte(GatewayYAML(t, r)), nil, &s)
	if s.PDND != nil {
		s.PDND.Check(ck.At("pdnd"))
	}
	s.Upstreams.Check(ck.At("upstreams"))
	if err := ck.Err(); err != nil {
		t.Fatalf("pasim's generated gateway configuration does not pass the gateway's checks:\n%v", err)
	}
	return s
}
