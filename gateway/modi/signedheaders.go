package modi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
//
// It runs on every signed request, so after json.Valid it walks the bytes itself instead of using
// json.Decoder's token stream (several times slower and allocation-heavy).
func ParseSignedHeaders(raw json.RawMessage) ([]SignedHeader, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, errors.New("is absent")
	case raw[0] == '{':
		return nil, errors.New(`is a JSON object; it must be an array of one-member objects, e.g. [{"digest":"SHA-256=..."},{"content-type":"application/json"}]`)
	case raw[0] != '[':
		return nil, errors.New("is not a JSON array of one-member objects")
	case !json.Valid(raw):
		return nil, errors.New("is not valid JSON")
	}
	sc := scanner{b: raw, i: 1}
	if sc.ws() == ']' {
		return []SignedHeader{}, nil
	}
	out := make([]SignedHeader, 0, 4)
	for i := 0; ; i++ {
		if i == maxSignedHeaders {
			return nil, fmt.Errorf("has more than %d entries", maxSignedHeaders)
		}
		if c := sc.ws(); c != '{' {
			return nil, fmt.Errorf("entry %d is %s, not an object with one member", i, describe(c))
		}
		sc.i++
		if sc.ws() == '}' {
			return nil, fmt.Errorf("entry %d is an empty object; it must have exactly one member", i)
		}
		name, err := sc.str()
		if err != nil || name == "" {
			return nil, fmt.Errorf("entry %d has an invalid member name", i)
		}
		sc.ws()
		sc.i++ // ':'
		if c := sc.ws(); c != '"' {
			return nil, fmt.Errorf("entry %d member %q has %s as value; header values are JSON strings", i, name, describe(c))
		}
		value, err := sc.str()
		if err != nil {
			return nil, fmt.Errorf("entry %d has an invalid value", i)
		}
		if sc.ws() == ',' {
			return nil, fmt.Errorf("entry %d has more than one member; list each header in its own object", i)
		}
		sc.i++ // '}'
		name = strings.ToLower(name)
		for _, h := range out {
			if h.Name == name {
				return nil, fmt.Errorf("lists %s twice", name)
			}
		}
		out = append(out, SignedHeader{Name: name, Value: value})
		if sc.ws() == ']' {
			return out, nil
		}
		sc.i++ // ','
	}
}

// scanner walks JSON already checked by json.Valid.
type scanner struct {
	b []byte
	i int
}

// ws skips whitespace and returns the next byte (0 at the end).
func (s *scanner) ws() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// str reads the string literal at s.i.
func (s *scanner) str() (string, error) {
	start, escaped := s.i, false
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			escaped = true
			s.i++
		case '"':
			s.i++
			lit := s.b[start:s.i]
			if !escaped {
				return string(lit[1 : len(lit)-1]), nil
			}
			var v string
			err := json.Unmarshal(lit, &v)
			return v, err
		}
	}
	return "", errors.New("unterminated string")
}

// describe names the JSON value starting with c.
func describe(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return "a number"
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
