package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/welfaregov/gateway/adapters/upstream"
)

// State is a breaker's state: closed (calls flow), open (calls fail fast), half-open (a few probe
// calls decide between the two).
type State = gobreaker.State

// The breaker states, re-exported so callers need not import gobreaker.
const (
	StateClosed   = gobreaker.StateClosed
	StateHalfOpen = gobreaker.StateHalfOpen
	StateOpen     = gobreaker.StateOpen
)

// Mode says whether the breaker decides by itself or an operator forced it.
type Mode int32

const (
	// ModeAuto: the breaker follows its thresholds.
	ModeAuto Mode = iota
	// ModeForcedOpen: every call fails fast until an operator releases it (Reset or ForceClosed).
	ModeForcedOpen
	// ModeForcedClosed: every call goes through whatever the failures; outcomes are still recorded.
	ModeForcedClosed
)

func (m Mode) String() string {
	switch m {
	case ModeForcedOpen:
		return "forced-open"
	case ModeForcedClosed:
		return "forced-closed"
	}
	return "auto"
}

// BreakerPolicy configures a Breaker. The zero value of each field means its documented default.
// A breaker trips when either threshold is reached.
type BreakerPolicy struct {
	// ConsecutiveFailures trips the breaker after that many failures in a row. Default 5.
	ConsecutiveFailures uint32
	// FailureRatio trips the breaker when failures / requests within Window reach it (0 < r <= 1),
	// once at least MinRequests were counted. Default 0.5. A breaker fed by a steady mix of
	// successes and failures never sees 5 failures in a row, yet may be failing half its calls.
	FailureRatio float64
	// MinRequests is the smallest number of requests in the window for FailureRatio to apply.
	// Default 20.
	MinRequests uint32
	// Window is the rolling window of FailureRatio, kept in WindowBuckets buckets (the oldest
	// bucket drops out every Window/WindowBuckets). Default 60s in 6 buckets.
	Window        time.Duration
	WindowBuckets int
	// OpenTimeout is how long the breaker stays open before it lets probes through. Default 30s.
	OpenTimeout time.Duration
	// HalfOpenProbes is how many calls the half-open breaker lets through; that many successes
	// in a row close it, any failure opens it again. Default 1.
	HalfOpenProbes uint32
	// IsFailure says whether an attempt's error counts against the breaker. Default
	// DefaultIsFailure.
	IsFailure func(err error) bool
	// IsExcluded says whether an attempt's outcome is not counted at all. Default
	// DefaultIsExcluded.
	IsExcluded func(err error) bool
	// OnStateChange, when set, is called after every state change (for logs and metrics). It runs
	// while the breaker is locked: it must not call the breaker.
	OnStateChange func(name string, from, to State)
}

// Defaults of BreakerPolicy.
const (
	DefaultConsecutiveFailures = 5
	DefaultFailureRatio        = 0.5
	DefaultMinRequests         = 20
	DefaultWindow              = 60 * time.Second
	DefaultWindowBuckets       = 6
	DefaultOpenTimeout         = 30 * time.Second
	DefaultHalfOpenProbes      = 1
)

// DefaultIsFailure counts what says the upstream is unhealthy: Retryable failures and Permanent
// ones that are the upstream's fault (upstream.IsUpstreamFault). Business answers ("not found")
// and refusals of our own request (400, 401) show a working upstream: they count as successes.
func DefaultIsFailure(err error) bool { return upstream.IsUpstreamFault(err) }

// DefaultIsExcluded leaves out attempts the caller abandoned (ErrCallerGone, context.Canceled)
// and attempts never sent (ErrNotSent): they tell nothing about the upstream.
func DefaultIsExcluded(err error) bool {
	return errors.Is(err, ErrCallerGone) || errors.Is(err, ErrNotSent) || errors.Is(err, context.Canceled)
}

func (p BreakerPolicy) withDefaults() BreakerPolicy {
	if p.ConsecutiveFailures == 0 {
		p.ConsecutiveFailures = DefaultConsecutiveFailures
	}
	if p.FailureRatio == 0 {
		p.FailureRatio = DefaultFailureRatio
	}
	if p.MinRequests == 0 {
		p.MinRequests = DefaultMinRequests
	}
	if p.Window == 0 {
		p.Window = DefaultWindow
	}
	if p.WindowBuckets == 0 {
		p.WindowBuckets = DefaultWindowBuckets
	}
	if p.OpenTimeout == 0 {
		p.OpenTimeout = DefaultOpenTimeout
	}
	if p.HalfOpenProbes == 0 {
		p.HalfOpenProbes = DefaultHalfOpenProbes
	}
	if p.IsFailure == nil {
		p.IsFailure = DefaultIsFailure
	}
	if p.IsExcluded == nil {
		p.IsExcluded = DefaultIsExcluded
	}
	return p
}

