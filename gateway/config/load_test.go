package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type testTLS struct {
	Mode     string `yaml:"mode"`
	CertFile string `yaml:"cert_file"`
}

type testListener struct {
	Address   string   `yaml:"address"`
	Timeout   Duration `yaml:"timeout"`
	BodyLimit Size     `yaml:"body_limit"`
	TLS       testTLS  `yaml:"tls"`
	Enabled   bool     `yaml:"enabled"`
	Workers   int      `yaml:"workers"`
}

type testUpstream struct {
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout"`
}

type testCommon struct {
	Name string `yaml:"name"`
}

type testConfig struct {
	testCommon `yaml:",inline"`
	Listeners  struct {
		Admin    testListener `yaml:"admin"`
		Internal testListener `yaml:"internal"`
	} `yaml:"listeners"`
	Upstreams map[string]testUpstream `yaml:"upstreams"`
	Hosts     []string                `yaml:"hosts"`
	Password  Secret                  `yaml:"password"`
	Purposes  []struct {
		ID string `yaml:"id"`
	} `yaml:"purposes"`
	Ignored string `yaml:"-"`
}

const fullYAML = `
name: demo
listeners:
  admin:
    address: 127.0.0.1:9090
    timeout: 30s
    body_limit: 1MiB
    tls: {mode: files, cert_file: /etc/gw/cert.pem}
    enabled: true
    workers: 4
upstreams:
  inps: {url: "https://inps.example", timeout: 5s}
hosts: [a.example, b.example]
password: {env: WGW_TEST_PASSWORD}
purposes:
  - id: p1
  - id: p2
`

func decodeT(t *testing.T, yamlText string, env ...string) (testConfig, Checker) {
	t.Helper()
	var c testConfig
	ck := NewChecker()
	Decode(ck, "test.yaml", []byte(yamlText), env, &c)
	return c, ck
}

func TestDecodeFull(t *testing.T) {
	c, ck := decodeT(t, fullYAML)
	if err := ck.Err(); err != nil {
		t.Fatalf("unexpected problems: %v", err)
	}
	a := c.Listeners.Admin
	if c.Name != "demo" || a.Address != "127.0.0.1:9090" || a.Timeout.D() != 30*time.Second ||
		a.BodyLimit != 1<<20 || a.TLS.Mode != "files" || !a.Enabled || a.Workers != 4 {
		t.Fatalf("decoded %+v", c)
	}
	if c.Upstreams["inps"].Timeout.D() != 5*time.Second || len(c.Hosts) != 2 || c.Password.Env != "WGW_TEST_PASSWORD" ||
		len(c.Purposes) != 2 || c.Purposes[1].ID != "p2" {
		t.Fatalf("decoded %+v", c)
	}
}

