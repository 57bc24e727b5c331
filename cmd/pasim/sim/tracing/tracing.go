// Package tracing simulates PDND's Tracing API (pagopa/interop-tracing-core, public OpenAPI
// api-external-interop-v1.yaml; /work/shared/domain/pdnd-tracing.md §3-4): submit, list, errors,
// recover, replace and /status, with the real error codes and Problem bodies, the asynchronous
// processing that moves a tracing from PENDING to COMPLETED, WARNING or ERROR (the CSV checks of
// process.go), and the daily job that marks days without a tracing MISSING.
//
// Processing and the MISSING job are lazy and deterministic: each request first carries out what
// the clock says is due (a tracing is processed ProcessDelay after its upload; the job runs at
// midnight of the server's location), so tests drive everything with Options.Now, ProcessPending and
// RunMissingJob, and no goroutine runs in the background.
package tracing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/cmd/pasim/sim/fault"
)

// Default values of Options.
const (
	DefaultProcessDelay = 2 * time.Second
	// DefaultMissingOffset is how many days back the MISSING job looks (the devportal: the job on
	// 21 January marks 19 January).
	DefaultMissingOffset = 2
	// maxUpload bounds an upload; the real API sets no limit, but a simulator must not buffer
	// anything a client sends.
	maxUpload = 32 << 20
)

// States of a tracing.
const (
	statePending   = "PENDING"
	stateCompleted = "COMPLETED"
	stateWarning   = "WARNING"
	stateError     = "ERROR"
	stateMissing   = "MISSING"
)

// Options configure the simulator. The zero value works: any Bearer token, tenant from the
// X-Organization-Id header or the token's organizationId claim, wall clock in UTC.
type Options struct {
	// Faults wraps every endpoint; nil means no fault injection.
	Faults *fault.Injector
	// Authenticate returns the caller's organizationId from the request and its Bearer token, or an
	// error (answered 401 UNAUTHORIZED_ERROR). Nil: the X-Organization-Id header if present (tests),
	// else the organizationId claim of the token's payload, unverified. The PDND simulator's
	// verifier plugs in here.
	Authenticate func(r *http.Request, token string) (string, error)
	// Now is the server's clock; Location its time zone (the "today" of the date check and the
	// MISSING job). Defaults: time.Now, UTC.
	Now      func() time.Time
	Location *time.Location
	// ProcessDelay is how long an upload stays PENDING before it is processed. Zero means
	// DefaultProcessDelay; negative means only ProcessPending processes.
	ProcessDelay time.Duration
	// MissingOffset is how many days before the job's day it marks MISSING. Zero means
	// DefaultMissingOffset.
	MissingOffset int
}

// Server is the simulated API. Safe for concurrent use.
type Server struct {
	o        Options
	mu       sync.Mutex
	tracings map[string]*tracing // by id
	purposes map[string]PurposeStatus
	calls    map[string]int
	lastJob  string // last day the MISSING job ran
}

type tracing struct {
	ID, Tenant, Date string
	State            string
	Version          int
	File             []byte
	Errors           []RowError
	processAt        time.Time
	manual           bool
	reject           bool // semanticRejectFile
}

// Tracing is the simulator's view of one tracing, for tests.
type Tracing struct {
	ID, Tenant, Date, State string
	Version                 int
	File                    []byte
	Errors                  []RowError
}

// New returns a simulator.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.ProcessDelay == 0 {
		o.ProcessDelay = DefaultProcessDelay
	}
	if o.MissingOffset == 0 {
		o.MissingOffset = DefaultMissingOffset
	}
	s := &Server{o: o, tracings: map[string]*tracing{}, purposes: map[string]PurposeStatus{}, calls: map[string]int{}}
	s.lastJob = s.today()
	return s
}

