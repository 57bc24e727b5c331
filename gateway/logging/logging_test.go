package logging

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/contracts"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/logging/logtest"
)

// A codice fiscale with a valid check character (Mario Rossi, born 1 January 1980 in Roma) and
// the same person's omocode (digits replaced by letters).
const (
	cf        = "RSSMRA80A01H501U"
	cfOmocode = "RSSMRAULALMHRLMD"
	cfMasked  = "RSSMRA**********"
	// The Comune di Trento's numeric codice fiscale (valid check digit), masked.
	cfNumeric       = "00355870221"
	cfNumericMasked = "****************"
)

// signedJWT makes a real ES256 JWS with a key generated here, so the test exercises the shape of a
// genuine token rather than a hand-typed look-alike.
func signedJWT(t testing.TB, claims string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"k1"}`)) + "." + enc.EncodeToString([]byte(claims))
	sum := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	if !ecdsa.Verify(&key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("signature does not verify")
	}
	return signingInput + "." + enc.EncodeToString(sig)
}

func TestJSONShape(t *testing.T) {
	var buf logtest.Buffer
	New(&buf, Config{Level: "debug"}).Debug("hello", "n", 3)
	l := buf.Lines(t)[0]
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(l["time"].(string)) {
		t.Errorf("time %q is not RFC 3339 UTC", l["time"])
	}
	if l["level"] != "DEBUG" || l["msg"] != "hello" || l["n"] != 3.0 {
		t.Errorf("line %v", l)
	}
}

func TestLevel(t *testing.T) {
	var buf logtest.Buffer
	log := New(&buf, Config{Level: "warn"})
	log.Info("hidden")
	log.Warn("shown")
	if lines := buf.Lines(t); len(lines) != 1 || lines[0]["msg"] != "shown" {
		t.Fatalf("lines %v", lines)
	}
	ck := config.NewChecker()
	(&Config{Level: "verbose"}).Check(ck.At("log"))
	(&Config{Level: "INFO"}).Check(ck.At("log"))
	if p := ck.Problems(); len(p) != 1 || p[0].Field != "log.level" {
		t.Fatalf("problems %v", ck.Err())
	}
}

type person struct {
	CodiceFiscale string   `json:"codiceFiscale"`
	Tokens        []string `json:"tokens"`
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

// TestNoCodiceFiscaleInOutput logs a codice fiscale through every path a value can take and
// checks the written bytes.
func TestNoCodiceFiscaleInOutput(t *testing.T) {
	var buf logtest.Buffer
	log := New(&buf, Config{}).With("subject", cf).WithGroup("req")
	log.Info("lookup for "+strings.ToLower(cf)+" failed",
		"cf", cf,
		"omocode", cfOmocode,
		"path", "/anagrafe/"+cf+"/famiglia",
		"err", errors.New("anpr: no record for "+cf),
		"stringer", stringer{"cf=" + cf},
		"list", []string{cf, "x"},
		"struct", person{CodiceFiscale: cf},
		"bytes", []byte(cf),
		slog.Group("inner", "cf", cf),
	)
	out := buf.String()
	for _, c := range []string{cf, strings.ToLower(cf), cfOmocode} {
		if strings.Contains(out, c) {
			t.Fatalf("codice fiscale %s in log output:\n%s", c, out)
		}
	}
	if n := strings.Count(out, cfMasked); n != 11 {
		t.Errorf("%d masked codes, want 11:\n%s", n, out)
	}
	l := buf.Lines(t)[0]
	if l["subject"] != cfMasked || l["msg"] != "lookup for "+cfMasked+" failed" {
		t.Errorf("line %v", l)
	}
	req := l["req"].(map[string]any)
	if req["struct"].(map[string]any)["codiceFiscale"] != cfMasked {
		t.Errorf("struct attribute %v", req["struct"])
	}
}

type ente struct {
	Nome   string `json:"nome"`
	CF     string `json:"cf"`
	Numero int64  `json:"numero"` // a numeric code held as a JSON number
}

// TestNoNumericCodiceFiscaleInOutput: an 11-digit codice fiscale is masked on every path, a struct
// holding it as a bare JSON number still logs valid JSON, and other numbers are left alone.
func TestNoNumericCodiceFiscaleInOutput(t *testing.T) {
	var buf logtest.Buffer
	New(&buf, Config{}).Info("ente "+cfNumeric+" refused",
		"cf", cfNumeric,
		"err", errors.New("siuss: CFOperatore "+cfNumeric+" is not enabled"),
		"struct", ente{Nome: "COMUNE DI TRENTO", CF: cfNumeric, Numero: 80078750587},
		"list", []any{"x", int64(80078750587)},
		"other", "cursor 35587022101 and 1767225600000",
	)
	out := buf.String()
	if strings.Contains(out, cfNumeric) || strings.Contains(out, "80078750587") {
		t.Fatalf("numeric codice fiscale in log output:\n%s", out)
	}
	l := buf.Lines(t)[0] // fails on invalid JSON
	if l["msg"] != "ente "+cfNumericMasked+" refused" || l["cf"] != cfNumericMasked {
		t.Errorf("line %v", l)
	}
	if st := l["struct"].(map[string]any); st["cf"] != cfNumericMasked || st["numero"] != "****************" || st["nome"] != "COMUNE DI TRENTO" {
		t.Errorf("struct attribute %v", st)
	}
	if list := l["list"].([]any); list[1] != "****************" {
		t.Errorf("list attribute %v", list)
	}
	if l["other"] != "cursor 35587022101 and 1767225600000" {
		t.Errorf("numbers that are not codes were changed: %v", l["other"])
	}
}

func TestNoTokenSignatureInOutput(t *testing.T) {
	tok := signedJWT(t, `{"sub":"`+cf+`","purposeId":"p1"}`)
	parts := strings.Split(tok, ".")
	var buf logtest.Buffer
	New(&buf, Config{}).Info("voucher rejected: "+tok,
		"authorization", "Bearer "+tok,
		"err", errors.New("modi: bad Agid-JWT-Signature "+tok+": expired"),
		"struct", person{Tokens: []string{tok}},
	)
	out := buf.String()
	if strings.Contains(out, parts[2]) || strings.Contains(out, parts[1]) {
		t.Fatalf("payload or signature in log output:\n%s", out)
	}
	sum := sha256.Sum256([]byte(tok))
	want := parts[0] + ".[redacted sha256=" + hexPrefix(sum[:6]) + "]"
	if n := strings.Count(out, want); n != 4 {
		t.Fatalf("%d redacted tokens %q, want 4:\n%s", n, want, out)
	}
	l := buf.Lines(t)[0]
	if l["authorization"] != "Bearer "+want {
		t.Errorf("authorization %q", l["authorization"])
	}
}

func hexPrefix(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

func TestRedactTokens(t *testing.T) {
	long := "eyJ" + strings.Repeat("A", 600)
	cases := map[string]struct{ in, want string }{
		"ok/hostname-untouched":     {"gateway.welfaregov.example", "gateway.welfaregov.example"},
		"ok/two-segments-untouched": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0"},
		"ok/inside-a-run":           {"xeyJhbGciOiJub25lIn0.a.b", "xeyJhbGciOiJub25lIn0.a.b"},
		"ok/short-header":           {"eyJa.b.c", "eyJa.b.c"},
		"redact/unsigned":           {"t=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "t=eyJhbGciOiJub25lIn0.[redacted sha256="},
		"redact/detached":           {"eyJhbGciOiJFUzI1NiJ9..c2ln", "eyJhbGciOiJFUzI1NiJ9.[redacted sha256="},
		"redact/jwe-five-segments":  {"eyJhbGciOiJSU0EifQ.a.b.c.d end", "eyJhbGciOiJSU0EifQ.[redacted sha256="},
		"redact/long-header":        {long + ".p.s", "[redacted JWS sha256="},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := RedactTokens(tc.in)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("RedactTokens(%q) = %q, want it to contain %q", tc.in, got, tc.want)
			}
			if strings.HasPrefix(name, "redact/") && strings.Contains(got, "c2ln") {
				t.Fatalf("signature kept: %q", got)
			}
		})
	}
	if got := RedactTokens("eyJhbGciOiJSU0EifQ.a.b.c.d end"); !strings.HasSuffix(got, "] end") {
		t.Errorf("JWE not consumed whole: %q", got)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("lookup " + cf + " with eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig")
	f.Add(cfOmocode)
	f.Add(`{"n":` + cfNumeric + `,"s":"` + cfNumeric + `     "}`)
	f.Add("eyJhbGciOiJSU0EifQ.a.b.c.d.e.f")
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		if contracts.MaskCodiciFiscaliInText(out) != out {
			t.Fatalf("codice fiscale left in %q", out)
		}
	})
}
