package eservice_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/welfaregov/gateway/gateway/config"
	"github.com/welfaregov/gateway/gateway/eservice"
	"github.com/welfaregov/gateway/gateway/jose"
	"github.com/welfaregov/gateway/gateway/modi"
)

func TestSettingsCheck(t *testing.T) {
	valid := func() eservice.Settings {
		return eservice.Settings{Security: modi.Policy{Audience: "https://api.example.it/x/v1"}}
	}
	for name, c := range map[string]struct {
		mod        func(*eservice.Settings)
		publicBase string
		fields     []string
	}{
		"ok/minimal":        {func(*eservice.Settings) {}, "https://api.example.it", nil},
		"ok/own-public-url": {func(s *eservice.Settings) { s.PublicURL = "https://proxy.example.it/x" }, "", nil},
		"ok/every-feature": {func(s *eservice.Settings) {
			s.Mount = "/rest/x/v1"
			s.RateLimit = eservice.RateLimit{Requests: 5, Period: config.Duration(60e9)}
			s.Concurrency = 8
			s.BodyLimit = 1024
		}, "https://a.it", nil},
		"fail/no-public-url":    {func(*eservice.Settings) {}, "", []string{"public_url"}},
		"fail/relative-url":     {func(s *eservice.Settings) { s.PublicURL = "api.example.it/x" }, "", []string{"public_url"}},
		"fail/url-with-query":   {func(s *eservice.Settings) { s.PublicURL = "https://a.it/x?y=1" }, "", []string{"public_url"}},
		"fail/url-trailing":     {func(s *eservice.Settings) { s.PublicURL = "https://a.it/x/" }, "", []string{"public_url"}},
		"fail/mount-upper":      {func(s *eservice.Settings) { s.Mount = "/Rest/X" }, "https://a.it", []string{"mount"}},
		"fail/mount-param":      {func(s *eservice.Settings) { s.Mount = "/x/:id" }, "https://a.it", []string{"mount"}},
		"fail/mount-trailing":   {func(s *eservice.Settings) { s.Mount = "/x/" }, "https://a.it", []string{"mount"}},
		"fail/body-over":        {func(s *eservice.Settings) { s.BodyLimit = 2 << 20 }, "https://a.it", []string{"body_limit"}},
		"fail/rate-no-period":   {func(s *eservice.Settings) { s.RateLimit.Requests = 10 }, "https://a.it", []string{"rate_limit.period"}},
		"fail/rate-no-requests": {func(s *eservice.Settings) { s.RateLimit.Period = config.Duration(60e9) }, "https://a.it", []string{"rate_limit.requests"}},
		"fail/rate-tiny-period": {func(s *eservice.Settings) {
			s.RateLimit = eservice.RateLimit{Requests: 1, Period: config.Duration(1e6)}
		}, "https://a.it", []string{"rate_limit.period"}},
		"fail/concurrency":       {func(s *eservice.Settings) { s.Concurrency = -1 }, "https://a.it", []string{"concurrency"}},
		"fail/security-audience": {func(s *eservice.Settings) { s.Security.Audience = "" }, "https://a.it", []string{"security.audience"}},
		"fail/security-pattern":  {func(s *eservice.Settings) { s.Security.Integrity.Pattern = "INTEGRITY_REST_03" }, "https://a.it", []string{"security.integrity.pattern"}},
		"fail/signing-no-key": {func(s *eservice.Settings) { s.ResponseSigning = &eservice.ResponseSigning{Key: jose.KeyConfig{}} },
			"https://a.it", []string{"response_signing.key.private_key"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := valid()
			c.mod(&s)
			ck := config.NewChecker()
			s.Check(ck.At("x"), "/rest/x/v1", c.publicBase, 1<<20)
			var got []string
			for _, p := range ck.Problems() {
				got = append(got, strings.TrimPrefix(p.Field, "x."))
			}
			if !slices.Equal(got, c.fields) {
				t.Fatalf("problems %v, want fields %v", ck.Problems(), c.fields)
			}
		})
	}
}

func TestResolved(t *testing.T) {
	s := eservice.Settings{}
	if m, u := s.Resolved("/rest/x/v1", "https://a.it/"); m != "/rest/x/v1" || u != "https://a.it/rest/x/v1" {
		t.Fatalf("defaults: %s %s", m, u)
	}
	s = eservice.Settings{Mount: "/y", PublicURL: "https://proxy.it/z"}
	if m, u := s.Resolved("/rest/x/v1", "https://a.it"); m != "/y" || u != "https://proxy.it/z" {
		t.Fatalf("configured: %s %s", m, u)
	}
}

func TestWithServer(t *testing.T) {
	doc := "openapi: 3.0.3\ninfo:\n  title: t\n# a comment\nservers:\n  - url: https://api.example.com/waas/v1\n    description: x\n- url: second\npaths:\n  /a: {}\n"
	got := string(eservice.WithServer([]byte(doc), "https://gw.it/waas/v1"))
	want := "openapi: 3.0.3\ninfo:\n  title: t\n# a comment\nservers:\n- url: \"https://gw.it/waas/v1\"\n  description: questa installazione del gateway WelfareGOV\npaths:\n  /a: {}\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(eservice.WithServer([]byte("openapi: 3.0.3\npaths: {}"), "http://127.0.0.1:1/x")); !strings.HasSuffix(got, "paths: {}\nservers:\n- url: \"http://127.0.0.1:1/x\"\n  description: questa installazione del gateway WelfareGOV\n  x-sandbox: true\n") {
		t.Fatalf("appended servers: %q", got)
	}
}
