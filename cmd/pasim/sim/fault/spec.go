package fault

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Spec is the fault configuration of one endpoint. The zero value injects nothing. Rates are
// probabilities per request in [0, 1]; at most one of hang, reset, error, truncate and malformed
// happens to a request, tried in that order.
type Spec struct {
	Latency Latency `json:"latency,omitzero"`
	// ErrorRate answers with ErrorStatus (429, 500 or 503) instead of calling the simulator.
	ErrorRate   float64 `json:"errorRate,omitempty"`
	ErrorStatus int     `json:"errorStatus,omitempty"`
	// RetryAfter, when positive, adds Retry-After (whole seconds) to injected 429 and 503 answers.
	RetryAfter Duration `json:"retryAfter,omitempty"`
	// HangRate holds the request without answering until the client gives up, or for HangMax (default
	// 5 minutes), after which the connection is closed without a response.
	HangRate float64  `json:"hangRate,omitempty"`
	HangMax  Duration `json:"hangMax,omitempty"`
	// ResetRate closes the connection with a TCP RST (SO_LINGER 0) before any response byte.
	ResetRate float64 `json:"resetRate,omitempty"`
	// TruncateRate cuts the response body after TruncateAt bytes. With TruncateHonest the
	// Content-Length announces the cut length (a well-formed HTTP message with an incomplete payload);
	// otherwise it announces the full length and the connection is closed after the cut (the client
	// sees an unexpected EOF).
	TruncateRate   float64 `json:"truncateRate,omitempty"`
	TruncateAt     int     `json:"truncateAt,omitempty"`
	TruncateHonest bool    `json:"truncateHonest,omitempty"`
	// MalformedRate serves an invalid payload built by the endpoint's Malformed hook (invalid XML or
	// JSON in the simulator's own format).
	MalformedRate float64 `json:"malformedRate,omitempty"`
	// Semantic names a fault the simulator itself interprets ("bad-signature", "expired-voucher" ...),
	// applied with SemanticRate (1 when zero and Semantic is set). Handlers read it with SemanticFrom.
	Semantic     string  `json:"semantic,omitempty"`
	SemanticRate float64 `json:"semanticRate,omitempty"`
	// DailyQuota, when positive, admits that many requests per calendar day (in the injector's
	// location); the next ones get 429 with Retry-After until midnight.
	DailyQuota int64 `json:"dailyQuota,omitempty"`
}

// Latency is a delay distribution. Kind "fixed" waits Fixed; "uniform" a uniform draw in [Min, Max];
// "normal" a log-normal draw whose median is P50 and 99th percentile P99.
type Latency struct {
	Kind  string   `json:"kind,omitempty"`
	Fixed Duration `json:"fixed,omitempty"`
	Min   Duration `json:"min,omitempty"`
	Max   Duration `json:"max,omitempty"`
	P50   Duration `json:"p50,omitempty"`
	P99   Duration `json:"p99,omitempty"`
}

// IsZero reports whether no latency is configured.
func (l Latency) IsZero() bool { return l.Kind == "" }

// Duration is a time.Duration written as a Go duration string ("250ms") in JSON.
type Duration time.Duration

// MarshalText writes the duration as "250ms".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	*d = Duration(v)
	return err
}

const (
	maxDelay      = time.Hour // no injected wait may exceed this
	defaultHang   = 5 * time.Minute
	maxSpecLength = 1024 // a --fault value longer than this is refused
)

func parseDuration(s string) (time.Duration, error) {
	if len(s) > 64 {
		return 0, fmt.Errorf("duration %.20q... too long", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 250ms or 2s", s)
	}
	return d, nil
}

// FieldError names the Spec field a validation problem is about.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return "fault: " + e.Field + ": " + e.Message }

// Validate returns every problem of s, each a *FieldError, joined.
func (s Spec) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{field, fmt.Sprintf(format, args...)})
	}
	rate := func(field string, v float64) {
		if math.IsNaN(v) || v < 0 || v > 1 {
			bad(field, "must be a probability between 0 and 1, got %v", v)
		}
	}
	delay := func(field string, d Duration) {
		if d < 0 || time.Duration(d) > maxDelay {
			bad(field, "must be between 0 and %s, got %s", maxDelay, time.Duration(d))
		}
	}
	rate("errorRate", s.ErrorRate)
	rate("hangRate", s.HangRate)
	rate("resetRate", s.ResetRate)
	rate("truncateRate", s.TruncateRate)
	rate("malformedRate", s.MalformedRate)
	rate("semanticRate", s.SemanticRate)
	if s.ErrorRate > 0 && s.ErrorStatus != 429 && s.ErrorStatus != 500 && s.ErrorStatus != 503 {
		bad("errorStatus", "must be 429, 500 or 503, got %d", s.ErrorStatus)
	}
	delay("retryAfter", s.RetryAfter)
	delay("hangMax", s.HangMax)
	if s.TruncateRate > 0 && s.TruncateAt < 0 {
		bad("truncateAt", "must be a byte count >= 0, got %d", s.TruncateAt)
	}
	if s.SemanticRate > 0 && s.Semantic == "" {
		bad("semantic", "semanticRate is set but no semantic fault is named")
	}
	if s.DailyQuota < 0 {
		bad("dailyQuota", "must be >= 0, got %d", s.DailyQuota)
	}
	l := s.Latency
	switch l.Kind {
	case "":
	case "fixed":
		delay("latency.fixed", l.Fixed)
	case "uniform":
		delay("latency.min", l.Min)
		delay("latency.max", l.Max)
		if l.Max < l.Min {
			bad("latency.max", "must be >= latency.min")
		}
	case "normal":
		delay("latency.p50", l.P50)
		delay("latency.p99", l.P99)
		if l.P50 <= 0 || l.P99 < l.P50 {
			bad("latency.p99", "needs 0 < p50 <= p99")
		}
	default:
		bad("latency.kind", "must be fixed, uniform or normal, got %q", l.Kind)
	}
	return errors.Join(errs...)
}

