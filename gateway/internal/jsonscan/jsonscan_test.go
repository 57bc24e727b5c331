package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/jsonscan"
)

type member struct {
	name, value string
	kind        jsonscan.Kind
}

// members reads data with Members, or Elements when it starts with '['.
func members(data []byte) ([]member, error) {
	it := jsonscan.Members(data)
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		it = jsonscan.Elements(data)
	}
	var out []member
	for it.Next() {
		out = append(out, member{string(it.Name()), string(it.Value()), it.Kind()})
	}
	return out, it.Err()
}

func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

func TestMembersAccepts(t *testing.T) {
	for in, want := range map[string][]member{
		`{}`:                      nil,
		" \t\r\n{ \t\r\n} \t\r\n": nil,
		`{"a":1}`:                 {{"a", "1", jsonscan.Number}},
		`{ "a" : -0 , "b":1e400 ,"c":-0.5E-07, "d":0e+1}`: {{"a", "-0", jsonscan.Number}, {"b", "1e400", jsonscan.Number},
			{"c", "-0.5E-07", jsonscan.Number}, {"d", "0e+1", jsonscan.Number}},
		`{"":null,"t":true,"f":false}`: {{"", "null", jsonscan.Null}, {"t", "true", jsonscan.Bool}, {"f", "false", jsonscan.Bool}},
		`{"s":"x\"y","o":{"a":[1,{"b":[]},"]"]},"e":[]}`: {{"s", `"x\"y"`, jsonscan.String},
			{"o", `{"a":[1,{"b":[]},"]"]}`, jsonscan.Object}, {"e", "[]", jsonscan.Array}},
		`{"\u0061\/\u00e9\ud83d\ude00":0}`: {{"a/é😀", "0", jsonscan.Number}},
		`{"a\ud800":0}`:                    {{"a\uFFFD", "0", jsonscan.Number}},
		"{\"a\xff\":0}":                    {{"a\uFFFD", "0", jsonscan.Number}},
		// MaxDepth levels, the object counting as one: encoding/json's limit too.
		`{"d":` + deep(jsonscan.MaxDepth-1) + `}`: {{"d", deep(jsonscan.MaxDepth - 1), jsonscan.Array}},
		`[1,"a",[],{}]`: {{"", "1", jsonscan.Number}, {"", `"a"`, jsonscan.String}, {"", "[]", jsonscan.Array}, {"", "{}", jsonscan.Object}},
		`[]`:            nil,
	} {
		got, err := members([]byte(in))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%.60s: %v %v, want %v", in, got, err, want)
		}
		if !json.Valid([]byte(in)) {
			t.Errorf("%.60s: encoding/json refuses it", in)
		}
	}
}

func TestMembersRefuses(t *testing.T) {
	for in, want := range map[string]string{
		``:                                      "not an object",
		` `:                                     "not an object",
		`null`:                                  "not an object",
		`"{}"`:                                  "not an object",
		`{`:                                     "unexpected end",
		`{"a"}`:                                 "expected ':'",
		`{"a" 1}`:                               "expected ':'",
		`{"a":}`:                                "looking for a value",
		`{"a":1,}`:                              "expected a member name",
		`{,}`:                                   "expected a member name",
		`{a:1}`:                                 "expected a member name",
		`{'a':1}`:                               "expected a member name",
		`{"a":1 "b":2}`:                         "expected ',' or '}'",
		`{"a":01}`:                              "expected ',' or '}'",
		`{"a":-}`:                               "invalid number",
		`{"a":-a}`:                              "invalid number",
		`{"a":1.}`:                              "no digit after the decimal point",
		`{"a":.5}`:                              "looking for a value",
		`{"a":1e}`:                              "no digit in the exponent",
		`{"a":1e+}`:                             "no digit in the exponent",
		`{"a":+1}`:                              "looking for a value",
		`{"a":0x1}`:                             "expected ',' or '}'",
		`{"a":NaN}`:                             "looking for a value",
		`{"a":Infinity}`:                        "looking for a value",
		`{"a":tru}`:                             "expected true",
		`{"a":nul}`:                             "expected null",
		`{"a":falsy}`:                           "expected false",
		`{"a":truex}`:                           "expected ',' or '}'",
		`{"a":"x}`:                              "unterminated string",
		`{"a":"\x"}`:                            `invalid escape "\\x"`,
		`{"a":"\'"}`:                            `invalid escape`,
		`{"a":"\u12"}`:                          `invalid \u escape`,
		`{"a":"\u12g4"}`:                        `invalid \u escape`,
		"{\"a\":\"\x01\"}":                      "control character",
		"{\"a\":\"\t\"}":                        "control character",
		"{\"a\x1f\":1}":                         "control character",
		`{"a":[1,]}`:                            "looking for a value",
		`{"a":[1 2]}`:                           "expected ',' or ']'",
		`{"a":[1}`:                              "expected ',' or ']'",
		`{"a":{"b"}}`:                           "expected ':'",
		`{"a":{"b":1,}}`:                        "expected a member name",
		`{"a":{"b":1]}`:                         "expected ',' or '}'",
		`{"a":[`:                                "unexpected end",
		`{"a":{"b":`:                            "unexpected end",
		`{"a":1} x`:                             "data after the end",
		`{"a":1}{}`:                             "data after the end",
		`{"a":1}` + "\f":                        "data after the end",
		"\f{}":                                  "not an object",
		`{"d":` + deep(jsonscan.MaxDepth) + `}`: "nesting deeper than 10000",
		`[1,]`:                                  "looking for a value",
		`[1] ]`:                                 "data after the end",
	} {
		got, err := members([]byte(in))
		var se *jsonscan.SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, want) {
			t.Errorf("%.60q: %v %v, want an error with %q", in, got, err, want)
		}
		if json.Valid([]byte(in)) && !strings.Contains(want, "not an object") {
			t.Errorf("%.60q: encoding/json accepts it", in)
		}
	}
}