// Breaker is the circuit breaker of one upstream operation in this replica: gobreaker's
// in-process breaker (never its distributed one, which serialises every call behind a cluster
// lock), plus what operators need: forcing it open or closed, resetting it, and reading why it is
// in its state. Safe for concurrent use.
type Breaker struct {
	name   string
	policy BreakerPolicy
	cb     atomic.Pointer[gobreaker.TwoStepCircuitBreaker[struct{}]]
	mode   atomic.Int32

	mu            sync.Mutex // guards the fields below; never held while calling into cb
	since         time.Time  // when the current state began
	openedAt      time.Time
	trip          string // why the breaker last opened
	lastFailure   string
	lastFailureAt time.Time
	forcedReason  string
	forcedAt      time.Time
}

// NewBreaker returns a closed breaker named name ("anpr.C021").
func NewBreaker(name string, p BreakerPolicy) *Breaker {
	b := &Breaker{name: name, policy: p.withDefaults()}
	b.reset()
	return b
}

func (b *Breaker) reset() {
	p := b.policy
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         b.name,
		MaxRequests:  p.HalfOpenProbes,
		Interval:     p.Window,
		BucketPeriod: p.Window / time.Duration(p.WindowBuckets),
		Timeout:      p.OpenTimeout,
		ReadyToTrip:  b.readyToTrip,
		OnStateChange: func(name string, from, to State) {
			b.stateChanged(from, to)
			if p.OnStateChange != nil {
				p.OnStateChange(name, from, to)
			}
		},
		// The outcome handed to gobreaker is already decided (see done): nil or errFailure.
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded:   func(err error) bool { return err == errExcluded },
	})
	b.mu.Lock()
	b.since, b.openedAt, b.trip = time.Now(), time.Time{}, ""
	b.mu.Unlock()
	b.cb.Store(cb)
}

var (
	errFailure  = errors.New("failure")
	errExcluded = errors.New("excluded")
)

// readyToTrip runs under gobreaker's lock when a failure is counted in the closed state.
func (b *Breaker) readyToTrip(c gobreaker.Counts) bool {
	var why string
	// The ratio is over completed calls: counting those still in flight would dilute it.
	completed := c.TotalSuccesses + c.TotalFailures
	switch {
	case c.ConsecutiveFailures >= b.policy.ConsecutiveFailures:
		why = fmt.Sprintf("%d consecutive failures", c.ConsecutiveFailures)
	case completed >= b.policy.MinRequests && float64(c.TotalFailures) >= b.policy.FailureRatio*float64(completed):
		why = fmt.Sprintf("%d failures in %d calls within %s", c.TotalFailures, completed, b.policy.Window)
	default:
		return false
	}
	b.mu.Lock()
	b.trip = why
	b.mu.Unlock()
	return true
}

// stateChanged runs under gobreaker's lock.
func (b *Breaker) stateChanged(from, to State) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch to {
	case StateOpen:
		b.openedAt = now
		if from == StateHalfOpen {
			b.trip = "a failed probe"
		}
	case StateHalfOpen:
		now = b.openedAt.Add(b.policy.OpenTimeout) // gobreaker notices lazily; this is when it happened
	}
	b.since = now
}

// Name is the breaker's name.
func (b *Breaker) Name() string { return b.name }

// Allow asks to send one attempt. When the breaker refuses, err is a *Error with
// ReasonCircuitOpen whose Detail says since when and why, and whose RetryAfter is the time until
// the breaker probes again. Otherwise the caller must call done exactly once with the attempt's
// outcome: nil for success, or its error (classified by the policy's IsFailure and IsExcluded).
func (b *Breaker) Allow() (done func(outcome error), err error) {
	switch Mode(b.mode.Load()) {
	case ModeForcedOpen:
		b.mu.Lock()
		detail := fmt.Sprintf("circuit for %s was forced open by an operator at %s", b.name, b.forcedAt.UTC().Format(time.TimeOnly+"Z"))
		if b.forcedReason != "" {
			detail += " (" + b.forcedReason + ")"
		}
		b.mu.Unlock()
		return nil, &Error{Reason: ReasonCircuitOpen, Operation: b.name, Detail: detail, RetryAfter: b.policy.OpenTimeout}
	case ModeForcedClosed:
		return b.record, nil
	}
	cb := b.cb.Load()
	report, err := cb.Allow()
	if err != nil {
		return nil, b.refusal(err)
	}
	return func(outcome error) {
		b.record(outcome)
		switch {
		case outcome == nil:
			report(nil)
		case b.policy.IsExcluded(outcome):
			report(errExcluded)
		case b.policy.IsFailure(outcome):
			report(errFailure)
		default:
			report(nil)
		}
	}, nil
}

// record keeps the last counted failure for the dashboard and for refusal details.
func (b *Breaker) record(outcome error) {
	if outcome == nil || b.policy.IsExcluded(outcome) || !b.policy.IsFailure(outcome) {
		return
	}
	s := Summary(outcome)
	b.mu.Lock()
	b.lastFailure, b.lastFailureAt = s, time.Now()
	b.mu.Unlock()
}

