// Package fault injects faults into the pasim simulators: latency, error answers, hangs, connection
// resets, truncated and malformed payloads, simulator-interpreted "semantic" faults and daily quotas,
// per endpoint, changeable at run time through an admin HTTP API or set at start by --fault flags.
//
// Each simulator wraps every endpoint with Injector.Wrap, giving it a stable name
// ("backend.prestazioni.elenco", "inps.consultazioneAttestazione" ...) and Hooks that render error,
// quota and malformed answers in the simulator's own format (SOAP fault, ANPR empty 429 ...).
//
// With the same seed and the same sequence of requests per endpoint, the same requests get the same
// faults: each endpoint draws from its own random stream.
package fault

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // daily quotas roll over at midnight Europe/Rome on machines without zoneinfo

	"github.com/welfaregov/gateway/cmd/pasim/sim/simhttp"
	"github.com/welfaregov/gateway/gateway/problem"
)

// Hooks let a simulator render injected answers in its own format. Nil hooks get problem+json.
type Hooks struct {
	// Error writes a complete answer with the given status (429, 500 or 503). Retry-After, when
	// configured, is already set.
	Error func(w http.ResponseWriter, r *http.Request, status int)
	// Quota writes the 429 of an exhausted daily quota (INPS: no body; ANPR: empty body). Retry-After
	// is already set.
	Quota func(w http.ResponseWriter, r *http.Request)
	// Malformed writes an answer whose payload is invalid in the simulator's format. When nil, the
	// real answer is cut in half and followed by garbage.
	Malformed func(w http.ResponseWriter, r *http.Request)
}

// Options configure an Injector. Zero values mean: seed 0, the wall clock, a real timer,
// Europe/Rome.
type Options struct {
	Seed uint64
	Now  func() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() in the latter case. Tests inject a recorder.
	Sleep    func(ctx context.Context, d time.Duration) error
	Location *time.Location
}

// Injector holds the endpoints and their faults. It is safe for concurrent use.
type Injector struct {
	mu    sync.Mutex
	eps   map[string]*endpoint
	order []string
	seed  uint64
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	loc   *time.Location
}

type endpoint struct {
	name, description string
	hooks             Hooks
	spec              Spec
	rng               *rand.Rand
	quotaDay          string
	quotaUsed         int64
}

// New returns an Injector with no faults configured.
func New(o Options) *Injector {
	in := &Injector{eps: map[string]*endpoint{}, seed: o.Seed, now: o.Now, sleep: o.Sleep, loc: o.Location}
	if in.now == nil {
		in.now = time.Now
	}
	if in.sleep == nil {
		in.sleep = sleepCtx
	}
	if in.loc == nil {
		if loc, err := time.LoadLocation("Europe/Rome"); err == nil {
			in.loc = loc
		} else {
			in.loc = time.UTC
		}
	}
	return in
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrUnknownEndpoint is returned by Set for a name no simulator registered.
var ErrUnknownEndpoint = errors.New("fault: unknown endpoint")

// Register declares an endpoint (idempotent: a second call replaces description and hooks).
func (in *Injector) Register(name, description string, hooks Hooks) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if ep, ok := in.eps[name]; ok {
		ep.description, ep.hooks = description, hooks
		return
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	in.eps[name] = &endpoint{name: name, description: description, hooks: hooks,
		rng: rand.New(rand.NewPCG(in.seed, h.Sum64()))}
	in.order = append(in.order, name)
}

// Wrap registers the endpoint and returns next wrapped with its faults. A nil Injector injects
// nothing: it returns next unchanged (a simulator built without one has no faults to serve).
func (in *Injector) Wrap(name, description string, hooks Hooks, next http.Handler) http.Handler {
	if in == nil {
		return next
	}
	in.Register(name, description, hooks)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { in.serve(name, w, r, next) })
}

// Set replaces the faults of an endpoint after validating them.
func (in *Injector) Set(name string, s Spec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	ep, ok := in.eps[name]
	if !ok {
		return ErrUnknownEndpoint
	}
	ep.spec = s
	return nil
}

// Clear removes the faults of an endpoint (its quota counter is kept).
func (in *Injector) Clear(name string) error { return in.Set(name, Spec{}) }

// ResetQuotas zeroes the daily counters of the named endpoints, or of all when none is named.
func (in *Injector) ResetQuotas(names ...string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, n := range names {
		if in.eps[n] == nil {
			return ErrUnknownEndpoint
		}
	}
	for n, ep := range in.eps {
		if len(names) == 0 || slices.Contains(names, n) {
			ep.quotaUsed = 0
		}
	}
	return nil
}

// EndpointState is the admin view of one endpoint.
type EndpointState struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Spec        Spec   `json:"spec"`
	QuotaUsed   int64  `json:"quotaUsed"`
	QuotaDay    string `json:"quotaDay,omitempty"`
}

// Endpoints lists every registered endpoint in registration order.
func (in *Injector) Endpoints() []EndpointState {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]EndpointState, 0, len(in.order))
	for _, n := range in.order {
		ep := in.eps[n]
		out = append(out, EndpointState{ep.name, ep.description, ep.spec, ep.quotaUsed, ep.quotaDay})
	}
	return out
}

type action int

const (
	actNone action = iota
	actHang
	actReset
	actError
	actTruncate
	actMalformed
)

