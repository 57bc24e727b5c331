package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// LocalState is where the gateway stands with one tenant's day. README.md says what an operator does
// in each.
type LocalState string

const (
	// LocalOpen: the day is today (or yesterday before submit_at): still counting.
	LocalOpen LocalState = "OPEN"
	// LocalWaiting: to be uploaded (first time, or again after a failed attempt: see Attempts,
	// LastError, NextAttempt).
	LocalWaiting LocalState = "WAITING"
	// LocalPending: uploaded; PDND is processing it.
	LocalPending LocalState = "PENDING"
	// LocalCompleted: PDND accepted the file without remarks.
	LocalCompleted LocalState = "COMPLETED"
	// LocalWarning: PDND accepted the file with warnings (Errors lists them); nothing to redo.
	LocalWarning LocalState = "WARNING"
	// LocalFailed: the gateway gave up (MaxAttempts reached, or an error no retry can fix): an
	// operator must look at LastError and Errors, then Reset the day.
	LocalFailed LocalState = "FAILED"
	// LocalForeign: PDND has a tracing for the day that this gateway did not upload (another system
	// uploads for the same tenant). Left alone; Reset makes the gateway replace it with its data.
	LocalForeign LocalState = "FOREIGN"
	// LocalNoData: PDND lists the day as MISSING or ERROR, but it is before this gateway started
	// reporting, so it has no counters for it. Upload a file by other means, or Reset to send this
	// gateway's (empty) file.
	LocalNoData LocalState = "NO_DATA"
)

// DayState is the persisted record of one tenant's day, shared by the replicas. JSON field names
// are what the admin API shows.
type DayState struct {
	Tenant string     `json:"tenant"`
	Date   Day        `json:"date"`
	State  LocalState `json:"state"`
	// Remote is the state PDND last showed for the day's tracing.
	Remote State `json:"remote,omitempty"`
	// TracingID is PDND's id of the day's tracing, once known.
	TracingID string `json:"tracingId,omitempty"`
	// Method is the last upload: SUBMIT, RECOVER or REPLACE.
	Method string `json:"method,omitempty"`
	// Attempts counts failed attempts since the last success; NextAttempt is when the next may run.
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	// Rows and Requests describe the file as last generated.
	Rows     int   `json:"rows"`
	Requests int64 `json:"requests"`
	// UploadedSHA256 is the SHA-256 of the last file PDND accepted for processing; a regenerated file
	// that differs (late counters) is uploaded with replace.
	UploadedSHA256 string    `json:"uploadedSha256,omitempty"`
	UploadedAt     time.Time `json:"uploadedAt,omitzero"`
	// TriedSHA256 is the file of the last attempt; Uncertain says that attempt may have reached PDND
	// without an answer (timeout, 5xx), so a later TRACING_ALREADY_EXISTS is probably ours.
	TriedSHA256 string `json:"triedSha256,omitempty"`
	Uncertain   bool   `json:"uncertain,omitempty"`
	// Excluded are purposes PDND refused (PURPOSE_NOT_FOUND, INVALID_PURPOSE): their rows are left
	// out of the file so the rest of the day is accepted.
	Excluded []string `json:"excludedPurposes,omitempty"`
	// Errors are the last errors or warnings PDND reported for the tracing (at most 50).
	Errors []TracingError `json:"errors,omitempty"`
	// Force is set by Reset: the next run uploads this gateway's file even over a tracing it did not
	// upload.
	Force     bool      `json:"force,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// terminal reports whether nothing more happens to the day without new data or an operator.
func (s *DayState) terminal() bool {
	switch s.State {
	case LocalCompleted, LocalWarning, LocalFailed, LocalForeign, LocalNoData:
		return true
	}
	return false
}

func dayKey(tenant string, d Day) string { return keyDay + strings.ToLower(tenant) + ":" + d.compact() }

// loadDay reads a day's state; a day never seen is WAITING.
func loadDay(ctx context.Context, st store.Store, tenant string, d Day) (*DayState, error) {
	s, err := storedDay(ctx, st, tenant, d)
	if s == nil && err == nil {
		s = &DayState{Tenant: tenant, Date: d, State: LocalWaiting}
	}
	return s, err
}

// storedDay reads a day's state; nil when none is stored.
func storedDay(ctx context.Context, st store.Store, tenant string, d Day) (*DayState, error) {
	b, err := st.Get(ctx, dayKey(tenant, d))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: reading the state of %s: %w", d, err)
	}
	var s DayState
	if err := json.Unmarshal(b, &s); err != nil || s.Date != d {
		return nil, fmt.Errorf("tracing: the stored state of %s is unreadable", d)
	}
	return &s, nil
}

func saveDay(ctx context.Context, st store.Store, s *DayState, ttl time.Duration) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := st.Set(ctx, dayKey(s.Tenant, s.Date), b, ttl); err != nil {
		return fmt.Errorf("tracing: saving the state of %s: %w", s.Date, err)
	}
	return nil
}
