package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
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
	if string(b) == "null" {
		*d = NumericDate{}
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[NumericDate]()}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[NumericDate]()}
	}
	sec, frac := math.Modf(f)
	*d = NumericDate{t: time.Unix(int64(sec), int64(frac*1e9)), present: true}
	return nil
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
	switch {
	case string(b) == "null":
		*a = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		// The decoder has validated b; without escapes its content is the string itself, which
		// saves a second pass of the JSON decoder on every token.
		s := string(b[1 : len(b)-1])
		if bytes.IndexByte(b, '\\') >= 0 {
			if err := json.Unmarshal(b, &s); err != nil {
				return err
			}
		}
		var out Audience
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		*a = out
		return nil
	case len(b) > 0 && b[0] == '[':
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return &json.UnmarshalTypeError{Value: "array with a non-string element", Type: reflect.TypeFor[Audience]()}
		}
		*a = list
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Audience]()}
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
// type is a *ClaimError naming it; anything else that is not a JSON object is a *ParseError.
func DecodeClaims(payload []byte, v any) error {
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
