// Package secerr is the typed verification error shared by gateway/pdnd and gateway/modi: every way
// a PDND voucher, a DPoP proof or a ModI token can be rejected has a stable dotted code
// ("voucher.expired", "integrity.digest_mismatch"), an HTTP status, a fixed title, and a public
// message that names the token, the claim, what was expected and what was received.
//
// A code is Kind + "." + Reason. Kind says which token failed (the voucher, the DPoP proof, the
// Agid-JWT-Signature, ...); Reason says which check. Not every pair exists: [Codes] lists the valid
// ones, and the README of the package that detects them documents each (a test keeps the tables and
// the code in step).
//
// Callers tell failures apart with errors.As and the Code, never by message text:
//
//	var e *secerr.Error
//	if errors.As(err, &e) && e.Code() == "integrity.replay" { ... }
//
// Messages must never contain key material, a signature, a whole token, or anything that reveals
// whether a citizen exists. Constructors in this package quote received values with %q and cut them
// at [MaxValueLen] so hostile input cannot flood logs or responses.
package secerr

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/problem"
)

// Kind names the token (or header) a verification failure is about.
type Kind string

// The kinds of token the gateway verifies.
const (
	// Voucher is the PDND voucher in Authorization (ID_AUTH_REST_01/02 via PDND).
	Voucher Kind = "voucher"
	// DPoP is the RFC 9449 proof in the DPoP header that binds a DPoP voucher to the caller's key.
	DPoP Kind = "dpop"
	// Integrity is the Agid-JWT-Signature + Digest pair of a request (INTEGRITY_REST_01/02).
	Integrity Kind = "integrity"
	// Audit is the Agid-JWT-TrackingEvidence of a request (AUDIT_REST_01/02).
	Audit Kind = "audit"
	// IDAuth is an X.509 ModI token in Authorization (ID_AUTH_REST_01/02 with direct trust).
	IDAuth Kind = "idauth"
	// Response is the Agid-JWT-Signature + Digest of a response we received from an upstream
	// e-service (INTEGRITY_REST_01/02 on responses).
	Response Kind = "response"
)

// TokenName is how messages and titles refer to the kind.
func (k Kind) TokenName() string {
	switch k {
	case Voucher:
		return "PDND voucher"
	case DPoP:
		return "DPoP proof"
	case Integrity:
		return "Agid-JWT-Signature"
	case Audit:
		return "Agid-JWT-TrackingEvidence"
	case IDAuth:
		return "ModI ID_AUTH token"
	case Response:
		return "response Agid-JWT-Signature"
	}
	return string(k)
}

// Reason names the check that failed.
type Reason string

// MaxValueLen bounds a received value quoted in a message.
const MaxValueLen = 160

// Error is one verification failure. Detail is public (it becomes the problem "detail"); Cause is
// internal (logged, never sent). Claim, Want, Got and Skew are the structured facts behind Detail,
// for logs and tests.
type Error struct {
	Kind   Kind
	Reason Reason
	// Claim is the claim, header parameter or HTTP header concerned, when there is one.
	Claim string
	// Want and Got are the expected and received values, already cut to MaxValueLen.
	Want, Got string
	// Skew is, for time failures, how far outside the accepted window the token was.
	Skew time.Duration
	// Detail is the specific public message.
	Detail string
	Cause  error
}