// ParseFlag parses the command-line form "endpoint=item,item,..." where each item is one of
//
//	latency=200ms | latency=100ms..300ms | latency=p50:100ms/p99:1s
//	error=0.1/503   retry-after=2s   hang=0.05   hang-max=30s   reset=0.01
//	truncate=0.2/512   truncate-honest   malformed=0.1   semantic=bad-signature[/0.5]   quota=1000
func ParseFlag(v string) (endpoint string, s Spec, err error) {
	if len(v) > maxSpecLength {
		return "", s, fmt.Errorf("fault: --fault value longer than %d characters", maxSpecLength)
	}
	endpoint, rest, ok := strings.Cut(v, "=")
	if !ok || endpoint == "" {
		return "", s, fmt.Errorf("fault: %q is not endpoint=spec", v)
	}
	for _, item := range strings.Split(rest, ",") {
		if item == "" {
			continue
		}
		if err := s.parseItem(item); err != nil {
			return "", s, fmt.Errorf("fault: %s: %w", endpoint, err)
		}
	}
	if err := s.Validate(); err != nil {
		return "", s, fmt.Errorf("fault: %s: %w", endpoint, err)
	}
	return endpoint, s, nil
}

func (s *Spec) parseItem(item string) error {
	key, val, _ := strings.Cut(item, "=")
	num := func(x string) (float64, error) {
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not a number", key, x)
		}
		return f, nil
	}
	dur := func(x string) (Duration, error) {
		d, err := parseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return Duration(d), nil
	}
	rateAnd := func(into *float64) (string, error) {
		r, second, _ := strings.Cut(val, "/")
		f, err := num(r)
		*into = f
		return second, err
	}
	var err error
	switch key {
	case "latency":
		switch {
		case strings.Contains(val, ".."):
			lo, hi, _ := strings.Cut(val, "..")
			s.Latency.Kind = "uniform"
			if s.Latency.Min, err = dur(lo); err == nil {
				s.Latency.Max, err = dur(hi)
			}
		case strings.HasPrefix(val, "p50:"):
			p50, p99, ok := strings.Cut(strings.TrimPrefix(val, "p50:"), "/p99:")
			if !ok {
				return fmt.Errorf("latency: %q is not p50:DUR/p99:DUR", val)
			}
			s.Latency.Kind = "normal"
			if s.Latency.P50, err = dur(p50); err == nil {
				s.Latency.P99, err = dur(p99)
			}
		default:
			s.Latency.Kind = "fixed"
			s.Latency.Fixed, err = dur(val)
		}
	case "error":
		var status string
		if status, err = rateAnd(&s.ErrorRate); err == nil {
			s.ErrorStatus = 503
			if status != "" {
				s.ErrorStatus, err = strconv.Atoi(status)
			}
		}
	case "retry-after":
		s.RetryAfter, err = dur(val)
	case "hang":
		_, err = rateAnd(&s.HangRate)
	case "hang-max":
		s.HangMax, err = dur(val)
	case "reset":
		_, err = rateAnd(&s.ResetRate)
	case "truncate":
		var at string
		if at, err = rateAnd(&s.TruncateRate); err == nil && at != "" {
			s.TruncateAt, err = strconv.Atoi(at)
		}
	case "truncate-honest":
		s.TruncateHonest = true
	case "malformed":
		_, err = rateAnd(&s.MalformedRate)
	case "semantic":
		name, r, _ := strings.Cut(val, "/")
		s.Semantic, s.SemanticRate = name, 1
		if r != "" {
			s.SemanticRate, err = num(r)
		}
	case "quota":
		s.DailyQuota, err = strconv.ParseInt(val, 10, 64)
	default:
		return fmt.Errorf("unknown item %q (latency, error, retry-after, hang, hang-max, reset, truncate, truncate-honest, malformed, semantic, quota)", key)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
