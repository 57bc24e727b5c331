package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/store/memory"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// TestSpansFromListenerToUpstream: a WelfareGOV request with a traceparent, on the internal
// listener, whose handler calls an upstream through the runtime: the server span continues the
// caller's trace, the call span is its child, each attempt a child of the call, the upstream
// receives the attempt's traceparent, and no span carries the codice fiscale of the path.
func TestSpansFromListenerToUpstream(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tel, err := New(Options{Version: "test", SpanProcessor: rec})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Traceparent"))
		if len(seen) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable) // the first attempt fails: a retry
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	st, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rt, err := upstream.New(upstream.Config{"registro": {BaseURL: up.URL, Auth: upstream.AuthNone}},
		upstream.Deps{Store: st, Observer: tel})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{EServices: server.Listener{Address: "127.0.0.1:0", TLS: server.TLS{Mode: "off"}},
		Internal: server.Listener{Address: "127.0.0.1:0"}, Admin: server.Listener{Address: "127.0.0.1:0"}},
		server.Options{RunDir: t.TempDir(), Observer: tel})
	if err != nil {
		t.Fatal(err)
	}
	op := &adapter.Operation{Name: "Consulta", Idempotent: true}
	srv.Internal().Get("/soggetti/:cf", func(c *fiber.Ctx) error {
		u, _ := rt.Upstream("registro")
		req, _ := http.NewRequest("GET", up.URL+"/x", nil)
		resp, err := u.Do(adapter.WithOperation(c.UserContext(), op), req)
		if err != nil {
			return err
		}
		return c.SendStatus(resp.StatusCode)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("GET", srv.Endpoints()[1].URL+"/soggetti/RSSMRA80A01H501U", nil)
	req.Header.Set("Traceparent", caller)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.Ended()) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the server span ends after the response is written
	}
	spans := map[string]sdktrace.ReadOnlySpan{}
	var attempts []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "GET" && s.SpanKind().String() == "client" {
			attempts = append(attempts, s)
			continue
		}
		spans[s.Name()] = s
		for _, a := range s.Attributes() {
			if strings.Contains(a.Value.String(), "RSSMRA80A01H501U") {
				t.Errorf("span %q attribute %s carries the codice fiscale", s.Name(), a.Key)
			}
		}
	}
	srvSpan, call := spans["GET /soggetti/:cf"], spans["upstream registro.Consulta"]
	if srvSpan == nil || call == nil || len(attempts) != 2 {
		t.Fatalf("spans: %v, %d attempts", spans, len(attempts))
	}
	if got := srvSpan.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" || srvSpan.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the server span does not continue WelfareGOV's trace: trace %s parent %s", got, srvSpan.Parent().SpanID())
	}
	if call.Parent().SpanID() != srvSpan.SpanContext().SpanID() {
		t.Error("the upstream call is not a child of the request")
	}
	// Another administration's traceparent on the e-service listener is linked, not adopted.
	req, _ = http.NewRequest("GET", srv.Endpoints()[0].URL+"/status", nil)
	req.Header.Set("Traceparent", caller)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); len(rec.Ended()) < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	last := rec.Ended()[len(rec.Ended())-1]
	if last.Name() != "GET /status" || last.Parent().IsValid() || last.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" ||
		len(last.Links()) != 1 || last.Links()[0].SpanContext.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("e-service span %q: parent %v, trace %s, links %v", last.Name(), last.Parent(), last.SpanContext().TraceID(), last.Links())
	}
	for i, a := range attempts {
		if a.Parent().SpanID() != call.SpanContext().SpanID() {
			t.Errorf("attempt %d is not a child of the call", i)
		}
		want := "00-" + a.SpanContext().TraceID().String() + "-" + a.SpanContext().SpanID().String() + "-01"
		if i >= len(seen) || seen[i] != want {
			t.Errorf("attempt %d: the upstream received traceparent %q, want %q", i, seen, want)
		}
	}
}
