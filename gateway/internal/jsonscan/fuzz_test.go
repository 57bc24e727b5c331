package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/jsonscan"
)

// FuzzMembers is differential: Members (Elements for an array) accepts exactly what json.Valid
// accepts as an object (array), and yields the names, values and kinds that encoding/json's
// token stream reads.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, `{"a":-0.5e+10}`, `{"a":01}`,
		`{"\u00e9\ud83d\ude00":"\ud800x"}`, "{\"a\":\"\xff\"}", `{"a":1} x`, `[1,"2",[3],{"4":5}]`, `{"a":[1,]}`,
		`{"a":` + deep(40) + `}`, `{"a":1e400}`, `{"a":"\u12"}`, " {\"a\" : \"b\" } "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := members(data)
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		isArray := len(trimmed) > 0 && trimmed[0] == '['
		want := json.Valid(data) && len(trimmed) > 0 && (trimmed[0] == '{' || isArray)
		if (err == nil) != want {
			t.Fatalf("%q: jsonscan error %v, encoding/json valid %v", data, err, want)
		}
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for i := 0; dec.More(); i++ {
			var name string
			if !isArray {
				tok, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				name = tok.(string)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if i >= len(got) || got[i].name != name || got[i].value != string(raw) {
				t.Fatalf("%q: member %d is %+v, encoding/json reads %q: %s", data, i, got, name, raw)
			}
			checkKind(t, got[i])
		}
	})
}

func checkKind(t *testing.T, m member) {
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(m.value)))
	dec.UseNumber() // 1e400 is valid JSON, not a valid float64
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var want jsonscan.Kind
	switch s := v.(type) {
	case nil:
		want = jsonscan.Null
	case bool:
		want = jsonscan.Bool
	case json.Number:
		want = jsonscan.Number
	case string:
		want = jsonscan.String
		if got := jsonscan.Unquote([]byte(m.value)); got != s {
			t.Fatalf("Unquote(%q) = %q, encoding/json reads %q", m.value, got, s)
		}
	case []any:
		want = jsonscan.Array
	case map[string]any:
		want = jsonscan.Object
	}
	if m.kind != want {
		t.Fatalf("%q: kind %s, want %s", m.value, m.kind, want)
	}
}

// FuzzUnquote is differential on string literals: the content between the quotes is accepted when
// encoding/json accepts it, and Unquote decodes it as encoding/json does.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`plain`, `\"\\\/\b\f\n\r\t`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ud83d\ud83d\ude00`,
		"\xff", "\xed\xa0\x80", `\u12`, "\x01", `\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		lit := []byte(`"` + content + `"`)
		var want string
		refErr := json.Unmarshal(lit, &want)
		it := jsonscan.Members([]byte(`{"k":` + string(lit) + `}`))
		ok := it.Next() && it.Kind() == jsonscan.String
		ok = !it.Next() && ok && it.Err() == nil
		if ok != (refErr == nil) {
			t.Fatalf("%q: jsonscan accepts %v, encoding/json: %v", lit, ok, refErr)
		}
		if ok {
			if got := jsonscan.Unquote(lit); got != want {
				t.Fatalf("Unquote(%q) = %q, encoding/json reads %q", lit, got, want)
			}
			// As a member name too.
			names := jsonscan.Members([]byte(`{` + string(lit) + `:0}`))
			if !names.Next() || string(names.Name()) != want {
				t.Fatalf("name %q read as %q, want %q", lit, names.Name(), want)
			}
		}
	})
}
