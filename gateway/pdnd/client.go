package pdnd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/welfaregov/gateway/gateway/jose"
)

// ClientAssertionType is the RFC 7523 client_assertion_type PDND requires.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DigestAlg is the only digest.alg PDND accepts in a client assertion (no hyphen).
const DigestAlg = "SHA256"

// maxTokenResponse bounds what the gateway reads from the token endpoint: a voucher is about
// 2 KiB, a problem body smaller.
const maxTokenResponse = 64 << 10

// Client obtains vouchers from a PDND token endpoint for one PDND client (e-service client or
// PDND-API client). Safe for concurrent use once built; fields must not change afterwards.
type Client struct {
	// ClientID is the PDND client id (a UUID): iss and sub of the assertion and the client_id form
	// field.
	ClientID string
	// TokenURL is the token endpoint, e.g. https://auth.interop.pagopa.it/token.oauth2.
	TokenURL string
	// AssertionAudience is the client assertion aud, e.g. auth.interop.pagopa.it/client-assertion.
	AssertionAudience string
	// Signer signs the client assertion with the key uploaded to the client (its Kid is the kid
	// PDND shows).
	Signer *jose.Signer
	// DPoP, when set, is the key that signs DPoP proofs (token requests with DPoP: true, and the
	// per-call proofs). It must differ from Signer's key.
	DPoP *jose.Signer
	// HTTP is the client used for the token endpoint (default: 10 s timeout).
	HTTP *http.Client
	// AssertionLifetime is exp - iat of the assertion (default 2 minutes: it is used at once).
	AssertionLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTPClient
}

var defaultHTTPClient = &http.Client{Timeout: 10 * time.Second}

// AuditDigest is the client assertion digest for a tracking evidence (AUDIT_REST_02, §1.6):
// SHA256 and the lowercase hex SHA-256 of the exact JWS text (no trailing newline).
func AuditDigest(evidence string) *Digest {
	sum := sha256.Sum256([]byte(evidence))
	return &Digest{Alg: DigestAlg, Value: hex.EncodeToString(sum[:])}
}

// assertionClaims is exactly PDND's allowed set (§1.2): no nbf, no client_id, nothing else.
type assertionClaims struct {
	Iss       string           `json:"iss"`
	Sub       string           `json:"sub"`
	Aud       string           `json:"aud"`
	JTI       string           `json:"jti"`
	IssuedAt  jose.NumericDate `json:"iat"`
	Expiry    jose.NumericDate `json:"exp"`
	PurposeID string           `json:"purposeId,omitempty"`
	Digest    *Digest          `json:"digest,omitempty"`
}

// ClientAssertion builds and signs a client assertion: header {kid, alg RS256, typ JWT}; claims
// iss = sub = client id, aud, a fresh UUID jti, iat, exp, purposeId (omitted for PDND-API clients,
// whose purposeID is empty) and the optional AUDIT_REST_02 digest.
func (c *Client) ClientAssertion(purposeID string, digest *Digest) (string, error) {
	if c.Signer.Alg() != jose.RS256 {
		return "", fmt.Errorf("pdnd: client assertions are RS256 only; the client key is %s", jose.KeyType(c.Signer.Public()))
	}
	lifetime := c.AssertionLifetime
	if lifetime <= 0 {
		lifetime = 2 * time.Minute
	}
	now := c.now()
	claims := assertionClaims{
		Iss: c.ClientID, Sub: c.ClientID, Aud: c.AssertionAudience, JTI: uuid.NewString(),
		IssuedAt: jose.NewNumericDate(now), Expiry: jose.NewNumericDate(now.Add(lifetime)),
		PurposeID: purposeID, Digest: digest,
	}
	return c.Signer.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true}, claims)
}

// TokenRequest is one voucher request.
type TokenRequest struct {
	// PurposeID is required for e-service clients and must be empty for PDND-API clients.
	PurposeID string
	// Digest binds a tracking evidence (AUDIT_REST_02); nil otherwise.
	Digest *Digest
	// DPoP asks for a DPoP-bound voucher (Client.DPoP must be set).
	DPoP bool
}

// TokenResponse is a successful token endpoint answer.
type TokenResponse struct {
	AccessToken string
	// TokenType is "Bearer" or "DPoP".
	TokenType string
	// ExpiresIn is the voucher lifetime PDND declared.
	ExpiresIn time.Duration
	// Received is when the response arrived (the voucher is usable until Received+ExpiresIn).
	Received time.Time
}

// tokenResponseBody is the JSON of a token response.
type tokenResponseBody struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// maxVoucherLifetime is PDND's upper bound for a descriptor's voucherLifespan (86400 s).
const maxVoucherLifetime = 86400

