package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TokenSource gives the PDND-API voucher (obtained with the tenant's "client API Interop", without
// purposeId) that authenticates calls to PDND Tracing. Implementations cache and refresh it; Token is
// called before every request and must be safe for concurrent use.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// State is a tracing's state at PDND (pdnd-tracing.md §4.1).
type State string

// PDND's tracing states.
const (
	StatePending   State = "PENDING"
	StateCompleted State = "COMPLETED"
	StateWarning   State = "WARNING"
	StateError     State = "ERROR"
	StateMissing   State = "MISSING"
)

// Tracing is one entry of GET /tracings.
type Tracing struct {
	ID    string `json:"tracingId"`
	Date  Day    `json:"date"`
	State State  `json:"state"`
}

// TracingError is one entry of GET /tracings/{id}/errors.
type TracingError struct {
	PurposeID string `json:"purposeId"`
	Severity  string `json:"severity"` // INVALID (blocking) or WARNING
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	RowNumber int    `json:"rowNumber"`
}

// String is how operators read the error (the dashboard, logs): "row 3, purpose P: INVALID
// CODE: message", leaving out what PDND did not say.
func (e TracingError) String() string {
	var b strings.Builder
	if e.RowNumber > 0 {
		fmt.Fprintf(&b, "row %d, ", e.RowNumber)
	}
	if e.PurposeID != "" {
		fmt.Fprintf(&b, "purpose %s: ", e.PurposeID)
	}
	b.WriteString(strings.TrimSpace(e.Severity + " " + e.ErrorCode))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// API error codes the client acts on (PDND Problem errors[].code).
const (
	CodeTracingAlreadyExists   = "TRACING_ALREADY_EXISTS"
	CodeInvalidTracingDate     = "INVALID_TRACING_DATE"
	CodeTracingNotFound        = "TRACING_NOT_FOUND"
	CodeTracingCannotBeUpdated = "TRACING_CANNOT_BE_UPDATED"
)

// APIError is a failed call to PDND Tracing: a transport error (Err set, Status 0) or a non-2xx
// answer with PDND's Problem fields. It never contains the voucher.
type APIError struct {
	Op            string // "submit", "list", ...
	Status        int
	Codes         []string // errors[].code
	Title, Detail string
	CorrelationID string
	RetryAfter    time.Duration
	Err           error
}

func (e *APIError) Error() string {
	if e.Err != nil {
		return "tracing: " + e.Op + ": " + e.Err.Error()
	}
	s := fmt.Sprintf("tracing: %s: HTTP %d", e.Op, e.Status)
	if len(e.Codes) > 0 {
		s += " " + strings.Join(e.Codes, ",")
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	} else if e.Title != "" {
		s += ": " + e.Title
	}
	if e.CorrelationID != "" {
		s += " (correlation id " + e.CorrelationID + ")"
	}
	return s
}

func (e *APIError) Unwrap() error { return e.Err }

// HasCode reports whether PDND answered with code.
func (e *APIError) HasCode(code string) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// Temporary reports whether trying again later may succeed: transport errors, 408, 429, 5xx, and
// INVALID_TRACING_DATE (PDND's "today" may not have reached ours yet).
func (e *APIError) Temporary() bool {
	return e.Err != nil || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests ||
		e.Status >= 500 || e.HasCode(CodeInvalidTracingDate)
}

// maxResponseBytes bounds what the client reads of an answer (the largest, an errors page of 50, is a
// few KB).
const maxResponseBytes = 1 << 20

// MaxPageSize is PDND's largest `limit`.
const MaxPageSize = 50

// maxListPages bounds the pages ListSince reads (100 pages: 5000 days of tracings), so an answer
// announcing an absurd totalCount cannot keep the client looping.
const maxListPages = 100

// Client calls the PDND Tracing API of one tenant (pdnd-tracing.md §3). Safe for concurrent use.
type Client struct {
	// BaseURL is the API root, e.g. https://api.tracing.interop.pagopa.it (paths hang off it).
	BaseURL string
	// Tokens gives the tenant's PDND-API voucher.
	Tokens TokenSource
	// HTTP is the client to use; nil means http.DefaultClient. Give it a timeout.
	HTTP *http.Client
}

// Health calls GET /status (no authentication).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, "status", http.MethodGet, "/status", nil, "", false, nil)
}

// Submit uploads the file of a day (POST /tracings/submit, parts `file` and `date`). otherErrors is
// PDND's `errors` flag: true when the tenant has some OTHER tracing in ERROR or MISSING.
func (c *Client) Submit(ctx context.Context, d Day, csv []byte) (tracingID string, otherErrors bool, err error) {
	body, ctype := multipartBody(csv, string(d), d)
	var out struct {
		TracingID string `json:"tracingId"`
		Errors    bool   `json:"errors"`
	}
	if err := c.do(ctx, "submit", http.MethodPost, "/tracings/submit", body, ctype, true, &out); err != nil {
		return "", false, err
	}
	if out.TracingID == "" {
		return "", false, &APIError{Op: "submit", Status: http.StatusOK, Detail: "the answer has no tracingId"}
	}
	return out.TracingID, out.Errors, nil
}

// Recover uploads a new file for a tracing in ERROR or MISSING.
func (c *Client) Recover(ctx context.Context, tracingID string, d Day, csv []byte) error {
	return c.upload(ctx, "recover", tracingID, d, csv)
}

// Replace uploads a file that fully replaces a tracing in COMPLETED or WARNING.
func (c *Client) Replace(ctx context.Context, tracingID string, d Day, csv []byte) error {
	return c.upload(ctx, "replace", tracingID, d, csv)
}

func (c *Client) upload(ctx context.Context, op, tracingID string, d Day, csv []byte) error {
	body, ctype := multipartBody(csv, "", d)
	return c.do(ctx, op, http.MethodPost, "/tracings/"+url.PathEscape(tracingID)+"/"+op, body, ctype, true, nil)
}

// Page is one page of GET /tracings.
type Page struct {
	Results    []Tracing `json:"results"`
	TotalCount int       `json:"totalCount"`
}

// List returns one page of the tenant's tracings, ordered by date, optionally only in states.
func (c *Client) List(ctx context.Context, offset, limit int, states ...State) (Page, error) {
	q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	if len(states) > 0 {
		s := make([]string, len(states))
		for i, st := range states {
			s[i] = string(st)
		}
		q.Set("states", strings.Join(s, ","))
	}
	var p Page
	err := c.do(ctx, "list", http.MethodGet, "/tracings?"+q.Encode(), nil, "", true, &p)
	for i := range p.Results {
		// Some versions of the API send a full timestamp; the day is its first ten characters.
		if len(p.Results[i].Date) > 10 {
			p.Results[i].Date = p.Results[i].Date[:10]
		}
	}
	return p, err
}

// ListAll pages through every tracing in states (all states when none), at most max of them.
func (c *Client) ListAll(ctx context.Context, max int, states ...State) ([]Tracing, error) {
	var out []Tracing
	for offset := 0; offset < max; offset += MaxPageSize {
		p, err := c.List(ctx, offset, MaxPageSize, states...)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Results...)
		if len(p.Results) < MaxPageSize || offset+len(p.Results) >= p.TotalCount {
			break
		}
	}
	return out, nil
}

