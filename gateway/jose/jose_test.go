package jose_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/welfaregov/gateway/certs"
	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/internal/sectest"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/secerr"
)

// TestThumbprintRFC7638 is the known answer of RFC 7638 §3.1: PDND's kid and a DPoP jkt.
func TestThumbprintRFC7638(t *testing.T) {
	const example = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	pub, err := jose.ParsePublicJWK([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	got, err := jose.Thumbprint(pub)
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("%s %v", got, err)
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKey(t *testing.T) {
	k := sectest.RSAKey(t, 0)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ec)
	for name, in := range map[string][]byte{
		"ok/pkcs1":               pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)),
		"ok/pkcs8":               pemBlock("PRIVATE KEY", pkcs8),
		"ok/sec1-ec":             pemBlock("EC PRIVATE KEY", ecDER),
		"ok/certificate-before":  append(pemBlock("CERTIFICATE", []byte{1}), pemBlock("PRIVATE KEY", pkcs8)...),
		"ok/trailing-newline-ok": append(pemBlock("PRIVATE KEY", pkcs8), '\n'),
	} {
		if _, err := jose.ParsePrivateKey(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"fail/der":       {pkcs8, "not PEM"},
		"fail/encrypted": {pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}), "encrypted"},
		"fail/weak":      {pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(weak)), "1024 bits"},
		"fail/no-key":    {pemBlock("CERTIFICATE", []byte{1}), "no PEM private key"},
		"fail/garbage":   {pemBlock("PRIVATE KEY", []byte{1, 2, 3}), "parsing PRIVATE KEY"},
	} {
		_, err := jose.ParsePrivateKey(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// TestSignerInteroperates: what Signer produces, jwx verifies; what jwx signs, Token.Verify accepts.
func TestSignerInteroperates(t *testing.T) {
	for name, key := range map[string]crypto.Signer{"rsa": sectest.RSAKey(t, 0), "ec": sectest.ECKey(t)} {
		s, err := jose.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.SignJSON(jose.SignHeader{Typ: "JWT", Kid: true, JWK: true}, map[string]any{"a": 1})
		if err != nil {
			t.Fatal(err)
		}
		alg, _ := jwa.LookupSignatureAlgorithm(s.Alg())
		if _, err := jws.Verify([]byte(tok), jws.WithKey(alg, key.Public())); err != nil {
			t.Fatalf("%s: jwx rejects our token: %v", name, err)
		}
		parsed, err := jose.Parse(tok)
		if err != nil || parsed.Header.Kid != s.Kid() || len(parsed.Header.JWK) == 0 || parsed.Header.Alg != s.Alg() {
			t.Fatalf("%s: %+v %v", name, parsed, err)
		}
		if err := parsed.Verify(s.Alg(), key.Public()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		signed, _ := jws.Sign([]byte(`{"b":2}`), jws.WithKey(alg, key))
		theirs, err := jose.Parse(string(signed))
		if err != nil || theirs.Verify(s.Alg(), key.Public()) != nil {
			t.Fatalf("%s: jwx token not verified: %v", name, err)
		}
		// The algorithm is pinned by the caller: the same token under the other algorithm fails.
		other := map[string]string{"RS256": "ES256", "ES256": "RS256"}[s.Alg()]
		var ke *jose.KeyError
		if err := parsed.Verify(other, key.Public()); !errors.As(err, &ke) {
			t.Fatalf("%s: verified under %s: %v", name, other, err)
		}
	}
}

func TestSignerRotateIsAtomic(t *testing.T) {
	a, b := sectest.RSAKey(t, 0), sectest.RSAKey(t, 1)
	s, err := jose.NewSigner(a)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := s.SignJSON(jose.SignHeader{Kid: true}, map[string]any{"x": 1})
				if err != nil {
					t.Error(err)
					return
				}
				p, _ := jose.Parse(tok)
				key := crypto.PublicKey(&a.PublicKey)
				if kid, _ := jose.Thumbprint(&b.PublicKey); p.Header.Kid == kid {
					key = &b.PublicKey
				}
				if p.Verify(jose.RS256, key) != nil {
					t.Error("a token's kid names another key than the one that signed it")
					return
				}
			}
		})
	}
	for range 20 {
		if err := s.Rotate(b); err != nil {
			t.Fatal(err)
		}
		if err := s.Rotate(a); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := s.Rotate(nil); err == nil || s.Kid() == "" {
		t.Fatal("a failed rotation must keep the key")
	}
}