// ParseTokenResponse decodes a 200 token endpoint body and checks it: a non-empty access_token,
// token_type Bearer or DPoP (any case), expires_in a positive whole number of seconds up to 86400.
func ParseTokenResponse(body []byte) (*TokenResponse, error) {
	var b tokenResponseBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("pdnd: token response is not the expected JSON object: %w", err)
	}
	if b.AccessToken == "" {
		return nil, errors.New("pdnd: token response has no access_token")
	}
	var tt string
	switch {
	case strings.EqualFold(b.TokenType, "Bearer"):
		tt = "Bearer"
	case strings.EqualFold(b.TokenType, "DPoP"):
		tt = "DPoP"
	default:
		return nil, fmt.Errorf("pdnd: token response token_type %q is not Bearer or DPoP", b.TokenType)
	}
	secs, err := strconv.ParseInt(string(b.ExpiresIn), 10, 64)
	if err != nil || secs <= 0 || secs > maxVoucherLifetime {
		return nil, fmt.Errorf("pdnd: token response expires_in %s is not a whole number of seconds in 1..%d", cutBytes(b.ExpiresIn), maxVoucherLifetime)
	}
	return &TokenResponse{AccessToken: b.AccessToken, TokenType: tt, ExpiresIn: time.Duration(secs) * time.Second}, nil
}

// RequestToken asks the token endpoint for a voucher: an RFC 7523 form POST, with a DPoP proof
// header when req.DPoP. A non-200 answer is a *TokenError carrying PDND's problem (with its error
// codes) and Retry-After.
func (c *Client) RequestToken(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	assertion, err := c.ClientAssertion(req.PurposeID, req.Digest)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"client_id":             {c.ClientID},
		"client_assertion":      {assertion},
		"client_assertion_type": {ClientAssertionType},
		"grant_type":            {"client_credentials"},
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("pdnd: token request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header.Set("Accept", "application/json")
	if req.DPoP {
		if c.DPoP == nil {
			return nil, errors.New("pdnd: a DPoP voucher was requested but the client has no DPoP key")
		}
		proof, err := NewDPoPProof(c.DPoP, http.MethodPost, c.TokenURL, "", c.now())
		if err != nil {
			return nil, err
		}
		hreq.Header.Set("DPoP", proof)
	}
	resp, err := c.httpClient().Do(hreq)
	if err != nil {
		return nil, &TokenError{Err: fmt.Errorf("pdnd: token endpoint %s: %w", c.TokenURL, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, &TokenError{Status: resp.StatusCode, Err: fmt.Errorf("pdnd: reading the token response: %w", err)}
	}
	received := c.now()
	if resp.StatusCode != http.StatusOK {
		te := &TokenError{Status: resp.StatusCode, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), received)}
		if p, err := ParseProblem(body); err == nil {
			te.Problem = p
		}
		return nil, te
	}
	tr, err := ParseTokenResponse(body)
	if err != nil {
		return nil, &TokenError{Status: resp.StatusCode, Err: err}
	}
	if want := map[bool]string{true: "DPoP", false: "Bearer"}[req.DPoP]; tr.TokenType != want {
		return nil, &TokenError{Status: resp.StatusCode, Err: fmt.Errorf("pdnd: asked for a %s voucher, the token endpoint issued %s", want, tr.TokenType)}
	}
	tr.Received = received
	return tr, nil
}

// TokenError is a failed voucher request.
type TokenError struct {
	// Status is the HTTP status (0 when no response arrived).
	Status int
	// Problem is PDND's problem body, when it sent one.
	Problem *Problem
	// RetryAfter is the delay PDND asked for (429/503), zero when none.
	RetryAfter time.Duration
	// Err is a transport or decoding failure.
	Err error
}

func (e *TokenError) Error() string {
	switch {
	case e.Err != nil:
		return e.Err.Error()
	case e.Problem != nil:
		return fmt.Sprintf("pdnd: token endpoint answered %d: %s", e.Status, e.Problem)
	}
	return fmt.Sprintf("pdnd: token endpoint answered %d", e.Status)
}

func (e *TokenError) Unwrap() error { return e.Err }

// Codes are PDND's error codes ("015-0008"), for logs and operators.
func (e *TokenError) Codes() []string {
	if e.Problem == nil {
		return nil
	}
	out := make([]string, len(e.Problem.Errors))
	for i, pe := range e.Problem.Errors {
		out[i] = pe.Code
	}
	return out
}

// Temporary reports whether retrying later may succeed (no response, 429, 5xx).
func (e *TokenError) Temporary() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Problem is a PDND problem body: {type, status, title, correlationId, detail, errors:[{code, detail}]}.
type Problem struct {
	Type          string         `json:"type"`
	Status        int            `json:"status"`
	Title         string         `json:"title"`
	CorrelationID string         `json:"correlationId"`
	Detail        string         `json:"detail"`
	Errors        []ProblemError `json:"errors"`
}

// ProblemError is one entry of Problem.Errors.
type ProblemError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func (p *Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, " [%s %s]", e.Code, e.Detail)
	}
	if p.CorrelationID != "" {
		b.WriteString(" (correlationId " + p.CorrelationID + ")")
	}
	return b.String()
}

// ParseProblem decodes a PDND problem body. It needs at least a title or one error, so that an
// HTML error page from a proxy is not mistaken for one.
func ParseProblem(body []byte) (*Problem, error) {
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("pdnd: not a problem body: %w", err)
	}
	if p.Title == "" && len(p.Errors) == 0 {
		return nil, errors.New("pdnd: problem body has neither title nor errors")
	}
	return &p, nil
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP-date (RFC 9110 §10.2.3).
// Unparseable or past values are zero.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

func cutBytes(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	if len(b) == 0 {
		return "(absent)"
	}
	return string(b)
}