// ListSince returns the tracings dated from (inclusive) onwards, reading pages from the end of the
// date-ordered list so the cost depends on the days asked for, not on the tenant's history.
func (c *Client) ListSince(ctx context.Context, from Day) ([]Tracing, error) {
	first, err := c.List(ctx, 0, 1)
	if err != nil {
		return nil, err
	}
	var out []Tracing
	pages := 0
	for end := first.TotalCount; end > 0; end -= MaxPageSize {
		if pages++; pages > maxListPages {
			return nil, &APIError{Op: "list", Status: http.StatusOK, Detail: fmt.Sprintf("more than %d pages to read: the answers are not consistent", maxListPages)}
		}
		offset := max(0, end-MaxPageSize)
		p, err := c.List(ctx, offset, end-offset)
		if err != nil {
			return nil, err
		}
		if len(p.Results) == 0 {
			break
		}
		done := false
		for i := len(p.Results) - 1; i >= 0; i-- {
			if p.Results[i].Date.Before(from) {
				done = true
				continue
			}
			out = append(out, p.Results[i])
		}
		if done {
			break
		}
	}
	return out, nil
}

// Errors returns every error of the tracing's current version, at most max of them.
func (c *Client) Errors(ctx context.Context, tracingID string, max int) ([]TracingError, error) {
	var out []TracingError
	for offset := 0; offset < max; offset += MaxPageSize {
		var p struct {
			Results    []TracingError `json:"results"`
			TotalCount int            `json:"totalCount"`
		}
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(MaxPageSize)}}
		if err := c.do(ctx, "errors", http.MethodGet, "/tracings/"+url.PathEscape(tracingID)+"/errors?"+q.Encode(), nil, "", true, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Results...)
		if len(p.Results) < MaxPageSize || offset+len(p.Results) >= p.TotalCount {
			break
		}
	}
	return out, nil
}

// multipartBody builds the form with mime/multipart, whose Content-Type has one space and no TAB
// (pdnd-tracing.md §5). date is omitted for recover and replace.
func multipartBody(csv []byte, date string, d Day) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+string(d)+`.csv"`)
	h.Set("Content-Type", "text/csv")
	part, _ := w.CreatePart(h) // writing to a bytes.Buffer cannot fail
	_, _ = part.Write(csv)
	if date != "" {
		_ = w.WriteField("date", date)
	}
	_ = w.Close()
	return &b, w.FormDataContentType()
}

// problemBody is PDND's error body.
type problemBody struct {
	Title         string `json:"title"`
	Detail        string `json:"detail"`
	CorrelationID string `json:"correlationId"`
	Errors        []struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (c *Client) do(ctx context.Context, op, method, path string, body *bytes.Buffer, ctype string, auth bool, out any) error {
	var rd io.Reader
	if body != nil {
		rd = body
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return &APIError{Op: op, Err: err}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if auth {
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return &APIError{Op: op, Err: fmt.Errorf("obtaining the PDND-API voucher: %w", err)}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &APIError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return &APIError{Op: op, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if len(data) > maxResponseBytes {
		return &APIError{Op: op, Status: resp.StatusCode, Detail: fmt.Sprintf("the answer exceeds %d bytes", maxResponseBytes)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Op: op, Status: resp.StatusCode, CorrelationID: resp.Header.Get("X-Correlation-Id")}
		var p problemBody
		if json.Unmarshal(data, &p) == nil {
			e.Title, e.Detail = p.Title, p.Detail
			if p.CorrelationID != "" {
				e.CorrelationID = p.CorrelationID
			}
			for _, pe := range p.Errors {
				e.Codes = append(e.Codes, pe.Code)
			}
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &APIError{Op: op, Status: resp.StatusCode, Err: errors.New("the answer is not the expected JSON: " + err.Error())}
		}
	}
	return nil
}
