package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/quota"
	"github.com/welfaregov/gateway/gateway/resilience"
)

// maxRequestBody bounds the body of an outbound request, which the runtime holds in memory to
// sign it and to resend it on retries. Consultation requests are a few KiB.
const maxRequestBody = 4 << 20

// maxBreakers bounds the breakers of one upstream: operation names come from adapter code, but a
// bug that put an id in a name must not grow the map (and the metrics) without bound. Calls past
// the bound share the upstream's "<upstream>.other" breaker.
const maxBreakers = 64

// Upstream is the Transport of one upstream system (adapter.Transport): every call goes through
// the operation's circuit breaker, the upstream's bulkhead, its daily budget, the attempt timeout,
// the Authorizer and the HTTP client, and idempotent calls are retried per the retry policy.
// Safe for concurrent use.
type Upstream struct {
	name        string
	base        *url.URL
	client      *http.Client
	auth        Authorizer
	bulkhead    *resilience.Bulkhead
	retrier     *resilience.Retrier
	quotas      *quota.Quotas
	cfg         *UpstreamConfig
	timeout     time.Duration
	callTimeout time.Duration
	maxResponse int64
	policy      resilience.BreakerPolicy
	log         *slog.Logger
	obs         Observer

	mu       sync.Mutex
	breakers map[string]*resilience.Breaker // keyed by the full name "<upstream>.<operation>"
}

var _ adapter.Transport = (*Upstream)(nil)

// Name is the upstream's name.
func (u *Upstream) Name() string { return u.name }

// BaseURL is the configured base URL, from which adapters build their requests.
func (u *Upstream) BaseURL() *url.URL { return u.base }

// operationName is the breaker name of op: "<upstream>.<operation>", or the upstream's name for
// requests that declare no operation.
func (u *Upstream) operationName(op *adapter.Operation) string {
	if op == nil || op.Name == "" {
		return u.name
	}
	return u.name + "." + op.Name
}

// breaker returns the breaker of the named operation, creating it on first use.
func (u *Upstream) breaker(name string) *resilience.Breaker {
	u.mu.Lock()
	defer u.mu.Unlock()
	if b, ok := u.breakers[name]; ok {
		return b
	}
	if len(u.breakers) >= maxBreakers {
		name = u.name + ".other"
		if b, ok := u.breakers[name]; ok {
			return b
		}
	}
	b := resilience.NewBreaker(name, u.policy)
	u.breakers[name] = b
	return b
}

// Breakers lists the upstream's breakers.
func (u *Upstream) Breakers() []*resilience.Breaker {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]*resilience.Breaker, 0, len(u.breakers))
	for _, b := range u.breakers {
		out = append(out, b)
	}
	return out
}

// Do sends req as the operation named in ctx (adapter.WithOperation; without one, the call is
// not retried and uses the upstream's own breaker). Following adapter.Transport, a nil error means
// a response, whatever its status: the last attempt's when retries ran out or were refused. The
// response body is fully read (at most max_response_size) and closed by the runtime; the caller
// reads it from memory and should still Close it. Otherwise the error is a *resilience.Error
// (refused, timed out, connection failed, answer too large) or wraps resilience.ErrCallerGone when
// ctx ended.
func (u *Upstream) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	op := adapter.OperationFrom(ctx)
	if op == nil {
		op = &adapter.Operation{}
	}
	name := u.operationName(op)
	if op.Name != "" && !operationName.MatchString(op.Name) {
		return nil, &resilience.Error{Reason: resilience.ReasonRequest, Operation: u.name,
			Detail: "the adapter named its operation with characters other than letters, digits and '_'"}
	}
	if err := u.checkURL(req.URL); err != nil {
		return nil, &resilience.Error{Reason: resilience.ReasonRequest, Operation: name, Detail: err.Error()}
	}
	body, err := readRequestBody(req)
	if err != nil {
		return nil, &resilience.Error{Reason: resilience.ReasonRequest, Operation: name, Detail: err.Error()}
	}
	c := &call{u: u, op: op, name: name, req: req, body: body,
		breaker: u.breaker(name), budget: u.cfg.budgetOf(u.name, op.Name), timeout: u.timeoutOf(op.Name)}
	c.view = c.observed()
	ctx, end := u.obs.StartCall(ctx, c.view)
	callCtx, cancel := u.callContext(ctx)
	defer cancel()
	c.ctx, c.callCtx = ctx, callCtx
	resp, err := c.run()
	r := CallResult{Attempts: c.sent, Err: err, Check: c.verdict, Outcome: OutcomeOf(c.verdict, err)}
	if resp != nil {
		r.Status = resp.StatusCode
	}
	end(r)
	return resp, err
}

