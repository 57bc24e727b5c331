package jose

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/welfaregov/gateway/gateway/internal/jsonscan"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// NumericDate is a JWT NumericDate claim (RFC 7519 §2): a JSON number of seconds since the epoch,
// possibly with a fraction. A string, even of digits, is refused (PDND rejects "iat":"1700000000"
// too); null counts as absent.
type NumericDate struct {
	t       time.Time
	present bool
}

// NewNumericDate returns the NumericDate of t, truncated to whole seconds (what every PDND and
// ModI party emits).
func NewNumericDate(t time.Time) NumericDate {
	return NumericDate{t: t.Truncate(time.Second), present: true}
}

// IsSet reports whether the claim was present.
func (d NumericDate) IsSet() bool { return d.present }

// Time is the instant, the zero time when absent.
func (d NumericDate) Time() time.Time { return d.t }

// maxNumericDate bounds accepted dates to year 9999, so time arithmetic cannot overflow.
const maxNumericDate = 253402300799

// UnmarshalJSON implements json.Unmarshaler.
func (d *NumericDate) UnmarshalJSON(b []byte) error {
	if found := d.decode(b); found != "" {
		return &json.UnmarshalTypeError{Value: found, Type: reflect.TypeFor[NumericDate]()}
	}
	return nil
}

// decode reads the JSON value b; when it is not a NumericDate it returns what it is instead.
func (d *NumericDate) decode(b []byte) (found string) {
	if string(b) == "null" {
		*d = NumericDate{}
		return ""
	}
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return jsonKind(b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return "number " + string(b)
	}
	sec, frac := math.Modf(f)
	*d = NumericDate{t: time.Unix(int64(sec), int64(frac*1e9)), present: true}
	return ""
}

// MarshalJSON writes whole seconds as a JSON number.
func (d NumericDate) MarshalJSON() ([]byte, error) {
	if !d.present {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, d.t.Unix(), 10), nil
}

// Audience is the aud claim. PDND serialises a voucher's audiences as ONE comma-joined string
// (pdnd-modi.md §1.3), other parties as a string or an array: all three decode to the list of
// audiences, each trimmed of spaces.
type Audience []string

// UnmarshalJSON implements json.Unmarshaler.
func (a *Audience) UnmarshalJSON(b []byte) error {
	if found := a.decode(b); found != "" {
		return &json.UnmarshalTypeError{Value: found, Type: reflect.TypeFor[Audience]()}
	}
	return nil
}

// decode reads the JSON value b, valid JSON; when it is not an audience it returns what it is
// instead.
func (a *Audience) decode(b []byte) (found string) {
	switch {
	case string(b) == "null":
		*a = nil
	case len(b) > 0 && b[0] == '"':
		var out Audience
		for part := range strings.SplitSeq(jsonscan.Unquote(b), ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		*a = out
	case len(b) > 0 && b[0] == '[':
		// An array is taken as it is: [] is an empty list, not an absent claim.
		list, _, ok := stringArray(b)
		if !ok {
			return "array with a non-string element"
		}
		*a = list
	default:
		return jsonKind(b)
	}
	return ""
}

// MarshalJSON writes one audience as a string and several as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// Contains reports whether want is exactly one of the audiences (ModI: aud "MUST always be
// validated"; no normalisation, so what the provider published is what it accepts).
func (a Audience) Contains(want string) bool {
	for _, v := range a {
		if v == want {
			return true
		}
	}
	return false
}

// String is the audiences as a message shows them.
func (a Audience) String() string { return strings.Join(a, ",") }

// ClaimError is a claim with the wrong JSON type or shape.
type ClaimError struct {
	// Claim is the JSON path of the claim ("exp", "cnf.jkt").
	Claim string
	// Found describes what was found ("string", "number 1e400").
	Found string
}

func (e *ClaimError) Error() string {
	return "jose: claim " + e.Claim + " has the wrong JSON type (" + e.Found + ")"
}

// DecodeClaims decodes a JSON object payload into v (a struct of claims). A member of the wrong
// type is a *ClaimError naming it; anything else that is not a JSON object, and a claim name given
// twice, is a *ParseError.
//
// When v is a ClaimsDecoder the payload is read in one pass without reflection; otherwise with
// encoding/json, after a pass that refuses repeated names as the fast path does (encoding/json
// would keep the last one). The two paths differ in one thing only: encoding/json matches a name
// case-insensitively ("EXP" sets exp), a ClaimsDecoder exactly. When several claims are wrong, both
// report the one encoding/json reports: the first NumericDate or aud of the wrong shape, else the
// first claim of the wrong type.
func DecodeClaims(payload []byte, v any) error {
	if d, ok := v.(ClaimsDecoder); ok {
		return payloadError(readObject(payload, d))
	}
	if err := payloadError(readObject(payload, ignoreClaims{})); err != nil {
		return err
	}
	if err := json.Unmarshal(payload, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// encoding/json names a member of an embedded struct with the struct's Go name first
			// ("TimeClaims.exp"); the claim is what follows.
			return &ClaimError{Claim: strings.TrimPrefix(te.Field, "TimeClaims."), Found: te.Value}
		}
		return &ParseError{"payload", "is not a valid JSON object"}
	}
	return nil
}

