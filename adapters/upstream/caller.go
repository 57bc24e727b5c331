package upstream

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Caller is who asked for an upstream call and why: the operator's identity and the
// administrative case it is for. The internal API fills it from the WelfareGOV request; the
// runtime's Authorizer turns it into the AUDIT_REST_02 tracking-evidence claims (userID,
// userLocation, LoA); the ANPR adapter sends CaseRef as motivoRichiesta.
type Caller struct {
	// UserID identifies the operator in WelfareGOV (AUDIT userID).
	UserID string
	// Workstation identifies where the operator works from: office or workstation id (AUDIT
	// userLocation).
	Workstation string
	// LoA is the assurance level of the operator's authentication in WelfareGOV ("SPID_L2",
	// "CIE_L3" ...), optional (AUDIT LoA).
	LoA string
	// CaseRef is the reference of the administrative case (pratica) the data is needed for: its
	// protocol number or WelfareGOV case id (ANPR motivoRichiesta).
	CaseRef string
}

// MaxCallerField bounds each Caller field in bytes: identifiers and protocol numbers are short,
// and the fields travel in signed tokens and upstream payloads.
const MaxCallerField = 256

// Validate checks that UserID and CaseRef are present and that every field is valid UTF-8 of at
// most MaxCallerField bytes without control characters. Its message names the field and never
// quotes the value (it may be personal data).
func (c Caller) Validate() error {
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"userID", c.UserID, true},
		{"workstation", c.Workstation, false},
		{"loA", c.LoA, false},
		{"caseRef", c.CaseRef, true},
	} {
		switch {
		case f.value == "" && f.required:
			return fmt.Errorf("upstream: caller %s is required", f.name)
		case len(f.value) > MaxCallerField:
			return fmt.Errorf("upstream: caller %s is %d bytes long; at most %d are allowed", f.name, len(f.value), MaxCallerField)
		case !utf8.ValidString(f.value):
			return fmt.Errorf("upstream: caller %s is not valid UTF-8", f.name)
		case hasControl(f.value):
			return fmt.Errorf("upstream: caller %s contains a control character", f.name)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

type callerKey struct{}

// WithCaller returns a context that carries c to the runtime and the adapters.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller WithCaller put in ctx, and whether there was one.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
