package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// FuzzInspect: inspect decodes and checks anything an integrator pastes, without panicking, and
// always reports a structural problem for input that is not a token or a Digest value.
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJub25lIn0.eyJleHAiOiIxIn0.",
		"eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJhdWQiOlsxXSwiZGlnZXN0Ijp7ImFsZyI6MX19.c2ln",
		"eyJ0eXAiOiJkcG9wK2p3dCIsImp3ayI6eyJkIjoieCJ9fQ.eyJodHUiOiJodHRwczovL3g_eT0xIn0.c2ln",
		"SHA-256=abc", "sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "a.b.c.d.e", "...", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ic := &inspectContext{now: time.Unix(1772445600, 0), skew: 5 * time.Second, headers: http.Header{"Digest": {raw}},
			body: []byte(raw), hasBody: true, evidence: raw}
		in := decodeToken("fuzz", "", raw)
		ic.voucher = decodeToken("fuzz", kindVoucher, raw)
		ic.check(in)
		if in.Kind != kindDigest && (in.Header == nil || in.Claims == nil) && len(in.Problems) == 0 {
			t.Fatalf("undecodable input %q reported no problem", raw)
		}
		var out bytes.Buffer
		_ = report(&out, []*inspection{in}, true)
	})
}
