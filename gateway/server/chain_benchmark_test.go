package server

import (
	"io"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/logging"
)

// BenchmarkSharedChain measures what every request pays for the shared chain (request id, access
// log line, panic recovery, deadline context) against a bare Fiber handler answering the same
// body, both called in process without sockets.
func BenchmarkSharedChain(b *testing.B) {
	body := []byte(`{"ok":true}`)
	handler := func(c *fiber.Ctx) error { return c.Send(body) }

	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/ping", handler)

	srv, err := New(Config{
		EServices: Listener{Address: "127.0.0.1:0", TLS: TLS{Mode: TLSOff}},
		Internal:  Listener{Address: "127.0.0.1:0"},
		Admin:     Listener{Address: "127.0.0.1:0"},
	}, Options{Logger: slog.New(logging.NewHandler(io.Discard, slog.LevelInfo)), RunDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	srv.Internal().Get("/ping", handler)
	internal := srv.listeners[1].app

	run := func(app *fiber.App) func(b *testing.B) {
		return func(b *testing.B) {
			h := app.Handler()
			var fctx fasthttp.RequestCtx
			for b.Loop() {
				fctx.Request.Reset()
				fctx.Response.Reset()
				fctx.Request.Header.SetMethod(fiber.MethodGet)
				fctx.Request.SetRequestURI("/ping")
				fctx.Request.Header.Set("X-Correlation-ID", "bench-1")
				h(&fctx)
				if fctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d", fctx.Response.StatusCode())
				}
			}
		}
	}
	benchcmp.Compare(b, run(bare), run(internal), 0)
}
