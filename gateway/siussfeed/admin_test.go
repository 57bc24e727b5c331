package siussfeed_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/adapters/siuss"
	"github.com/welfaregov/gateway/adapters/welfaregov"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
)

type nopSink struct{}

func (nopSink) InviaEsiti(context.Context, []welfaregov.Esito) error { return nil }

// TestOperatorQueues: the scarti and attenzione views on the admin listener need the admin token,
// page with after/next, and name the ente and parameters they refuse.
func TestOperatorQueues(t *testing.T) {
	feed := newFeed(t, memStore(t), nil)
	ctx := context.Background()
	for range 3 {
		_, _ = feed.Publish(ctx, trento.Codice, siuss.TipoPS, "prestazione X", func(string) ([]byte, error) {
			return []byte("<not-a-flow/>"), nil
		})
	}
	esiti, err := siussfeed.ParseEsiti([]byte(`{"elenco_esiti":[{"id_flusso":"L378.PS.20260101.0000099","tipo":"PS_PSA_SINA","ts_flusso":"2026-01-01T00:00:00.000Z","ts_acquisizione":"2026-01-02T00:00:00.000Z","codice_esito":"DATI_NON_TROVATI"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := feed.RecordEsiti(ctx, trento.Codice, esiti, nopSink{}); err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: siussfeed.MinimalErrorHandler})
	token := "an-operator-token-of-32-bytes!!!"
	(&siussfeed.QueueHandlers{Feed: feed}).Mount(app.Group("/siuss", server.RequireBearer([]byte(token), "test")))
	call := func(path, auth string) (int, map[string]any, string) {
		req := httptest.NewRequest("GET", path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m, resp.Header.Get("WWW-Authenticate")
	}
	for name, auth := range map[string]string{"no token": "", "wrong token": "Bearer " + strings.Repeat("x", 32), "prefix of the token": "Bearer " + token[:31], "basic": "Basic " + token} {
		if status, _, challenge := call("/siuss/enti/L378/scarti", auth); status != 401 || !strings.HasPrefix(challenge, "Bearer") {
			t.Fatalf("%s: %d, challenge %q", name, status, challenge)
		}
	}
	bearer := "Bearer " + token
	status, page, _ := call("/siuss/enti/L378/scarti?limit=2", bearer)
	if status != 200 || len(page["items"].([]any)) != 2 {
		t.Fatalf("first page: %d %v", status, page)
	}
	next := int64(page["next"].(float64))
	status, page, _ = call("/siuss/enti/L378/scarti?limit=2&after="+itoa(next), bearer)
	if status != 200 || len(page["items"].([]any)) != 1 {
		t.Fatalf("second page: %d %v", status, page)
	}
	status, page, _ = call("/siuss/enti/L378/attenzione", bearer)
	items := page["items"].([]any)
	if status != 200 || len(items) != 1 || !strings.Contains(mustJSON(items[0]), "ID_FLUSSO_SCONOSCIUTO") {
		t.Fatalf("attenzione: %d %v", status, page)
	}
	if status, _, _ := call("/siuss/enti/A000/scarti", bearer); status != 404 {
		t.Fatalf("an ente not served: %d", status)
	}
	if status, _, _ := call("/siuss/enti/L378/scarti?limit=0", bearer); status != 400 {
		t.Fatalf("limit 0: %d", status)
	}
	if status, _, _ := call("/siuss/enti/L378/attenzione?after=-1", bearer); status != 400 {
		t.Fatalf("after -1: %d", status)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