func TestDecodeAnchorsAndMerge(t *testing.T) {
	c, ck := decodeT(t, `
listeners:
  admin: &admin
    address: 127.0.0.1:1
    timeout: 7s
  internal:
    <<: *admin
    address: 127.0.0.1:2
`)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	if c.Listeners.Internal.Timeout.D() != 7*time.Second || c.Listeners.Internal.Address != "127.0.0.1:2" {
		t.Fatalf("merge: %+v", c.Listeners.Internal)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"WGW_LISTENERS__ADMIN__ADDRESS=127.0.0.1:9191",
		"WGW_LISTENERS__ADMIN__TIMEOUT=45s",
		"WGW_LISTENERS__INTERNAL__TLS__MODE=dev", // a section absent from the file
		"WGW_UPSTREAMS__INPS__TIMEOUT=9s",        // a map key, matched case-insensitively
		"WGW_UPSTREAMS__ANPR__URL=https://anpr.example",
		"WGW_HOSTS=[c.example]",
		"WGW_PURPOSES__1__ID=p2-env",
		"WGW_PASSWORD__FILE=/run/secrets/pw", // a secret's source, key by key
		"WGW_LISTENERS__ADMIN__WORKERS=",     // empty: back to the default
		"WGW_NAME=a: b",                      // strings are verbatim, not YAML
		"WGW_SAMPLES_DIR=/somewhere",         // tooling, not an override
		"WGW_TEST_PASSWORD=secret",           // named by the file as a secret source: not an override
		"OTHER=ignored",
	}
	c, ck := decodeT(t, fullYAML, env...)
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	got := []any{c.Listeners.Admin.Address, c.Listeners.Admin.Timeout.D(), c.Listeners.Internal.TLS.Mode,
		c.Upstreams["inps"].Timeout.D(), c.Upstreams["inps"].URL, c.Upstreams["anpr"].URL, c.Hosts,
		c.Purposes[1].ID, c.Password, c.Name, c.Listeners.Admin.Workers}
	want := []any{"127.0.0.1:9191", 45 * time.Second, "dev", 9 * time.Second, "https://inps.example",
		"https://anpr.example", []string{"c.example"}, "p2-env", Secret{File: "/run/secrets/pw", Env: "WGW_TEST_PASSWORD"}, "a: b", 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestEnvOverrideDoesNotChangeAnchor(t *testing.T) {
	c, ck := decodeT(t, `
listeners:
  admin: &a {address: 127.0.0.1:1, tls: {mode: off}}
  internal: *a
`, "WGW_LISTENERS__INTERNAL__TLS__MODE=files")
	if err := ck.Err(); err != nil {
		t.Fatal(err)
	}
	if c.Listeners.Admin.TLS.Mode != "off" || c.Listeners.Internal.TLS.Mode != "files" {
		t.Fatalf("admin %q internal %q", c.Listeners.Admin.TLS.Mode, c.Listeners.Internal.TLS.Mode)
	}
}

// problem is one expected FieldError: the exact field path and a fragment of the message.
type problem struct{ field, contains string }

func TestDecodeRejections(t *testing.T) {
	tests := map[string]struct {
		yaml string
		env  []string
		want []problem
	}{
		"fail/unknown-key-with-suggestion": {
			yaml: "listeners:\n  admin:\n    adress: 127.0.0.1:1\n",
			want: []problem{{"listeners.admin.adress", `unknown key (did you mean "address"?) at test.yaml:3`}},
		},
		"fail/unknown-key-lists-valid-keys": {
			yaml: "listeners:\n  admin:\n    tls:\n      zzz: 1\n",
			want: []problem{{"listeners.admin.tls.zzz", "unknown key (valid keys: cert_file, mode)"}},
		},
		"fail/unknown-top-level-key": {
			yaml: "listners: {}\n",
			want: []problem{{"listners", `did you mean "listeners"?`}},
		},
		"fail/unknown-key-in-map-element": {
			yaml: "upstreams:\n  inps: {url: x, timout: 1s}\n",
			want: []problem{{"upstreams.inps.timout", `did you mean "timeout"?`}},
		},
		"fail/unknown-key-in-list-element": {
			yaml: "purposes:\n  - id: a\n  - idd: b\n",
			want: []problem{{"purposes[1].idd", `did you mean "id"?`}},
		},
		"fail/bad-duration": {
			yaml: "listeners: {admin: {timeout: soon}}\n",
			want: []problem{{"listeners.admin.timeout", `"soon" is not a duration`}},
		},
		"fail/bare-number-duration": {
			yaml: "listeners: {admin: {timeout: 30}}\n",
			want: []problem{{"listeners.admin.timeout", `"30" is not a duration`}},
		},
		"fail/bad-size": {
			yaml: "listeners: {admin: {body_limit: 1MB}}\n",
			want: []problem{{"listeners.admin.body_limit", "use binary units"}},
		},
		"fail/bad-int": {
			yaml: "listeners: {admin: {workers: many}}\n",
			want: []problem{{"listeners.admin.workers", `want a whole number, got "many" at test.yaml:1`}},
		},
		"fail/bad-bool": {
			yaml: "listeners: {admin: {enabled: perhaps}}\n",
			want: []problem{{"listeners.admin.enabled", "want true or false"}},
		},
		"fail/mapping-for-string": {
			yaml: "listeners: {admin: {address: {host: x}}}\n",
			want: []problem{{"listeners.admin.address", "want a string, got a mapping"}},
		},
		"fail/scalar-for-section": {
			yaml: "listeners: yes please\n",
			want: []problem{{"listeners", `want a mapping of keys, got "yes please"`}},
		},
		"fail/scalar-for-list": {
			yaml: "hosts: a.example\n",
			want: []problem{{"hosts", "want a list"}},
		},
		"fail/inline-secret-is-not-echoed": {
			yaml: "password: hunter2\n",
			want: []problem{{"password", "a secret is never written inline"}},
		},
		"fail/syntax": {
			yaml: "listeners:\n  admin: [\n",
			want: []problem{{"test.yaml", "line"}},
		},
		"fail/top-level-list": {
			yaml: "- a\n- b\n",
			want: []problem{{"test.yaml", "the top level must be a mapping"}},
		},
		"fail/every-problem-reported": {
			yaml: "listeners:\n  admin:\n    adress: x\n    timeout: 3\n  internal:\n    body_limit: lots\nextra: 1\n",
			want: []problem{
				{"listeners.admin.adress", "unknown key"},
				{"listeners.admin.timeout", "not a duration"},
				{"listeners.internal.body_limit", "not a size"},
				{"extra", "unknown key"},
			},
		},
		"fail/env-unknown-key": {
			env:  []string{"WGW_LISTENERS__ADMIN__ADRESS=127.0.0.1:1"},
			want: []problem{{"WGW_LISTENERS__ADMIN__ADRESS", `no configuration key listeners.admin.adress (did you mean "address"?)`}},
		},
		"fail/env-unknown-section": {
			env:  []string{"WGW_LISTENER__ADMIN__ADDRESS=x"},
			want: []problem{{"WGW_LISTENER__ADMIN__ADDRESS", `no configuration key listener (did you mean "listeners"?)`}},
		},
		"fail/env-past-a-leaf": {
			env:  []string{"WGW_NAME__X=1"},
			want: []problem{{"WGW_NAME__X", `name is a single value: it has no key "x"`}},
		},
		"fail/env-empty-segment": {
			env:  []string{"WGW_LISTENERS____ADMIN=1"},
			want: []problem{{"WGW_LISTENERS____ADMIN", "empty key"}},
		},
		"fail/env-list-index-out-of-range": {
			yaml: "purposes: [{id: a}]\n",
			env:  []string{"WGW_PURPOSES__3__ID=x"},
			want: []problem{{"WGW_PURPOSES__3__ID", "purposes has no element 3"}},
		},
		"fail/env-list-index-not-a-number": {
			yaml: "purposes: [{id: a}]\n",
			env:  []string{"WGW_PURPOSES__FIRST__ID=x"},
			want: []problem{{"WGW_PURPOSES__FIRST__ID", "want an element index"}},
		},
		"fail/env-bad-value-names-variable": {
			env:  []string{"WGW_LISTENERS__ADMIN__TIMEOUT=forever"},
			want: []problem{{"listeners.admin.timeout", `"forever" is not a duration (use a unit: 500ms, 30s, 5m, 1h, 1d) in WGW_LISTENERS__ADMIN__TIMEOUT`}},
		},
		"fail/env-flow-mapping-unknown-key": {
			env:  []string{"WGW_LISTENERS__ADMIN__TLS={mode: files, key: x}"},
			want: []problem{{"listeners.admin.tls.key", "unknown key"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, ck := decodeT(t, tc.yaml, tc.env...)
			assertProblems(t, ck, tc.want)
		})
	}
}

func assertProblems(t *testing.T, ck Checker, want []problem) {
	t.Helper()
	got := ck.Problems()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), ck.Err())
	}
	for i, w := range want {
		if got[i].Field != w.field || !strings.Contains(got[i].Message, w.contains) {
			t.Errorf("problem %d = %q: %q\nwant field %q with %q", i, got[i].Field, got[i].Message, w.field, w.contains)
		}
	}
}