// Handler serves the API and the simulator's own controls under /sim/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name string, h http.HandlerFunc) {
		mux.Handle(pattern, s.o.Faults.Wrap(name, pattern, fault.Hooks{Error: writeInjected, Malformed: writeMalformed}, s.common(h)))
	}
	route("GET /status", "tracing.status", s.status)
	route("POST /tracings/submit", "tracing.submit", s.auth(s.submit))
	route("GET /tracings", "tracing.list", s.auth(s.list))
	route("GET /tracings/{id}/errors", "tracing.errors", s.auth(s.errorsOf))
	route("POST /tracings/{id}/recover", "tracing.recover", s.auth(s.update("recover")))
	route("POST /tracings/{id}/replace", "tracing.replace", s.auth(s.update("replace")))
	mux.HandleFunc("POST /sim/process", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"processed": s.ProcessPending()})
	})
	mux.HandleFunc("POST /sim/missing-job", func(w http.ResponseWriter, r *http.Request) {
		day := r.URL.Query().Get("date")
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", "date=YYYY-MM-DD is required")
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"created": s.RunMissingJob(day)})
	})
	mux.HandleFunc("PUT /sim/purposes/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Status string `json:"status"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&body)
		st, ok := map[string]PurposeStatus{"owned": PurposeOwned, "unknown": PurposeUnknown, "others": PurposeOfOthers}[body.Status]
		if !ok {
			writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", `body {"status": "owned"|"unknown"|"others"} is required`)
			return
		}
		s.SetPurpose(r.PathValue("id"), st)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /sim/tracings", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"tracings": s.Tracings(""), "calls": s.Calls()})
	})
	mux.Handle("/", s.common(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "GENERIC_ERROR", "Not found", "no operation "+r.Method+" "+r.URL.Path)
	}))
	return mux
}

// SetPurpose says what PDND's database knows of a purpose (by default every purpose belongs to the
// uploading tenant).
func (s *Server) SetPurpose(purposeID string, st PurposeStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purposes[strings.ToLower(purposeID)] = st
}

// ProcessPending processes every PENDING tracing now, whatever the delay, and returns how many.
func (s *Server) ProcessPending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tracings {
		if t.State == statePending {
			s.process(t)
			n++
		}
	}
	return n
}

// RunMissingJob runs the daily job as on day (YYYY-MM-DD): every tenant with at least one tracing
// that has none for day minus MissingOffset gets a MISSING one. It returns how many were created.
func (s *Server) RunMissingJob(day string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missingJob(day)
}

// Tracings lists the tracings of tenant (all when ""), by date.
func (s *Server) Tracings(tenant string) []Tracing {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance()
	var out []Tracing
	for _, t := range s.sorted() {
		if tenant == "" || t.Tenant == tenant {
			out = append(out, Tracing{t.ID, t.Tenant, t.Date, t.State, t.Version, slices.Clone(t.File), slices.Clone(t.Errors)})
		}
	}
	return out
}

// Calls counts the successful submit, recover and replace calls.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *Server) today() string { return s.o.Now().In(s.o.Location).Format(time.DateOnly) }

// advance carries out what is due: MISSING jobs for every midnight since the last one, then the
// processing of uploads whose delay has passed. Called with mu held.
func (s *Server) advance() {
	today := s.today()
	for s.lastJob < today {
		d, _ := time.Parse(time.DateOnly, s.lastJob)
		s.lastJob = d.AddDate(0, 0, 1).Format(time.DateOnly)
		s.missingJob(s.lastJob)
	}
	now := s.o.Now()
	for _, t := range s.tracings {
		if t.State == statePending && !t.manual && !now.Before(t.processAt) {
			s.process(t)
		}
	}
}

func (s *Server) missingJob(day string) int {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0
	}
	target := d.AddDate(0, 0, -s.o.MissingOffset).Format(time.DateOnly)
	tenants := map[string]bool{}
	has := map[string]bool{}
	for _, t := range s.tracings {
		tenants[t.Tenant] = true
		if t.Date == target {
			has[t.Tenant] = true
		}
	}
	n := 0
	for tenant := range tenants {
		if !has[tenant] {
			id := newID()
			s.tracings[id] = &tracing{ID: id, Tenant: tenant, Date: target, State: stateMissing, Version: 1}
			n++
		}
	}
	return n
}

