package tracing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// Store key namespaces (after the store's key prefix). See README.md, "Shared state".
const (
	keyCounts  = "trace:count:" // hash per tenant and day: purpose|status|token -> requests
	keyDay     = "trace:day:"   // DayState JSON per tenant and day
	keySince   = "trace:since:" // first day this deployment reports, per tenant
	keyChecked = "trace:recon:" // last day the MISSING/ERROR reconciliation ran, per tenant
	keyLock    = "lock:tracing" // the replica that talks to PDND Tracing
)

// DefaultRetention is how long the per-day counters are kept (after the day ends).
const DefaultRetention = 30 * 24 * time.Hour

// Call is one request to one of our e-services whose PDND voucher passed signature verification.
type Call struct {
	// Tenant is the PDND organisation the e-service belongs to (its producerId, or the tenant whose
	// file it must be reported in when several internal subjects share one): a UUID.
	Tenant string
	// PurposeID and TokenID are the voucher's purposeId and jti (UUIDs issued by PDND).
	PurposeID, TokenID string
	// Status is the HTTP status returned to the caller (normalised with NormalizeStatus).
	Status int
	// Time is when the request arrived: it decides the day.
	Time time.Time
}

// InvalidCallError says which field of a Call cannot go in a tracing file. Such a call is not
// counted: one bad row would put the whole day in ERROR at PDND.
type InvalidCallError struct{ Field, Reason string }

func (e *InvalidCallError) Error() string {
	return "tracing: call not counted: " + e.Field + " " + e.Reason
}

// Recorder counts calls in the shared store, one HIncr per call, so every replica contributes to
// the same per-tenant, per-day aggregate. Safe for concurrent use.
type Recorder struct {
	st        store.Store
	loc       *time.Location
	retention time.Duration
	now       func() time.Time
}

// NewRecorder returns a Recorder. loc is the reporting time zone (Europe/Rome); retention is how
// long a day's counters live after the day ends (DefaultRetention when <= 0); now nil means
// time.Now.
func NewRecorder(st store.Store, loc *time.Location, retention time.Duration, now func() time.Time) *Recorder {
	if retention <= 0 {
		retention = DefaultRetention
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{st: st, loc: loc, retention: retention, now: now}
}

// Count records one call. The e-service chain calls it once the response status is known, only for
// requests whose voucher passed PDND signature verification (pdnd-tracing.md §7 items 1-2): forged
// or missing vouchers carry purposes and jtis PDND does not know, which would put the day in ERROR.
// An *InvalidCallError means the call was not counted; any other error is the store's (the caller
// logs it and goes on: a lost counter must not fail the request).
func (r *Recorder) Count(ctx context.Context, c Call) error {
	switch {
	case !isUUID(c.Tenant):
		return &InvalidCallError{"tenant", "is not a UUID"}
	case !isUUID(c.PurposeID):
		return &InvalidCallError{"purposeId", "is not a UUID"}
	case !isUUID(c.TokenID):
		return &InvalidCallError{"token id (voucher jti)", "is not a UUID"}
	case c.Time.IsZero():
		return &InvalidCallError{"time", "is missing"}
	}
	day := DayOf(c.Time, r.loc)
	ttl := day.Add(1).Start(r.loc).Add(r.retention).Sub(r.now())
	if ttl <= 0 {
		return &InvalidCallError{"time", "is older than the retention period"}
	}
	field := strings.ToLower(c.PurposeID) + "|" + strconv.Itoa(NormalizeStatus(c.Status)) + "|" + strings.ToLower(c.TokenID)
	if _, err := r.st.HIncr(ctx, countsKey(c.Tenant, day), field, 1, ttl); err != nil {
		return fmt.Errorf("tracing: counting a call: %w", err)
	}
	return nil
}

func countsKey(tenant string, d Day) string {
	return keyCounts + strings.ToLower(tenant) + ":" + d.compact()
}

// Row is one line of a tracing file.
type Row struct {
	PurposeID string
	Status    int
	TokenID   string
	Requests  int64
}

// Aggregate reads the counters of tenant's day. Fields that are not a valid row (written by
// something else than Count) are skipped and counted in skipped.
func Aggregate(ctx context.Context, st store.Store, tenant string, d Day) (rows []Row, skipped int, err error) {
	h, err := st.HGetAll(ctx, countsKey(tenant, d))
	if err != nil {
		return nil, 0, fmt.Errorf("tracing: reading the counters of %s: %w", d, err)
	}
	for field, n := range h {
		parts := strings.Split(field, "|")
		if len(parts) != 3 || n <= 0 {
			skipped++
			continue
		}
		status, err := strconv.Atoi(parts[1])
		if err != nil || !IsReportableStatus(status) || !isUUID(parts[0]) || !isUUID(parts[2]) {
			skipped++
			continue
		}
		rows = append(rows, Row{PurposeID: parts[0], Status: status, TokenID: parts[2], Requests: n})
	}
	return rows, skipped, nil
}