// checkURL refuses a request outside the configured base URL: its credentials are for this
// upstream only.
func (u *Upstream) checkURL(r *url.URL) error {
	if r == nil || r.Scheme != u.base.Scheme || r.Host != u.base.Host || !strings.HasPrefix(r.Path, u.base.Path) {
		return errors.New("the request URL is outside the upstream's base_url; the runtime sends credentials nowhere else")
	}
	return nil
}

func readRequestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading the request body: %v", err)
	case len(b) > maxRequestBody:
		return nil, fmt.Errorf("the request body is larger than %d bytes", maxRequestBody)
	}
	return b, nil
}

// callContext bounds the call by call_timeout unless the caller's deadline comes first.
func (u *Upstream) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= u.callTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, u.callTimeout)
}

func (u *Upstream) timeoutOf(op string) time.Duration {
	if o, ok := u.cfg.Operations[op]; ok && o.Timeout > 0 {
		return o.Timeout.D()
	}
	return u.timeout
}

// call is one Do: its attempts share the body, the deadline and the breaker.
type call struct {
	u       *Upstream
	op      *adapter.Operation
	name    string
	req     *http.Request
	body    []byte
	ctx     context.Context // the caller's
	callCtx context.Context // the caller's, bounded by call_timeout
	breaker *resilience.Breaker
	budget  string
	timeout time.Duration
	view    Call // what observers see

	reauthorized bool
	sent         int   // attempts sent
	verdict      error // the Check's verdict on the last answer (nil: passed, or no answer)
}

// outcome is what one attempt produced: a response (its body read) or none, and the error that
// classifies it (nil: success).
type outcome struct {
	resp *http.Response
	err  error
}

func (c *call) run() (*http.Response, error) {
	c.u.retrier.Started()
	var last outcome
	for n := 1; ; n++ {
		o, sent := c.attempt(n)
		if !sent {
			// Refused before sending (breaker, bulkhead, quota, credentials): a retry's refusal
			// returns what the previous attempt got, the first attempt's the refusal.
			if n > 1 && !errors.Is(o.err, resilience.ErrCallerGone) {
				return last.result()
			}
			return nil, o.err
		}
		last = o
		if o.err == nil {
			return o.result()
		}
		if c.rejectedCredentials(o) {
			continue
		}
		d := c.u.retrier.Next(n, c.op.Idempotent, o.err, c.remaining())
		if !d.Retry {
			c.u.log.Debug("upstream call failed", "operation", c.name, "attempt", n, "failure", resilience.Summary(o.err), "no_retry", d.Why)
			return o.result()
		}
		c.u.log.Info("upstream retry", "operation", c.name, "attempt", n, "failure", resilience.Summary(o.err), "wait", d.Wait.String())
		if err := resilience.Sleep(c.callCtx, d.Wait); err != nil {
			if errors.Is(c.ctx.Err(), context.Canceled) {
				return nil, fmt.Errorf("%w: waiting to retry %s: %w", resilience.ErrCallerGone, c.name, err)
			}
			return o.result() // a deadline passed while waiting: the last answer is the call's
		}
	}
}

// result is what Do returns for the outcome: the response when there is one.
func (o outcome) result() (*http.Response, error) {
	if o.resp != nil {
		return o.resp, nil
	}
	return nil, o.err
}

