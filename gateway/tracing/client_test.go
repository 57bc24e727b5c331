package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	simtracing "github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
)

const secretVoucher = "eyJhbGciOiJSUzI1NiJ9.eyJvcmdhbml6YXRpb25JZCI6InNlY3JldCJ9.c2lnbmF0dXJl"

// clientEnv is a Client of tenantA against the simulator, with the requests it sent.
type clientEnv struct {
	c      *Client
	sim    *simtracing.Server
	faults *fault.Injector
	clk    *clock
	mu     sync.Mutex
	seen   []*http.Request
}

func newClientEnv(t *testing.T) *clientEnv {
	ce := &clientEnv{clk: &clock{now: afterD}, faults: fault.New(fault.Options{})}
	ce.sim = simtracing.New(simtracing.Options{Now: ce.clk.Now, ProcessDelay: -1, Faults: ce.faults})
	h := ce.sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ce.mu.Lock()
		ce.seen = append(ce.seen, r.Clone(context.Background()))
		ce.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	hc := srv.Client()
	hc.Transport = orgHeader{tenantA, hc.Transport}
	ce.c = &Client{BaseURL: srv.URL + "/", Tokens: TokenFunc(func(context.Context) (string, error) { return secretVoucher, nil }), HTTP: hc}
	return ce
}

func apiErr(t *testing.T, err error) *APIError {
	t.Helper()
	var e *APIError
	if !errors.As(err, &e) {
		t.Fatalf("want an *APIError, got %v", err)
	}
	if strings.Contains(e.Error(), secretVoucher) || strings.Contains(e.Error(), "c2lnbmF0dXJl") {
		t.Fatalf("the voucher leaked into an error: %v", e)
	}
	return e
}

func TestClientSpeaksTheAPI(t *testing.T) {
	ce := newClientEnv(t)
	ctx := context.Background()
	if err := ce.c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	file := GenerateCSV(dayD, []Row{{purpose1, 200, token1, 3}})
	id, others, err := ce.c.Submit(ctx, dayD, file)
	if err != nil || id == "" || others {
		t.Fatalf("%q %v %v", id, others, err)
	}
	last := ce.seen[len(ce.seen)-1]
	if ct := last.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/form-data; boundary=") || strings.ContainsRune(ct, '\t') {
		t.Fatalf("Content-Type %q", ct)
	}
	if last.Header.Get("Authorization") != "Bearer "+secretVoucher || last.URL.Path != "/tracings/submit" {
		t.Fatalf("%s %s", last.URL.Path, last.Header.Get("Authorization"))
	}
	if got := ce.sim.Tracings(tenantA)[0]; string(got.File) != string(file) || got.State != "PENDING" {
		t.Fatalf("%+v", got)
	}

	// A second submit of the day.
	_, _, err = ce.c.Submit(ctx, dayD, file)
	if e := apiErr(t, err); e.Status != 400 || !e.HasCode(CodeTracingAlreadyExists) || e.Temporary() || e.CorrelationID == "" {
		t.Fatalf("%+v", e)
	}
	// Today is not a past day on the server's clock.
	_, _, err = ce.c.Submit(ctx, DayOf(ce.clk.Now(), time.UTC), file)
	if e := apiErr(t, err); !e.HasCode(CodeInvalidTracingDate) || !e.Temporary() {
		t.Fatalf("%+v", e)
	}
	// Recover is only for ERROR or MISSING; replace only for COMPLETED or WARNING.
	err = ce.c.Recover(ctx, id, dayD, file)
	if e := apiErr(t, err); e.Status != 409 || !e.HasCode(CodeTracingCannotBeUpdated) {
		t.Fatalf("%+v", e)
	}
	ce.sim.ProcessPending()
	if err := ce.c.Replace(ctx, id, dayD, file); err != nil {
		t.Fatal(err)
	}
	err = ce.c.Recover(ctx, "00000000-0000-4000-8000-000000000000", dayD, file)
	if e := apiErr(t, err); e.Status != 404 || !e.HasCode(CodeTracingNotFound) {
		t.Fatalf("%+v", e)
	}
	page, err := ce.c.List(ctx, 0, 10, StatePending)
	if err != nil || page.TotalCount != 1 || page.Results[0].ID != id || page.Results[0].Date != dayD {
		t.Fatalf("%+v %v", page, err)
	}
	errs, err := ce.c.Errors(ctx, id, 100)
	if err != nil || len(errs) != 0 {
		t.Fatalf("%+v %v", errs, err)
	}
}

