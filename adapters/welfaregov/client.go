package welfaregov

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/adapters/welfaregov/wire"
)

// APIKeyHeader carries the backend API key.
const APIKeyHeader = "X-Api-Key"

// Bounds of one exchange with the backend.
const (
	// MaxResponseBody bounds what the client reads from one answer: a page of 500 prestazioni is
	// about 1 MB, so 8 MB leaves room without letting a broken backend exhaust memory.
	MaxResponseBody = 8 << 20
	// MaxPageSize is the backend's largest page.
	MaxPageSize = 500
	// DefaultTimeout bounds one call when the caller's context has no deadline.
	DefaultTimeout = 10 * time.Second
)

// ErrorKind tells callers what to do about a failed call.
type ErrorKind int

const (
	// Unavailable: the backend could not be reached or answered 5xx/429; retry later.
	Unavailable ErrorKind = iota + 1
	// Unauthorized: the backend refused the API key (401/403); fix the configuration.
	Unauthorized
	// Rejected: the backend refused the request (another 4xx); retrying the same request will not help.
	Rejected
	// InvalidResponse: the answer does not parse or breaks the contract (bad cursor, too large).
	InvalidResponse
)

func (k ErrorKind) String() string {
	switch k {
	case Unavailable:
		return "unavailable"
	case Unauthorized:
		return "unauthorized"
	case Rejected:
		return "rejected"
	case InvalidResponse:
		return "invalid-response"
	}
	return "unknown"
}

// Error is a failed backend call.
type Error struct {
	Kind   ErrorKind
	Op     string // "prestazioni", "esiti"
	Status int    // HTTP status, 0 when there was no answer
	// RetryAfter is the backend's Retry-After, when it sent one.
	RetryAfter time.Duration
	Detail     string
	Cause      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("welfaregov: %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// Client calls the backend. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	apiKey string
	http   *http.Client
}

// NewClient returns a client of the backend at baseURL (http or https) authenticating with apiKey.
// httpClient nil means a client with DefaultTimeout.
func NewClient(baseURL, apiKey string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("welfaregov: the backend URL must be an absolute http(s) URL")
	}
	if apiKey == "" {
		return nil, errors.New("welfaregov: the backend API key is required")
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, apiKey: apiKey, http: httpClient}, nil
}

// Page is one answer of GET /prestazioni; its items translate with Prestazione(item).ToModel().
type Page = wire.Page

// Prestazioni reads up to limit (1..MaxPageSize) changes after the cursor since ("" or "0" from
// the start).
func (c *Client) Prestazioni(ctx context.Context, since string, limit int) (Page, error) {
	if limit < 1 || limit > MaxPageSize {
		return Page{}, fmt.Errorf("welfaregov: limit %d outside 1..%d", limit, MaxPageSize)
	}
	if since == "" {
		since = "0"
	}
	q := url.Values{"since": {since}, "limit": {strconv.Itoa(limit)}}
	body, err := c.do(ctx, "prestazioni", http.MethodGet, "/prestazioni?"+q.Encode(), nil)
	if err != nil {
		return Page{}, err
	}
	p, err := ParsePage(body)
	if err != nil {
		return Page{}, &Error{Kind: InvalidResponse, Op: "prestazioni", Cause: err}
	}
	return p, nil
}

// ParsePage decodes and checks a GET /prestazioni answer: every item has an id and a decimal
// cursor, cursors increase, and the page cursor is the last item's (or, empty, any decimal).
// Unknown fields are tolerated (the backend may add some).
func ParsePage(body []byte) (Page, error) {
	var p Page
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&p); err != nil {
		return Page{}, fmt.Errorf("decoding the page: %w", err)
	}
	if d.More() {
		return Page{}, errors.New("data after the JSON value")
	}
	last := int64(-1)
	for i, it := range p.Prestazioni {
		if it.ID == "" {
			return Page{}, fmt.Errorf("prestazioni[%d] has no id", i)
		}
		n, err := strconv.ParseInt(it.Cursore, 10, 64)
		if err != nil || n <= last {
			return Page{}, fmt.Errorf("prestazioni[%d] cursor is not a decimal above the previous one", i)
		}
		last = n
	}
	n, err := strconv.ParseInt(p.Cursore, 10, 64)
	if err != nil || n < 0 {
		return Page{}, errors.New("the page cursor is not a non-negative decimal")
	}
	if last >= 0 && n != last {
		return Page{}, errors.New("the page cursor is not the last item's")
	}
	return p, nil
}

