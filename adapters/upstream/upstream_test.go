package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
)

type classErr struct{ c Class }

func (e classErr) Error() string        { return "x" }
func (e classErr) UpstreamClass() Class { return e.c }

func TestClassOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, Unclassified},
		{"business through wrapping", fmt.Errorf("inps: lookup: %w", classErr{Business}), Business},
		{"retryable", classErr{Retryable}, Retryable},
		{"unclassified adapter error falls back", classErr{Unclassified}, Permanent},
		{"deadline", fmt.Errorf("calling: %w", context.DeadlineExceeded), Retryable},
		{"network timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, Retryable},
		{"plain error", errors.New("boom"), Permanent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassOf(tc.err); got != tc.want {
				t.Fatalf("ClassOf = %v, want %v", got, tc.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

type faultErr struct {
	c     Class
	fault bool
}

func (e faultErr) Error() string        { return "y" }
func (e faultErr) UpstreamClass() Class { return e.c }
func (e faultErr) UpstreamFault() bool  { return e.fault }

func TestIsUpstreamFault(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"business answer", classErr{Business}, false},
		{"retryable", classErr{Retryable}, true},
		{"permanent caused by the caller", classErr{Permanent}, false},
		{"permanent caused by the upstream", faultErr{Permanent, true}, true},
		{"business even if it claims a fault", faultErr{Business, true}, false},
		{"caller cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"deadline", context.DeadlineExceeded, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsUpstreamFault(tc.err); got != tc.want {
				t.Fatalf("IsUpstreamFault = %v, want %v", got, tc.want)
			}
		})
	}
}
