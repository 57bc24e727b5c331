package telemetry

import (
	"io"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/logging"
	"github.com/welfaregov/gateway/gateway/server"
)

// BenchmarkObservedRequest measures what the metrics cost a request: the listener's shared chain
// with the telemetry observer (histogram, active-requests gauge; traces off, the default) against
// the same chain without an observer, both called in process without sockets.
func BenchmarkObservedRequest(b *testing.B) {
	tel, err := New(Options{Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	build := func(obs server.Observer) *fiber.App {
		srv, err := server.New(server.Config{
			EServices: server.Listener{Address: "127.0.0.1:0", TLS: server.TLS{Mode: server.TLSOff}},
			Internal:  server.Listener{Address: "127.0.0.1:0"},
			Admin:     server.Listener{Address: "127.0.0.1:0"},
		}, server.Options{Logger: slog.New(logging.NewHandler(io.Discard, slog.LevelInfo)), RunDir: b.TempDir(), Observer: obs})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = srv.Close() })
		srv.Internal().Get("/soggetti/:cf", func(c *fiber.Ctx) error { return c.SendString(`{"ok":true}`) })
		return srv.Internal().(*fiber.App)
	}
	run := func(app *fiber.App) func(b *testing.B) {
		return func(b *testing.B) {
			h := app.Handler()
			var fctx fasthttp.RequestCtx
			for b.Loop() {
				fctx.Request.Reset()
				fctx.Response.Reset()
				fctx.Request.Header.SetMethod(fiber.MethodGet)
				fctx.Request.SetRequestURI("/soggetti/RSSMRA80A01H501U")
				h(&fctx)
				if fctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d", fctx.Response.StatusCode())
				}
			}
		}
	}
	benchcmp.Compare(b, run(build(nil)), run(build(tel)), 1.15)
}
