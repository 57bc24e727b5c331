package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/welfaregov/gateway/gateway/problem"
)

// Maintenance describes an operator's drain of this replica: the e-service listener answers every
// request 503 maintenance with Retry-After, and /readyz fails, so the orchestrator and the load
// balancers move traffic to the other replicas while the operator works on this one.
type Maintenance struct {
	// Since is when the drain began.
	Since time.Time `json:"since"`
	// Reason is the operator's note (shown on the dashboard and in the refusals' detail).
	Reason string `json:"reason,omitempty"`
	// RetryAfter is what refused callers are told to wait.
	RetryAfter time.Duration `json:"-"`
}

// DefaultMaintenanceRetryAfter is the Retry-After of a drained replica's refusals when the operator
// gives none: long enough for a caller not to hammer it, short enough that it comes back soon.
const DefaultMaintenanceRetryAfter = 60 * time.Second

// Drain starts a maintenance drain (see Maintenance); a drain already in place is replaced. The
// internal API and the admin listener keep serving: readiness takes the replica out of the
// Services, and operators must still reach it.
func (s *Server) Drain(reason string, retryAfter time.Duration) Maintenance {
	if retryAfter <= 0 {
		retryAfter = DefaultMaintenanceRetryAfter
	}
	m := &Maintenance{Since: time.Now(), Reason: reason, RetryAfter: retryAfter}
	s.maintenance.Store(m)
	return *m
}

// Undrain ends a maintenance drain; it reports whether one was in place.
func (s *Server) Undrain() bool { return s.maintenance.Swap(nil) != nil }

// Maintenance returns the drain in place, if any.
func (s *Server) Maintenance() (Maintenance, bool) {
	if m := s.maintenance.Load(); m != nil {
		return *m, true
	}
	return Maintenance{}, false
}

// maintenanceGate refuses every request of the e-service listener while the replica is drained.
func (l *listener) maintenanceGate(c *fiber.Ctx) error {
	m := l.srv.maintenance.Load()
	if m == nil {
		return c.Next()
	}
	detail := "this instance is under maintenance; retry after the Retry-After delay (other instances may serve the call)"
	return problem.New(problem.MaintenanceDraining, "%s", detail).WithRetryAfter(m.RetryAfter)
}
