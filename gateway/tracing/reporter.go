package tracing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/store"
)

// maxStoredErrors bounds the PDND errors kept in a DayState; maxFetchedErrors bounds those read.
const (
	maxStoredErrors  = 50
	maxFetchedErrors = 500
	lockTTL          = 2 * time.Minute
)

// Options are what the process gives New besides the configuration.
type Options struct {
	// Store is shared by the replicas (counters, day states, the lock).
	Store store.Store
	// Tokens maps each configured tenant id to the TokenSource of its PDND-API client.
	Tokens map[string]TokenSource
	// HTTP is the client for the API; nil means one with the configured request timeout.
	HTTP *http.Client
	// Instance names this replica in the lock (logs show who holds it). Default "gateway".
	Instance string
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Reporter uploads each tenant's daily file to PDND Tracing and follows it until PDND accepts it,
// recovering and replacing as needed (README.md). Every replica runs one; a lock in the store lets
// exactly one work at a time. Safe for concurrent use.
type Reporter struct {
	st          store.Store
	tenants     []tenant
	loc         *time.Location
	submitAt    time.Duration
	retention   time.Duration
	lookback    int
	reportFrom  Day
	maxAttempts int
	retryMin    time.Duration
	retryMax    time.Duration
	poll        time.Duration
	owner       string
	log         *slog.Logger
	now         func() time.Time
}

type tenant struct {
	id     string
	client *Client
}

// New builds the Reporter of a checked, enabled section.
func New(cfg Config, o Options) (*Reporter, error) {
	if o.Store == nil {
		return nil, errors.New("tracing: New needs a store")
	}
	r := &Reporter{st: o.Store, loc: cfg.Location(), retention: cfg.retention(), lookback: cfg.LookbackDays,
		maxAttempts: cfg.MaxAttempts, retryMin: cfg.RetryMin.D(), retryMax: cfg.RetryMax.D(), poll: cfg.PollInterval.D(),
		log: o.Logger, now: o.Now}
	var err error
	if r.submitAt, err = parseClock(orDefault(cfg.SubmitAt, DefaultSubmitAt)); err != nil {
		return nil, fmt.Errorf("tracing.submit_at: %w", err)
	}
	if cfg.ReportFrom != "" {
		if r.reportFrom, err = ParseDay(cfg.ReportFrom); err != nil {
			return nil, fmt.Errorf("tracing.report_from: %w", err)
		}
	}
	if cfg.LookbackDays == 0 {
		r.lookback = DefaultLookbackDays
	}
	if r.maxAttempts == 0 {
		r.maxAttempts = DefaultMaxAttempts
	}
	if r.retryMin == 0 {
		r.retryMin = DefaultRetryMin
	}
	if r.retryMax == 0 {
		r.retryMax = DefaultRetryMax
	}
	if r.poll == 0 {
		r.poll = DefaultPollInterval
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	hc := o.HTTP
	if hc == nil {
		timeout := cfg.RequestTimeout.D()
		if timeout == 0 {
			timeout = DefaultRequestTimeout
		}
		hc = &http.Client{Timeout: timeout}
	}
	r.owner = newOwnerToken(orDefault(o.Instance, "gateway"))
	for i, t := range cfg.Tenants {
		ts := o.Tokens[t.ID]
		if ts == nil {
			return nil, fmt.Errorf("tracing.tenants[%d]: no token source for tenant %s (PDND-API client %q)", i, t.ID, t.APIClient)
		}
		r.tenants = append(r.tenants, tenant{id: strings.ToLower(t.ID), client: &Client{BaseURL: cfg.BaseURL, Tokens: ts, HTTP: hc}})
	}
	if len(r.tenants) == 0 {
		return nil, errors.New("tracing: no tenants")
	}
	return r, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Recorder returns the Recorder the e-service chain calls for each request, with this section's
// time zone and retention.
func (r *Reporter) Recorder() *Recorder { return NewRecorder(r.st, r.loc, r.retention, r.now) }

// ErrNotLeader is returned by RunOnce when another replica holds the lock.
var ErrNotLeader = errors.New("tracing: another replica is reporting")

// Run reports until ctx ends: a run at submit_at every day and one every poll_interval (which does
// nothing, without calling PDND, when no day needs work). It returns ctx's error.
func (r *Reporter) Run(ctx context.Context) error {
	for {
		if err := r.RunOnce(ctx); err != nil && !errors.Is(err, ErrNotLeader) && ctx.Err() == nil {
			r.log.Warn("PDND Tracing run failed", "error", err.Error())
		}
		t := time.NewTimer(r.untilNextRun())
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (r *Reporter) untilNextRun() time.Duration {
	now := r.now()
	today := DayOf(now, r.loc)
	next := today.Start(r.loc).Add(r.submitAt)
	if !now.Before(next) {
		next = today.Add(1).Start(r.loc).Add(r.submitAt)
	}
	return max(min(next.Sub(now), r.poll), time.Second)
}

// RunOnce does one run for every tenant if this replica gets the lock (ErrNotLeader otherwise). The
// lock is renewed while it works; losing it cancels the run.
func (r *Reporter) RunOnce(ctx context.Context) error {
	l, ok, err := acquire(ctx, r.st, keyLock, r.owner, lockTTL)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotLeader
	}
	ctx, stop := l.keep(context.WithValue(ctx, leaseKey{}, l))
	defer func() {
		stop()
		_ = l.release(context.WithoutCancel(ctx))
	}()
	var errs []error
	for _, t := range r.tenants {
		if err := r.runTenant(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.id, err))
		}
		if ctx.Err() != nil {
			errs = append(errs, context.Cause(ctx))
			break
		}
	}
	return errors.Join(errs...)
}

// stateTTL keeps a day's state as long as its counters, and a little longer for the dashboard.
func (r *Reporter) stateTTL(d Day) time.Duration {
	return max(d.Add(1).Start(r.loc).Add(r.retention+7*24*time.Hour).Sub(r.now()), time.Hour)
}

// lastDueDay is the latest day whose file may be uploaded now: yesterday once submit_at has passed
// today, the day before otherwise.
func (r *Reporter) lastDueDay(now time.Time) Day {
	today := DayOf(now, r.loc)
	if now.Before(today.Start(r.loc).Add(r.submitAt)) {
		return today.Add(-2)
	}
	return today.Add(-1)
}

func (r *Reporter) retentionDays() int { return int(r.retention / (24 * time.Hour)) }

// since is the first day to report for t: report_from, else the first day with counters found on
// the first run (remembered in the store), else today.
func (r *Reporter) since(ctx context.Context, t tenant, today Day) (Day, error) {
	if r.reportFrom != "" {
		return r.reportFrom, nil
	}
	key := keySince + t.id
	ttl := r.retention + 366*24*time.Hour
	b, err := r.st.Get(ctx, key)
	if err == nil {
		if d, perr := ParseDay(string(b)); perr == nil {
			return d, r.st.Set(ctx, key, b, ttl) // refresh the ttl
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("tracing: reading the first day to report: %w", err)
	}
	first := today
	for d := today.Add(-r.retentionDays()); d.Before(today); d = d.Add(1) {
		rows, _, err := Aggregate(ctx, r.st, t.id, d)
		if err != nil {
			return "", err
		}
		if len(rows) > 0 {
			first = d
			break
		}
	}
	r.log.Info("PDND Tracing: first day to report", "tenant", t.id, "date", string(first))
	return first, r.st.Set(ctx, key, []byte(first), ttl)
}

// runTenant works on every day of t that needs it. PDND is called only when a day needs an upload
// or a state, or once a day for the MISSING/ERROR reconciliation.
func (r *Reporter) runTenant(ctx context.Context, t tenant) error {
	now := r.now()
	today := DayOf(now, r.loc)
	last := r.lastDueDay(now)
	since, err := r.since(ctx, t, today)
	if err != nil {
		return err
	}
	first := today.Add(-r.retentionDays())
	states := map[Day]*DayState{}
	var need []Day
	for d := first; !last.Before(d); d = d.Add(1) {
		s, err := loadDay(ctx, r.st, t.id, d)
		if err != nil {
			return err
		}
		if d.Before(since) && !s.Force {
			continue // before this gateway reported: only an operator's Reset brings it in
		}
		states[d] = s
		if now.Before(s.NextAttempt) {
			continue
		}
		switch {
		case s.Force || !s.terminal():
			need = append(need, d)
		case (s.State == LocalCompleted || s.State == LocalWarning) && !d.Before(last.Add(-r.lookback)):
			// Late counters: compare the day as it is now with what PDND has.
			csv, _, _, err := r.file(ctx, t, d, s.Excluded)
			if err != nil {
				return err
			}
			if sha(csv) != s.UploadedSHA256 {
				need = append(need, d)
			}
		}
	}
	reconcile := !last.Before(since) && r.reconciliationDue(ctx, t, today)
	if len(need) == 0 && !reconcile {
		return nil
	}
	if err := t.client.Health(ctx); err != nil {
		return fmt.Errorf("PDND Tracing is not available: %w", err)
	}
	remote := map[Day]Tracing{}
	if len(need) > 0 {
		list, err := t.client.ListSince(ctx, need[0])
		if err != nil {
			return err
		}
		for _, tr := range list {
			remote[tr.Date] = tr
		}
	}
	if reconcile {
		bad, err := t.client.ListAll(ctx, 1000, StateMissing, StateError)
		if err != nil {
			return err
		}
		for _, tr := range bad {
			remote[tr.Date] = tr
			s, known := states[tr.Date]
			switch {
			case !known:
				if err := r.noData(ctx, t, tr); err != nil {
					return err
				}
			case !slices.Contains(need, tr.Date) && !now.Before(s.NextAttempt) && s.State != LocalFailed && s.State != LocalForeign:
				need = append(need, tr.Date)
			}
		}
		slices.Sort(need)
		if err := r.st.Set(ctx, keyChecked+t.id, []byte(today), 48*time.Hour); err != nil {
			return fmt.Errorf("tracing: recording the reconciliation: %w", err)
		}
	}
	var errs []error
	for _, d := range need {
		if err := r.runDay(ctx, t, states[d], remote); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func (r *Reporter) reconciliationDue(ctx context.Context, t tenant, today Day) bool {
	b, err := r.st.Get(ctx, keyChecked+t.id)
	return err != nil || Day(b) != today
}

// noData records a MISSING or ERROR day PDND knows and this gateway has no counters for.
func (r *Reporter) noData(ctx context.Context, t tenant, tr Tracing) error {
	if _, err := ParseDay(string(tr.Date)); err != nil {
		return nil // not a date: nothing to record
	}
	s, err := loadDay(ctx, r.st, t.id, tr.Date)
	if err != nil {
		return err
	}
	if s.State == LocalNoData && s.Remote == tr.State {
		return nil
	}
	s.State, s.Remote, s.TracingID, s.UpdatedAt = LocalNoData, tr.State, tr.ID, r.now()
	s.LastError = "PDND lists this day as " + string(tr.State) + ", but it is before this gateway started reporting (or beyond the retention): no counters to send"
	r.log.Warn("PDND Tracing: day without data here", "tenant", t.id, "date", string(tr.Date), "remote", string(tr.State))
	return saveDay(ctx, r.st, s, 30*24*time.Hour)
}

// file generates and self-checks the day's file.
func (r *Reporter) file(ctx context.Context, t tenant, d Day, excluded []string) (csv []byte, rows int, requests int64, err error) {
	all, skipped, err := Aggregate(ctx, r.st, t.id, d)
	if err != nil {
		return nil, 0, 0, err
	}
	if skipped > 0 {
		r.log.Warn("PDND Tracing: counters that are not valid rows were skipped", "tenant", t.id, "date", string(d), "skipped", skipped)
	}
	kept := all[:0]
	for _, row := range all {
		if !slices.Contains(excluded, row.PurposeID) {
			kept = append(kept, row)
			requests += row.Requests
		}
	}
	csv = GenerateCSV(d, kept)
	if err := ValidateCSV(d, csv); err != nil {
		return nil, 0, 0, err
	}
	return csv, len(kept), requests, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runDay moves one day forward by one step, given what PDND shows for it (remote), and saves it.
func (r *Reporter) runDay(ctx context.Context, t tenant, s *DayState, remote map[Day]Tracing) error {
	d := s.Date
	csv, rows, requests, err := r.file(ctx, t, d, s.Excluded)
	var verr *ValidationError
	if errors.As(err, &verr) {
		// Our own file breaks PDND's rules: a bug, not something a retry fixes.
		r.fail(s, err.Error())
		return r.save(ctx, s)
	}
	if err != nil {
		return err // the store: try again next run, without counting an attempt
	}
	s.Rows, s.Requests = rows, requests
	tr, known := remote[d]
	if !known {
		return r.submit(ctx, t, s, csv)
	}
	return r.follow(ctx, t, s, tr, csv)
}

// follow acts on the tracing PDND has for the day.
func (r *Reporter) follow(ctx context.Context, t tenant, s *DayState, tr Tracing, csv []byte) error {
	s.TracingID, s.Remote = tr.ID, tr.State
	if s.Uncertain && s.UploadedSHA256 == "" {
		// An earlier attempt of ours got no answer but reached PDND: this tracing is ours.
		s.UploadedSHA256, s.UploadedAt, s.Method, s.Uncertain = s.TriedSHA256, r.now(), "SUBMIT", false
	}
	ours := s.UploadedSHA256 != "" || s.Force
	switch tr.State {
	case StatePending:
		if ours {
			s.State = LocalPending
		} else {
			s.State = LocalForeign
		}
	case StateCompleted, StateWarning:
		switch {
		case !ours:
			s.State = LocalForeign
			s.LastError = "PDND has a " + string(tr.State) + " tracing for this day that this gateway did not upload"
			r.log.Warn("PDND Tracing: a tracing uploaded by someone else", "tenant", t.id, "date", string(s.Date), "tracingId", tr.ID)
		case s.Force || sha(csv) != s.UploadedSHA256:
			return r.upload(ctx, t, s, "REPLACE", csv)
		default:
			fetchWarnings := tr.State == StateWarning && s.State != LocalWarning
			s.State = LocalState(tr.State)
			s.Attempts, s.NextAttempt, s.LastError = 0, time.Time{}, ""
			if fetchWarnings {
				if errs, err := t.client.Errors(ctx, tr.ID, maxFetchedErrors); err == nil {
					s.Errors = firstErrors(errs)
					r.logErrors(t, s, errs, slog.LevelInfo)
				}
			}
		}
	case StateError:
		errs, err := t.client.Errors(ctx, tr.ID, maxFetchedErrors)
		if err != nil {
			return r.retry(ctx, s, err)
		}
		s.Errors = firstErrors(errs)
		r.logErrors(t, s, errs, slog.LevelWarn)
		changed := false
		for _, e := range errs {
			purpose := strings.ToLower(e.PurposeID) // the file's ids are lower case
			blocking := e.Severity != "WARNING"
			if blocking && (e.ErrorCode == CodePurposeNotFound || e.ErrorCode == CodeInvalidPurpose) && purpose != "" && !slices.Contains(s.Excluded, purpose) {
				s.Excluded = append(s.Excluded, purpose)
				changed = true
			}
		}
		if changed {
			slices.Sort(s.Excluded)
			if csv, s.Rows, s.Requests, err = r.file(ctx, t, s.Date, s.Excluded); err != nil {
				return err
			}
			s.Attempts = 0
		} else if s.UploadedSHA256 == sha(csv) && !s.Force {
			// PDND refused this very file: send it again later (PDND may catch up, e.g. with a
			// purpose created minutes ago), a bounded number of times.
			s.LastError = "PDND refused the file: " + summarize(errs)
			if next := s.UploadedAt.Add(r.backoff(s.Attempts+1, 0)); r.now().Before(next) {
				s.State, s.NextAttempt = LocalWaiting, next
				return r.save(ctx, s)
			}
			s.Attempts++
			if s.Attempts >= r.maxAttempts {
				r.fail(s, fmt.Sprintf("PDND refuses the file (%s) and nothing this gateway can change fixes it", summarize(errs)))
				return r.save(ctx, s)
			}
		}
		return r.upload(ctx, t, s, "RECOVER", csv)
	case StateMissing:
		return r.upload(ctx, t, s, "RECOVER", csv)
	default:
		r.fail(s, "PDND shows an unknown state "+string(tr.State))
	}
	return r.save(ctx, s)
}

// submit uploads a day PDND has no tracing for.
func (r *Reporter) submit(ctx context.Context, t tenant, s *DayState, csv []byte) error {
	if err := checkLease(ctx); err != nil {
		return err
	}
	s.TriedSHA256 = sha(csv)
	id, others, err := t.client.Submit(ctx, s.Date, csv)
	var apiErr *APIError
	switch {
	case err == nil:
		r.uploaded(s, "SUBMIT", id, csv)
		if others {
			// PDND says another day is in ERROR or MISSING: reconcile on the next run.
			_ = r.st.Delete(ctx, keyChecked+t.id)
		}
		r.log.Info("PDND Tracing: file submitted", "tenant", t.id, "date", string(s.Date), "tracingId", id, "rows", s.Rows, "requests", s.Requests)
		return r.save(ctx, s)
	case errors.As(err, &apiErr) && apiErr.HasCode(CodeTracingAlreadyExists):
		list, lerr := t.client.ListSince(ctx, s.Date)
		if lerr != nil {
			return r.retry(ctx, s, lerr)
		}
		for _, tr := range list {
			if tr.Date == s.Date {
				r.log.Info("PDND Tracing: the day already has a tracing", "tenant", t.id, "date", string(s.Date), "tracingId", tr.ID, "state", string(tr.State))
				return r.follow(ctx, t, s, tr, csv)
			}
		}
		return r.retry(ctx, s, fmt.Errorf("PDND says a tracing exists for %s but does not list it: %w", s.Date, err))
	}
	return r.retry(ctx, s, err)
}

// upload sends a recover or a replace.
func (r *Reporter) upload(ctx context.Context, t tenant, s *DayState, method string, csv []byte) error {
	if err := checkLease(ctx); err != nil {
		return err
	}
	s.TriedSHA256 = sha(csv)
	var err error
	if method == "REPLACE" {
		err = t.client.Replace(ctx, s.TracingID, s.Date, csv)
	} else {
		err = t.client.Recover(ctx, s.TracingID, s.Date, csv)
	}
	var apiErr *APIError
	switch {
	case err == nil:
		attempts, refused := s.Attempts, s.Remote == StateError
		r.uploaded(s, method, s.TracingID, csv)
		if refused {
			s.Attempts = attempts // a refused file sent again: keep counting towards max_attempts
		}
		r.log.Info("PDND Tracing: file uploaded", "method", method, "tenant", t.id, "date", string(s.Date), "tracingId", s.TracingID, "rows", s.Rows, "requests", s.Requests)
		return r.save(ctx, s)
	case errors.As(err, &apiErr) && apiErr.HasCode(CodeTracingNotFound):
		s.TracingID, s.Remote = "", "" // submit again next run
	}
	return r.retry(ctx, s, err)
}

func (r *Reporter) uploaded(s *DayState, method, id string, csv []byte) {
	s.State, s.Remote, s.Method, s.TracingID = LocalPending, StatePending, method, id
	s.UploadedSHA256, s.UploadedAt, s.Uncertain, s.Force = sha(csv), r.now(), false, false
	s.Attempts, s.NextAttempt, s.LastError = 0, time.Time{}, ""
}

// retry records a failed attempt: temporary errors wait (doubling) up to max_attempts, others fail
// the day at once. It returns only the store's error: the attempt's is in the day's state.
func (r *Reporter) retry(ctx context.Context, s *DayState, err error) error {
	if ctx.Err() != nil {
		return err // stopped (lock lost, shutdown): not the day's fault
	}
	var apiErr *APIError
	temporary := !errors.As(err, &apiErr) || apiErr.Temporary() || apiErr.HasCode(CodeTracingCannotBeUpdated) || apiErr.HasCode(CodeTracingNotFound)
	if apiErr != nil && (apiErr.Err != nil || apiErr.Status >= 500) {
		s.Uncertain = true // the request may have been carried out
	}
	s.Attempts++
	s.LastError = err.Error()
	if !temporary || s.Attempts >= r.maxAttempts {
		r.fail(s, err.Error())
	} else {
		var hint time.Duration
		if apiErr != nil {
			hint = apiErr.RetryAfter
		}
		s.State, s.NextAttempt = LocalWaiting, r.now().Add(r.backoff(s.Attempts, hint))
		r.log.Warn("PDND Tracing: attempt failed, will retry", "tenant", s.Tenant, "date", string(s.Date), "attempt", s.Attempts, "next", s.NextAttempt, "error", err.Error())
	}
	// The failure is recorded in the day's state (and logged): the run goes on with other days.
	return r.save(ctx, s)
}

func (r *Reporter) fail(s *DayState, why string) {
	s.State, s.LastError, s.NextAttempt = LocalFailed, why, time.Time{}
	r.log.Error("PDND Tracing: day needs an operator", "tenant", s.Tenant, "date", string(s.Date), "error", why)
}

func (r *Reporter) backoff(attempt int, hint time.Duration) time.Duration {
	d := r.retryMin << min(attempt-1, 30)
	if d <= 0 || d > r.retryMax {
		d = r.retryMax
	}
	return max(d, hint)
}

func (r *Reporter) save(ctx context.Context, s *DayState) error {
	s.UpdatedAt = r.now()
	return saveDay(context.WithoutCancel(ctx), r.st, s, r.stateTTL(s.Date))
}

func (r *Reporter) logErrors(t tenant, s *DayState, errs []TracingError, level slog.Level) {
	for i, e := range errs {
		if i == 20 {
			r.log.Log(context.Background(), level, "PDND Tracing: more errors", "tenant", t.id, "date", string(s.Date), "count", len(errs)-20)
			return
		}
		r.log.Log(context.Background(), level, "PDND Tracing: row error", "tenant", t.id, "date", string(s.Date), "tracingId", s.TracingID,
			"row", e.RowNumber, "code", e.ErrorCode, "severity", e.Severity, "purposeId", e.PurposeID, "message", e.Message)
	}
}

func firstErrors(errs []TracingError) []TracingError {
	return slices.Clone(errs[:min(len(errs), maxStoredErrors)])
}

func summarize(errs []TracingError) string {
	if len(errs) == 0 {
		return "no errors listed"
	}
	codes := map[string]int{}
	var order []string
	for _, e := range errs {
		if codes[e.ErrorCode] == 0 {
			order = append(order, e.ErrorCode)
		}
		codes[e.ErrorCode]++
	}
	parts := make([]string, len(order))
	for i, c := range order {
		parts[i] = fmt.Sprintf("%s x%d", c, codes[c])
	}
	return strings.Join(parts, ", ")
}

// Status lists the state of every tenant's days within the retention, oldest first, with the days
// still open (today, and yesterday before submit_at) carrying their live counts. For the dashboard
// and the admin API.
func (r *Reporter) Status(ctx context.Context) ([]DayState, error) {
	now := r.now()
	today := DayOf(now, r.loc)
	last := r.lastDueDay(now)
	var out []DayState
	for _, t := range r.tenants {
		for d := today.Add(-r.retentionDays()); !today.Before(d); d = d.Add(1) {
			if last.Before(d) {
				rows, _, err := Aggregate(ctx, r.st, t.id, d)
				if err != nil {
					return nil, err
				}
				s := DayState{Tenant: t.id, Date: d, State: LocalOpen, Rows: len(rows)}
				for _, row := range rows {
					s.Requests += row.Requests
				}
				out = append(out, s)
				continue
			}
			s, err := storedDay(ctx, r.st, t.id, d)
			if err != nil {
				return nil, err
			}
			if s != nil {
				out = append(out, *s)
			}
		}
	}
	return out, nil
}

// Reset puts a day back in the hands of the reporter after an operator looked at it: attempts and
// excluded purposes are cleared, and the next run uploads this gateway's full file for the day
// (submit, recover or replace, whatever PDND's state asks), even over a tracing it did not upload.
func (r *Reporter) Reset(ctx context.Context, tenantID string, d Day) error {
	if _, err := ParseDay(string(d)); err != nil {
		return err
	}
	tenantID = strings.ToLower(tenantID)
	found := false
	for _, t := range r.tenants {
		found = found || t.id == tenantID
	}
	if !found {
		return fmt.Errorf("tracing: %s is not a configured tenant", tenantID)
	}
	today := DayOf(r.now(), r.loc)
	if !d.Before(today) {
		return fmt.Errorf("tracing: %s is not a past day", d)
	}
	if d.Before(today.Add(-r.retentionDays())) {
		return fmt.Errorf("tracing: %s is beyond the retention (%d days): this gateway has no counters for it", d, r.retentionDays())
	}
	s, err := loadDay(ctx, r.st, tenantID, d)
	if err != nil {
		return err
	}
	s.State, s.Force = LocalWaiting, true
	s.Attempts, s.NextAttempt, s.LastError, s.Excluded = 0, time.Time{}, "", nil
	r.log.Info("PDND Tracing: day reset by an operator", "tenant", tenantID, "date", string(d))
	return r.save(ctx, s)
}