func TestClientPagesThroughLongLists(t *testing.T) {
	ce := newClientEnv(t)
	ctx := context.Background()
	first := Day("2025-11-01")
	for i := 0; i < 120; i++ {
		if _, _, err := ce.c.Submit(ctx, first.Add(i), []byte(Header+"\n")); err != nil {
			t.Fatal(err)
		}
	}
	all, err := ce.c.ListAll(ctx, 1000)
	if err != nil || len(all) != 120 || all[0].Date != first || all[119].Date != first.Add(119) {
		t.Fatalf("%d %v", len(all), err)
	}
	n := len(ce.seen)
	recent, err := ce.c.ListSince(ctx, first.Add(115))
	if err != nil || len(recent) != 5 {
		t.Fatalf("%d %v", len(recent), err)
	}
	if calls := len(ce.seen) - n; calls != 2 {
		t.Fatalf("ListSince of the last days read %d pages, want the count and one page", calls)
	}
	// A long error list: a file with 60 invalid rows.
	var b strings.Builder
	b.WriteString(Header + "\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "%s,%s,999,%s,1\n", first.Add(200), purpose1, token1)
	}
	id, _, err := ce.c.Submit(ctx, first.Add(-1), []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ce.sim.ProcessPending()
	errs, err := ce.c.Errors(ctx, id, 1000)
	if err != nil || len(errs) < 120 || errs[0].RowNumber != 1 || errs[len(errs)-1].RowNumber != 60 {
		t.Fatalf("%d errors, %v", len(errs), err)
	}
}

func TestClientReportsBrokenAnswers(t *testing.T) {
	ce := newClientEnv(t)
	ctx := context.Background()
	cases := map[string]fault.Spec{
		"fail/malformed":   {MalformedRate: 1},
		"fail/truncated":   {TruncateRate: 1, TruncateAt: 5},
		"fail/reset":       {ResetRate: 1},
		"fail/unavailable": {ErrorRate: 1, ErrorStatus: 503, RetryAfter: fault.Duration(7 * time.Second)},
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			if err := ce.faults.Set("tracing.list", spec); err != nil {
				t.Fatal(err)
			}
			defer ce.faults.Clear("tracing.list")
			_, err := ce.c.List(ctx, 0, 5)
			e := apiErr(t, err)
			if !e.Temporary() {
				t.Fatalf("%+v", e)
			}
			if name == "fail/unavailable" && (e.RetryAfter != 7*time.Second || e.Status != 503) {
				t.Fatalf("%+v", e)
			}
		})
	}
	// The voucher cannot be obtained: no request is sent.
	n := len(ce.seen)
	bad := &Client{BaseURL: ce.c.BaseURL, HTTP: ce.c.HTTP, Tokens: TokenFunc(func(context.Context) (string, error) {
		return "", errors.New("PDND token endpoint: 400 invalid_client")
	})}
	_, err := bad.List(ctx, 0, 5)
	if e := apiErr(t, err); !strings.Contains(e.Error(), "invalid_client") || len(ce.seen) != n {
		t.Fatalf("%v", e)
	}
}

// cannedTransport answers every request with one status and body.
type cannedTransport struct {
	status int
	body   []byte
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	rec.WriteHeader(c.status)
	_, _ = rec.Write(c.body)
	return rec.Result(), nil
}

// FuzzClientAnswers feeds arbitrary answers from "PDND" to every client call: no panic, and every
// failure is an *APIError.
func FuzzClientAnswers(f *testing.F) {
	f.Add(200, []byte(`{"results":[{"tracingId":"x","date":"2026-03-10T00:00:00.000Z","state":"ERROR"}],"totalCount":1}`))
	f.Add(400, []byte(`{"type":"about:blank","status":400,"title":"Bad Request","detail":"x","correlationId":"c","errors":[{"code":"TRACING_ALREADY_EXISTS","detail":"x"}]}`))
	f.Add(200, []byte(`{"tracingId":"","errors":false}`))
	f.Add(503, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		c := &Client{BaseURL: "http://pdnd.test", HTTP: &http.Client{Transport: cannedTransport{status, body}},
			Tokens: TokenFunc(func(context.Context) (string, error) { return secretVoucher, nil })}
		ctx := context.Background()
		check := func(err error) {
			var e *APIError
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("not an APIError: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), secretVoucher) {
				t.Fatal("voucher in an error")
			}
		}
		_, _, err := c.Submit(ctx, dayD, []byte(Header+"\n"))
		check(err)
		_, err = c.ListSince(ctx, dayD)
		check(err)
		_, err = c.Errors(ctx, "id", 100)
		check(err)
		check(c.Recover(ctx, "id", dayD, nil))
	})
}

func TestTracingErrorReadsForAnOperator(t *testing.T) {
	for _, c := range []struct {
		e    TracingError
		want string
	}{
		{TracingError{PurposeID: "p-1", Severity: "INVALID", ErrorCode: "INVALID_ROW_SCHEMA", Message: "token_id is missing", RowNumber: 3},
			"row 3, purpose p-1: INVALID INVALID_ROW_SCHEMA: token_id is missing"},
		{TracingError{Severity: "WARNING", ErrorCode: "PURPOSE_NOT_FOUND"}, "WARNING PURPOSE_NOT_FOUND"},
		{TracingError{ErrorCode: "X", Message: "m"}, "X: m"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
	if got := fmt.Sprint(TracingError{ErrorCode: "X"}); got != "X" {
		t.Errorf("fmt (and so the dashboard's template) prints %q", got)
	}
}
