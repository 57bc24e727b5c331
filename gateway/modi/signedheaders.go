package modi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/welfaregov/gateway/gateway/secerr"
)

// SignedHeader is one entry of the signed_headers claim: a header name (lowercase, as ModI writes
// it) and its exact value.
type SignedHeader struct {
	Name  string
	Value string
}

// maxSignedHeaders bounds the entries accepted; real tokens list three or four.
const maxSignedHeaders = 32

// ParseSignedHeaders decodes a signed_headers claim. ModI (and every real validator, GovWay and
// ANPR's included: italia/anpr#4763) requires an ARRAY of one-member objects whose value is a
// string, e.g. [{"digest":"SHA-256=..."},{"content-type":"application/json"}]; an object, a string,
// an object with two members, a non-string value or a header listed twice is an error that says so.
func ParseSignedHeaders(raw json.RawMessage) ([]SignedHeader, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, errors.New("is absent")
	case raw[0] == '{':
		return nil, errors.New(`is a JSON object; it must be an array of one-member objects, e.g. [{"digest":"SHA-256=..."},{"content-type":"application/json"}]`)
	case raw[0] != '[':
		return nil, errors.New("is not a JSON array of one-member objects")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // [
		return nil, errors.New("is not valid JSON")
	}
	var out []SignedHeader
	seen := map[string]bool{}
	for i := 0; dec.More(); i++ {
		if i == maxSignedHeaders {
			return nil, fmt.Errorf("has more than %d entries", maxSignedHeaders)
		}
		h, err := oneMember(dec)
		if err != nil {
			return nil, fmt.Errorf("entry %d %s", i, err.Error())
		}
		name := strings.ToLower(h.Name)
		if seen[name] {
			return nil, fmt.Errorf("lists %s twice", name)
		}
		seen[name] = true
		out = append(out, SignedHeader{Name: name, Value: h.Value})
	}
	if _, err := dec.Token(); err != nil { // ]
		return nil, errors.New("is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("has trailing data after the array")
	}
	return out, nil
}

// oneMember reads {"name": "value"} from dec.
func oneMember(dec *json.Decoder) (SignedHeader, error) {
	tok, err := dec.Token()
	if err != nil {
		return SignedHeader{}, errors.New("is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return SignedHeader{}, fmt.Errorf("is %s, not an object with one member", describe(tok))
	}
	if !dec.More() {
		return SignedHeader{}, errors.New("is an empty object; it must have exactly one member")
	}
	tok, err = dec.Token()
	name, ok := tok.(string)
	if err != nil || !ok || name == "" {
		return SignedHeader{}, errors.New("has an invalid member name")
	}
	tok, err = dec.Token()
	value, ok := tok.(string)
	if err != nil || !ok {
		return SignedHeader{}, fmt.Errorf("member %q has %s as value; header values are JSON strings", name, describe(tok))
	}
	if dec.More() {
		return SignedHeader{}, errors.New("has more than one member; list each header in its own object")
	}
	if _, err := dec.Token(); err != nil { // }
		return SignedHeader{}, errors.New("is not valid JSON")
	}
	return SignedHeader{Name: name, Value: value}, nil
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// mustSign are the headers that, when present in a message, must be listed in signed_headers
// (ModI INTEGRITY_REST_01 processing rules; pdnd-modi.md §2.3).
var mustSign = []string{"digest", "content-type", "content-encoding"}

// checkSignedHeaders checks the listed headers against the message: every header that must be
// signed and is present is listed, and every listed header has exactly the listed value.
func checkSignedHeaders(kind secerr.Kind, listed []SignedHeader, h http.Header) error {
	for _, name := range mustSign {
		if len(h.Values(name)) == 0 {
			continue
		}
		found := false
		for _, s := range listed {
			if s.Name == name {
				found = true
				break
			}
		}
		if !found {
			e := secerr.New(kind, secerr.HeaderNotSigned, "the message has a %s header but signed_headers of the %s does not list it (listed: %s)",
				canonical(name), kind.TokenName(), listNames(listed))
			e.Claim = name
			return e
		}
	}
	for _, s := range listed {
		values := h.Values(s.Name)
		if len(values) == 0 {
			e := secerr.New(kind, secerr.SignedHeaderMismatch, "signed_headers lists %s but the message has no %s header", s.Name, canonical(s.Name))
			e.Claim, e.Want = s.Name, secerr.Cut(s.Value)
			return e
		}
		got := strings.Join(values, ", ")
		if got != s.Value {
			e := secerr.New(kind, secerr.SignedHeaderMismatch, "the %s header %s is not the signed value %s", canonical(s.Name), secerr.Quote(got), secerr.Quote(s.Value))
			e.Claim, e.Got, e.Want = s.Name, secerr.Cut(got), secerr.Cut(s.Value)
			return e
		}
	}
	return nil
}

func canonical(name string) string { return http.CanonicalHeaderKey(name) }

func listNames(listed []SignedHeader) string {
	if len(listed) == 0 {
		return "none"
	}
	names := make([]string, len(listed))
	for i, s := range listed {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// headersToSign lists the present headers among names with their values, lowercase, in order:
// what a signer puts in signed_headers.
func headersToSign(h http.Header, names ...string) []map[string]string {
	var out []map[string]string
	for _, n := range names {
		if v := h.Values(n); len(v) > 0 {
			out = append(out, map[string]string{strings.ToLower(n): strings.Join(v, ", ")})
		}
	}
	return out
}
