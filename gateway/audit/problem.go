package audit

import (
	"net/http"
	"time"

	"github.com/welfaregov/gateway/gateway/problem"
)

// ProblemUnavailable is the class of the answer the e-service chain gives when Append fails: the
// gateway does not answer a call it cannot account for.
var ProblemUnavailable = problem.Type{Code: "audit-unavailable", Status: http.StatusServiceUnavailable, Title: "Audit trail unavailable"}

// Unavailable is the problem for a failed Append (the cause is logged, never sent).
func Unavailable(err error) *problem.Error {
	return problem.Wrap(ProblemUnavailable, err, "the gateway could not record this call in its audit trail, so it did not answer it; try again later").
		WithRetryAfter(30 * time.Second)
}
