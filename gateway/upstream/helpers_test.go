package upstream

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/problem"
	"github.com/welfaregov/gateway/gateway/resilience"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// fakeUpstream is a loopback HTTP upstream behind pasim's fault injector: faults are switched on
// and off with set, the answer of a healthy call is decided by answer, and every request that
// reached the server (faulty or not) is counted.
type fakeUpstream struct {
	t      *testing.T
	srv    *httptest.Server
	caFile string // with TLS: the PEM of the server's certificate
	faults *fault.Injector
	calls  atomic.Int64

	mu      sync.Mutex
	answer  func(w http.ResponseWriter, r *http.Request, body []byte)
	headers []http.Header // request headers seen, in order
}

const endpoint = "fake.op"

func newFakeUpstream(t *testing.T) *fakeUpstream { return startFake(t, false) }

// newFakeTLSUpstream is a fakeUpstream over TLS, whose config trusts its certificate.
func newFakeTLSUpstream(t *testing.T) *fakeUpstream { return startFake(t, true) }

func startFake(t *testing.T, withTLS bool) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{t: t, faults: fault.New(fault.Options{Seed: 1})}
	f.answer = func(w http.ResponseWriter, _ *http.Request, _ []byte) { _, _ = io.WriteString(w, "ok") }
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		answer := f.answer
		f.mu.Unlock()
		answer(w, r, body)
	})
	wrapped := f.faults.Wrap(endpoint, "test upstream", fault.Hooks{}, inner)
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body to its end lets the server notice at once when the client hangs up,
		// so an injected hang ends with the call instead of at HangMax.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.calls.Add(1)
		f.mu.Lock()
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		wrapped.ServeHTTP(w, r)
	}))
	if withTLS {
		f.srv.StartTLS()
		f.caFile = filepath.Join(t.TempDir(), "ca.pem")
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
		if err := os.WriteFile(f.caFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		f.srv.Start()
	}
	t.Cleanup(f.srv.Close)
	return f
}

// set replaces the injected faults.
func (f *fakeUpstream) set(s fault.Spec) {
	f.t.Helper()
	if err := f.faults.Set(endpoint, s); err != nil {
		f.t.Fatal(err)
	}
}

// respond makes healthy calls answer with status and body.
func (f *fakeUpstream) respond(status int, body string) {
	f.setAnswer(func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (f *fakeUpstream) setAnswer(a func(w http.ResponseWriter, r *http.Request, body []byte)) {
	f.mu.Lock()
	f.answer = a
	f.mu.Unlock()
}

func (f *fakeUpstream) seenHeaders() []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]http.Header(nil), f.headers...)
}

// testConfig is an upstream on f with auth none and the given tweaks.
func (f *fakeUpstream) config(tweak func(*UpstreamConfig)) *UpstreamConfig {
	c := &UpstreamConfig{BaseURL: f.srv.URL + "/svc/", Auth: AuthNone}
	if f.caFile != "" {
		c.TLS.CAFile = f.caFile
	}
	if tweak != nil {
		tweak(c)
	}
	return c
}

// newTestRuntime builds a runtime with the single upstream "fake" over a memory store. With
// noKeepAlive every exchange closes its connection, so that a synctest bubble (whose clock only
// moves when every goroutine is durably blocked) holds no idle connection reader.
func newTestRuntime(t *testing.T, c *UpstreamConfig, deps Deps, noKeepAlive bool) (*Runtime, *Upstream) {
	t.Helper()
	if deps.Store == nil {
		st, err := memory.New(memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		deps.Store = st
	}
	ck := config.NewChecker()
	Config{"fake": c}.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{"fake": c}, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	u, _ := r.Upstream("fake")
	if noKeepAlive {
		u.client.Transport.(*http.Transport).DisableKeepAlives = true
	}
	return r, u
}

// Operations the tests declare, as an adapter would.
var (
	opIdempotent = &adapter.Operation{Name: "Lookup", Idempotent: true}
	opOnce       = &adapter.Operation{Name: "Submit"}
	// opBusiness reads 404 as the business answer "not found", as the ANPR adapter reads EN122.
	opBusiness = &adapter.Operation{Name: "Find", Idempotent: true, Check: func(status int, h http.Header, b []byte) error {
		if status == http.StatusNotFound {
			return notFound{}
		}
		return adapter.CheckStatus(status, h, b)
	}}
)

type notFound struct{}

func (notFound) Error() string                { return "subject not found" }
func (notFound) UpstreamClass() adapter.Class { return adapter.Business }

// doCall sends one POST of body through u as op and returns the response's status and body, or the
// error. A status of 0 means no response.
func doCall(ctx context.Context, t *testing.T, u *Upstream, op *adapter.Operation, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.BaseURL().String()+"x", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if op != nil {
		ctx = adapter.WithOperation(ctx, op)
	}
	resp, err := u.Do(ctx, req)
	if err != nil {
		if resp != nil {
			t.Fatal("Do returned both a response and an error")
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), nil
}

// reasonOf returns the runtime error's reason, failing the test when err is not one.
func reasonOf(t *testing.T, err error) *resilience.Error {
	t.Helper()
	var re *resilience.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *resilience.Error", err)
	}
	return re
}

// problemOf maps err as the listeners' single error mapper does.
func problemOf(err error) problem.Response { return problem.From(err, "req-1") }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