type plan struct {
	spec       Spec
	hooks      Hooks
	delay      time.Duration
	quotaRetry time.Duration // > 0: quota exhausted
	act        action
	semantic   string
}

// decide draws everything for one request under the lock, so the per-endpoint random stream is
// consumed in request order.
func (in *Injector) decide(name string) plan {
	in.mu.Lock()
	defer in.mu.Unlock()
	ep := in.eps[name]
	s := ep.spec
	p := plan{spec: s, hooks: ep.hooks}
	if s.DailyQuota > 0 {
		now := in.now().In(in.loc)
		if day := now.Format(time.DateOnly); day != ep.quotaDay {
			ep.quotaDay, ep.quotaUsed = day, 0
		}
		ep.quotaUsed++
		if ep.quotaUsed > s.DailyQuota {
			y, m, d := now.Date()
			p.quotaRetry = time.Date(y, m, d+1, 0, 0, 0, 0, in.loc).Sub(now)
			return p
		}
	}
	p.delay = s.Latency.draw(ep.rng)
	roll := func(rate float64) bool { return rate > 0 && ep.rng.Float64() < rate }
	switch {
	case roll(s.HangRate):
		p.act = actHang
	case roll(s.ResetRate):
		p.act = actReset
	case roll(s.ErrorRate):
		p.act = actError
	case roll(s.TruncateRate):
		p.act = actTruncate
	case roll(s.MalformedRate):
		p.act = actMalformed
	}
	if s.Semantic != "" && (s.SemanticRate == 0 || roll(s.SemanticRate)) {
		p.semantic = s.Semantic
	}
	return p
}

func (l Latency) draw(r *rand.Rand) time.Duration {
	var d time.Duration
	switch l.Kind {
	case "fixed":
		d = time.Duration(l.Fixed)
	case "uniform":
		d = time.Duration(l.Min) + time.Duration(r.Int64N(int64(l.Max-l.Min)+1))
	case "normal":
		// Log-normal with median p50 and 99th percentile p99: sigma = ln(p99/p50) / z(0.99).
		sigma := math.Log(float64(l.P99)/float64(l.P50)) / 2.3263478740
		d = time.Duration(float64(l.P50) * math.Exp(sigma*r.NormFloat64()))
	}
	return min(max(d, 0), maxDelay)
}

func (in *Injector) serve(name string, w http.ResponseWriter, r *http.Request, next http.Handler) {
	p := in.decide(name)
	if p.quotaRetry > 0 {
		w.Header().Set("Retry-After", problem.RetryAfterSeconds(p.quotaRetry))
		if p.hooks.Quota != nil {
			p.hooks.Quota(w, r)
			return
		}
		simhttp.WriteProblem(w, problem.New(problem.TooManyRequests, "the daily quota of %d requests for this endpoint is exhausted", p.spec.DailyQuota))
		return
	}
	if p.delay > 0 {
		if in.sleep(r.Context(), p.delay) != nil {
			return // the client gave up while we were slow
		}
	}
	if p.semantic != "" {
		r = r.WithContext(context.WithValue(r.Context(), semanticKey{}, p.semantic))
	}
	switch p.act {
	case actHang:
		max := time.Duration(p.spec.HangMax)
		if max == 0 {
			max = defaultHang
		}
		_ = in.sleep(r.Context(), max)
		panic(http.ErrAbortHandler) // close the connection without an answer
	case actReset:
		reset(w)
	case actError:
		if p.spec.RetryAfter > 0 && (p.spec.ErrorStatus == 429 || p.spec.ErrorStatus == 503) {
			w.Header().Set("Retry-After", problem.RetryAfterSeconds(time.Duration(p.spec.RetryAfter)))
		}
		if p.hooks.Error != nil {
			p.hooks.Error(w, r, p.spec.ErrorStatus)
			return
		}
		t := map[int]problem.Type{429: problem.TooManyRequests, 500: problem.Internal, 503: problem.ServiceUnavailable}[p.spec.ErrorStatus]
		simhttp.WriteProblem(w, problem.New(t, "injected fault: this endpoint is configured to fail"))
	case actTruncate:
		rec := record(next, r)
		cut := min(p.spec.TruncateAt, rec.body.Len())
		rec.copyHeader(w)
		if p.spec.TruncateHonest {
			w.Header().Set("Content-Length", strconv.Itoa(cut))
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes()[:cut])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes()[:cut])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // promised more bytes than sent: the client sees an unexpected EOF
	case actMalformed:
		if p.hooks.Malformed != nil {
			p.hooks.Malformed(w, r)
			return
		}
		rec := record(next, r)
		body := append(rec.body.Bytes()[:rec.body.Len()/2], "\x00<<<malformed"...)
		rec.copyHeader(w)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	default:
		next.ServeHTTP(w, r)
	}
}

// reset closes the client connection with an RST: SO_LINGER 0 discards unsent data and aborts.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a wrapped writer: the closest we can do
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

type semanticKey struct{}

// SemanticFrom returns the semantic fault injected into this request ("bad-signature",
// "expired-voucher" ...), if any. The simulator decides what each name means.
func SemanticFrom(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(semanticKey{}).(string)
	return s, ok
}

// recorder captures a handler's answer so it can be cut or mangled.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func record(h http.Handler, r *http.Request) *recorder {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(rec, r)
	return rec
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func (r *recorder) copyHeader(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
}
