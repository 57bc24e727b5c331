package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestDecimalCanonicalForm(t *testing.T) {
	canonical := regexp.MustCompile(DecimalPattern)
	for _, tc := range []struct{ in, want string }{
		{"12254.90", "12254.90"},
		{"12254.9", "12254.90"},
		{"12254.900000", "12254.90"},
		{"100", "100.00"},
		{"0", "0.00"},
		{"-0.00", "0.00"},
		{"2.04", "2.04"},
		{"0.3456", "0.3456"},
		{"0.34560", "0.3456"},
		{"-15.5", "-15.50"},
		{"007.10", "7.10"},
		{"123456789012345678901234567890.123", "123456789012345678901234567890.123"},
		{"10000000000000000000000000000", "10000000000000000000000000000.00"}, // fuzz: must re-parse
	} {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", tc.in, err)
		}
		if got := d.String(); got != tc.want {
			t.Errorf("%q: String() = %q, want %q", tc.in, got, tc.want)
		}
		if !canonical.MatchString(d.String()) {
			t.Errorf("%q: %q does not match DecimalPattern", tc.in, d.String())
		}
		b, _ := json.Marshal(d)
		if string(b) != `"`+tc.want+`"` {
			t.Errorf("%q: JSON %s", tc.in, b)
		}
	}
}

func TestDecimalJSONInput(t *testing.T) {
	type holder struct {
		V Decimal  `json:"v"`
		P *Decimal `json:"p,omitempty"`
	}
	for _, tc := range []struct {
		name, in  string
		want      string
		wantError bool
	}{
		{name: "ok/string", in: `{"v":"12254.90"}`, want: "12254.90"},
		{name: "ok/number", in: `{"v":12254.9}`, want: "12254.90"},
		{name: "ok/integer", in: `{"v":7}`, want: "7.00"},
		{name: "ok/negative", in: `{"v":"-1.5"}`, want: "-1.50"},
		{name: "ok/null keeps zero", in: `{"v":null}`, want: "0.00"},
		{name: "fail/exponent", in: `{"v":1e3}`, wantError: true},
		{name: "fail/exponent in string", in: `{"v":"1e999999999"}`, wantError: true},
		{name: "fail/comma", in: `{"v":"12254,90"}`, wantError: true},
		{name: "fail/plus", in: `{"v":"+1"}`, wantError: true},
		{name: "fail/empty string", in: `{"v":""}`, wantError: true},
		{name: "fail/spaces", in: `{"v":" 1.00"}`, wantError: true},
		{name: "fail/trailing point", in: `{"v":"1."}`, wantError: true},
		{name: "fail/leading point", in: `{"v":".5"}`, wantError: true},
		{name: "fail/NaN", in: `{"v":"NaN"}`, wantError: true},
		{name: "fail/boolean", in: `{"v":true}`, wantError: true},
		{name: "ok/largest integer part, written back with .00", in: `{"v":"` + strings.Repeat("9", MaxIntegerDigits) + `"}`, want: strings.Repeat("9", MaxIntegerDigits) + ".00"},
		{name: "ok/most fraction digits", in: `{"v":"0.` + strings.Repeat("1", MaxFractionDigits) + `"}`, want: "0." + strings.Repeat("1", MaxFractionDigits)},
		{name: "fail/too many integer digits", in: `{"v":"` + strings.Repeat("9", MaxIntegerDigits+1) + `"}`, wantError: true},
		{name: "fail/too many fraction digits", in: `{"v":"0.` + strings.Repeat("1", MaxFractionDigits+1) + `"}`, wantError: true},
		{name: "fail/huge input", in: `{"v":"` + strings.Repeat("9", 1<<20) + `"}`, wantError: true},
		{name: "fail/double minus", in: `{"v":"--1"}`, wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h holder
			err := json.Unmarshal([]byte(tc.in), &h)
			if tc.wantError {
				if !errors.Is(err, ErrDecimal) {
					t.Fatalf("got %v, %v; want ErrDecimal", h.V, err)
				}
				return
			}
			if err != nil || h.V.String() != tc.want {
				t.Fatalf("got %q, %v; want %q", h.V, err, tc.want)
			}
		})
	}
	b, _ := json.Marshal(holder{V: MustDecimal("0")})
	if string(b) != `{"v":"0.00"}` {
		t.Fatalf("a zero required decimal must be written, got %s", b)
	}
}

func TestDecimalIsExact(t *testing.T) {
	// 0.1 + 0.2 is not 0.3 in binary floating point; it must be here.
	sum := Decimal{MustDecimal("0.1").Add(MustDecimal("0.2").Decimal)}
	if !sum.Equal(MustDecimal("0.3")) || sum.String() != "0.30" {
		t.Fatalf("0.1 + 0.2 = %s", sum)
	}
}

func TestDecimalFormat(t *testing.T) {
	d := MustDecimal("12254.9")
	p := &d
	for _, tc := range []struct{ got, want string }{
		{fmt.Sprintf("%s", d), "12254.90"},
		{fmt.Sprintf("%v", d), "12254.90"},
		{fmt.Sprintf("%v", p), "12254.90"},
		{fmt.Sprintf("%q", d), `"12254.90"`},
		{fmt.Sprint(d), "12254.90"},
		{fmt.Sprintf("%.3f", d), "12254.900"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}

func FuzzDecimalJSON(f *testing.F) {
	for _, s := range []string{`"12254.90"`, `12254.9`, `"0.3456"`, `"-0"`, `"1e5"`, `null`, `"."`, `"-.5"`, `7`} {
		f.Add(s)
	}
	canonical := regexp.MustCompile(DecimalPattern)
	f.Fuzz(func(t *testing.T, in string) {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(out[1 : len(out)-1]); !canonical.MatchString(s) {
			t.Fatalf("%s -> %s is not canonical", in, out)
		}
		var back Decimal
		if err := json.Unmarshal(out, &back); err != nil || !back.Equal(d) {
			t.Fatalf("round trip %s -> %s -> %s (%v)", in, out, back, err)
		}
	})
}