// TestIterAfterTheEnd: Next keeps returning false, and an error clears the current member.
func TestIterAfterTheEnd(t *testing.T) {
	it := jsonscan.Members([]byte(`{"a":1,"b":x}`))
	if !it.Next() || string(it.Name()) != "a" {
		t.Fatal("first member")
	}
	for range 2 {
		if it.Next() || it.Err() == nil || it.Name() != nil || it.Value() != nil || it.Kind() != 0 {
			t.Fatalf("after the error: %q %q %v", it.Name(), it.Value(), it.Err())
		}
	}
	it = jsonscan.Members([]byte(`{}`))
	for range 2 {
		if it.Next() || it.Err() != nil {
			t.Fatal(it.Err())
		}
	}
	// A value's capacity ends with it: appending to it cannot overwrite the rest of the input.
	in := []byte(`{"a":[1],"b":2}`)
	it = jsonscan.Members(in)
	it.Next()
	_ = append(it.Value(), 'x')
	if string(in) != `{"a":[1],"b":2}` {
		t.Fatalf("input changed: %s", in)
	}
}

func TestUnquote(t *testing.T) {
	for lit, want := range map[string]string{
		`""`:                      "",
		`"plain"`:                 "plain",
		`"\"\\\/\b\f\n\r\t"`:      "\"\\/\b\f\n\r\t",
		`"\u00e9\u20AC"`:          "é€",
		`"\ud83d\ude00"`:          "😀",
		`"\ud83d"`:                "\uFFFD",
		`"\ude00\ud83d"`:          "\uFFFD\uFFFD",
		`"\ud83d\ud83d\ude00"`:    "\uFFFD😀",
		`"\ud83dx"`:               "\uFFFDx",
		`"\u0000"`:                "\x00",
		"\"\xff\xfe\"":            "\uFFFD\uFFFD",
		"\"\xed\xa0\x80\"":        "\uFFFD\uFFFD\uFFFD", // a surrogate in UTF-8 is invalid UTF-8
		"\"é\xc3\"":               "é\uFFFD",
		"\"\xef\xbf\xbd\"":        "\uFFFD",
		`"a\u00e9` + "\xff" + `"`: "aé\uFFFD",
	} {
		var ref string
		if err := json.Unmarshal([]byte(lit), &ref); err != nil || ref != want {
			t.Fatalf("%q: encoding/json reads %q %v, the table says %q", lit, ref, err, want)
		}
		if got := jsonscan.Unquote([]byte(lit)); got != want {
			t.Errorf("Unquote(%q) = %q, want %q", lit, got, want)
		}
	}
	// Not a literal Members would return: no panic, nothing read past the end.
	for _, lit := range []string{``, `"`, `"\u12"`, `"\`, `"\u"`} {
		_ = jsonscan.Unquote([]byte(lit))
	}
}

func TestNames(t *testing.T) {
	var s jsonscan.Names
	for i := range 40 { // past the inline array, into the map
		name := []byte(fmt.Sprint("n", i))
		if s.Seen(name) {
			t.Fatalf("%s seen before it was added", name)
		}
		if !s.Seen(name) {
			t.Fatalf("%s not seen after it was added", name)
		}
	}
	if !s.Seen([]byte("n0")) || !s.Seen([]byte("n39")) || s.Seen([]byte("N0")) {
		t.Fatal("lookup after the spill")
	}
}

func TestKindString(t *testing.T) {
	// The names of encoding/json's UnmarshalTypeError.Value, which messages built on either share.
	for k, want := range map[jsonscan.Kind]string{jsonscan.Null: "null", jsonscan.Bool: "bool", jsonscan.Number: "number",
		jsonscan.String: "string", jsonscan.Array: "array", jsonscan.Object: "object", 0: "nothing"} {
		if k.String() != want {
			t.Errorf("%d: %s", k, k)
		}
	}
}

// BenchmarkMembers reads a typical integrity token payload.
func BenchmarkMembers(b *testing.B) {
	payload := []byte(`{"iss":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b","sub":"8f2b1c8e-4a8e-4b9e-9f3c-0c3a6f1e2d4b","aud":"https://erogatore.example.it/rest/v1","iat":1700000000,"nbf":1700000000,"exp":1700000300,"jti":"5f1d3b0c-9a2e-4c7d-8b6f-3e2a1d0c9b8a","signed_headers":[{"digest":"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},{"content-type":"application/json"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		it := jsonscan.Members(payload)
		for it.Next() {
		}
		if it.Err() != nil {
			b.Fatal(it.Err())
		}
	}
}
