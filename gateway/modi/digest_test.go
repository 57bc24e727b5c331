package modi_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/modi"
	"github.com/welfaregov/gateway/gateway/pdnd"
)

// TestDigestVectors are the known answers of pdnd-modi.md §6, computed independently there.
func TestDigestVectors(t *testing.T) {
	for in, want := range map[string]string{
		// ModI and PDND docs print this digest next to {"testo": "Ciao mondo"} (capital C): the
		// digest belongs to the lowercase body.
		`{"testo": "ciao mondo"}`: "SHA-256=cFfTOCesrWTLVzxn8fmHl4AcrUs40Lv5D275FmAZ96E=",
		`{"testo": "Ciao mondo"}`: "SHA-256=hPq3xjgxGMr98LL2/lP2Y66DVCTcXdwL+YpNQD/gmvk=",
		`{"hello": "world"}`:      "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
	} {
		if got := modi.Digest([]byte(in)); got != want {
			t.Errorf("Digest(%s) = %s, want %s", in, got, want)
		}
	}
	if modi.Digest([]byte(`{"testo": "Ciao mondo"}`)) == "SHA-256=cFfTOCesrWTLVzxn8fmHl4AcrUs40Lv5D275FmAZ96E=" {
		t.Fatal("the published Ciao mondo pairing must not match")
	}
}

// TestAuditDigestVectors: the AUDIT_REST_02 digest.value of the §6 JWS, and PDND's published
// value (which hashes the JWS plus a newline) as a negative.
func TestAuditDigestVectors(t *testing.T) {
	const jws = "eyJhbGciOiJIUzI1NiIsImtpZCI6IlptWXhaR0UyWWpRdE16WTJZeTAwTldJNUxUaGpOR0l0TURKbVltUXlaR0l5TW1aaCIsInR5cCI6ImF0K2p3dCJ9.eyJqdGkiOiJkc2Zkc2Zkc2ZkcyIsImEiOiJiIn0.2QcY5UpoE2PgJhe1FKnHx-SZZq_NS6AKDTlfFdpVP9Q"
	d := pdnd.AuditDigest(jws)
	if d.Alg != "SHA256" || d.Value != "79ba8c02000c582fbd1631197e83640d0fb0ecb33f1ef641e7c633ac3df556e5" {
		t.Fatalf("%+v", d)
	}
	const published = "5db26201b684761d2b970329ab8596773164ba1b43b1559980e20045941b8065"
	if d.Value == published {
		t.Fatal("a trailing newline must not match")
	}
	if pdnd.AuditDigest(jws+"\n").Value != published {
		t.Fatal("the published value is the hash of the JWS plus a newline")
	}
}

func TestParseDigest(t *testing.T) {
	sum, err := modi.ParseDigest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
	if err != nil || hex.EncodeToString(sum[:])[:8] != "5f8f04f6" {
		t.Fatalf("%x %v", sum, err)
	}
	if _, err := modi.ParseDigest("MD5=abc, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="); err != nil {
		t.Fatalf("a list with SHA-256: %v", err)
	}
	for in, wantMsg := range map[string]string{
		"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE":                              "no algorithm prefix",
		"SHA-256=5f8f04f6a3a892aaabbddb6cf273894493773960d4a325b105fee46eef4304f1": "hexadecimal; ModI requires standard base64 (SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=)",
		"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE":                      "not standard base64 with padding",
		"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE_":                     "not standard base64",
		"SHA-256=AAAA": "decodes to 3 bytes",
		"SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==": "no SHA-256= digest",
	} {
		_, err := modi.ParseDigest(in)
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("ParseDigest(%q) = %v, want %q", in, err, wantMsg)
		}
	}
}

func TestParseSignedHeaders(t *testing.T) {
	got, err := modi.ParseSignedHeaders([]byte(`[{"Digest":"SHA-256=x"},{"content-type":"application/json"}]`))
	if err != nil || len(got) != 2 || got[0].Name != "digest" || got[1].Value != "application/json" {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := modi.ParseSignedHeaders([]byte(`[]`)); err != nil || len(got) != 0 {
		t.Fatalf("empty array: %v", err)
	}
	for in, wantMsg := range map[string]string{
		`{"digest":"x"}`:                      "is a JSON object; it must be an array",
		`"digest"`:                            "is not a JSON array",
		`[{"digest":"x","content-type":"y"}]`: "entry 0 has more than one member",
		`[{"digest":1}]`:                      `entry 0 member "digest" has a number as value`,
		`[{"digest":null}]`:                   `has null as value`,
		`[{}]`:                                "entry 0 is an empty object",
		`["digest"]`:                          "entry 0 is a string, not an object",
		`[[{"digest":"x"}]]`:                  "entry 0 is an array",
		`[{"digest":"x"},{"DIGEST":"y"}]`:     "lists digest twice",
		`[{"digest":"x"}] []`:                 "not valid JSON",
		`[{"digest":"x"}`:                     "not valid JSON",
		`null`:                                "is absent",
		`[{"digest":{"v":"x"}}]`:              "has an object as value",
	} {
		_, err := modi.ParseSignedHeaders([]byte(in))
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("ParseSignedHeaders(%s) = %v, want %q", in, err, wantMsg)
		}
	}
}

// TestParseSignedHeadersValidatesFirst: the claim is read with jsonscan in one pass; invalid JSON
// anywhere is still reported as such, before a wrong entry seen earlier.
func TestParseSignedHeadersValidatesFirst(t *testing.T) {
	var many []string
	for i := range 33 {
		many = append(many, fmt.Sprintf(`{"x-%d":"y"}`, i))
	}
	for in, wantMsg := range map[string]string{
		"[" + strings.Join(many, ",") + "]":    "has more than 32 entries",
		`[{"digest":1}, x]`:                    "not valid JSON",
		`[{"a":"b","c":"d"}, {"e":"f"}`:        "not valid JSON",
		`[{"digest":"x"},{"digest":"y"},[1,]]`: "not valid JSON",
		`[{"":"x"}]`:                           "entry 0 has an invalid member name",
		`[{"digest":"x"},{"a":true}]`:          `entry 1 member "a" has a boolean as value`,
	} {
		_, err := modi.ParseSignedHeaders([]byte(in))
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("ParseSignedHeaders(%.60s) = %v, want %q", in, err, wantMsg)
		}
	}
	got, err := modi.ParseSignedHeaders([]byte(" [ {\"Cont\\u0065nt-Type\" : \"a\\/b\"} ] \n"))
	if err != nil || len(got) != 1 || got[0] != (modi.SignedHeader{Name: "content-type", Value: "a/b"}) {
		t.Fatalf("%+v %v", got, err)
	}
}