func (b *Breaker) refusal(err error) *Error {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if errors.Is(err, gobreaker.ErrTooManyRequests) {
		return &Error{Reason: ReasonCircuitOpen, Operation: b.name, RetryAfter: time.Second, Cause: err,
			Detail: fmt.Sprintf("circuit for %s is half-open and its %d probe call(s) are in flight; retry in a moment", b.name, b.policy.HalfOpenProbes)}
	}
	// At the very instant of the timeout gobreaker is still open: never advise less than 1s.
	wait := max(b.openedAt.Add(b.policy.OpenTimeout).Sub(now), time.Second)
	detail := fmt.Sprintf("circuit for %s is open since %s", b.name, b.openedAt.UTC().Format(time.TimeOnly+"Z"))
	if b.trip != "" {
		detail += " after " + b.trip
	}
	if b.lastFailure != "" {
		detail += " (last: " + b.lastFailure + ")"
	}
	detail += fmt.Sprintf("; retrying in %ds", int((wait+time.Second-1)/time.Second))
	return &Error{Reason: ReasonCircuitOpen, Operation: b.name, Detail: detail, RetryAfter: wait, Cause: err}
}

// ForceOpen makes every call fail fast until Reset or ForceClosed, whatever the upstream does.
// reason (who and why, for the dashboard and the refusals' detail) may be empty.
func (b *Breaker) ForceOpen(reason string) { b.force(ModeForcedOpen, reason) }

// ForceClosed lets every call through until Reset or ForceOpen, even while the upstream fails;
// failures are still recorded (LastFailure) but never trip the breaker.
func (b *Breaker) ForceClosed(reason string) { b.force(ModeForcedClosed, reason) }

func (b *Breaker) force(m Mode, reason string) {
	b.mu.Lock()
	b.forcedReason, b.forcedAt = reason, time.Now()
	b.mu.Unlock()
	b.mode.Store(int32(m))
}

// Reset returns the breaker to automatic mode, closed, with its counts cleared. Outcomes of
// attempts allowed before the reset are ignored.
func (b *Breaker) Reset() {
	b.reset()
	b.mu.Lock()
	b.forcedReason, b.forcedAt = "", time.Time{}
	b.mu.Unlock()
	b.mode.Store(int32(ModeAuto))
}

// BreakerStatus is a breaker's state for the dashboard and the admin API.
type BreakerStatus struct {
	Name string `json:"name"`
	// State is the automatic state ("closed", "open", "half-open"); with a forced Mode, calls
	// follow the Mode instead.
	State string `json:"state"`
	Mode  string `json:"mode"`
	// Since is when State began.
	Since time.Time `json:"since"`
	// ProbeAt, while open, is when the breaker lets probes through.
	ProbeAt time.Time `json:"probeAt,omitzero"`
	// Trip says why the breaker last opened ("5 consecutive failures").
	Trip string `json:"trip,omitempty"`
	// Counts are the calls counted in the current state (and window, when closed).
	Requests             uint32 `json:"requests"`
	Successes            uint32 `json:"successes"`
	Failures             uint32 `json:"failures"`
	Excluded             uint32 `json:"excluded"`
	ConsecutiveFailures  uint32 `json:"consecutiveFailures"`
	ConsecutiveSuccesses uint32 `json:"consecutiveSuccesses"`
	// LastFailure summarises the last failure counted, at LastFailureAt.
	LastFailure   string    `json:"lastFailure,omitempty"`
	LastFailureAt time.Time `json:"lastFailureAt,omitzero"`
	// ForcedReason and ForcedAt describe an operator's forcing.
	ForcedReason string    `json:"forcedReason,omitempty"`
	ForcedAt     time.Time `json:"forcedAt,omitzero"`
}

// Status reads the breaker's state (moving an expired open state to half-open, as a call would).
func (b *Breaker) Status() BreakerStatus {
	cb := b.cb.Load()
	state, counts := cb.State(), cb.Counts() // before b.mu: gobreaker's callbacks take b.mu
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BreakerStatus{
		Name: b.name, State: state.String(), Mode: Mode(b.mode.Load()).String(), Since: b.since,
		Requests: counts.Requests, Successes: counts.TotalSuccesses, Failures: counts.TotalFailures,
		Excluded: counts.TotalExclusions, ConsecutiveFailures: counts.ConsecutiveFailures,
		ConsecutiveSuccesses: counts.ConsecutiveSuccesses,
		LastFailure:          b.lastFailure, LastFailureAt: b.lastFailureAt,
		ForcedReason: b.forcedReason, ForcedAt: b.forcedAt,
	}
	if state == StateOpen {
		s.ProbeAt = b.openedAt.Add(b.policy.OpenTimeout)
	}
	if state != StateClosed || counts.TotalFailures > 0 {
		s.Trip = b.trip
	}
	return s
}

// State is the automatic state (see Status for the mode).
func (b *Breaker) State() State { return b.cb.Load().State() }

// Mode is the operator's mode.
func (b *Breaker) Mode() Mode { return Mode(b.mode.Load()) }