// rejectedCredentials handles a 401 to credentials an Authorizer cached: once per call, it drops
// them and asks for one more attempt.
func (c *call) rejectedCredentials(o outcome) bool {
	rj, ok := c.u.auth.(CredentialRejecter)
	if !ok || c.reauthorized || o.resp == nil || o.resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	c.reauthorized = true
	rj.Rejected(c.ctx, o.resp.Request)
	return true
}

func (c *call) remaining() time.Duration {
	d, _ := c.callCtx.Deadline() // callContext always sets one
	return time.Until(d)
}

// attempt runs attempt n through breaker, bulkhead, quota, credentials and HTTP. sent is false
// when it was refused before anything went on the wire.
func (c *call) attempt(n int) (o outcome, sent bool) {
	done, err := c.breaker.Allow()
	if err != nil {
		return outcome{err: c.refused(err, n)}, false
	}
	release, err := c.u.bulkhead.Acquire(c.callCtx)
	if err != nil {
		done(resilience.ErrNotSent)
		return outcome{err: c.refused(err, n)}, false
	}
	defer release()
	if err := c.u.quotas.Take(c.callCtx, c.budget); err != nil {
		done(resilience.ErrNotSent)
		return outcome{err: c.refused(err, n)}, false
	}
	attemptCtx, cancel := context.WithTimeout(c.callCtx, c.timeout)
	defer cancel()
	req := c.req.Clone(attemptCtx)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(c.body)), int64(len(c.body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(c.body)), nil }
	if c.body == nil {
		req.Body, req.GetBody = http.NoBody, nil
	}
	// The observer sees the attempt before the Authorizer: headers it adds (traceparent) travel,
	// and a signature over chosen headers is computed after them.
	actx, endAttempt := c.u.obs.StartAttempt(attemptCtx, c.view, n, req)
	req = req.WithContext(actx)
	if err := c.u.auth.Authorize(actx, req, c.body); err != nil {
		c.u.quotas.Refund(context.WithoutCancel(c.ctx), c.budget)
		done(resilience.ErrNotSent)
		if c.ctx.Err() != nil {
			endAttempt(OutcomeCanceled)
			return outcome{err: fmt.Errorf("%w: preparing credentials: %w", resilience.ErrCallerGone, err)}, false
		}
		endAttempt(resilience.ReasonCredentials.String())
		return outcome{err: &resilience.Error{Reason: resilience.ReasonCredentials, Operation: c.name, Attempts: n - 1, Cause: err,
			Detail: "the credentials for the call (PDND voucher, ModI signature) could not be prepared; nothing was sent"}}, false
	}
	c.sent++
	o = c.send(req, attemptCtx)
	c.verdict = nil
	if o.resp != nil {
		c.verdict = o.err
	}
	endAttempt(OutcomeOf(nil, o.err))
	done(o.err)
	if re := (*resilience.Error)(nil); errors.As(o.err, &re) {
		re.Attempts = n
	}
	return o, true
}

func (c *call) refused(err error, n int) error {
	var re *resilience.Error
	if errors.As(err, &re) {
		re.Attempts = n - 1
	}
	return err
}

// send performs the HTTP exchange and classifies it. The whole body is read within the attempt's
// timeout, so a slow body counts as a timeout like a slow header.
func (c *call) send(req *http.Request, attemptCtx context.Context) outcome {
	resp, err := c.u.client.Do(req)
	if err != nil {
		return outcome{err: attemptFailure(c.name, err, c.ctx, c.callCtx, attemptCtx, c.timeout, c.u.callTimeout)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.u.maxResponse+1))
	if err != nil {
		return outcome{err: attemptFailure(c.name, err, c.ctx, c.callCtx, attemptCtx, c.timeout, c.u.callTimeout)}
	}
	if int64(len(b)) > c.u.maxResponse {
		return outcome{err: &resilience.Error{Reason: resilience.ReasonResponseTooLarge, Operation: c.name,
			Detail: fmt.Sprintf("the answer (HTTP %d) is larger than max_response_size of %d bytes", resp.StatusCode, c.u.maxResponse)}}
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	check := c.op.Check
	if check == nil {
		check = adapter.CheckStatus
	}
	return outcome{resp: resp, err: check(resp.StatusCode, resp.Header, b)}
}
