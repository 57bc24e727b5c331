package tracing

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	simtracing "github.com/welfaregov/gateway/cmd/pasim/sim/tracing"
	"github.com/welfaregov/gateway/gateway/store"
	"github.com/welfaregov/gateway/gateway/store/memory"
)

// redisDB is the database index these tests use on the shared Redis (redistest.Shared).
const redisDB = 9

func memStore(t testing.TB) store.Store {
	t.Helper()
	s, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// clock is a settable time source shared by the reporter and the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var rome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}()

// Fixed ids of the tests.
const (
	tenantA  = "6f2d3c1a-0b1e-4c2d-9e3f-4a5b6c7d8e9f"
	tenantB  = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"
	purpose1 = "1cafea11-08a0-4eaf-a3ee-3e9839c8c2a9"
	purpose2 = "0e1e4c98-6f2e-4f55-90e3-45f7d3f1dbf8"
	token1   = "8f3e3665-5d89-4600-be2f-79aeb18f702d"
	token2   = "99382e29-b0cf-412b-a060-72e421b6d167"
)

// env is a reporter talking to the simulator over loopback HTTP.
type env struct {
	t     *testing.T
	clk   *clock
	st    store.Store
	sim   *simtracing.Server
	srv   *httptest.Server
	rep   *Reporter
	rec   *Recorder
	cfg   Config
	token TokenSource
}

// newEnv starts the simulator (server clock in UTC, manual processing unless delay > 0) and a
// reporter for tenantA at now.
func newEnv(t *testing.T, now time.Time, st store.Store, simOpts simtracing.Options) *env {
	t.Helper()
	e := &env{t: t, clk: &clock{now: now}, st: st}
	simOpts.Now = e.clk.Now
	if simOpts.ProcessDelay == 0 {
		simOpts.ProcessDelay = -1
	}
	e.sim = simtracing.New(simOpts)
	e.srv = httptest.NewServer(e.sim.Handler())
	t.Cleanup(e.srv.Close)
	e.token = TokenFunc(func(context.Context) (string, error) { return "voucher-of-" + tenantA, nil })
	e.cfg = Config{Enabled: true, BaseURL: e.srv.URL, Tenants: []TenantConfig{{ID: tenantA, APIClient: "interop"}},
		RetryMin: 60e9, RetryMax: 3600e9}
	e.rep = e.reporter("gw-1")
	e.rec = e.rep.Recorder()
	return e
}

// reporter builds another reporter on the same store and simulator (another replica).
func (e *env) reporter(instance string) *Reporter {
	e.t.Helper()
	hc := e.srv.Client()
	hc.Transport = orgHeader{tenantA, hc.Transport}
	r, err := New(e.cfg, Options{Store: e.st, Tokens: map[string]TokenSource{tenantA: e.token}, HTTP: hc, Instance: instance, Now: e.clk.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// count records n calls of tenantA at the given Rome time.
func (e *env) count(at time.Time, purpose, token string, status, n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		if err := e.rec.Count(context.Background(), Call{Tenant: tenantA, PurposeID: purpose, TokenID: token, Status: status, Time: at}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) run() {
	e.t.Helper()
	if err := e.rep.RunOnce(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) day(d Day) DayState {
	e.t.Helper()
	s, err := loadDay(context.Background(), e.st, tenantA, d)
	if err != nil {
		e.t.Fatal(err)
	}
	return *s
}

func (e *env) remote(d Day) simtracing.Tracing {
	e.t.Helper()
	for _, tr := range e.sim.Tracings(tenantA) {
		if tr.Date == string(d) {
			return tr
		}
	}
	e.t.Fatalf("the simulator has no tracing for %s", d)
	return simtracing.Tracing{}
}