func TestWithCertificates(t *testing.T) {
	root, err := certs.NewRoot(certs.WithKeyType(certs.ECDSAP256))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := root.Issue(certs.WithKeyType(certs.ECDSAP256))
	other, _ := root.Issue(certs.WithKeyType(certs.ECDSAP256))
	noSign, _ := root.Issue(certs.WithKeyType(certs.ECDSAP256), certs.WithKeyUsage(x509.KeyUsageKeyAgreement))
	s, err := jose.NewSigner(leaf.Key, jose.WithCertificates(leaf.Chain))
	if err != nil || len(s.X5C()) != 1 {
		t.Fatal(err)
	}
	if _, err := jose.NewSigner(leaf.Key, jose.WithCertificates(other.Chain)); err == nil {
		t.Fatal("a chain for another key was accepted")
	}
	if _, err := jose.NewSigner(noSign.Key, jose.WithCertificates(noSign.Chain)); err == nil {
		t.Fatal("a leaf without digitalSignature was accepted")
	}
	if _, err := s.SignJSON(jose.SignHeader{X5C: true, X5TS256: true}, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	plain, _ := jose.NewSigner(leaf.Key)
	if _, err := plain.SignJSON(jose.SignHeader{X5C: true}, map[string]any{}); err == nil {
		t.Fatal("x5c without a chain")
	}
}

func TestNumericDateAndAudience(t *testing.T) {
	var c struct {
		jose.TimeClaims
		Aud jose.Audience `json:"aud"`
	}
	if err := jose.DecodeClaims([]byte(`{"iat":1700000000.5,"exp":1700000600,"aud":"a, b,,c"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.IssuedAt.Time().UnixMilli() != 1700000000500 || !c.Expiry.IsSet() || c.NotBefore.IsSet() {
		t.Fatalf("%+v", c.TimeClaims)
	}
	if len(c.Aud) != 3 || !c.Aud.Contains("b") || c.Aud.Contains("a, b") {
		t.Fatalf("%v", c.Aud)
	}
	for in, claim := range map[string]string{
		`{"exp":"1700000000"}`: "exp", `{"iat":true}`: "iat", `{"nbf":-1}`: "nbf", `{"exp":1e20}`: "exp",
		`{"aud":5}`: "aud", `{"aud":["a",1]}`: "aud", `{"aud":{"x":1}}`: "aud",
	} {
		var ce *jose.ClaimError
		if err := jose.DecodeClaims([]byte(in), &c); !errors.As(err, &ce) || ce.Claim != claim {
			t.Errorf("%s: %v", in, err)
		}
	}
	var pe *jose.ParseError
	if err := jose.DecodeClaims([]byte(`{"a":`), &c); !errors.As(err, &pe) {
		t.Fatalf("%v", err)
	}
	b, _ := json.Marshal(struct {
		Aud jose.Audience    `json:"aud"`
		Exp jose.NumericDate `json:"exp"`
	}{jose.Audience{"x"}, jose.NewNumericDate(time.Unix(10, 900))})
	if string(b) != `{"aud":"x","exp":10}` {
		t.Fatalf("%s", b)
	}
}

// ValidKid takes 1 to 128 characters of A-Z a-z 0-9 _ -, what may go into a PDND API path.
func TestValidKid(t *testing.T) {
	valid := []string{"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "0b6e4b8e-6a8f-4f3e-9d55-6f1d0c3a9b21", "a", "Z9_-",
		strings.Repeat("k", 128)}
	invalid := []string{"", "../x", "a/b", "a b", "kid.1", "a%2F", "é", "a\x00", "\n", strings.Repeat("k", 129), "a+b", "a=b"}
	for _, kid := range valid {
		if !jose.ValidKid(kid) {
			t.Errorf("ValidKid(%q) = false", kid)
		}
	}
	for _, kid := range invalid {
		if jose.ValidKid(kid) {
			t.Errorf("ValidKid(%q) = true", kid)
		}
	}
}

func TestParseStructure(t *testing.T) {
	for in, part := range map[string]string{
		strings.Repeat("a", jose.MaxTokenLen+1): "token",
		"abc":                                   "token",
		"a.b":                                   "token",
		"a.b.c.d":                               "token",
		"!!.e30.c2ln":                           "header",
		"W10.e30.c2ln":                          "header",
		"eyJjcml0IjpbImV4cCJdfQ.e30.c2ln":       "header",
		"e30.!!.c2ln":                           "payload",
		"e30.W10.c2ln":                          "payload",
		"e30.e30.!!":                            "signature",
		"e30.e30.":                              "signature",
		"e30.e30.c2ln=":                         "signature",
	} {
		var pe *jose.ParseError
		if _, err := jose.Parse(in); !errors.As(err, &pe) || pe.Part != part {
			t.Errorf("Parse(%.20q) = %v, want a %s error", in, err, part)
		}
	}
}

func TestKeyConfig(t *testing.T) {
	dir := t.TempDir()
	k := sectest.RSAKey(t, 0)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pemBlock("PRIVATE KEY", der), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := jose.KeyConfig{PrivateKey: config.Secret{File: keyFile}}
	ck := config.NewChecker()
	ok.Check(ck)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	s, err := ok.Load()
	if err != nil || len(s.Kid()) != 43 {
		t.Fatalf("%v", err)
	}
	// Rotation without restart: replace the file, reload.
	der2, _ := x509.MarshalPKCS8PrivateKey(sectest.RSAKey(t, 1))
	if err := os.WriteFile(keyFile, pemBlock("PRIVATE KEY", der2), 0o600); err != nil {
		t.Fatal(err)
	}
	old := s.Kid()
	if err := ok.Reload(s); err != nil || s.Kid() == old {
		t.Fatalf("reload: %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(bad, []byte("not a key"), 0o600)
	for name, c := range map[string]struct {
		cfg   jose.KeyConfig
		field string
	}{
		"fail/no-key":    {jose.KeyConfig{}, "signing.private_key"},
		"fail/bad-kid":   {jose.KeyConfig{PrivateKey: config.Secret{File: keyFile}, Kid: "a b"}, "signing.kid"},
		"fail/bad-pem":   {jose.KeyConfig{PrivateKey: config.Secret{File: bad}}, "signing"},
		"fail/no-file":   {jose.KeyConfig{PrivateKey: config.Secret{File: filepath.Join(dir, "none")}}, "signing.private_key.file"},
		"fail/bad-certs": {jose.KeyConfig{PrivateKey: config.Secret{File: keyFile}, Certificates: config.Secret{File: bad}}, "signing"},
	} {
		ck := config.NewChecker()
		c.cfg.Check(ck.At("signing"))
		var inv *config.Invalid
		if err := ck.Err(); !errors.As(err, &inv) || inv.Fields()[0] != c.field {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The key never appears in a message.
	_, err = jose.ParsePrivateKey(append([]byte("-----BEGIN PRIVATE KEY-----\n"), []byte("AAAA\n-----END PRIVATE KEY-----\n")...))
	if err == nil || strings.Contains(err.Error(), "AAAA") {
		t.Fatalf("%v", err)
	}
	_ = jwk.KeyIDKey
}

func headerToken(header string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + ".e30.c2ln"
}

func TestHeaderMembers(t *testing.T) {
	parsed, err := jose.Parse(headerToken(`{"alg":"RS256","typ":"JWT","kid":"a\u00e9","x5c":["A",null],"x5t#S256":"t",` +
		`"x5u":"u","jwk":{"kty":"EC"},"crit":null,"other":[{"deep":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	if h.Alg != "RS256" || h.Typ != "JWT" || h.Kid != "aé" || len(h.X5C) != 2 || h.X5C[0] != "A" || h.X5C[1] != "" ||
		h.X5TS256 != "t" || h.X5U != "u" || string(h.JWK) != `{"kty":"EC"}` || string(h.Crit) != "null" {
		t.Fatalf("%+v", h)
	}
	// Names are RFC 7515's, exactly: "ALG" is another member (encoding/json matched it as alg).
	parsed, err = jose.Parse(headerToken(`{"ALG":"none","Kid":"k","alg":"ES256"}`))
	if err != nil || parsed.Header.Alg != "ES256" || parsed.Header.Kid != "" {
		t.Fatalf("%+v %v", parsed, err)
	}
	for header, why := range map[string]string{
		`{"alg":"RS256","alg":"none"}`:      `has the member "alg" twice`,
		`{"alg":"RS256","\u0061lg":"none"}`: `has the member "alg" twice`,
		`{"x":1,"y":2,"x":[]}`:              `has the member "x" twice`,
		`{"alg":5}`:                         "member alg has the wrong JSON type (number)",
		`{"kid":{}}`:                        "member kid has the wrong JSON type (object)",
		`{"x5c":"MIIB"}`:                    "member x5c has the wrong JSON type (string)",
		`{"x5c":["MIIB",1]}`:                "member x5c has the wrong JSON type (number)",
		`{"x5t#S256":true}`:                 "member x5t#S256 has the wrong JSON type (bool)",
		`{"typ":1,"alg":"a","alg":"b"}`:     `has the member "alg" twice`,
		`{"alg":"RS256","x":[1,]}`:          "is not valid JSON",
		`{"alg":"RS256"} {}`:                "is not valid JSON",
		`{"alg":"RS256","alg":"none"`:       "is not valid JSON",
		` []`:                               "is not a JSON object",
		`{"crit":["exp"]}`:                  "has a crit member",
	} {
		var pe *jose.ParseError
		if _, err := jose.Parse(headerToken(header)); !errors.As(err, &pe) || pe.Part != "header" || !strings.Contains(pe.Why, why) {
			t.Errorf("%s: %v, want %q", header, err, why)
		}
	}
}

// TestDecodeClaimsPaths runs the same payloads through a ClaimsDecoder and through encoding/json:
// the same errors, a repeated claim refused by both.
func TestDecodeClaimsPaths(t *testing.T) {
	for name, decode := range map[string]func([]byte) (testClaims, error){
		"ClaimsDecoder": func(b []byte) (testClaims, error) {
			var c testClaims
			err := jose.DecodeClaims(b, &c)
			return c, err
		},
		"encoding/json": func(b []byte) (testClaims, error) {
			var c plainClaims
			err := jose.DecodeClaims(b, &c)
			return testClaims(c), err
		},
	} {
		c, err := decode([]byte(`{"iat":1700000000.5,"exp":1700000600,"aud":["x",null],"iss":"a\u00e9","list":[],"raw":[1, 2],"other":{"a":[]}}`))
		if err != nil || c.IssuedAt.Time().UnixMilli() != 1700000000500 || c.Expiry.Time().Unix() != 1700000600 || c.NotBefore.IsSet() ||
			len(c.Aud) != 2 || c.Aud[1] != "" || c.Iss != "aé" || c.List == nil || len(c.List) != 0 || string(c.Raw) != "[1, 2]" {
			t.Fatalf("%s: %+v %v", name, c, err)
		}
		for in, want := range map[string]error{
			`{"exp":"1700000000"}`:        &jose.ClaimError{Claim: "exp", Found: "string"},
			`{"exp":1e400}`:               &jose.ClaimError{Claim: "exp", Found: "number 1e400"},
			`{"nbf":-1}`:                  &jose.ClaimError{Claim: "nbf", Found: "number -1"},
			`{"iat":true}`:                &jose.ClaimError{Claim: "iat", Found: "boolean"},
			`{"aud":5}`:                   &jose.ClaimError{Claim: "aud", Found: "value"},
			`{"aud":["a",1]}`:             &jose.ClaimError{Claim: "aud", Found: "array with a non-string element"},
			`{"iss":5}`:                   &jose.ClaimError{Claim: "iss", Found: "number"},
			`{"list":[true]}`:             &jose.ClaimError{Claim: "list", Found: "bool"},
			`{"iss":5,"list":{}}`:         &jose.ClaimError{Claim: "iss", Found: "number"},
			`{"iss":5,"exp":"x","aud":1}`: &jose.ClaimError{Claim: "exp", Found: "string"}, // a date or aud first, as encoding/json
			`{"exp":1,"exp":2}`:           &jose.ParseError{Part: "payload", Why: `has the claim "exp" twice`},
			`{"x":1,"\u0078":2}`:          &jose.ParseError{Part: "payload", Why: `has the claim "x" twice`},
			`{"exp":"x","exp":2}`:         &jose.ParseError{Part: "payload", Why: `has the claim "exp" twice`},
			`{"exp":1,"exp":2,"a":`:       &jose.ParseError{Part: "payload", Why: "is not a valid JSON object"},
			`{"a":1} x`:                   &jose.ParseError{Part: "payload", Why: "is not a valid JSON object"},
			`null`:                        &jose.ParseError{Part: "payload", Why: "is not a valid JSON object"},
			`[]`:                          &jose.ParseError{Part: "payload", Why: "is not a valid JSON object"},
		} {
			if _, err := decode([]byte(in)); !reflect.DeepEqual(err, want) {
				t.Errorf("%s: %s: %#v, want %#v", name, in, err, want)
			}
		}
	}
	// The one difference: encoding/json matches a name case-insensitively, a ClaimsDecoder exactly.
	var fast testClaims
	var plain plainClaims
	if jose.DecodeClaims([]byte(`{"EXP":1}`), &fast) != nil || fast.Expiry.IsSet() ||
		jose.DecodeClaims([]byte(`{"EXP":1}`), &plain) != nil || !plain.Expiry.IsSet() {
		t.Fatalf("%+v %+v", fast, plain)
	}
}

// TestTimeClaimsIsNotAClaimsDecoder: every claims struct embeds TimeClaims; if it had DecodeClaim,
// they would all be ClaimsDecoders that read exp, iat and nbf only.
func TestTimeClaimsIsNotAClaimsDecoder(t *testing.T) {
	if _, ok := any(&jose.TimeClaims{}).(jose.ClaimsDecoder); ok {
		t.Fatal("TimeClaims implements ClaimsDecoder")
	}
}

func TestDecodeClaimsAsRepeated(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"a","jti":"b"}`))
	tok, err := jose.Parse("e30." + payload + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	var c testClaims
	err = tok.DecodeClaimsAs(secerr.Integrity, &c)
	var e *secerr.Error
	if !errors.As(err, &e) || e.Code() != "integrity.malformed" || !strings.HasSuffix(e.Detail, `payload has the claim "jti" twice`) {
		t.Fatalf("%v", err)
	}
}
