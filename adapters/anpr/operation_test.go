package anpr

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
)

// The runtime's Check gives every fixture the class the Client's InterpretResponse gives it: EN122
// and EN148 are Business answers (cached, never retried, never counted by a breaker), 429 and 5xx
// Retryable, a truncated or mistyped 200 Retryable, GovWay's refusal of our request Permanent.
func TestCheckAnswerAgreesWithInterpretResponse(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			body := readFixture(t, f.name)
			_, want := InterpretResponse(f.casoUso, f.status, f.header, body, Meta{})
			got := f.casoUso.Operation().Check(f.status, f.header, body)
			if upstream.ClassOf(got) != upstream.ClassOf(want) || (got == nil) != (want == nil) {
				t.Fatalf("Check says %v (%v), the Client %v (%v)", upstream.ClassOf(got), got, upstream.ClassOf(want), want)
			}
			if upstream.IsUpstreamFault(got) != upstream.IsUpstreamFault(want) {
				t.Fatalf("breaker counting differs: Check %v, Client %v", upstream.IsUpstreamFault(got), upstream.IsUpstreamFault(want))
			}
		})
	}
	if err := C020.Operation().Check(404, nil, readFixture(t, "en122_404")); upstream.ClassOf(err) != upstream.Business || !IsNotFound(err) {
		t.Fatalf("EN122 must be a Business answer: %v", err)
	}
	big := `{"idOperazioneANPR":"1","listaSoggetti":{"datiSoggetto":[` + strings.Repeat(`{},`, MaxSoggetti) + `{}]}}`
	if err := C021.Operation().Check(200, nil, []byte(big)); !hasReason(err, ReasonTooLarge) {
		t.Fatalf("too many subjects: %v", err)
	}
}

func TestOperations(t *testing.T) {
	ops := Operations()
	if len(ops) != len(CasiUso) || ops[0].Name != "C030" {
		t.Fatalf("%+v", ops)
	}
	for _, op := range ops {
		if !op.Idempotent || op.Check == nil {
			t.Fatalf("%s: every accertamento is an idempotent consultation with a Check", op.Name)
		}
	}
	if CasoUso("C999").Operation() != nil {
		t.Fatal("unsupported use case")
	}
	var seen *upstream.Operation
	c := &Client{Endpoints: Endpoints("https://anpr.example"), IDs: mustIDs(t), Now: time.Now,
		Transport: TransportFunc(func(ctx context.Context, req *http.Request) (*http.Response, error) {
			seen = upstream.OperationFrom(ctx)
			return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader(string(readFixture(t, "en122_404"))))}, nil
		})}
	if _, err := c.AccertaStatoFamiglia(context.Background(), "AB12345CD", "PRAT-1", contracts.MustData(2025, 6, 1)); !IsNotFound(err) {
		t.Fatal(err)
	}
	if seen != C021.Operation() {
		t.Fatalf("the Client declared %+v, want C021", seen)
	}
}

func mustIDs(t *testing.T) *IDGenerator {
	g, err := NewIDGenerator("01", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEndpointsUnder(t *testing.T) {
	got := EndpointsUnder(HostProduzione + "/govway/rest/in/MinInternoPortaANPR-PDND/")
	want := Endpoints(HostProduzione)
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for c, u := range want {
		if got[c] != u {
			t.Fatalf("%s: %s, want %s", c, got[c], u)
		}
	}
}
