package contracts

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Decimal is an exact decimal number: money and ISEE/ICEF values. It never goes through float64.
//
// JSON form: a string in canonical fixed notation, with at least two fraction digits and no trailing
// zero beyond them: "12254.90", "2.04", "100.00", "0.3456", "-15.50". A string keeps every digit for
// consumers whose JSON numbers are binary floats (JavaScript, many ETL tools); one value has exactly
// one spelling, so outputs can be compared byte for byte. The schema's pattern is DecimalPattern.
//
// Input is lenient in form but not in content: a JSON string or a bare JSON number in plain decimal
// notation ("12254.9", 12254.90, "7") with at most MaxIntegerDigits digits before the point and
// MaxFractionDigits after it; exponents, signs other than a leading '-', spaces and commas are
// rejected. Whatever is accepted is written back in a form that is accepted again.
//
// The zero value is 0 and is a value like any other: optional decimals are *Decimal with omitempty,
// never Decimal with omitzero. Decimal embeds shopspring's decimal.Decimal for arithmetic; wrap the
// results back with Decimal{d}.
type Decimal struct {
	decimal.Decimal
}

// DecimalPattern is the regular expression of the canonical JSON form (the schema uses it too).
const DecimalPattern = `^-?(0|[1-9][0-9]*)\.[0-9]{2}([0-9]*[1-9])?$`

// MaxIntegerDigits and MaxFractionDigits bound the decimals we parse: ISEE amounts have a dozen
// integer digits and 2 fraction digits, ICEF values a few more fraction digits, so these limits are
// generous and keep hostile inputs cheap to reject.
const (
	MaxIntegerDigits  = 30
	MaxFractionDigits = 20
)

// maxDecimalText is the longest text ParseDecimal accepts: sign, digits and point.
const maxDecimalText = 1 + MaxIntegerDigits + 1 + MaxFractionDigits

// ErrDecimal matches every error returned by ParseDecimal and Decimal's unmarshalers (errors.Is).
var ErrDecimal = errors.New("contracts: invalid decimal")

// ParseDecimal parses plain decimal notation: an optional '-', digits, and optionally '.' and digits.
func ParseDecimal(s string) (Decimal, error) {
	if len(s) > maxDecimalText {
		return Decimal{}, fmt.Errorf("%w: %d characters, more than %d", ErrDecimal, len(s), maxDecimalText)
	}
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasPoint := strings.Cut(body, ".")
	if !allDigits(intPart) || (hasPoint && !allDigits(frac)) {
		return Decimal{}, fmt.Errorf("%w: %q is not plain decimal notation (digits, optional '-' and '.')", ErrDecimal, truncateForError(s))
	}
	if len(intPart) > MaxIntegerDigits || len(frac) > MaxFractionDigits {
		return Decimal{}, fmt.Errorf("%w: at most %d integer and %d fraction digits, got %d and %d",
			ErrDecimal, MaxIntegerDigits, MaxFractionDigits, len(intPart), len(frac))
	}
	d, err := decimal.NewFromString(s)
	if err != nil { // unreachable after the shape check, kept so a library change cannot slip through
		return Decimal{}, fmt.Errorf("%w: %v", ErrDecimal, err)
	}
	return Decimal{d}, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MustDecimal is ParseDecimal for constants in tests and tables; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDecimal wraps a shopspring decimal.
func NewDecimal(d decimal.Decimal) Decimal { return Decimal{d} }

// DecimalPtr returns a pointer to the parsed s, for optional fields in tables; it panics on bad input.
func DecimalPtr(s string) *Decimal {
	d := MustDecimal(s)
	return &d
}

// String returns the canonical fixed form ("12254.90").
func (d Decimal) String() string {
	s := d.Decimal.String() // shortest form, trailing zeros trimmed
	_, frac, _ := strings.Cut(s, ".")
	if len(frac) < 2 {
		return d.Decimal.StringFixed(2)
	}
	return s
}

// Format makes fmt print the canonical form for %s, %v and %q (the embedded decimal.Decimal would
// otherwise print its shortest form, "12254.9"); other verbs (%f, %.2f ...) keep shopspring's meaning.
func (d Decimal) Format(f fmt.State, verb rune) {
	switch verb {
	case 's', 'v':
		fmt.Fprint(f, d.String())
	case 'q':
		fmt.Fprintf(f, "%q", d.String())
	default:
		d.Decimal.Format(f, verb)
	}
}

// Equal reports whether d and e are the same number (2.0 equals 2.00).
func (d Decimal) Equal(e Decimal) bool { return d.Decimal.Equal(e.Decimal) }

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDecimal.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the canonical form as a JSON string.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON accepts a JSON string or a bare JSON number in plain decimal notation. JSON null
// leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return d.UnmarshalText([]byte(s))
}
