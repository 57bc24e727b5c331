package modi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/welfaregov/gateway/gateway/internal/jsonscan"
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
// Invalid JSON is reported as such, wherever it is, before any of those.
//
// It runs on every signed request, so it reads the claim with jsonscan, which validates it in the
// same pass, instead of json.Decoder's token stream (several times slower and allocation-heavy).
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
	out := make([]SignedHeader, 0, 4)
	var wrong error // the first entry that breaks the rules; the rest is only validated
	entries := jsonscan.Elements(raw)
	for i := 0; entries.Next(); i++ {
		if wrong != nil {
			continue
		}
		if i == maxSignedHeaders {
			wrong = fmt.Errorf("has more than %d entries", maxSignedHeaders)
			continue
		}
		var h SignedHeader
		if h, wrong = signedHeader(i, entries.Value(), entries.Kind()); wrong != nil {
			continue
		}
		if slices.ContainsFunc(out, func(prev SignedHeader) bool { return prev.Name == h.Name }) {
			wrong = fmt.Errorf("lists %s twice", h.Name)
			continue
		}
		out = append(out, h)
	}
	if entries.Err() != nil {
		return nil, errors.New("is not valid JSON")
	}
	if wrong != nil {
		return nil, wrong
	}
	return out, nil
}

// signedHeader reads entry i of signed_headers, a valid JSON value of the kind given.
func signedHeader(i int, entry []byte, kind jsonscan.Kind) (SignedHeader, error) {
	if kind != jsonscan.Object {
		return SignedHeader{}, fmt.Errorf("entry %d is %s, not an object with one member", i, describe(kind))
	}
	m := jsonscan.Members(entry)
	if !m.Next() {
		return SignedHeader{}, fmt.Errorf("entry %d is an empty object; it must have exactly one member", i)
	}
	name := string(m.Name())
	if name == "" {
		return SignedHeader{}, fmt.Errorf("entry %d has an invalid member name", i)
	}
	if m.Kind() != jsonscan.String {
		return SignedHeader{}, fmt.Errorf("entry %d member %q has %s as value; header values are JSON strings", i, name, describe(m.Kind()))
	}
	value := jsonscan.Unquote(m.Value())
	if m.Next() {
		return SignedHeader{}, fmt.Errorf("entry %d has more than one member; list each header in its own object", i)
	}
	return SignedHeader{Name: strings.ToLower(name), Value: value}, nil
}

// describe names a kind of JSON value.
func describe(k jsonscan.Kind) string {
	switch k {
	case jsonscan.String:
		return "a string"
	case jsonscan.Array:
		return "an array"
	case jsonscan.Object:
		return "an object"
	case jsonscan.Bool:
		return "a boolean"
	case jsonscan.Null:
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
