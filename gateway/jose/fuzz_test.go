package jose_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4In0.c2ln",
		"eyJhbGciOiJub25lIn0.e30.",
		"e30.e30.e30.e30.e30",
		"eyJjcml0IjpbImV4cCJdfQ.e30.c2ln",
		"eyJ4NWMiOiIxIn0.e30.c2ln",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := jose.Parse(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(raw, tok.SigningInput()+".") || len(tok.Signature) == 0 {
			t.Fatalf("signing input %q of %q", tok.SigningInput(), raw)
		}
		var c struct {
			jose.TimeClaims
			Aud jose.Audience `json:"aud"`
		}
		_ = jose.DecodeClaims(tok.Payload, &c)
	})
}

// testClaims has a member of each type Member decodes; plainClaims is the same struct without
// DecodeClaim, which jose.DecodeClaims reads with encoding/json.
type testClaims struct {
	jose.TimeClaims
	Iss  string          `json:"iss"`
	Aud  jose.Audience   `json:"aud"`
	List []string        `json:"list"`
	Raw  json.RawMessage `json:"raw"`
}

type plainClaims testClaims

var testClaimNames = []string{"iat", "nbf", "exp", "iss", "aud", "list", "raw"}

func (c *testClaims) DecodeClaim(m jose.Member) error {
	switch string(m.Name) {
	case "iss":
		return m.String(&c.Iss)
	case "aud":
		return m.Audience(&c.Aud)
	case "list":
		return m.Strings(&c.List)
	case "raw":
		m.Raw(&c.Raw)
		return nil
	}
	return c.DecodeTimeClaim(m)
}

// FuzzDecodeClaims is differential: for any payload, DecodeClaims through a ClaimsDecoder and
// through encoding/json read what encoding/json alone reads (sectest.DiffClaims), and Audience's
// decoder what encoding/json read into a string or []string.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range []string{
		`{"iat":1700000000.5,"exp":1700000600,"aud":"a, b,,c","iss":"x","jti":"y"}`,
		`{"exp":"1700000000"}`, `{"iss":5,"exp":"x"}`, `{"aud":[1],"iss":true}`, `{"iss":1,"list":[true]}`,
		`{"exp":1e400}`, `{"exp":-0}`, `{"nbf":-1}`, `{"iat":253402300800}`, `{"exp":null,"aud":null,"list":null,"raw":null}`,
		`{"exp":1,"exp":2}`, `{"EXP":1}`, `{"list":["a",null]}`, `{"list":[]}`, `{"aud":["a",null]}`, `{"aud":[]}`,
		`{"aud":{"x":1}}`, `{"aud":true}`, `null`, `[1]`, `{"iss":"\ud83d\ude00\u00e9\ud800"}`, `{"aud":"a\u002cb"}`,
		`{"raw":[{"a":[1,2,{"b":null}]}]}`, `{"sub":[],"jti":{}}`, `{"a":`, `{"a":1} x`, `{"x":[1,]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast testClaims
		var viaJSON, ref plainClaims
		sectest.DiffClaims(t, data, &fast, &ref, testClaimNames...)
		sectest.DiffClaims(t, data, &viaJSON, &plainClaims{}, testClaimNames...)
		if sectest.CompareJSON(data, testClaimNames...) == sectest.Comparable && sectest.JSONClaimsReference(data, &plainClaims{}) == nil {
			// Both paths read aud with Audience's own decoder: check it against encoding/json too.
			var aud struct {
				Aud json.RawMessage `json:"aud"`
			}
			if json.Unmarshal(data, &aud) == nil {
				if want, ok := audienceReference(aud.Aud); !ok || !reflect.DeepEqual(fast.Aud, want) {
					t.Fatalf("%q: aud %#v, encoding/json reads %#v %v", data, fast.Aud, want, ok)
				}
			}
		}
	})
}

// audienceReference is what Audience.UnmarshalJSON did with encoding/json: the reference of the
// decoder without reflection that replaced it.
func audienceReference(b []byte) (jose.Audience, bool) {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil, true
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil, false
		}
		var out jose.Audience
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, true
	case b[0] == '[':
		var list []string
		if json.Unmarshal(b, &list) != nil {
			return nil, false
		}
		return list, true
	}
	return nil, false
}

var headerNames = []string{"alg", "typ", "kid", "x5c", "x5t#S256", "x5u", "jwk", "crit"}

// FuzzHeader is differential: Parse decodes any header as encoding/json did, with the same
// messages, unless a name is repeated (refused) or a case variant of a parameter.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256","typ":"JWT","kid":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"}`,
		`{"alg":"ES256","x5c":["MIIB","MIIC"],"x5t#S256":"abc","x5u":"https://x"}`,
		`{"alg":5}`, `{"x5c":[1,"a"]}`, `{"x5c":null}`, `{"x5c":[]}`, `{"x5c":"a"}`, `{"alg":"RS256","alg":"none"}`,
		`{"ALG":"x"}`, `{"crit":["exp"]}`, `{"crit":null}`, `{"jwk":{"kty":"EC","crv":"P-256"}}`, `{"jwk":null}`,
		`{"kid":"a\u00e9\ud800"}`, `{"alg":"RS256"`, `[]`, ` {"typ" : "JWT" } `, `{"alg":"RS256","x":[1,]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := base64.RawURLEncoding.EncodeToString(data) + ".e30.c2ln"
		if len(raw) > jose.MaxTokenLen {
			return
		}
		tok, err := jose.Parse(raw)
		var got string
		if err != nil {
			var pe *jose.ParseError
			if !errors.As(err, &pe) || pe.Part != "header" {
				t.Fatalf("%q: %v", data, err)
			}
			got = pe.Why
		}
		var ref jose.Header
		var want string
		if err := sectest.JSONHeaderReference(data, &ref); err != nil {
			want = err.Error()
		} else if len(ref.Crit) > 0 && string(ref.Crit) != "null" {
			want = "has a crit member; the gateway implements no critical extension"
		}
		switch sectest.CompareJSON(data, headerNames...) {
		case sectest.Duplicate:
			if !strings.HasPrefix(got, "has the member ") || !strings.HasSuffix(got, " twice") {
				t.Fatalf("%q: a repeated member gives %q", data, got)
			}
		case sectest.Comparable:
			if got != want {
				t.Fatalf("%q: Parse says %q, encoding/json %q", data, got, want)
			}
			if err == nil && !reflect.DeepEqual(tok.Header, ref) {
				t.Fatalf("%q: %+v, encoding/json %+v", data, tok.Header, ref)
			}
		}
	})
}

// FuzzValidKid compares ValidKid with the regular expression it replaced on the request path.
func FuzzValidKid(f *testing.F) {
	rule := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	for _, s := range []string{"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "", "../x", "a\n", strings.Repeat("k", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kid string) {
		if got, want := jose.ValidKid(kid), rule.MatchString(kid); got != want {
			t.Fatalf("ValidKid(%q) = %v, the rule says %v", kid, got, want)
		}
	})
}
