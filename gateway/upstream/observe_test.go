package upstream

import (
	"context"
	"errors"
	"fmt"
	"testing"

	adapter "github.com/welfaregov/gateway/adapters/upstream"
	"github.com/welfaregov/gateway/gateway/resilience"
)

type businessErr struct{}

func (businessErr) Error() string                { return "not found" }
func (businessErr) UpstreamClass() adapter.Class { return adapter.Business }

// TestOutcomeOf: every kind of answer and failure has its outcome, a closed set.
func TestOutcomeOf(t *testing.T) {
	for name, c := range map[string]struct {
		check, err error
		want       string
	}{
		"ok":           {nil, nil, OutcomeOK},
		"business":     {businessErr{}, nil, OutcomeBusiness},
		"rejected/400": {&adapter.StatusError{Status: 400}, nil, OutcomeRejected},
		"failed/503":   {&adapter.StatusError{Status: 503}, nil, OutcomeFailed},
		"failed/429":   {&adapter.StatusError{Status: 429}, nil, OutcomeFailed},
		"circuit-open": {nil, &resilience.Error{Reason: resilience.ReasonCircuitOpen}, "circuit-open"},
		"timeout":      {nil, fmt.Errorf("wrapped: %w", &resilience.Error{Reason: resilience.ReasonTimeout}), "timeout"},
		"quota":        {nil, &resilience.Error{Reason: resilience.ReasonQuotaExhausted}, "quota-exhausted"},
		"caller gone":  {nil, fmt.Errorf("%w: x", resilience.ErrCallerGone), OutcomeCanceled},
		"canceled":     {nil, context.Canceled, OutcomeCanceled},
		"error wins":   {&adapter.StatusError{Status: 503}, &resilience.Error{Reason: resilience.ReasonTransport}, "transport"},
		"unclassified": {nil, errors.New("garbled"), OutcomeRejected},
		"deadline":     {nil, context.DeadlineExceeded, OutcomeFailed},
	} {
		if got := OutcomeOf(c.check, c.err); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}
