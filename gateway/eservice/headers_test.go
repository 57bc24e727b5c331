package eservice

import (
	"bufio"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// headersOf must give what net/http would: canonical names, every value of a repeated header in
// order, empty values kept, and strings that stay valid after fasthttp reuses its buffers.
func TestHeadersOfCopiesEveryHeaderCanonically(t *testing.T) {
	app := fiber.New()
	rc := &fasthttp.RequestCtx{}
	raw := "POST /x HTTP/1.1\r\nHost: gw\r\nagid-jwt-signature: eyJ.a.b\r\nX-Custom: one\r\nx-custom: two\r\n" +
		"Digest: SHA-256=abc+/=\r\nX-Empty: \r\nContent-Length: 0\r\n\r\n"
	if err := rc.Request.Header.Read(bufioReader(raw)); err != nil {
		t.Fatal(err)
	}
	ctx := app.AcquireCtx(rc)
	defer app.ReleaseCtx(ctx)
	got := headersOf(ctx)
	want := http.Header{
		"Host":               {"gw"},
		"Agid-Jwt-Signature": {"eyJ.a.b"},
		"X-Custom":           {"one", "two"},
		"Digest":             {"SHA-256=abc+/="},
		"X-Empty":            {""},
		"Content-Length":     {"0"},
	}
	rc.Request.Header.Reset() // fasthttp reuses the buffers: the copy must not change
	rc.Request.Header.Set("X-Custom", "overwritten-overwritten-overwritten")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("headersOf =\n%v\nwant\n%v", got, want)
	}
	if got.Get("agid-jwt-signature") != "eyJ.a.b" {
		t.Fatal("lookup by a non-canonical name fails")
	}
	got.Add("X-Custom", "three") // appending to one header must not write into another's value
	if got.Get("Digest") != "SHA-256=abc+/=" || len(got["X-Custom"]) != 3 {
		t.Fatalf("%v", got)
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// matchPath matches Fiber parameters against whole, non-empty segments, and nothing else.
func TestMatchPath(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"/ricerca", "/ricerca", true},
		{"/ricerca", "/ricerca/", false},
		{"/ricerca", "/Ricerca", false},
		{"/estrazioni/:id", "/estrazioni/42", true},
		{"/estrazioni/:id", "/estrazioni/", false},
		{"/estrazioni/:id", "/estrazioni", false},
		{"/estrazioni/:id", "/estrazioni/42/risultato", false},
		{"/estrazioni/:id/risultato", "/estrazioni/42/risultato", true},
		{"/estrazioni/:id/risultato", "/estrazioni/42/stato", false},
		{"/:a/:b", "/x/y", true},
		{"/:a/:b", "//y", false},
		{"", "", true},
		{"/", "/", true},
		{"/", "", false},
	} {
		if got := matchPath(c.pattern, c.path); got != c.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}
