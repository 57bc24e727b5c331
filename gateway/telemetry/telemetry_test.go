package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/welfaregov/gateway/gateway/audit"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/pdnd"
	"github.com/welfaregov/gateway/gateway/upstream"
)

// TestMetricNamesFollowPrometheusPractice runs promlint (units in names, _total on counters, no
// camelCase, help on every metric) over every metric the registry exposes after one observation of
// each.
func TestMetricNamesFollowPrometheusPractice(t *testing.T) {
	tel, err := New(Options{Version: "test", Purposes: map[string]string{"p-1": "anpr.C021"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, end := tel.StartCall(context.Background(), upstream.Call{Upstream: "anpr", Operation: "C021", Method: "GET"})
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://anpr.example/x", nil)
	_, endAttempt := tel.StartAttempt(ctx, upstream.Call{Upstream: "anpr", Operation: "C021", Method: "GET"}, 1, req)
	endAttempt("ok")
	end(upstream.CallResult{Outcome: "ok", Attempts: 1, Status: 200})
	tel.Served(context.Background(), eservice.Served{EService: "prestazioni", Operation: "ricercaPrestazioni", Outcome: "ok", Status: 200})
	tel.VoucherRequested("p-1", nil)
	if err := tel.Watch(Sources{Drained: func() bool { return false }}); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(tel.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if req.Header.Get("Traceparent") != "" {
		t.Error("a traceparent was added with traces off")
	}
}

// TestLabelBounds: label values past a set's bound read "other"; unknown methods are _OTHER;
// purposes outside the configuration are "other"; consumers are counted in bounded memory.
func TestLabelBounds(t *testing.T) {
	b := newBoundedSet(3)
	for i := range 10 {
		v := b.value(fmt.Sprint("route-", i))
		if (i < 3 && v != fmt.Sprint("route-", i)) || (i >= 3 && v != otherValue) {
			t.Errorf("value %d: %q", i, v)
		}
	}
	if b.value("route-1") != "route-1" {
		t.Error("a known value lost")
	}
	for m, want := range map[string]string{"GET": "GET", "BREW": "_OTHER", "get": "_OTHER", "": "_OTHER"} {
		if got := methodLabel(m); got != want {
			t.Errorf("methodLabel(%q) = %q", m, got)
		}
	}
	tel, err := New(Options{Purposes: map[string]string{"p-1": "inps"}})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"p-1": "inps", "p-2": "other", "": ""} {
		if got := tel.purpose(id); got != want {
			t.Errorf("purpose(%q) = %q", id, got)
		}
	}
	for i := range 1000 {
		tel.Served(context.Background(), eservice.Served{EService: "prestazioni", ConsumerID: fmt.Sprint("consumer-", i%200)})
		tel.Served(context.Background(), eservice.Served{EService: "prestazioni", ConsumerID: "heavy"})
	}
	tel.mu.Lock()
	n := len(tel.consumers["prestazioni"].counts)
	tel.mu.Unlock()
	if n > maxConsumers {
		t.Errorf("%d consumers kept, bound %d", n, maxConsumers)
	}
	if top := tel.TopConsumers("prestazioni", 1); len(top) != 1 || top[0].Key != "heavy" || top[0].Calls < 1000 {
		t.Errorf("top consumer: %+v", top)
	}
}

// TestVoucherOutcomes: each kind of token request failure has its outcome.
func TestVoucherOutcomes(t *testing.T) {
	tel, err := New(Options{Purposes: map[string]string{"p-1": "anpr"}})
	if err != nil {
		t.Fatal(err)
	}
	tel.VoucherRequested("p-1", nil)
	tel.VoucherRequested("p-1", &pdnd.TokenError{Status: 400})
	tel.VoucherRequested("p-1", &pdnd.TokenError{Status: 503})
	tel.VoucherRequested("p-2", errors.New("signing failed"))
	tel.VoucherRequested("", nil)
	for _, c := range []struct{ purpose, outcome string }{{"anpr", "ok"}, {"anpr", "rejected"}, {"anpr", "unavailable"}, {"other", "error"}, {"pdnd-api", "ok"}} {
		if v := testutil.ToFloat64(tel.voucherRequests.WithLabelValues(c.purpose, c.outcome)); v != 1 {
			t.Errorf("%s %s: %v", c.purpose, c.outcome, v)
		}
	}
}

// TestAuditObserved: appends are timed, failures counted, errors passed through.
func TestAuditObserved(t *testing.T) {
	tel, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fail := errors.New("disk full")
	sink := tel.ObserveAudit(auditFunc(func() error { time.Sleep(time.Millisecond); return fail }))
	if err := sink.Append(context.Background(), nil); !errors.Is(err, fail) {
		t.Fatalf("%v", err)
	}
	if n := testutil.ToFloat64(tel.auditFailures); n != 1 {
		t.Errorf("failures %v", n)
	}
	if c := testutil.CollectAndCount(tel.auditDuration); c != 1 {
		t.Errorf("%d series", c)
	}
}

type auditFunc func() error

func (f auditFunc) Append(context.Context, *audit.Record) error { return f() }
