package sectest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/jose"
)

// The helpers below are the reference of the differential fuzz targets that compare the JOSE
// decoders without reflection (jose.Parse's header, jose.ClaimsDecoder) with encoding/json on the
// same struct: what the gateway did with encoding/json, error texts included.

// JSONHeaderReference decodes a JOSE header with encoding/json, with the messages of a
// *jose.ParseError's Why.
func JSONHeaderReference(data []byte, h *jose.Header) error {
	if p := bytes.TrimLeft(data, " \t\r\n"); len(p) == 0 || p[0] != '{' {
		return fmt.Errorf("is not a JSON object")
	}
	if err := json.Unmarshal(data, h); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
			return fmt.Errorf("member %s has the wrong JSON type (%s)", te.Field, te.Value)
		}
		return fmt.Errorf("is not valid JSON")
	}
	return nil
}

// JSONClaimsReference decodes claims with encoding/json, with the errors of jose.DecodeClaims.
func JSONClaimsReference(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &jose.ClaimError{Claim: strings.TrimPrefix(te.Field, "TimeClaims."), Found: te.Value}
		}
		return &jose.ParseError{Part: "payload", Why: "is not a valid JSON object"}
	}
	return nil
}

// JSONComparison says how the decoders can be compared on one input.
type JSONComparison int

const (
	// Comparable: both must accept or refuse alike, with the same values or errors. The input is not
	// valid JSON, or a JSON object without the two cases below.
	Comparable JSONComparison = iota
	// Duplicate: a valid JSON object with a member name twice, which the gateway's decoders refuse
	// and encoding/json takes the last of.
	Duplicate
	// Incomparable: a valid JSON value that is not an object, or an object with a case variant of
	// one of fields ("ALG"), which encoding/json matches case-insensitively and the gateway's
	// decoders do not.
	Incomparable
)

// CompareJSON classifies data for a struct whose JSON member names are fields.
func CompareJSON(data []byte, fields ...string) JSONComparison {
	if !json.Valid(data) {
		return Comparable
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return Incomparable
	}
	seen := map[string]bool{}
	result := Comparable
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err) // data is valid
		}
		name := tok.(string)
		for _, f := range fields {
			if name != f && strings.EqualFold(name, f) { // encoding/json's folding, see its fold.go
				return Incomparable
			}
		}
		if seen[name] {
			result = Duplicate
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			panic(err)
		}
	}
	return result
}

// DiffClaims is the differential check of a claims decoder: it decodes data with jose.DecodeClaims
// into got and with encoding/json into want, a pointer to a struct with the same fields as got's,
// and fails t unless both read data alike as CompareJSON says they must: the same error (or both
// none) and the same values; a *jose.ParseError for a repeated name.
func DiffClaims(t *testing.T, data []byte, got, want any, fields ...string) {
	t.Helper()
	errGot := jose.DecodeClaims(data, got)
	errWant := JSONClaimsReference(data, want)
	switch CompareJSON(data, fields...) {
	case Duplicate:
		var pe *jose.ParseError
		if !errors.As(errGot, &pe) || pe.Part != "payload" || !strings.HasSuffix(pe.Why, " twice") {
			t.Fatalf("%q: a repeated claim gives %v", data, errGot)
		}
	case Comparable:
		if !reflect.DeepEqual(errGot, errWant) {
			t.Fatalf("%q: error %#v, encoding/json %#v", data, errGot, errWant)
		}
		w := reflect.ValueOf(want).Elem()
		if g := reflect.ValueOf(got).Elem().Convert(w.Type()).Interface(); errWant == nil && !reflect.DeepEqual(g, w.Interface()) {
			t.Fatalf("%q: %+v, encoding/json %+v", data, g, w.Interface())
		}
	}
}