func (s *Server) process(t *tracing) {
	if t.reject {
		t.Errors, t.State = []RowError{{Severity: severityInvalid, ErrorCode: "INVALID_CSV", Message: "injected fault: the file could not be processed", RowNumber: 0}}, stateError
		return
	}
	t.Errors, t.State = validate(t.File, t.Date, t.Tenant, func(_, purpose string) PurposeStatus { return s.purposes[purpose] })
}

func (s *Server) sorted() []*tracing {
	out := make([]*tracing, 0, len(s.tracings))
	for _, t := range s.tracings {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *tracing) int {
		if c := strings.Compare(a.Date, b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// common adds X-Correlation-Id (always the server's own, as the real API) and runs what is due.
func (s *Server) common(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-Id", newID())
		s.mu.Lock()
		s.advance()
		s.mu.Unlock()
		h(w, r)
	}
}

// auth checks the Bearer voucher and finds the tenant.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, tenant string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok || token == "" {
			writeProblem(w, r, http.StatusBadRequest, "MISSING_HEADER", "Bearer token has not been passed", "Authorization Illegal header key.")
			return
		}
		authn := s.o.Authenticate
		if authn == nil {
			authn = defaultAuthenticate
		}
		tenant, err := authn(r, token)
		if err == nil && !uuidShape.MatchString(tenant) {
			err = errors.New("organizationId is not a UUID")
		}
		if err != nil {
			writeProblem(w, r, http.StatusUnauthorized, "UNAUTHORIZED_ERROR", "Unauthorized", "Invalid token: "+err.Error())
			return
		}
		h(w, r, strings.ToLower(tenant))
	}
}

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func defaultAuthenticate(r *http.Request, token string) (string, error) {
	if org := r.Header.Get("X-Organization-Id"); org != "" {
		return org, nil
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("the payload is not base64url")
	}
	var claims struct {
		OrganizationID string `json:"organizationId"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.OrganizationID == "" {
		return "", errors.New("no organizationId claim (a PDND-API voucher is required)")
	}
	return claims.OrganizationID, nil
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
}

var dateField = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)

// readForm reads the multipart body: the CSV part `file` and, for submit, `date`.
func readForm(w http.ResponseWriter, r *http.Request, wantDate bool) (file []byte, date string, ok bool) {
	ct := r.Header.Get("Content-Type")
	var missing []string
	mt, params, err := mime.ParseMediaType(ct)
	if strings.ContainsRune(ct, '\t') || err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		// The real API does not parse such a body (a TAB before boundary, GovWay's bug) and reports
		// the fields as missing.
		missing = append(missing, "file")
		if wantDate {
			missing = append(missing, "date")
		}
	} else {
		mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxUpload), params["boundary"])
		var haveFile, haveDate bool
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", "Validation error: the multipart body is malformed")
				return nil, "", false
			}
			b, err := io.ReadAll(p)
			if err != nil {
				writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", "Validation error: the multipart body is malformed or too large")
				return nil, "", false
			}
			switch p.FormName() {
			case "file":
				if p.FileName() != "" {
					file, haveFile = b, true
				}
			case "date":
				date, haveDate = string(b), true
			}
		}
		if !haveFile {
			missing = append(missing, "file")
		}
		if wantDate && !haveDate {
			missing = append(missing, "date")
		}
	}
	if len(missing) > 0 {
		var errs []problemError
		for _, m := range missing {
			errs = append(errs, problemError{"BAD_REQUEST_ERROR", `Validation error: Required at "` + m + `"`})
		}
		writeProblemErrors(w, r, http.StatusBadRequest, "Bad request", "Incorrect value for body", errs)
		return nil, "", false
	}
	if wantDate && !dateField.MatchString(date) {
		writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", `Validation error: Invalid at "date"`)
		return nil, "", false
	}
	return file, date, true
}

// Semantic faults of the upload endpoints (fault.Spec.Semantic).
const (
	// semanticStoredThen500 makes an upload succeed and answer 500 anyway, like a server whose answer
	// is lost after the change was stored: the client must find out with GET /tracings.
	semanticStoredThen500 = "stored-then-500"
	// semanticRejectFile makes the processing of the uploaded file end in ERROR with a file-level
	// INVALID_CSV error, whatever the file: PDND refusing a file the client cannot fix.
	semanticRejectFile = "reject-file"
)

func (s *Server) submit(w http.ResponseWriter, r *http.Request, tenant string) {
	file, date, ok := readForm(w, r, true)
	if !ok {
		return
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil || date >= s.today() {
		writeProblem(w, r, http.StatusBadRequest, "INVALID_TRACING_DATE", "Bad Request", "The tracing date is invalid. Please provide a past date, earlier than today.")
		return
	}
	s.mu.Lock()
	var existing *tracing
	others := false
	for _, t := range s.tracings {
		if t.Tenant != tenant {
			continue
		}
		if t.Date == date {
			existing = t
		} else if t.State == stateError || t.State == stateMissing {
			others = true
		}
	}
	if existing != nil && existing.State != stateMissing {
		s.mu.Unlock()
		writeProblem(w, r, http.StatusBadRequest, "TRACING_ALREADY_EXISTS", "Bad Request", "A tracing for the current tenant already exists on this date: "+date)
		return
	}
	t := existing
	if t == nil {
		t = &tracing{ID: newID(), Tenant: tenant, Date: date, Version: 1}
		s.tracings[t.ID] = t
	}
	s.store(t, file, r)
	s.calls["submit"]++
	s.mu.Unlock()
	if sem, _ := fault.SemanticFrom(r.Context()); sem == semanticStoredThen500 {
		writeProblem(w, r, http.StatusInternalServerError, "GENERIC_ERROR", "Unexpected error", "Unexpected error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tracingId": t.ID, "errors": others})
}

func (s *Server) store(t *tracing, file []byte, r *http.Request) {
	sem, _ := fault.SemanticFrom(r.Context())
	t.State, t.File, t.Errors, t.reject = statePending, file, nil, sem == semanticRejectFile
	t.manual = s.o.ProcessDelay < 0
	t.processAt = s.o.Now().Add(s.o.ProcessDelay)
}

// update serves recover and replace.
func (s *Server) update(op string) func(w http.ResponseWriter, r *http.Request, tenant string) {
	allowed, rule := []string{stateError, stateMissing}, "either ERROR or MISSING"
	if op == "replace" {
		allowed, rule = []string{stateCompleted, stateWarning}, "COMPLETED"
	}
	return func(w http.ResponseWriter, r *http.Request, tenant string) {
		id := r.PathValue("id")
		s.mu.Lock()
		t := s.tracings[id]
		s.mu.Unlock()
		if t == nil {
			writeProblem(w, r, http.StatusNotFound, "TRACING_NOT_FOUND", "Tracing not found", "Tracing by "+id+" not found.")
			return
		}
		if t.Tenant != tenant {
			// The real operations service maps this UNAUTHORIZED_ERROR to 500.
			writeProblem(w, r, http.StatusInternalServerError, "UNAUTHORIZED_ERROR", "Unauthorized", "Tenant is not the owner of the tracing")
			return
		}
		file, _, ok := readForm(w, r, false)
		if !ok {
			return
		}
		s.mu.Lock()
		if !slices.Contains(allowed, t.State) {
			s.mu.Unlock()
			writeProblem(w, r, http.StatusConflict, "TRACING_CANNOT_BE_UPDATED", "Tracing cannot be updated",
				fmt.Sprintf("Tracing with Id %s cannot be updated. The state of tracing must be %s.", id, rule))
			return
		}
		t.Version++
		s.store(t, file, r)
		s.calls[op]++
		s.mu.Unlock()
		if sem, _ := fault.SemanticFrom(r.Context()); sem == semanticStoredThen500 {
			writeProblem(w, r, http.StatusInternalServerError, "GENERIC_ERROR", "Unexpected error", "Unexpected error")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"tracingId": t.ID})
	}
}

// paging reads offset (>= 0) and limit (1..50), both required.
func paging(w http.ResponseWriter, r *http.Request) (offset, limit int, ok bool) {
	q := r.URL.Query()
	offset, err1 := strconv.Atoi(q.Get("offset"))
	limit, err2 := strconv.Atoi(q.Get("limit"))
	var errs []problemError
	if err1 != nil || offset < 0 {
		errs = append(errs, problemError{"BAD_REQUEST_ERROR", `Validation error: offset must be an integer >= 0 at "offset"`})
	}
	if err2 != nil || limit < 1 || limit > 50 {
		errs = append(errs, problemError{"BAD_REQUEST_ERROR", `Validation error: limit must be an integer between 1 and 50 at "limit"`})
	}
	if len(errs) > 0 {
		writeProblemErrors(w, r, http.StatusBadRequest, "Bad request", "Incorrect value for query", errs)
		return 0, 0, false
	}
	return offset, limit, true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, tenant string) {
	offset, limit, ok := paging(w, r)
	if !ok {
		return
	}
	var states []string
	if v := r.URL.Query().Get("states"); v != "" {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains([]string{statePending, stateCompleted, stateWarning, stateError, stateMissing}, st) {
				writeProblem(w, r, http.StatusBadRequest, "BAD_REQUEST_ERROR", "Bad request", `Validation error: Invalid enum value at "states"`)
				return
			}
			states = append(states, st)
		}
	}
	type item struct {
		TracingID string `json:"tracingId"`
		Date      string `json:"date"`
		State     string `json:"state"`
	}
	s.mu.Lock()
	var all []item
	for _, t := range s.sorted() {
		if t.Tenant == tenant && (len(states) == 0 || slices.Contains(states, t.State)) {
			all = append(all, item{t.ID, t.Date, t.State})
		}
	}
	s.mu.Unlock()
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	writeJSON(w, http.StatusOK, map[string]any{"results": append([]item{}, page...), "totalCount": len(all)})
}

func (s *Server) errorsOf(w http.ResponseWriter, r *http.Request, tenant string) {
	offset, limit, ok := paging(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	t := s.tracings[id]
	var errs []RowError
	if t != nil {
		errs = slices.Clone(t.Errors)
	}
	s.mu.Unlock()
	switch {
	case t == nil:
		writeProblem(w, r, http.StatusNotFound, "TRACING_NOT_FOUND", "Tracing not found", "Tracing by "+id+" not found.")
		return
	case t.Tenant != tenant:
		writeProblem(w, r, http.StatusInternalServerError, "UNAUTHORIZED_ERROR", "Unauthorized", "Tenant is not the owner of the tracing")
		return
	}
	page := errs[min(offset, len(errs)):min(offset+limit, len(errs))]
	writeJSON(w, http.StatusOK, map[string]any{"results": append([]RowError{}, page...), "totalCount": len(errs)})
}

type problemError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// writeProblem answers with the API's Problem body (application/json, as the real API sends it).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, code, title, detail string) {
	writeProblemErrors(w, r, status, title, detail, []problemError{{code, detail}})
}

func writeProblemErrors(w http.ResponseWriter, _ *http.Request, status int, title, detail string, errs []problemError) {
	writeJSON(w, status, map[string]any{"type": "about:blank", "status": status, "title": title, "detail": detail,
		"correlationId": w.Header().Get("X-Correlation-Id"), "errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeInjected(w http.ResponseWriter, r *http.Request, status int) {
	if w.Header().Get("X-Correlation-Id") == "" {
		w.Header().Set("X-Correlation-Id", newID())
	}
	writeProblem(w, r, status, "GENERIC_ERROR", http.StatusText(status), "injected fault")
}

func writeMalformed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bytes.Repeat([]byte(`{"tracingId":`), 3))
}

func newID() string { return uuid.NewString() }
