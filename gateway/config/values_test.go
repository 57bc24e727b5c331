package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	ok := map[string]Size{
		"0": 0, "512": 512, "100B": 100, "64KiB": 64 << 10, "1MiB": 1 << 20, "2 MiB": 2 << 20, "1GiB": 1 << 30,
		"1024GiB": 1 << 40,
	}
	for in, want := range ok {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"1MB":                   "use binary units",
		"10k":                   "use binary units",
		"1.5MiB":                "not a size",
		"-1":                    "not a size",
		"lots":                  "not a size",
		"":                      "not a size",
		"2048GiB":               "larger than 1TiB",
		strings.Repeat("9", 40): "longer than",
	}
	for in, want := range bad {
		if _, err := ParseSize(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSize(%q) error %v, want %q", in, err, want)
		}
	}
}

func TestSizeString(t *testing.T) {
	for s, want := range map[Size]string{0: "0B", 100: "100B", 1 << 20: "1MiB", 1536 << 10: "1536KiB", 3 << 30: "3GiB"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int64(s), s.String(), want)
		}
		back, err := ParseSize(s.String())
		if err != nil || back != s {
			t.Errorf("round trip of %d: %d, %v", int64(s), back, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	ok := map[string]time.Duration{"250ms": 250 * time.Millisecond, "30s": 30 * time.Second, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour, "0s": 0}
	for in, want := range ok {
		got, err := ParseDuration(in)
		if err != nil || got.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"30", "soon", "1x", "-1d", "36501d", strings.Repeat("1", 100) + "s", ""} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WGW_TEST_SECRET_SET", "from-env")
	t.Setenv("WGW_TEST_SECRET_EMPTY", "")

	t.Run("ok/file-trims-newline", func(t *testing.T) {
		v, err := Secret{File: file}.Value()
		if err != nil || string(v) != "s3cret" {
			t.Fatalf("%q %v", v, err)
		}
	})
	t.Run("ok/env", func(t *testing.T) {
		v, err := Secret{Env: "WGW_TEST_SECRET_SET"}.Value()
		if err != nil || string(v) != "from-env" {
			t.Fatalf("%q %v", v, err)
		}
	})
	t.Run("fail/empty-env-value", func(t *testing.T) {
		if _, err := (Secret{Env: "WGW_TEST_SECRET_EMPTY"}).Value(); err == nil {
			t.Fatal("empty variable accepted")
		}
	})

	cases := map[string]struct {
		s        Secret
		required bool
		want     []problem
	}{
		"ok/file":             {Secret{File: file}, true, nil},
		"ok/env":              {Secret{Env: "WGW_TEST_SECRET_SET"}, true, nil},
		"ok/unset-optional":   {Secret{}, false, nil},
		"fail/unset-required": {Secret{}, true, []problem{{"admin_token", "required"}}},
		"fail/both":           {Secret{File: file, Env: "X"}, true, []problem{{"admin_token", "either file or env"}}},
		"fail/missing-file":   {Secret{File: filepath.Join(dir, "nope")}, true, []problem{{"admin_token.file", "cannot read"}}},
		"fail/unset-env":      {Secret{Env: "WGW_TEST_SECRET_UNSET"}, true, []problem{{"admin_token.env", "not set or empty"}}},
		"fail/empty-env":      {Secret{Env: "WGW_TEST_SECRET_EMPTY"}, true, []problem{{"admin_token.env", "not set or empty"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ck := NewChecker()
			tc.s.Check(ck, "admin_token", tc.required)
			assertProblems(t, ck, tc.want)
		})
	}
}

func TestCheckAddress(t *testing.T) {
	cases := map[string]struct {
		addr     string
		zeroPort bool
		want     string
	}{
		"ok/ipv4":           {"127.0.0.1:8080", false, ""},
		"ok/ipv6":           {"[::1]:8443", false, ""},
		"ok/any-interface":  {":9090", false, ""},
		"ok/name":           {"gateway.internal:8080", false, ""},
		"ok/port-zero":      {"127.0.0.1:0", true, ""},
		"fail/empty":        {"", false, "required"},
		"fail/no-port":      {"127.0.0.1", false, "not host:port"},
		"fail/port-word":    {"127.0.0.1:http", false, "is not a number"},
		"fail/port-range":   {"127.0.0.1:99999", false, "out of range"},
		"fail/port-zero":    {"127.0.0.1:0", false, "give a fixed port"},
		"fail/url-not-addr": {"http://127.0.0.1:80", false, "not host:port"},
		"fail/bad-host":     {"a b:80", false, "not a host name"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ck := NewChecker()
			CheckAddress(ck.At("listeners").At("admin"), "address", tc.addr, tc.zeroPort)
			var want []problem
			if tc.want != "" {
				want = []problem{{"listeners.admin.address", tc.want}}
			}
			assertProblems(t, ck, want)
		})
	}
}

func TestCheckURL(t *testing.T) {
	cases := map[string]struct {
		raw      string
		required bool
		want     string
	}{
		"ok/https":         {"https://pdnd.example/token", true, ""},
		"ok/empty":         {"", false, ""},
		"fail/required":    {"", true, "required"},
		"fail/scheme":      {"ftp://x.example", true, "scheme must be https or http"},
		"fail/no-host":     {"https:///path", true, "has no host"},
		"fail/not-url":     {"https://[::1", true, "is not a URL"},
		"fail/relative":    {"/token", true, "scheme must be"},
		"fail/no-password": {"ftp://user:hunter2@x.example", true, "scheme must be"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ck := NewChecker()
			CheckURL(ck, "url", tc.raw, tc.required, "https", "http")
			var want []problem
			if tc.want != "" {
				want = []problem{{"url", tc.want}}
			}
			assertProblems(t, ck, want)
			if err := ck.Err(); err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("password echoed: %v", err)
			}
		})
	}
}

func TestOneOf(t *testing.T) {
	ck := NewChecker()
	OneOf(ck, "level", "", "debug", "info")
	OneOf(ck, "level", "info", "debug", "info")
	OneOf(ck, "level", "inf", "debug", "info")
	assertProblems(t, ck, []problem{{"level", `"inf" is not one of debug, info (did you mean "info"?)`}})
}

func TestCheckerPaths(t *testing.T) {
	ck := NewChecker()
	ck.At("purposes").Index(2).Errorf("id", "x")
	ck.At("a").At("b").Errorf("", "y")
	ck.At("list").Errorf("[0]", "z")
	ck.Errorf("top", "w")
	var got []string
	for _, p := range ck.Problems() {
		got = append(got, p.Field)
	}
	if strings.Join(got, " ") != "purposes[2].id a.b list[0] top" {
		t.Fatalf("paths %v", got)
	}
	if NewChecker().Err() != nil {
		t.Fatal("empty checker has an error")
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1MiB", "512", "1MB", "-1", "9999999999GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			return
		}
		if v < 0 || v > maxSize {
			t.Fatalf("ParseSize(%q) = %d out of bounds", s, v)
		}
		if back, err := ParseSize(v.String()); err != nil || back != v {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", s, v, v.String(), back, err)
		}
	})
}