func payloadError(r objectResult) error {
	switch {
	case r.invalid:
		return &ParseError{"payload", "is not a valid JSON object"}
	case r.dup != nil:
		return &ParseError{"payload", "has the claim " + secerr.Quote(string(r.dup)) + " twice"}
	}
	return r.err
}

// ClaimsDecoder is a claims struct that reads its own claims, so that DecodeClaims decodes the
// payload in one pass without reflection (encoding/json cost several microseconds per token on the
// request path). DecodeClaim is called for each member of the payload in order: it stores a claim
// the struct has with the Member method for the field's type, returning that method's error
// unchanged, and ignores the others. Names are compared exactly; embed TimeClaims and call its
// DecodeTimeClaim for exp, iat and nbf.
//
// A struct that embeds a ClaimsDecoder implements the interface too, through the promoted method,
// and would skip its own claims: give it its own DecodeClaim.
type ClaimsDecoder interface {
	DecodeClaim(m Member) error
}

// ignoreClaims reads no claim: the pass that checks a payload before encoding/json decodes it.
type ignoreClaims struct{}

func (ignoreClaims) DecodeClaim(Member) error { return nil }

// Member is one member of a JOSE header or JWT payload being decoded. Its methods store the value
// into a field of their type with the rules encoding/json applies to that type (null leaves a
// string as it is, an array element null is "", ...) and report a value of the wrong type as a
// *ClaimError naming the member.
type Member struct {
	// Name is the member's name, unquoted.
	Name []byte
	raw  []byte
	kind jsonscan.Kind
}

// String stores a JSON string in *dst; null leaves *dst as it is.
func (m Member) String(dst *string) error {
	switch m.kind {
	case jsonscan.String:
		*dst = jsonscan.Unquote(m.raw)
	case jsonscan.Null:
	default:
		return m.wrongType(m.kind.String())
	}
	return nil
}

// Strings stores an array of strings in *dst, a null element as ""; null stores nil.
func (m Member) Strings(dst *[]string) error {
	switch m.kind {
	case jsonscan.Null:
		*dst = nil
		return nil
	case jsonscan.Array:
	default:
		return m.wrongType(m.kind.String())
	}
	list, bad, ok := stringArray(m.raw)
	if !ok {
		return m.wrongType(bad.String())
	}
	*dst = list
	return nil
}

// stringArray reads the JSON array b as encoding/json reads it into a []string: [] is an empty,
// non-nil list and a null element is "". ok is false when an element is of another kind (bad) or
// b is not a valid array.
func stringArray(b []byte) (list []string, bad jsonscan.Kind, ok bool) {
	list = []string{}
	it := jsonscan.Elements(b)
	for it.Next() {
		switch it.Kind() {
		case jsonscan.String:
			list = append(list, jsonscan.Unquote(it.Value()))
		case jsonscan.Null:
			list = append(list, "")
		default:
			return nil, it.Kind(), false
		}
	}
	return list, 0, it.Err() == nil
}

// Raw stores the value as it is, null included (what a json.RawMessage field receives). *dst
// shares the bytes of the payload being decoded, which the caller must not modify.
func (m Member) Raw(dst *json.RawMessage) { *dst = m.raw }

// NumericDate stores a NumericDate in *dst.
func (m Member) NumericDate(dst *NumericDate) error {
	if found := dst.decode(m.raw); found != "" {
		return claimStop{m.wrongType(found)}
	}
	return nil
}

// Audience stores an aud claim in *dst.
func (m Member) Audience(dst *Audience) error {
	if found := dst.decode(m.raw); found != "" {
		return claimStop{m.wrongType(found)}
	}
	return nil
}

func (m Member) wrongType(found string) *ClaimError {
	return &ClaimError{Claim: string(m.Name), Found: found}
}

// claimStop is a *ClaimError after which encoding/json stops decoding: the error of an UnmarshalJSON
// method (NumericDate, Audience). A plain type mismatch (a number for a string) lets it go on, and
// it reports the first mismatch only if nothing stops it. readObject keeps that order, so that both
// paths of DecodeClaims report the same claim for the same payload.
type claimStop struct{ *ClaimError }

func (s claimStop) Unwrap() error { return s.ClaimError }

// objectResult is what readObject found wrong, in the order it is reported: the input is not a
// valid JSON object, a member name is repeated, or the error of a member.
type objectResult struct {
	invalid bool
	dup     []byte
	err     error
}

// readObject decodes the JSON object data one member at a time with d. It validates the whole input
// and reads every member name even after a failure, so invalid JSON is reported as such wherever
// it is, and a repeated name wherever the first type error is.
func readObject(data []byte, d ClaimsDecoder) objectResult {
	var (
		names jsonscan.Names
		r     objectResult
		stop  bool
	)
	it := jsonscan.Members(data)
	for it.Next() {
		if names.Seen(it.Name()) {
			if r.dup == nil {
				r.dup = it.Name()
			}
			continue
		}
		if stop || r.dup != nil {
			continue
		}
		switch err := d.DecodeClaim(Member{Name: it.Name(), raw: it.Value(), kind: it.Kind()}).(type) {
		case nil:
		case *ClaimError:
			if r.err == nil {
				r.err = err
			}
		case claimStop:
			r.err, stop = err.ClaimError, true
		default:
			r.err, stop = err, true
		}
	}
	r.invalid = it.Err() != nil
	return r
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	}
	return "value"
}