// maxRicercaItems bounds the prestazioni one person may have in one answer: far above any real
// case history, low enough that a broken backend cannot make the gateway build a huge answer.
const maxRicercaItems = 10000

// Ricerca returns every prestazione the backend holds for the person with codice fiscale cf (POST
// /prestazioni/ricerca: the codice fiscale travels in the body, never in a URL, so it reaches no
// access log). A person the backend does not know gets an empty list, like a person without
// benefits. The records are the latest version of each prestazione, cancellations ("C")
// included.
func (c *Client) Ricerca(ctx context.Context, cf string) ([]Prestazione, error) {
	body, err := json.Marshal(wire.Ricerca{CodiceFiscale: cf})
	if err != nil {
		return nil, fmt.Errorf("welfaregov: ricerca: encoding: %w", err)
	}
	data, err := c.do(ctx, "ricerca", http.MethodPost, "/prestazioni/ricerca", body)
	if err != nil {
		return nil, err
	}
	list, err := ParseRicerca(data)
	if err != nil {
		return nil, &Error{Kind: InvalidResponse, Op: "ricerca", Cause: err}
	}
	return list, nil
}

// ParseRicerca decodes a POST /prestazioni/ricerca answer, {"prestazioni": [...]}: every item has
// an id; unknown fields are tolerated.
func ParseRicerca(body []byte) ([]Prestazione, error) {
	var r struct {
		Prestazioni *[]Prestazione `json:"prestazioni"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	if d.More() {
		return nil, errors.New("data after the JSON value")
	}
	if r.Prestazioni == nil {
		return nil, errors.New("the answer has no prestazioni list")
	}
	list := *r.Prestazioni
	if len(list) > maxRicercaItems {
		return nil, fmt.Errorf("the answer has %d prestazioni, more than %d", len(list), maxRicercaItems)
	}
	for i, it := range list {
		if it.ID == "" {
			return nil, fmt.Errorf("prestazioni[%d] has no id", i)
		}
	}
	return list, nil
}

// Esito is a SIUSS outcome as the backend's sink takes it.
type Esito = wire.Esito

// InviaEsiti sends a batch to the backend's sink (PUT /esiti), which stores it all or nothing and
// is idempotent by (idFlusso, tsAcquisizione): resending a batch after a failure is safe.
func (c *Client) InviaEsiti(ctx context.Context, esiti []Esito) error {
	body, err := json.Marshal(wire.Esiti{ElencoEsiti: esiti})
	if err != nil {
		return fmt.Errorf("welfaregov: esiti: encoding: %w", err)
	}
	_, err = c.do(ctx, "esiti", http.MethodPut, "/esiti", body)
	return err
}

func (c *Client) do(ctx context.Context, op, method, path string, body []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok && c.http.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return nil, &Error{Kind: Rejected, Op: op, Cause: err}
	}
	req.Header.Set(APIKeyHeader, c.apiKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Kind: Unavailable, Op: op, Cause: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, &Error{Kind: Unavailable, Op: op, Status: resp.StatusCode, Detail: "reading the answer", Cause: err}
	}
	if len(data) > MaxResponseBody {
		return nil, &Error{Kind: InvalidResponse, Op: op, Status: resp.StatusCode, Detail: fmt.Sprintf("answer larger than %d bytes", MaxResponseBody)}
	}
	e := &Error{Op: op, Status: resp.StatusCode, Detail: problemDetail(data)}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return data, nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Kind = Unauthorized
	case s == http.StatusTooManyRequests || s >= 500:
		e.Kind = Unavailable
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra >= 0 {
			e.RetryAfter = time.Duration(ra) * time.Second
		}
	default:
		e.Kind = Rejected
	}
	return nil, e
}

// problemDetail extracts the detail of a problem+json answer, truncated, for the error message.
func problemDetail(body []byte) string {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	if len(p.Detail) > 300 {
		return p.Detail[:300] + "..."
	}
	return p.Detail
}