func TestDecodeDoesNotEchoInlineSecret(t *testing.T) {
	_, ck := decodeT(t, "password: hunter2\n")
	if err := ck.Err(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("hosts: *a8\n")
	done := make(chan Checker)
	go func() {
		_, ck := decodeT(t, b.String())
		done <- ck
	}()
	select {
	case ck := <-done:
		if err := ck.Err(); err == nil {
			t.Fatal("a file expanding to 10^9 nodes was accepted")
		}
	case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("decoding did not stop")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(path, []byte(fullYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	var c testConfig
	ck := NewChecker()
	Load(ck, path, nil, &c)
	if err := ck.Err(); err != nil || c.Name != "demo" {
		t.Fatalf("err %v, name %q", err, c.Name)
	}

	t.Run("fail/missing", func(t *testing.T) {
		ck := NewChecker()
		Load(ck, filepath.Join(dir, "nope.yaml"), nil, &c)
		assertProblems(t, ck, []problem{{filepath.Join(dir, "nope.yaml"), "configuration file not found"}})
	})
	t.Run("fail/too-large", func(t *testing.T) {
		big := filepath.Join(dir, "big.yaml")
		if err := os.WriteFile(big, make([]byte, maxConfigBytes+1), 0o600); err != nil {
			t.Fatal(err)
		}
		ck := NewChecker()
		Load(ck, big, nil, &c)
		assertProblems(t, ck, []problem{{big, "larger than"}})
	})
	t.Run("ok/empty-file-means-defaults", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.yaml")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var c testConfig
		ck := NewChecker()
		Load(ck, empty, nil, &c)
		if err := ck.Err(); err != nil || !reflect.DeepEqual(c, testConfig{}) {
			t.Fatalf("err %v, config %+v", err, c)
		}
	})
}

func TestInvalidError(t *testing.T) {
	_, ck := decodeT(t, "extra: 1\nlisteners: {admin: {timeout: x}}\n")
	err := ck.Err()
	var inv *Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("err %T is not *Invalid", err)
	}
	if got := inv.Fields(); !reflect.DeepEqual(got, []string{"extra", "listeners.admin.timeout"}) {
		t.Fatalf("fields %v", got)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || lines[0] != "invalid configuration:" || !strings.HasPrefix(lines[1], "  extra: unknown key") {
		t.Fatalf("message:\n%s", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "extra" {
		t.Fatalf("errors.As FieldError: %v", fe)
	}
}

func TestKeys(t *testing.T) {
	keys := Keys(testConfig{})
	byPath := map[string]Key{}
	for _, k := range keys {
		byPath[k.Path] = k
	}
	want := []Key{
		{"name", "WGW_NAME", "string"},
		{"listeners.admin.address", "WGW_LISTENERS__ADMIN__ADDRESS", "string"},
		{"listeners.admin.timeout", "WGW_LISTENERS__ADMIN__TIMEOUT", "duration"},
		{"listeners.admin.body_limit", "WGW_LISTENERS__ADMIN__BODY_LIMIT", "size"},
		{"listeners.internal.tls.cert_file", "WGW_LISTENERS__INTERNAL__TLS__CERT_FILE", "string"},
		{"listeners.admin.enabled", "WGW_LISTENERS__ADMIN__ENABLED", "boolean"},
		{"listeners.admin.workers", "WGW_LISTENERS__ADMIN__WORKERS", "integer"},
		{"upstreams.<name>.timeout", "WGW_UPSTREAMS__<NAME>__TIMEOUT", "duration"},
		{"hosts", "WGW_HOSTS", "list of string"},
		{"password", "WGW_PASSWORD", "secret"},
		{"purposes[i].id", "WGW_PURPOSES__<I>__ID", "string"},
	}
	for _, w := range want {
		if byPath[w.Path] != w {
			t.Errorf("key %s = %+v, want %+v", w.Path, byPath[w.Path], w)
		}
	}
	if len(keys) != 20 {
		t.Errorf("got %d keys: %+v", len(keys), keys)
	}
	// Every listed env name must be accepted as an override (placeholders filled in).
	for _, k := range keys {
		name := strings.NewReplacer("<NAME>", "X", "<I>", "0").Replace(k.Env)
		if k.Type != "string" {
			continue // values of other types need valid text; the names are what is checked here
		}
		_, ck := decodeT(t, "purposes: [{id: a}]\n", name+"=v")
		if err := ck.Err(); err != nil {
			t.Errorf("override %s rejected: %v", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(fullYAML), "WGW_LISTENERS__ADMIN__ADDRESS=x")
	f.Add([]byte("a: &a [*a]"), "")
	f.Add([]byte("listeners: {admin: {timeout: 1d}}"), "WGW_HOSTS=[a")
	f.Fuzz(func(t *testing.T, data []byte, env string) {
		var c testConfig
		ck := NewChecker()
		Decode(ck, "fuzz.yaml", data, []string{env}, &c)
		for _, p := range ck.Problems() {
			if strings.Contains(p.Field+p.Message, "\n") {
				t.Fatalf("multi-line problem %q: %q", p.Field, p.Message)
			}
		}
	})
}
