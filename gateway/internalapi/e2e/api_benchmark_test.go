package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/benchcmp"
	"github.com/welfaregov/gateway/gateway/lookup"
)

// BenchmarkInternalAPICacheHit compares a cache-hit ISEE lookup through the whole gateway (request
// id, access log, deadline, API key, operator headers, parameter and codice fiscale checks, the
// two-tier cache's in-process hit, the ISEE di prestazione selection, JSON, no-store) with a bare
// Fiber handler that returns the same bytes, both over loopback HTTP with the same keep-alive
// client. tput-ratio is the gateway's throughput relative to the bare handler (target >= 0.7).
func BenchmarkInternalAPICacheHit(b *testing.B) {
	w := newWorld(b)
	g := w.start(b, "")
	who := withDSUAndICEF(b, w.pop)
	path := "/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=" + rif
	warm := g.get(path) // the MISS that fills the cache
	if warm.status != 200 {
		b.Fatalf("%d %s", warm.status, warm.body)
	}
	body := warm.body

	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/api/v1/soggetti/:codiceFiscale/isee", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = bare.Listener(ln) }()
	b.Cleanup(func() { _ = bare.Shutdown() })

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	loop := func(base string) func(*testing.B) {
		return func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			req.Header.Set("Api-Key", apiKey)
			for k, v := range operator {
				req.Header.Set(k, v)
			}
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < int64(len(body))-64 {
					b.Fatalf("%d, %d bytes", resp.StatusCode, n)
				}
			}
		}
	}
	benchcmp.Compare(b, loop("http://"+ln.Addr().String()), loop(g.url), 1/0.7)
}

// BenchmarkLookupCacheHit is the service alone on a warm cache, without HTTP: the time and
// allocations of one cache hit, answer and encoding included (the in-process tier, the decoded
// value and the built answer are reused). The baseline encodes the same answer with encoding/json,
// what a hit would cost without the reuse.
func BenchmarkLookupCacheHit(b *testing.B) {
	w := newWorld(b)
	g := w.start(b, "")
	who := withDSUAndICEF(b, w.pop)
	if a := g.get("/api/v1/soggetti/" + who.CodiceFiscale + "/isee?dataValidita=" + rif); a.status != 200 {
		b.Fatal(a.status)
	}
	svc := g.app.Lookups()
	ctx := adapter.WithCaller(context.Background(), adapter.Caller{UserID: "u", Workstation: "w", LoA: "L2", CaseRef: "c"})
	q := lookup.DomandaISEE{CodiceFiscale: who.CodiceFiscale}
	q.DataValidita, _ = contracts.ParseData(rif)
	res, err := svc.ISEE(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	benchcmp.Compare(b, func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		for b.Loop() {
			r, err := svc.ISEE(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	}, 0)
}