// New returns an error with a formatted public detail. The caller is responsible for quoting
// received values with Quote.
func New(kind Kind, reason Reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Wrap is New with an internal cause (kept for logs, never sent).
func Wrap(kind Kind, reason Reason, cause error, format string, args ...any) *Error {
	e := New(kind, reason, format, args...)
	e.Cause = cause
	return e
}

// Mismatch reports a claim whose value is not the expected one:
//
//	integrity.aud_mismatch: Agid-JWT-Signature aud "https://a/v1" is not the e-service audience "https://b/v1"
//
// what names the expected value ("the e-service audience").
func Mismatch(kind Kind, reason Reason, claim, got, want, what string) *Error {
	e := New(kind, reason, "%s %s %s is not %s %s", kind.TokenName(), claim, Quote(got), what, Quote(want))
	e.Claim, e.Got, e.Want = claim, Cut(got), Cut(want)
	return e
}

// AudienceMismatch reports an aud claim (the audiences as received, joined by commas) that does
// not contain the expected audience.
func AudienceMismatch(kind Kind, got []string, want string) *Error {
	joined := strings.Join(got, ",")
	verb := "does not contain"
	if len(got) == 1 {
		verb = "is not"
	}
	e := New(kind, AudMismatch, "%s aud %s %s the e-service audience %s", kind.TokenName(), Quote(joined), verb, Quote(want))
	if len(got) == 0 {
		e.Detail = fmt.Sprintf("%s has no aud; it must be the e-service audience %s", kind.TokenName(), Quote(want))
	}
	e.Claim, e.Got, e.Want = "aud", Cut(joined), Cut(want)
	return e
}

// MissingClaim reports a required claim (or header parameter) that is absent; why says who requires
// it ("AUDIT_REST_02 requires it").
func MissingClaim(kind Kind, claim, why string) *Error {
	e := New(kind, ClaimMissing, "%s has no %s claim; %s", kind.TokenName(), claim, why)
	e.Claim = claim
	return e
}

// InvalidClaim reports a claim of the wrong type or shape; why completes "claim X ...".
func InvalidClaim(kind Kind, claim, why string) *Error {
	e := New(kind, ClaimInvalid, "%s claim %s %s", kind.TokenName(), claim, why)
	e.Claim = claim
	return e
}

// Code is the stable machine code, Kind.Reason.
func (e *Error) Code() string { return string(e.Kind) + "." + string(e.Reason) }

func (e *Error) Error() string { return e.Code() + ": " + e.Detail }

func (e *Error) Unwrap() error { return e.Cause }

// Status is the HTTP status of the code (see the package README for why each code has its status).
func (e *Error) Status() int { return StatusOf(e.Kind, e.Reason) }

// RetryAfter is the Retry-After sent with 503s: a dependency of the check (JWKS, PDND key API,
// replay store) is down, and a few seconds is how long a reconnection or refetch takes.
const RetryAfter = 5 * time.Second

// Problem converts e into the gateway's problem error: type URI problem.BaseURI + code, the code's
// status and title, e.Detail as detail, a WWW-Authenticate challenge on 401s about the
// Authorization or DPoP header (RFC 6750 §3, RFC 9449 §7.1), and Retry-After on 503s.
func (e *Error) Problem() *problem.Error {
	info, _ := Lookup(e.Code())
	t := problem.Type{Code: e.Code(), Status: e.Status(), Title: info.Title}
	p := &problem.Error{Type: t, Detail: e.Detail, Cause: e}
	if t.Status == http.StatusServiceUnavailable {
		p.RetryAfter = RetryAfter
	}
	if t.Status == http.StatusUnauthorized {
		switch e.Kind {
		case DPoP:
			p.Header = map[string]string{"WWW-Authenticate": `DPoP error="invalid_dpop_proof", algs="RS256 ES256"`}
		case Voucher, IDAuth:
			if e.Reason == Missing || e.Reason == SchemeInvalid {
				p.Header = map[string]string{"WWW-Authenticate": `Bearer`}
			} else {
				p.Header = map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}
			}
		}
	}
	return p
}

// As lets errors.As find a *problem.Error in a chain holding a *Error, so the listener's one
// problem writer (problem.From) maps verification failures without knowing this package: the
// problem it finds is e.Problem().
func (e *Error) As(target any) bool {
	if p, ok := target.(**problem.Error); ok {
		*p = e.Problem()
		return true
	}
	return false
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf returns the code of the *Error in err's chain, or "" when there is none.
func CodeOf(err error) string {
	if e := As(err); e != nil {
		return e.Code()
	}
	return ""
}

// Quote quotes a received value for a message, cut to MaxValueLen.
func Quote(s string) string { return fmt.Sprintf("%q", Cut(s)) }

// Cut shortens s to MaxValueLen bytes (on a rune boundary), marking the cut with "...".
func Cut(s string) string {
	if len(s) <= MaxValueLen {
		return s
	}
	i := MaxValueLen
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Skewed reports a time failure: which claim, the instant in the token, now, and the tolerance
// applied, so the caller can see how far off its clock (or its token) is.
func Skewed(kind Kind, reason Reason, claim string, at, now time.Time, tolerance time.Duration) *Error {
	var off time.Duration
	var what string
	switch reason {
	case Expired:
		off = now.Sub(at)
		what = fmt.Sprintf("expired %s ago", round(off))
	case NotYetValid:
		off = at.Sub(now)
		what = fmt.Sprintf("is not valid for another %s", round(off))
	case IssuedInFuture:
		off = at.Sub(now)
		what = fmt.Sprintf("was issued %s in the future", round(off))
	case TooOld:
		off = now.Sub(at)
		what = fmt.Sprintf("was issued %s ago", round(off))
	}
	e := New(kind, reason, "%s %s (%s %s, gateway time %s, tolerance %s)", kind.TokenName(), what,
		claim, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	e.Claim, e.Skew = claim, off
	return e
}

func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// Info documents one code.
type Info struct {
	Code   string
	Kind   Kind
	Reason Reason
	Status int
	// Title is the fixed problem title.
	Title string
	// Meaning says what was found wrong; Fix says what the caller (or the operator) should do.
	Meaning string
	Fix     string
}

// Lookup returns the documentation of a code.
func Lookup(code string) (Info, bool) {
	i, ok := registry[code]
	return i, ok
}

// Codes lists every valid code of the given kinds (all kinds when none is given), in the order
// they are documented.
func Codes(kinds ...Kind) []Info {
	var out []Info
	for _, k := range kindOrder {
		if len(kinds) > 0 && !slices.Contains(kinds, k) {
			continue
		}
		for _, r := range kindReasons[k] {
			out = append(out, registry[string(k)+"."+string(r)])
		}
	}
	return out
}

// MarkdownTable renders the documentation table of the given kinds, as the package READMEs carry it.
func MarkdownTable(kinds ...Kind) string {
	var b strings.Builder
	b.WriteString("| code | status | meaning | what to fix |\n|---|---|---|---|\n")
	for _, i := range Codes(kinds...) {
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", i.Code, i.Status, i.Meaning, i.Fix)
	}
	return b.String()
}
