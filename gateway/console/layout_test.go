package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/welfaregov/gateway/gateway/internal/opstest"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/quota"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/server"
	"github.com/welfaregov/gateway/gateway/siussfeed"
	"github.com/welfaregov/gateway/gateway/telemetry"
	"github.com/welfaregov/gateway/gateway/tracing"
)

// longKid is the longest kid jose.ValidKid accepts: 128 characters without a hyphen, so the
// browser finds no place to break the line.
var longKid = strings.Repeat("Zt9_x", 26)[:128]

// longView is a dashboard whose every free-form value is as long as the gateway lets it be, with
// no space in it: a 128-character kid, consumer ids and purpose names, URLs in error details, an
// operator's 200-character reason.
func longView() *View {
	now := time.Now()
	url := "https://api.interop.pagopa.it/" + strings.Repeat("segment-", 25) + "keys.json"
	reason := strings.Repeat("r", maxReason)
	name := "registro-" + strings.Repeat("regionale", 6)
	spark := sparkline([]float64{1, 4, 2, 8}, "calls per interval")
	return &View{Version: "v1.2.3", Instance: "gw-" + strings.Repeat("replica", 8), Now: now, Window: "10m0s", Controls: true, Refresh: 3600,
		Drained: &server.Maintenance{Since: now, Reason: reason},
		Health:  []server.CheckResult{{Name: "store", OK: true}, {Name: "pdnd-jwks", Error: "Get " + url}},
		Listeners: []ListenerView{{Name: server.EServicesName, Requests: 1234567890, Client: 12345, Server: 678, Spark: spark},
			{Name: server.InternalName, Spark: spark}, {Name: server.AdminName, Spark: spark}},
		Upstreams: []UpstreamView{{Name: name, State: "forced-open", Calls: 1234567, ErrorRate: 0.5, P50: 0.012, P95: 1.5, Spark: spark,
			Breakers: []resilience.BreakerStatus{{Name: name + ".Consulta" + strings.Repeat("Anagrafica", 4), State: "open", Mode: "forced-open",
				ForcedReason: reason, Trip: "5 consecutive failures", LastFailure: "Post " + url + ": context deadline exceeded"}},
			Quotas: []quota.Usage{{Budget: name + ".Consulta", Limit: 1000000, Remaining: 999999}},
			LastError: &telemetry.UpstreamError{At: now, Operation: "Consulta" + strings.Repeat("Anagrafica", 4), Outcome: "transport",
				Detail: "Post " + url + ": dial tcp: lookup " + strings.Repeat("host", 20) + ".example: no such host", Problem: "upstream-unavailable"}}},
		EServices: []EServiceView{{Name: "prestazioni-" + strings.Repeat("sociali", 8), Calls: 42, Spark: spark,
			Rejections: []telemetry.Count{{Key: "integrity.missing", Calls: 3}},
			Consumers:  []telemetry.Count{{Key: strings.Repeat("6f2d3c1a-0b1e-4c2d-9e3f-4a5b6c7d8e9f", 2), Calls: 2}}}},
		Vouchers: []VoucherView{{Purpose: "bonus-" + strings.Repeat("sociale", 12), Held: 2, Soonest: now.Add(5 * time.Minute)},
			{Purpose: strings.Repeat("1cafea11-08a0-4eaf-a3ee-3e9839c8c2a9", 2), Held: 1, Soonest: now.Add(time.Minute)}},
		JWKS:     &pdnd.JWKSStatus{URL: url, FetchedAt: now, Keys: 3, LastError: `Get "` + url + `": x509: certificate signed by unknown authority`},
		KeyStore: &pdnd.KeyStoreStats{Keys: 4, Unknown: 1, OldestFetched: now},
		Keys: []KeyView{{Name: "pdnd.client.key", Kid: longKid, Alg: "RS256"},
			{Name: "signing." + strings.Repeat("response", 6) + ".key", Kid: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", Alg: "ES256"}},
		Cache: &CacheView{HitRatio: 0.75, Hits: 3, Misses: 1, LocalBytes: 1 << 20, LocalEntries: 10, Spark: spark},
		Tracing: []tracing.DayState{{Tenant: strings.Repeat("0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9", 2), Date: "2026-01-02", State: tracing.LocalFailed,
			Remote: "ERROR", Requests: 100, LastError: "submit: " + url + " answered 500: " + reason,
			Errors: []tracing.TracingError{{PurposeID: "1cafea11-08a0-4eaf-a3ee-3e9839c8c2a9", Severity: "INVALID", ErrorCode: "PURPOSE_NOT_FOUND", Message: reason}}}},
		SIUSS: []siussfeed.QueueSize{{Ente: "ente-" + strings.Repeat("comunale", 10), Queue: "attenzione", Entries: 5, Last: now}},
		Store: StoreView{Up: true, PingSeconds: 0.001, Spark: spark},
	}
}

// overflowScript lists the sections (the dashboard's cards) whose content is wider than they are,
// the innermost elements that reach past the right edge of their section or of the window, and the
// document when it is wider than the window; empty when nothing overflows. A table that scrolls
// sideways inside its card (on a phone) may hold wider content: the table itself must fit.
const overflowScript = `(() => {
	const out = [], d = document.documentElement, w = d.clientWidth;
	if (d.scrollWidth > w) out.push("the document is " + d.scrollWidth + "px wide in a " + w + "px window");
	const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
	for (const s of document.querySelectorAll("section")) {
		const edge = Math.min(s.getBoundingClientRect().right, w) + 0.5;
		if (s.scrollWidth > s.clientWidth) out.push("#" + s.id + " is " + s.scrollWidth + "px wide inside, " + s.clientWidth + "px outside");
		for (const e of s.querySelectorAll("*")) {
			const t = e.closest("table"), inside = t && scrolls(t) ? t : e;
			const r = inside.getBoundingClientRect();
			if (e.children.length === 0 && e.getBoundingClientRect().width > 0 && r.right > edge) out.push("#" + s.id + " " + e.tagName.toLowerCase() + " " + JSON.stringify(e.textContent.trim().slice(0, 30)) + " ends at " + Math.round(r.right) + "px, past " + Math.round(edge) + "px");
		}
	}
	return out.slice(0, 20).join("\n");
})()`

// scrollingTablesScript names the tables wider than their box (they scroll sideways), as "#section".
const scrollingTablesScript = `[...document.querySelectorAll("table")].filter(t => t.scrollWidth > t.clientWidth + 0.5).map(t => "#" + t.closest("section").id).join(" ")`

// TestDashboardLongValuesStayInThePage opens the dashboard of longView in headless Chromium,
// in a wide window, a narrow one and a phone's: nothing reaches past its card or the window (the
// page never scrolls sideways; on the phone, wide tables scroll inside their card), and the long
// kid is on the page in full.
func TestDashboardLongValuesStayInThePage(t *testing.T) {
	v := longView()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "page"
		if r.URL.Path == "/dashboard/panel" {
			name = "panel"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pageTemplate.ExecuteTemplate(w, name, v); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	browser := opstest.Browser(t)
	for _, width := range []int64{1400, 640, 360} {
		t.Run(fmt.Sprint(width, "px"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(browser, 20*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 1000), chromedp.Navigate(srv.URL+"/dashboard")); err != nil {
				t.Fatal(err)
			}
			overflow, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowScript))
			if err != nil {
				t.Fatal(err)
			}
			kidShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.body.innerText.includes(%q)", longKid)))
			if err != nil {
				t.Fatal(err)
			}
			if overflow != "" {
				t.Errorf("long values overflow the page:\n%s", overflow)
			}
			// On a phone the eight-column upstreams table scrolls inside its card; a wide window
			// shows every table whole.
			scrolling, err := chromedp.Run(ctx, chromedp.Evaluate[string](scrollingTablesScript))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case width < 640 && !strings.Contains(scrolling, "#upstreams"):
				t.Errorf("at %d px the upstreams table does not scroll inside its card (scrolling: %q)", width, scrolling)
			case width > 1000 && scrolling != "":
				t.Errorf("at %d px tables scroll sideways: %q", width, scrolling)
			}
			if !kidShown {
				t.Error("the long kid is not on the page in full")
			}
		})
	}
}
